"""`python -m flex_provider channels list`: the account's channels, with the settings the provider uses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from flex_provider.client import FlexClient
from tests.support import FLOW, ROOT, channel_inputs
from twilio_emulator import Emulator

OTHER_FLOW = "FO" + "c" * 32


def run_cli(*args: str, env: dict[str, str], cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "FLEX_"))}
    return subprocess.run([sys.executable, "-m", "flex_provider", *args], cwd=cwd, env={**clean, **env},
                          capture_output=True, text=True, timeout=60, check=False)


def emulator_env(emulator: Emulator) -> dict[str, str]:
    return {"TWILIO_ACCOUNT_SID": emulator.account_sid, "TWILIO_AUTH_TOKEN": emulator.auth_token,
            "FLEX_API_URL": emulator.base_url, "PYTHONPATH": str(ROOT)}


def test_channels_list_shows_every_channel_and_filters_by_flow(emulator: Emulator, client: FlexClient) -> None:
    mine = [client.create_channel(channel_inputs(f"c{i}")) for i in range(2)]
    other = client.create_channel(channel_inputs("x", flex_flow_sid=OTHER_FLOW))
    listed = run_cli("channels", "list", env=emulator_env(emulator))
    assert listed.returncode == 0, listed.stderr
    header, *rows = listed.stdout.splitlines()
    assert header.split() == ["SID", "FLEX_FLOW_SID", "USER_SID", "DATE_CREATED", "DATE_UPDATED"]
    assert [row.split()[:3] for row in rows] == [[c.sid, c.flex_flow_sid, c.user_sid] for c in [*mine, other]]
    assert listed.stderr == "3 channels\n"

    filtered = run_cli("channels", "list", "--flow", FLOW, "--json", env=emulator_env(emulator))
    assert filtered.returncode == 0, filtered.stderr
    assert [c["sid"] for c in json.loads(filtered.stdout)] == [c.sid for c in mine]
    assert emulator.auth_token not in listed.stdout + listed.stderr + filtered.stdout + filtered.stderr


def test_channels_list_reads_the_stack_config_and_the_secret_from_the_environment(
        emulator: Emulator, client: FlexClient, tmp_path: Path) -> None:
    client.create_channel(channel_inputs())
    (tmp_path / "Pulumi.qa.yaml").write_text(
        f"config:\n  twilio:accountSid: {emulator.account_sid}\n  flex:apiUrl: {emulator.base_url}\n"
        "  twilio:authToken:\n    secure: v1:AAAAencrypted\n")
    listed = run_cli("channels", "list", "--stack", "qa", cwd=tmp_path,
                     env={"TWILIO_AUTH_TOKEN": emulator.auth_token, "PYTHONPATH": str(ROOT)})
    assert listed.returncode == 0, listed.stderr
    assert listed.stderr == "1 channel\n"


def test_channels_list_without_credentials_says_how_to_give_them(emulator: Emulator) -> None:
    listed = run_cli("channels", "list", env={"FLEX_API_URL": emulator.base_url, "PYTHONPATH": str(ROOT)})
    assert listed.returncode == 1
    assert listed.stderr.startswith("error: Twilio credentials are missing.")
    assert "TWILIO_ACCOUNT_SID with TWILIO_AUTH_TOKEN" in listed.stderr
    assert emulator.requests() == []


def test_channels_list_refuses_a_malformed_flow_before_any_request(emulator: Emulator) -> None:
    listed = run_cli("channels", "list", "--flow", "FO1\n", env=emulator_env(emulator))
    assert listed.returncode == 2
    assert listed.stderr.splitlines()[-1].endswith("argument --flow: 'FO1\\n' must be an FO SID: 'FO' and 32 hex "
                                                   "digits (pattern ^FO[0-9a-fA-F]{32}$); found 'FO' and 2 "
                                                   "characters, 1 of them a hex digit")
    assert emulator.requests() == []
