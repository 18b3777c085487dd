"""`python -m flex_provider`: `channels list` (the account's channels, with the settings the provider uses, or the
local emulator's), `emulator-env`, and what the command line says when the API is slow or not there."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from flex_provider.client import FlexClient
from tests.support import FLOW, ROOT, channel_inputs, closed_port, copy_project, emulator_env, make_client, run_cli
from twilio_emulator import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, DEFAULT_URL, Emulator, Faults

OTHER_FLOW = "FO" + "c" * 32


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


def test_a_list_against_a_closed_port_fails_at_once_saying_what_to_do() -> None:
    """Nothing listens: the first refused connection is the answer, not 16 s of silent retries."""
    url = f"http://127.0.0.1:{closed_port()}"
    listed = run_cli("channels", "list", env={"TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": "t",
                                              "FLEX_API_URL": url, "PYTHONPATH": str(ROOT)})
    assert listed.returncode == 1
    assert listed.stderr == (
        f"error: GET {url}/v1/Channels?PageSize=1000 failed: could not connect: nothing is listening on "
        f"{url.removeprefix('http://')} (connection refused); start the emulator there (`make emulator` or `python -m "
        "twilio_emulator`), or correct the URL\n")
    assert "retrying" not in listed.stderr


def test_a_list_says_when_it_retries_with_a_count(emulator: Emulator, client: FlexClient) -> None:
    client.create_channel(channel_inputs())
    emulator.set_faults(Faults(rate_5xx=0.75, methods=("GET",)))
    listed = run_cli("channels", "list", env=emulator_env(emulator))
    assert listed.returncode == 0, listed.stderr
    host = emulator.base_url.removeprefix("http://").rsplit(":", 1)[0]
    assert listed.stderr.splitlines() == [
        f"retrying GET /v1/Channels?PageSize=1000 at {host} (retry 1 of 6): HTTP 503",
        f"retrying GET /v1/Channels?PageSize=1000 at {host} (retry 2 of 6): HTTP 503",
        "1 channel",
    ]
    assert len(emulator.requests("GET")) == 3


def _emulator_on_its_own_account() -> Emulator:
    """An emulator with its published test account (the fixture's has a random token), on a free port."""
    return Emulator(auth_token=DEFAULT_AUTH_TOKEN)


def test_list_emulator_reads_the_emulator_with_its_account_whatever_the_environment_says() -> None:
    real = {"TWILIO_ACCOUNT_SID": "AC" + "1" * 32, "TWILIO_AUTH_TOKEN": "real-token", "TWILIO_API_KEY": "SK" + "2" * 32,
            "TWILIO_API_SECRET": "real-secret", "FLEX_API_URL": "https://flex-api.twilio.com", "PYTHONPATH": str(ROOT)}
    with _emulator_on_its_own_account() as emulator:
        port = emulator.base_url.rsplit(":", 1)[1]
        with make_client(emulator, token=DEFAULT_AUTH_TOKEN) as client:
            made = client.create_channel(channel_inputs())
        listed = run_cli("channels", "list", "--emulator", port, env=real)
        assert listed.returncode == 0, listed.stderr
        assert [row.split()[0] for row in listed.stdout.splitlines()[1:]] == [made.sid]
        assert listed.stderr == "1 channel\n"
        assert {(r.method, r.username) for r in emulator.requests()} == {("POST", DEFAULT_ACCOUNT_SID),
                                                                          ("GET", DEFAULT_ACCOUNT_SID)}


@pytest.mark.parametrize(("given", "message"), [
    ("https://flex-api.twilio.com", "'https://flex-api.twilio.com' is not a local emulator: the emulator listens on "
                                    f"loopback only; give its port, or a URL such as {DEFAULT_URL}"),
    ("http://10.0.0.1:8765", "'http://10.0.0.1:8765' is not a local emulator: the emulator listens on loopback "
                             f"only; give its port, or a URL such as {DEFAULT_URL}"),
    ("99999", "the emulator's URL 'http://127.0.0.1:99999' has no valid port: give one from 1 to 65535, or none"),
])
def test_list_emulator_refuses_anything_but_a_loopback_url_or_a_port_before_any_request(
        emulator: Emulator, given: str, message: str) -> None:
    listed = run_cli("channels", "list", f"--emulator={given}", env=emulator_env(emulator))
    assert listed.returncode == 2
    assert listed.stderr.splitlines()[-1] == ("python -m flex_provider channels list: error: argument --emulator: "
                                              + message)
    assert emulator.requests() == []


def test_list_emulator_and_stack_are_one_or_the_other(emulator: Emulator) -> None:
    listed = run_cli("addresses", "list", "--emulator", "--stack", "dev", env=emulator_env(emulator))
    assert listed.returncode == 2
    assert listed.stderr.splitlines()[-1].endswith("error: argument --stack: not allowed with argument --emulator")
    assert emulator.requests() == []


def test_emulator_env_prints_the_emulators_settings_from_the_one_place_they_live() -> None:
    printed = run_cli("emulator-env", env={"PYTHONPATH": str(ROOT)})
    assert (printed.returncode, printed.stderr) == (0, "")
    assert printed.stdout == (f"export FLEX_API_URL={DEFAULT_URL}\n"
                              f"export TWILIO_ACCOUNT_SID={DEFAULT_ACCOUNT_SID}\n"
                              f"export TWILIO_AUTH_TOKEN={DEFAULT_AUTH_TOKEN}\n"
                              "unset TWILIO_API_KEY TWILIO_API_SECRET\n")
    on_port = run_cli("emulator-env", "9000", env={"PYTHONPATH": str(ROOT)})
    assert on_port.stdout.splitlines()[0] == "export FLEX_API_URL=http://127.0.0.1:9000"


def test_a_shell_that_evaluates_emulator_env_lists_the_emulator(tmp_path: Path) -> None:
    """What the quick start prints to copy: evaluated in a shell that has a real account's API key set."""
    with _emulator_on_its_own_account() as emulator:
        with make_client(emulator, token=DEFAULT_AUTH_TOKEN) as client:
            client.create_channel(channel_inputs())
        port = emulator.base_url.rsplit(":", 1)[1]
        script = (f'eval "$("{sys.executable}" -m flex_provider emulator-env {port})" && '
                  f'"{sys.executable}" -m flex_provider channels list')
        env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
               "TWILIO_API_KEY": "SK" + "2" * 32, "TWILIO_API_SECRET": "real-secret"}
        listed = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
                                timeout=60, check=False)
        assert listed.returncode == 0, listed.stderr
        assert listed.stderr == "1 channel\n"
        assert {r.username for r in emulator.requests()} == {DEFAULT_ACCOUNT_SID}


def test_schema_write_in_a_checkout_regenerates_the_shipped_schema(tmp_path: Path) -> None:
    checkout = copy_project(tmp_path / "flex-channels")
    shipped = checkout / "flex_provider" / "stackfile.schema.json"
    shipped.write_text("{}\n")
    written = run_cli("schema", "--write", env={"PYTHONPATH": str(checkout)}, cwd=checkout)
    assert (written.returncode, written.stdout) == (0, f"wrote {shipped}\n")
    assert shipped.read_text() == (ROOT / "flex_provider" / "stackfile.schema.json").read_text()
