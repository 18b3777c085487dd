"""The README's quick start, followed literally in a temporary copy of the repository, on the real Pulumi engine.

`make up` and `make destroy` run for real: the Pulumi CLI that `make engine` built (or the one on PATH), the
project's program in the copy's state folder, and the local emulator the script starts. Each test has its own
PULUMI_HOME, an emulator port of its own, and no way to the network: Pulumi's release downloads point at a closed
local port. Where the engine comes from is tests/test_engine_script.py's subject.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pulumi_mocks import run_program
from tests.real_engine import engine_bin
from tests.support import ROOT, channel_inputs, closed_port, copy_project, gone, make_client
from twilio_emulator import Emulator

pytestmark = pytest.mark.timeout(300)
REAL_TOKEN = "a-real-looking-token-" + "7" * 11
"""A token 'left in the environment' by a user: it must never be sent or shown."""


def _sh_blocks(markdown: str, heading: str) -> list[list[str]]:
    section = markdown.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    return [[line.split("#")[0].strip() for line in block.splitlines() if line.split("#")[0].strip()]
            for block in blocks]



@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    """The repository's files, copied with their times, sharing this checkout's .venv (already set up)."""
    copy = copy_project(tmp_path / "flex-channels")
    (copy / ".venv").symlink_to(ROOT / ".venv")
    yield copy
    subprocess.run(["make", "down"], cwd=copy, capture_output=True, check=False)


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A user's shell: the engine on PATH, nothing of Pulumi's or Twilio's set, no way to Pulumi's downloads."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "FLEX_", "PULUMI_", "MAKE"))}
    return {**keep, "PATH": f"{engine_bin()}:/usr/local/bin:/usr/bin:/bin", "PULUMI_HOME": str(tmp_path / "home"),
            "FLEX_PULUMI_RELEASES_URL": f"http://127.0.0.1:{closed_port()}", "FLEX_EMULATOR_PORT": str(closed_port()),
            **extra}


def _make(project: Path, env: dict[str, str], *targets: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["make", *targets], cwd=project, env=env, capture_output=True, text=True, timeout=240,
                          check=False)


def _emulator_counts(env: dict[str, str]) -> dict[str, int]:
    url = f"http://127.0.0.1:{env['FLEX_EMULATOR_PORT']}/_emulator/stats"
    with urllib.request.urlopen(url, timeout=5) as answer:
        stats = json.load(answer)
    return {key: stats[key] for key in ("flex_flows", "channels", "addresses")}


def test_readme_quick_start_is_two_commands_and_ci_runs_the_same_tests() -> None:
    commands = _sh_blocks((ROOT / "README.md").read_text(), "Quick start")[0]
    assert commands == ["make up", "make test"]
    assert re.search(r"^make test$", (ROOT / ".ci" / "run").read_text(), re.M)


def test_make_up_runs_pulumi_up_on_the_emulator_and_make_destroy_empties_it(project: Path, tmp_path: Path) -> None:
    """A fresh clone, with a real account's variables still in the shell: the quick start changes the emulator
    only, says how to reach it, and prints the stack's outputs."""
    env = _env(tmp_path, TWILIO_ACCOUNT_SID="AC" + "9" * 32, TWILIO_AUTH_TOKEN=REAL_TOKEN)
    port = env["FLEX_EMULATOR_PORT"]
    done = _make(project, env, "up")
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "==> Validating stacks/dev.yaml" in out and re.search(r"^stacks/dev.yaml: .*, valid$", out, re.M)
    assert f"==> Starting the local Twilio API emulator on http://127.0.0.1:{port}" in out
    assert (f"==> Using the local emulator on http://127.0.0.1:{port}. To use pulumi and the CLI on it in your "
            'shell, eval "$(make env)":\n'  # no PATH line: this shell's PATH runs that pulumi already
            f"    export PULUMI_BACKEND_URL=file://{project}/.pulumi-state\n    export PULUMI_CONFIG_PASSPHRASE=''\n"
            f"    export PULUMI_SKIP_UPDATE_CHECK=true\n"
            f"    export FLEX_API_URL=http://127.0.0.1:{port}\n    export TWILIO_ACCOUNT_SID=AC{'0' * 32}\n"
            "    export TWILIO_AUTH_TOKEN=emulator-auth-token\n    unset TWILIO_API_KEY TWILIO_API_SECRET\n"
            "    pulumi stack output --stack dev; .venv/bin/python -m flex_provider channels list\n") in out
    outputs = json.loads(out.split("==> Outputs of stack 'dev' (flows, channels and addresses, by section)\n", 1)[1])
    assert sorted(outputs["channels"]) == ["billing", "web-support"]
    assert all(channel["sid"].startswith("CH") for channel in outputs["channels"].values())
    assert _emulator_counts(env)["channels"] == 2
    assert REAL_TOKEN not in out + done.stderr
    assert (project / ".pulumi-state" / ".pulumi").is_dir(), "state stays inside the project"
    pid = int((project / ".emulator" / "pid").read_text().split()[0])

    again = _make(project, env, "up")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Starting the local Twilio API emulator" not in again.stdout, "the running emulator is reused"

    done = _make(project, env, "destroy")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"==> The emulator holds nothing now\n==> Stopping the local Twilio API emulator (pid {pid})" in done.stdout
    assert gone(pid)
    saved = json.loads((project / ".emulator" / "data.json").read_text())
    assert {key: value for key, value in saved.items() if key != "version"} == {
        "flex_flows": [], "channels": [], "addresses": []}, "destroy leaves the emulator empty"


def _legacy_data(project: Path) -> tuple[Path, str]:
    """An emulator data file under the name it had before, `.emulator/channels.json`, holding one channel; its SID."""
    legacy = project / ".emulator" / "channels.json"
    emulator = Emulator(data_file=legacy).start()
    try:
        with make_client(emulator) as client:
            sid = client.create_channel(channel_inputs("kept")).sid
    finally:
        emulator.stop()
    return legacy, sid


def test_make_up_moves_the_emulators_old_data_file_to_its_new_name_once(project: Path, tmp_path: Path) -> None:
    """Nobody's local emulator data is lost to the rename: what `.emulator/channels.json` held is served again."""
    legacy, sid = _legacy_data(project)
    env = _env(tmp_path)
    done = _make(project, env, "up")
    assert done.returncode == 0, done.stdout + done.stderr
    assert ("==> Moving the emulator's data from .emulator/channels.json to .emulator/data.json (its new name)"
            in done.stdout.splitlines())
    assert not legacy.exists()
    assert _emulator_counts(env)["channels"] == 3, "the old channel and the stack's two"
    assert sid in {c["sid"] for c in json.loads((project / ".emulator" / "data.json").read_text())["channels"]}

    legacy.write_text("{}")
    again = _make(project, env, "down", "up")
    assert again.returncode == 0, again.stdout + again.stderr
    assert ("==> Not moving .emulator/channels.json: .emulator/data.json exists, and the emulator uses that"
            in again.stdout.splitlines())
    assert legacy.read_text() == "{}", "a second old file is left as it is"


def test_make_up_leaves_an_old_data_file_that_an_emulator_still_holds(project: Path, tmp_path: Path) -> None:
    legacy, _ = _legacy_data(project)
    running = Emulator(data_file=legacy).start()
    try:
        done = _make(project, _env(tmp_path), "up")
    finally:
        running.stop()
    assert done.returncode != 0
    assert (f"cannot move it to data.json: data file {legacy} is in use by another emulator; stop that one, or give "
            "this one another --data file") in done.stderr
    assert legacy.is_file() and not (project / ".emulator" / "data.json").exists()
    assert not (project / ".emulator" / "pid").exists(), "no emulator was started"


@pytest.mark.parametrize("key", ["twilio:accountSid", "flex:accountSid"])
def test_make_up_refuses_a_stack_whose_config_names_an_account(project: Path, tmp_path: Path, key: str) -> None:
    """Under either front end's key: the dynamic provider reads both (settings.from_config)."""
    config = project / "Pulumi.dev.yaml"
    config.write_text(config.read_text().replace("config: {}", f"config:\n  {key}: AC{'9' * 32}"))
    done = _make(project, _env(tmp_path), "up")
    assert done.returncode == 2
    assert "\n".join([
        f"Stack 'dev' sets {key} in its config (Pulumi.dev.yaml), and that would send its requests to that",
        "account instead of the local emulator. To change that account, run 'make up TWILIO=yes'; to use",
        "the emulator, remove those settings ('pulumi config rm <key> --stack dev')."]) in done.stderr
    assert not (project / ".emulator" / "pid").exists(), "no emulator was started, nothing was run"


def test_twilio_yes_names_the_account_and_pulumi_asks_before_changing_it(project: Path, tmp_path: Path) -> None:
    missing = _make(project, _env(tmp_path, TWILIO="yes"), "up")
    assert missing.returncode == 2
    assert "TWILIO=yes, but no Twilio account is configured: set twilio:accountSid" in missing.stderr

    env = _env(tmp_path, TWILIO="yes", TWILIO_ACCOUNT_SID="AC" + "9" * 32, TWILIO_AUTH_TOKEN=REAL_TOKEN)
    done = _make(project, env, "up")
    assert f"==> This changes Twilio account AC{'9' * 32} (from TWILIO_ACCOUNT_SID)" in done.stdout
    assert done.returncode != 0, "without a terminal to answer it, pulumi makes no change"
    assert "--yes" in done.stdout + done.stderr
    assert REAL_TOKEN not in done.stdout + done.stderr
    assert not (project / ".emulator" / "pid").exists()


def test_twilio_yes_refuses_what_make_env_left_in_the_shell(project: Path, tmp_path: Path) -> None:
    """After `eval "$(make env)"` the shell points at the emulator; a real account's token set in the stack's config
    would then be sent to whatever listens on loopback, under the real account's name."""
    port = closed_port()
    leave = ("open a new shell, or `unset FLEX_API_URL TWILIO_ACCOUNT_SID TWILIO_AUTH_TOKEN` (what eval \"$(make "
             "env)\" set), then run it again")
    emulator_shell = {"FLEX_API_URL": f"http://127.0.0.1:{port}", "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
                      "TWILIO_AUTH_TOKEN": "emulator-auth-token"}
    env = _env(tmp_path, TWILIO="yes", **emulator_shell)

    def pulumi(*args: str) -> None:
        """`pulumi` in the project's state, as `make up` runs it."""
        (project / ".pulumi-state").mkdir(exist_ok=True)
        subprocess.run([str(engine_bin() / "pulumi"), *args], cwd=project, check=True, capture_output=True,
                       env={**env, "PULUMI_BACKEND_URL": f"file://{project}/.pulumi-state",
                            "PULUMI_CONFIG_PASSPHRASE": ""})

    pulumi("stack", "select", "--create", "dev")
    pulumi("config", "set", "--stack", "dev", "twilio:accountSid", "AC" + "9" * 32)
    done = _make(project, env, "up")
    assert done.returncode == 2
    assert (f"TWILIO=yes changes a real Twilio account, but FLEX_API_URL sends the requests to "
            f"'http://127.0.0.1:{port}', a local emulator: {leave}\n") in done.stderr
    assert "This changes Twilio account" not in done.stdout

    del env["FLEX_API_URL"]
    pulumi("config", "rm", "--stack", "dev", "twilio:accountSid")
    done = _make(project, env, "up")
    assert done.returncode == 2
    assert ("TWILIO=yes changes a real Twilio account, but TWILIO_ACCOUNT_SID is the local emulator's test account: "
            f"{leave}\n") in done.stderr
    assert not (project / ".emulator" / "pid").exists()


STACK_RULE = ("a stack name: a letter or digit, then letters, digits, '.', '_' and '-' (it names stacks/<STACK>.yaml "
              "and the Pulumi stack)")


@pytest.mark.parametrize(("setting", "value", "rule"), [
    ("STACK", "\x1b[2Jdev", STACK_RULE),
    ("STACK", "../Pulumi", STACK_RULE),
    ("STACK", "dev\n", STACK_RULE),
    ("STACK", "d\u0435v", STACK_RULE),
    ("STACK", "--help", STACK_RULE),
    ("FLEX_EMULATOR_PORT", "99999", "the local emulator's TCP port, from 1 to 65535"),
    ("FLEX_EMULATOR_PORT", "@localhost", "the local emulator's TCP port, from 1 to 65535"),
    ("TWILIO", "yes\x1b[2J\nforged", "'yes' (change the account the stack's config names) or unset (the emulator)"),
])
def test_make_up_refuses_a_hostile_setting_before_doing_anything(project: Path, tmp_path: Path, setting: str,
                                                                 value: str, rule: str) -> None:
    """STACK named a file outside stacks/ and was echoed raw in every step, a port that is no port was polled as part
    of a URL (`http://127.0.0.1:@localhost/…`), and TWILIO's refusal echoed it raw, after the engine and .venv were
    made: each is checked first and quoted escaped, as the CLI quotes what it refuses."""
    done = _make(project, _env(tmp_path, **{setting: value}), "up")
    assert done.returncode == 2
    said = [line for line in done.stderr.splitlines() if not line.startswith("make: ***")]
    assert said == [f"{setting} must be {rule}, not {value!a}"]
    assert done.stdout == "" and "\x1b" not in done.stderr
    assert not (project / ".emulator").exists() and not (project / ".pulumi-state").exists()


def test_a_state_backends_password_is_never_printed(project: Path, tmp_path: Path) -> None:
    """A database backend's URL holds its password, which Pulumi's own messages hide; the step that names the state
    printed it."""
    backend = f"postgres://flex:{REAL_TOKEN}@127.0.0.1:{closed_port()}/state"
    done = _make(project, _env(tmp_path, PULUMI_BACKEND_URL=backend), "up")
    assert done.returncode != 0, "no state database listens there"
    assert f"==> Selecting stack 'dev' (state: 'postgres://***@{backend.rsplit('@', 1)[1]}')" in done.stdout
    assert REAL_TOKEN not in done.stdout + done.stderr


def test_twilio_yes_names_an_account_only_if_it_is_an_account_sid(project: Path, tmp_path: Path) -> None:
    """The account is named before pulumi asks; a TWILIO_ACCOUNT_SID that is no SID reached the terminal raw."""
    env = _env(tmp_path, TWILIO="yes", TWILIO_ACCOUNT_SID="AC\x1b[2J\n==> forged", TWILIO_AUTH_TOKEN=REAL_TOKEN)
    done = _make(project, env, "up")
    assert done.returncode == 2
    assert "TWILIO=yes, but TWILIO_ACCOUNT_SID is not an Account SID: 'AC' and 32 hex digits\n" in done.stderr
    assert "\x1b" not in done.stdout + done.stderr and "forged" not in done.stdout + done.stderr
    assert not (project / ".emulator" / "pid").exists()


def test_the_copied_program_runs_under_mocks_and_validates(project: Path) -> None:
    assert sorted(r.name for r in run_program("dev", program=project / "__main__.py").registrations) == [
        "billing", "support-sms", "web-chat", "web-support"]
    done = subprocess.run(["make", "validate"], cwd=project, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_make_down_leaves_a_process_that_is_not_the_emulator_running(project: Path, tmp_path: Path) -> None:
    """After a reboot the pid file can name any process: `make down` stops only the emulator it started."""
    unrelated = subprocess.Popen(["sleep", "60"])
    try:
        started = Path(f"/proc/{unrelated.pid}/stat").read_text().rsplit(") ", 1)[1].split()[19]
        (project / ".emulator").mkdir()
        for recorded in (f"{unrelated.pid} {started}\n", f"{unrelated.pid}\n"):
            (project / ".emulator" / "pid").write_text(recorded)
            done = _make(project, _env(tmp_path), "down")
            assert done.returncode == 0, done.stderr
            assert done.stdout.splitlines() == [f"==> Not stopping pid {unrelated.pid}: it is not the emulator this "
                                                "project started (the pid file is older than that process)"]
            assert unrelated.poll() is None, "make down killed an unrelated process"
            assert not (project / ".emulator" / "pid").exists()
    finally:
        unrelated.kill()
        unrelated.wait()


def test_make_down_says_when_there_is_no_emulator_to_stop(project: Path, tmp_path: Path) -> None:
    done = _make(project, _env(tmp_path), "down")
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == ("==> No emulator that 'make up' started is running (one that 'make emulator' runs stops "
                           "with Ctrl-C in its shell)\n")


def test_make_env_gives_a_shell_the_pulumi_and_emulator_that_make_up_used(project: Path, tmp_path: Path) -> None:
    """What `make up` prints to eval: afterwards plain `pulumi` and the CLI in the user's shell see its stack and
    its emulator, with no other variable set by hand."""
    env = _env(tmp_path, TWILIO_AUTH_TOKEN=REAL_TOKEN)
    env["PATH"] = "/usr/local/bin:/usr/bin:/bin"  # a new shell: the engine is not on PATH
    assert _make(project, env, "up").returncode == 0
    shell = ('eval "$(make env)" && pulumi stack output channels --json --stack dev && '
             ".venv/bin/python -m flex_provider channels list --json")
    done = subprocess.run(["bash", "-c", shell], cwd=project, env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    decoder = json.JSONDecoder()
    outputs, end = decoder.raw_decode(done.stdout)
    listed, _ = decoder.raw_decode(done.stdout[end:].lstrip())
    assert sorted(channel["sid"] for channel in outputs.values()) == sorted(channel["sid"] for channel in listed)
    assert REAL_TOKEN not in done.stdout + done.stderr

    passphrase_file = tmp_path / "passphrase"
    passphrase_file.write_text("my secret passphrase from a file")
    for own in ({"PULUMI_CONFIG_PASSPHRASE": "my secret passphrase"},
                {"PULUMI_CONFIG_PASSPHRASE_FILE": str(passphrase_file)}):
        mine = _env(tmp_path, PULUMI_BACKEND_URL="file:///elsewhere", **own)  # the engine on PATH already
        emulator_lines = (f"export FLEX_API_URL=http://127.0.0.1:{mine['FLEX_EMULATOR_PORT']}\n"
                          f"export TWILIO_ACCOUNT_SID=AC{'0' * 32}\nexport TWILIO_AUTH_TOKEN=emulator-auth-token\n"
                          "unset TWILIO_API_KEY TWILIO_API_SECRET\n")
        for twilio, expected in (("", emulator_lines), ("yes", "")):
            printed = _make(project, mine, "env", f"TWILIO={twilio}")
            assert printed.returncode == 0, printed.stderr
            assert printed.stdout == "export PULUMI_SKIP_UPDATE_CHECK=true\n" + expected, (
                "the user's own passphrase and backend are never printed, nor a PATH they already have, and "
                "TWILIO=yes leaves the account to them")


def test_make_destroy_names_what_the_emulator_keeps_and_a_failed_one_leaves_it_running(
        project: Path, tmp_path: Path) -> None:
    """staging retains its `vip` channel on delete; prod cannot adopt its `vip` on the emulator, so its destroy
    fails on the protected channels it made."""
    env = _env(tmp_path, STACK="staging")
    assert _make(project, env, "up").returncode == 0
    done = _make(project, env, "destroy")
    assert done.returncode == 0, done.stdout + done.stderr
    assert ("==> The emulator still holds 1 channel: kept by retain_on_delete or another stack's (`pulumi stack ls` "
            'after eval "$(make env)"); `make clean` empties it\n') in done.stdout

    env["STACK"] = "prod"
    assert _make(project, env, "up").returncode != 0
    done = _make(project, env, "destroy")
    assert done.returncode != 0
    port = env["FLEX_EMULATOR_PORT"]
    assert (f"pulumi destroy of stack 'prod' failed (above); the emulator keeps running on http://127.0.0.1:{port}, "
            'so you\ncan look: eval "$(make env)", then pulumi stack --stack prod or the list commands. \'make down\' '
            "stops\nit; 'make clean' forgets everything the emulator and the local state hold, and starts from "
            "nothing.\n") in done.stderr
    assert _emulator_counts(env)["channels"] >= 1, "the emulator still answers"


def test_make_emulator_refuses_while_make_ups_emulator_runs(project: Path, tmp_path: Path) -> None:
    env = _env(tmp_path)
    assert _make(project, env, "up").returncode == 0
    pid = int((project / ".emulator" / "pid").read_text().split()[0])
    done = _make(project, env, "emulator")
    assert done.returncode == 2
    assert "export" not in done.stdout, "no lines to export for an emulator that never started"
    assert done.stderr.splitlines()[0] == (
        f"The emulator that 'make up' started is running already (pid {pid}, on {project}/.emulator/data.json): use "
        "that one, or stop it with 'make down' first.")


def test_make_up_starts_its_own_emulator_when_the_pid_file_names_another_process(
        project: Path, tmp_path: Path) -> None:
    unrelated = subprocess.Popen(["sleep", "60"])
    try:
        (project / ".emulator").mkdir()
        (project / ".emulator" / "pid").write_text(f"{unrelated.pid}\n")
        env = _env(tmp_path)
        done = _make(project, env, "up")
        assert done.returncode == 0, done.stdout + done.stderr
        port = env["FLEX_EMULATOR_PORT"]
        assert f"==> Starting the local Twilio API emulator on http://127.0.0.1:{port}" in done.stdout
        assert _emulator_counts(env)["channels"] == 2, "the new emulator served pulumi up"
        assert int((project / ".emulator" / "pid").read_text().split()[0]) != unrelated.pid
        assert unrelated.poll() is None
    finally:
        unrelated.kill()
        unrelated.wait()
