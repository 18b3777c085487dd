"""The command line under hostile input: tables that cannot be forged, a Pulumi config file read whole or refused
in one line that quotes none of it, and pipes, Ctrl-C and odd encodings that end without a traceback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support import ROOT, emulator_env
from twilio_emulator import Emulator, Faults

SERVICE = "IS" + "1" * 32
SECRET = "hush-" + "7" * 20


def _cli(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None, stdout: int | None = subprocess.PIPE,
         timeout: float = 30) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "FLEX_"))}
    try:
        return subprocess.run([sys.executable, "-m", "flex_provider", *args], cwd=cwd, stdout=stdout,
                              stderr=subprocess.PIPE, text=True, timeout=timeout, check=False,
                              env={**clean, "PYTHONPATH": str(ROOT), **(env or {})})
    except subprocess.TimeoutExpired:
        pytest.fail(f"`{' '.join(args)}` hung")


# --- 4. values from Twilio are escaped in tables -----------------------------------------------------------------


def test_a_name_cannot_forge_a_row_or_reach_the_terminal(emulator: Emulator) -> None:
    """Users copy `import:` SIDs from these tables: a newline in a name must not print a row of its own."""
    forged = "Web\nFO" + "f" * 32 + "  Forged  web\x1b[2J"
    real, _ = emulator.backends["flex_flows"].create(friendly_name=forged, chat_service_sid=SERVICE,
                                                     channel_type="web")
    emulator.backends["flex_flows"].create(friendly_name="web-\u0441hat", chat_service_sid=SERVICE,
                                           channel_type="web")
    listed = _cli("flex-flows", "list", env=emulator_env(emulator))
    assert listed.returncode == 0, listed.stderr
    header, *rows = listed.stdout.splitlines()
    assert header.split() == ["SID", "FRIENDLY_NAME", "CHANNEL_TYPE", "INTEGRATION_TYPE", "DATE_CREATED"]
    assert len(rows) == 2
    assert rows[0].split()[:2] == [real.sid, "'Web\\nFO" + "f" * 32]
    assert "'Forged  web\\x1b[2J'" not in rows[0] and "web\\x1b[2J'" in rows[0]
    assert rows[1].split()[1] == "'web-\\u0441hat'", "a look-alike letter shows as its code point"
    assert listed.stdout.isascii() and "\x1b" not in listed.stdout


# --- 3, 5, 6. the stack's Pulumi config file ---------------------------------------------------------------------


def _config(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "Pulumi.qa.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def _refused(tmp_path: Path, emulator: Emulator) -> str:
    """`channels list --stack qa`, which must stop at once with one line and no request."""
    listed = _cli("channels", "list", "--stack", "qa", cwd=tmp_path, env=emulator_env(emulator))
    assert listed.returncode == 1, listed.stderr
    assert listed.stdout == ""
    assert len(listed.stderr.splitlines()) == 1, listed.stderr
    assert emulator.requests() == []
    return listed.stderr.rstrip("\n")


def test_a_yaml_error_never_quotes_the_config_file(tmp_path: Path, emulator: Emulator) -> None:
    """PyYAML's message shows the offending line, token and all: here, the secret."""
    _config(tmp_path, f'config:\n  twilio:authToken: "{SECRET}\n')
    assert _refused(tmp_path, emulator) == (
        "error: Pulumi.qa.yaml:3:1: is not valid YAML (while scanning a quoted scalar, found unexpected end of "
        "stream); fix the file at that place (its text is not shown: it may hold a secret)")
    _config(tmp_path, f"config:\n  twilio:authToken: {SECRET}: x\n")
    assert SECRET[:5] not in _refused(tmp_path, emulator)


def test_a_named_pipe_as_the_config_file_is_refused_without_waiting(tmp_path: Path, emulator: Emulator) -> None:
    os.mkfifo(tmp_path / "Pulumi.qa.yaml")
    assert _refused(tmp_path, emulator) == ("error: Pulumi.qa.yaml: is a named pipe, not a regular file; give the "
                                            "path of a Pulumi config file")


def test_a_symlink_to_an_endless_device_is_refused_unread(tmp_path: Path, emulator: Emulator) -> None:
    (tmp_path / "Pulumi.qa.yaml").symlink_to("/dev/zero")
    assert _refused(tmp_path, emulator) == ("error: Pulumi.qa.yaml: is a character device, not a regular file; give "
                                            "the path of a Pulumi config file")


def test_an_alias_bomb_in_the_config_file_is_refused_at_once(tmp_path: Path, emulator: Emulator) -> None:
    """Nine levels of nine aliases: 387 million values if the setting were built and turned into text."""
    lines = ["config:", "  flex:a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"  flex:a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    _config(tmp_path, "\n".join([*lines, "  twilio:region: *a8", ""]))
    assert _refused(tmp_path, emulator) == ("error: Pulumi.qa.yaml:11:18: an alias (`*…`) is not read here; write "
                                            "the value out"), "refused where the alias is used, nothing expanded"


def test_deep_nesting_in_the_config_file_is_one_line(tmp_path: Path, emulator: Emulator) -> None:
    _config(tmp_path, "config: " + "[" * 200_000 + "]" * 200_000 + "\n")
    assert _refused(tmp_path, emulator) == (
        "error: Pulumi.qa.yaml:1:1008: is not valid YAML (while increasing flow level, exceeded maximum nesting "
        "depth); fix the file at that place (its text is not shown: it may hold a secret)")


def test_a_config_file_that_is_not_utf8_is_one_line(tmp_path: Path, emulator: Emulator) -> None:
    _config(tmp_path, b"config:\n  twilio:region: caf\xe9\n")
    assert _refused(tmp_path, emulator) == ("error: Pulumi.qa.yaml:2:21: is not UTF-8 text (byte 0xe9); save it as "
                                            "UTF-8")


def test_a_config_file_over_the_limit_is_refused_unread(tmp_path: Path, emulator: Emulator) -> None:
    with _config(tmp_path, "").open("wb") as handle:
        handle.truncate(2**20 + 1)
    assert _refused(tmp_path, emulator) == ("error: Pulumi.qa.yaml: is 1,048,577 bytes; Pulumi config files are "
                                            "limited to 1,048,576 bytes (1 MiB)")


@pytest.mark.parametrize(("setting", "value", "column"), [
    ("twilio:accountSid", "{sid: AC" + "9" * 32 + "}", 22), ("flex:apiUrl", "[http://127.0.0.1:9]", 16),
    ("twilio:region", "{}", 18)])
def test_a_provider_setting_that_is_a_list_or_mapping_is_refused(tmp_path: Path, emulator: Emulator, setting: str,
                                                                 value: str, column: int) -> None:
    """The provider refuses such a setting (it takes text); `list --stack` left it out as it leaves out an encrypted
    one, and listed the account or URL of the environment instead of the one the stack names, without a word."""
    _config(tmp_path, f"config:\n  flex:other: [kept, as, the, program's]\n  {setting}: {value}\n")
    assert _refused(tmp_path, emulator) == (
        f"error: Pulumi.qa.yaml:3:{column}: {setting} must be one value, not a list or mapping: the provider refuses "
        f"it too; write it out (`pulumi config set {setting} …`)")


def test_the_config_file_of_a_qualified_stack_name_is_its_own(tmp_path: Path, emulator: Emulator) -> None:
    _config(tmp_path, f"config:\n  twilio:accountSid: {emulator.account_sid}\n  flex:apiUrl: {emulator.base_url}\n")
    listed = _cli("channels", "list", "--stack", "acme/flex-channels/qa", cwd=tmp_path,
                  env={"TWILIO_AUTH_TOKEN": emulator.auth_token})
    assert (listed.returncode, listed.stderr) == (0, "0 channels\n")


@pytest.mark.parametrize("stack", ["\x1b[2Jdev", "a/b/c/dev", "dev\n", "dev qa"])
def test_a_stack_name_is_checked_and_echoed_escaped(tmp_path: Path, emulator: Emulator, stack: str) -> None:
    listed = _cli("channels", "list", "--stack", stack, cwd=tmp_path, env=emulator_env(emulator))
    assert listed.returncode == 2
    assert listed.stderr.splitlines()[-1].endswith(
        f"argument --stack: {stack!a} is not a Pulumi stack name: letters, digits, '.', '_' and '-' (or "
        "org/project/stack)")
    assert "\x1b" not in listed.stderr
    assert emulator.requests() == []


# --- 6. pipes, Ctrl-C and encodings ------------------------------------------------------------------------------


def test_output_into_a_closed_pipe_ends_quietly_with_141() -> None:
    """`flex-channels schema | head -0`: the reader is gone before the first write."""
    read, write = os.pipe()
    os.close(read)
    try:
        done = _cli("schema", stdout=write)
    finally:
        os.close(write)
    assert (done.returncode, done.stderr) == (141, "")


def test_ctrl_c_during_a_slow_list_ends_with_one_line_and_130(emulator: Emulator) -> None:
    emulator.set_faults(Faults(latency_ms=10_000))
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "FLEX_"))}
    process = subprocess.Popen([sys.executable, "-m", "flex_provider", "channels", "list"], cwd=ROOT, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env={**clean, "PYTHONPATH": str(ROOT), **emulator_env(emulator)})
    try:
        deadline = time.monotonic() + 20
        while not emulator.stats()["requests"] and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
    assert (process.returncode, stdout, stderr) == (130, "", "python -m flex_provider: interrupted\n")


def test_a_terminal_without_unicode_gets_escapes_not_a_traceback(tmp_path: Path) -> None:
    stack = tmp_path / "stack.yaml"
    stack.write_text("channels:\n  web:\n    " + "k" * 200 + ": 1\n")
    done = _cli("validate", str(stack), env={"PYTHONIOENCODING": "ascii"})
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "\\u2026: is not a known key" in done.stdout


def test_validate_names_a_stack_file_it_cannot_read_instead_of_skipping_it(tmp_path: Path) -> None:
    """`validate` without files took only regular files from stacks/: a named pipe or a link to /dev/zero there was
    skipped, and the run said every stack file was valid, while `pulumi up` of that stack fails."""
    stacks = tmp_path / "stacks"
    stacks.mkdir()
    (stacks / "dev.yaml").write_text(f"channels:\n  web: {{flex_flow_sid: FO{'1' * 32}, identity: a, "
                                     "chat_user_friendly_name: V, chat_friendly_name: S}\n")
    os.mkfifo(stacks / "qa.yaml")
    (stacks / "zero.yaml").symlink_to("/dev/zero")
    (stacks / "folder.yaml").mkdir()
    done = _cli("validate", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        "stacks/dev.yaml: 1 channel, valid",
        "stacks/qa.yaml:1:1: (file): is a named pipe, not a regular file; give the path of a stack file",
        "stacks/zero.yaml:1:1: (file): is a character device, not a regular file; give the path of a stack file",
    ]
    assert done.stderr == "validate: 2 of 3 stack files have problems\n"


# --- 3, 8. command-line arguments --------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [f"http://user:{SECRET}@203.0.113.9:8765", f"http://user:{SECRET}/x@example.com"])
def test_an_emulator_url_is_never_echoed_with_its_password(url: str) -> None:
    """`--emulator` and `emulator-env` refuse a URL off loopback, naming it as any URL setting is named: without the
    user info, where a password would be."""
    for args in (("emulator-env", url), ("channels", "list", "--emulator", url)):
        done = _cli(*args)
        assert done.returncode == 2
        assert SECRET not in done.stderr
        assert done.stderr.splitlines()[-1].endswith(
            f"'http://***@{url.rsplit('@', 1)[1]}' is not a local emulator: the emulator listens on loopback only; "
            "give its port, or a URL such as http://127.0.0.1:8765")


@pytest.mark.parametrize(("args", "said"), [
    (("channels", "list", "--json", "\x1b[2Jx\nforged"), "unrecognized arguments: \\x1b[2Jx\\nforged"),
    (("\u0441hannels", "list"), "argument command: invalid choice: '\\u0441hannels' (choose from"),
    (("channels", "list", "--flow", "FO\u0441hat"), "argument --flow: 'FO\\u0441hat' must be an FO SID"),
])
def test_a_usage_error_echoes_arguments_escaped(args: tuple[str, ...], said: str) -> None:
    """argparse quotes what it refuses with `repr` (a look-alike letter stays as it was typed) or not at all (an
    unknown argument's escape sequence reaches the terminal, its newline forges a line)."""
    done = _cli(*args)
    assert done.returncode == 2
    assert said in done.stderr.splitlines()[-1]
    assert done.stderr.isascii() and "\x1b" not in done.stderr
    assert done.stdout == ""
