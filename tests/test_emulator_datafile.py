"""The emulator's data file under hostile conditions: a file it cannot read whole is refused before anything is
written, it deletes only files it can prove it made, a symlink keeps pointing at the data, and nothing hangs."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support import ROOT
from twilio_emulator import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, Emulator
from twilio_emulator.store import StoreError

CLI = (sys.executable, "-m", "twilio_emulator", "--port", "0")
AUTH = (DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN)
FORM = {"FlexFlowSid": "FO" + "a" * 32, "Identity": "c1", "ChatUserFriendlyName": "C", "ChatFriendlyName": "S"}


def _start(*args: str, stdout: Any = subprocess.PIPE) -> subprocess.CompletedProcess[str]:
    """The command line with arguments it must refuse at once (or end at once)."""
    try:
        return subprocess.run([*CLI, *args], cwd=ROOT, stdout=stdout, stderr=subprocess.PIPE, text=True, timeout=20,
                              check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the emulator did not stop at once with {args}")


def _refusal(data: Path) -> str:
    done = _start("--data", str(data))
    assert (done.returncode, done.stdout) == (2, ""), done.stderr
    assert len(done.stderr.splitlines()) == 1, done.stderr
    return done.stderr.rstrip("\n")


def _saved(emulator: Emulator) -> str:
    """Create a channel (which saves the data file); its SID."""
    answer = requests.post(f"{emulator.base_url}/v1/Channels", data=FORM, auth=(emulator.account_sid,
                                                                                emulator.auth_token), timeout=5)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["sid"])


def _channel(sid: str = "CH" + "1" * 32, **changes: Any) -> dict[str, Any]:
    return {"sid": sid, "account_sid": DEFAULT_ACCOUNT_SID, "flex_flow_sid": "FO" + "a" * 32,
            "user_sid": "US" + "1" * 32, "task_sid": None, "identity": "c1", "unique_name": None,
            "date_created": "2026-01-01T00:00:00Z", "date_updated": "2026-01-01T00:00:00Z", "seq": 1, **changes}


# --- 2. nothing lost or overwritten -----------------------------------------------------------------------------


@pytest.mark.parametrize(("content", "reason"), [
    ({"version": 99, "channels": []}, "it is version 99; this emulator reads versions 1 and 2 (a newer emulator "
                                      "wrote it?)"),
    ({"version": "two", "channels": []}, "it is version 'two'; this emulator reads versions 1 and 2 (a newer "
                                         "emulator wrote it?)"),
    ({"version": True, "channels": []}, "it is version True; this emulator reads versions 1 and 2 (a newer emulator "
                                        "wrote it?)"),
    ({"channels": []}, "it says no version; this emulator reads versions 1 and 2 (a newer emulator wrote it?)"),
    ({"version": 2, "channels": [], "conversations": [{"sid": "CH1"}]},
     "it holds conversations, which this emulator does not know (a newer emulator wrote it?)"),
    ({"version": 2, "channels": {"sid": "x"}}, "its channels are not a list of records"),
    ({"version": 2, "channels": [_channel(), _channel(identity="c2", seq=2)]},
     f"it holds two channels with the SID {'CH' + '1' * 32}"),
    ({"version": 2, "channels": [_channel(sid=5)]}, "a record of its channels has sid 5, which is not a str"),
    ({"version": 2, "channels": [_channel(seq=True)]}, "a record of its channels has seq True, which is not an int"),
])
def test_a_data_file_it_cannot_read_whole_is_refused_untouched(tmp_path: Path, content: Any, reason: str) -> None:
    """Served as if current, its next save would drop what this emulator does not know."""
    data = tmp_path / "d.json"
    data.write_text(json.dumps(content))
    before = data.read_bytes()
    assert _refusal(data) == (f"emulator: cannot start: cannot read data file {data}: {reason}. Move it aside to "
                              "start empty.")
    assert data.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.json"], "no lock file left behind"


def test_the_start_up_sweep_deletes_only_what_the_emulator_made(tmp_path: Path) -> None:
    data = tmp_path / "d.json"
    data.write_text(json.dumps({"version": 2, "channels": []}))
    users = [tmp_path / name for name in (".d.json.bak", ".d.json.notes", ".d.json.a1b2c3d4", ".d.json.x.tmp")]
    for path in users:
        path.write_text("the user's")
    leftover = tmp_path / ".d.json.k3j_9x0q.tmp"  # what a save cut short by a kill leaves
    leftover.write_text('{"version": 2, "chan')
    with Emulator(data_file=data) as emulator:
        _saved(emulator)
    assert not leftover.exists()
    assert [path.read_text() for path in users] == ["the user's"] * 4


def test_a_refused_start_deletes_nothing(tmp_path: Path) -> None:
    data = tmp_path / "d.json"
    data.write_text(json.dumps({"version": 99}))
    leftover = tmp_path / ".d.json.k3j_9x0q.tmp"
    leftover.write_text("?")
    with pytest.raises(StoreError):
        Emulator(data_file=data)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".d.json.k3j_9x0q.tmp", "d.json"]


def test_a_lock_file_the_emulator_did_not_make_is_neither_used_nor_deleted(tmp_path: Path) -> None:
    data = tmp_path / "d.json"
    lock = tmp_path / "d.json.lock"
    lock.write_text("the user's notes")
    assert _refusal(data) == (f"emulator: cannot start: cannot use data file {data}: {lock} is not an emulator's "
                              "lock file; move it aside")
    assert lock.read_text() == "the user's notes"


def test_a_symlinked_data_file_stays_a_symlink_and_its_target_is_saved(tmp_path: Path) -> None:
    target = tmp_path / "real" / "channels.json"
    target.parent.mkdir()
    link = tmp_path / "channels.json"
    link.symlink_to(target)
    with Emulator(data_file=link) as emulator:
        sid = _saved(emulator)
    assert link.is_symlink() and link.resolve() == target
    assert [c["sid"] for c in json.loads(target.read_text())["channels"]] == [sid]
    with Emulator(data_file=link) as again:
        assert [c["sid"] for c in again.resources("channels")] == [sid]


def test_two_paths_to_one_data_file_share_one_lock(tmp_path: Path) -> None:
    data = tmp_path / "d.json"
    link = tmp_path / "link.json"
    link.symlink_to(data)
    with Emulator(data_file=data), pytest.raises(StoreError) as caught:
        Emulator(data_file=link)
    assert str(caught.value) == (f"data file {link} is in use by another emulator; stop that one, or give this one "
                                 "another --data file")


# --- 5. hangs and unbounded reads --------------------------------------------------------------------------------


def test_a_named_pipe_as_the_data_file_is_refused_without_waiting(tmp_path: Path) -> None:
    data = tmp_path / "d.json"
    os.mkfifo(data)
    assert _refusal(data) == (f"emulator: cannot start: cannot read data file {data}: it is a named pipe, not a "
                              "regular file. Move it aside to start empty.")


def test_a_symlink_to_an_endless_device_is_refused_unread(tmp_path: Path) -> None:
    data = tmp_path / "d.json"
    data.symlink_to("/dev/zero")
    assert _refusal(data) == (f"emulator: cannot start: cannot read data file {data}: it is a character device, not a "
                              "regular file. Move it aside to start empty.")
    assert data.is_symlink()


def test_a_data_file_nested_too_deeply_is_refused_without_a_traceback(tmp_path: Path) -> None:
    data = tmp_path / "d.json"
    data.write_text('{"version": 2, "channels": ' + "[" * 200_000 + "]" * 200_000 + "}")
    assert _refusal(data) == (f"emulator: cannot start: cannot read data file {data}: it nests too deeply to be "
                              "emulator data. Move it aside to start empty.")


@pytest.mark.parametrize("port", ["1" * 5000, "\u00b2", "\u0663"])
def test_a_port_that_int_cannot_read_is_a_usage_error(port: str) -> None:
    done = _start("--port", port)
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1] == (f"python -m twilio_emulator: error: argument --port: {port[:20]!a}"
                                            f"{'…' if len(port) > 20 else ''} is not a TCP port (0 to 65535; 0 "
                                            "picks a free one)")


def test_a_content_length_of_5000_digits_is_413_without_a_traceback(tmp_path: Path) -> None:
    log = tmp_path / "emulator.log"
    with log.open("wb") as out:
        process = subprocess.Popen([*CLI], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while "test credentials" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        port = int(re.findall(r":(\d+)\b", log.read_text())[0])
        with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
            conn.sendall(b"POST /v1/Channels HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " + b"1" * 5000 +
                         b"\r\n\r\n")
            answer = conn.recv(4096)
        assert answer.startswith(b"HTTP/1.1 413 ")
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert "Traceback" not in log.read_text()


@pytest.mark.parametrize("token", ["PA" + "1" * 5000, "PA\u00b2", "PB\u0663"])
def test_a_page_token_that_int_cannot_read_is_400(emulator: Emulator, token: str) -> None:
    _saved(emulator)
    answer = requests.get(f"{emulator.base_url}/v1/Channels", params={"PageToken": token}, auth=(
        emulator.account_sid, emulator.auth_token), timeout=5)
    assert answer.status_code == 400
    assert answer.json()["message"].startswith("Invalid PageToken: ")


# --- 6. the command line under pipes -----------------------------------------------------------------------------


def test_a_banner_into_a_closed_pipe_ends_quietly_and_releases_the_data_file(tmp_path: Path) -> None:
    data = tmp_path / "d.json"
    read, write = os.pipe()
    os.close(read)
    try:
        done = _start("--data", str(data), stdout=write)
    finally:
        os.close(write)
    assert (done.returncode, done.stderr) == (141, "")
    assert sorted(p.name for p in tmp_path.iterdir()) == [], "no lock file, no data file"


def test_fault_settings_nested_too_deeply_are_400_not_a_dropped_connection(emulator: Emulator) -> None:
    answer = requests.post(f"{emulator.base_url}/_emulator/faults", data=b"[" * 100_000 + b"]" * 100_000, timeout=5)
    assert (answer.status_code, answer.json()) == (400, {"message": "bad faults: nested too deeply"})
