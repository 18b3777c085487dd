"""The README's quick start, followed literally in a temporary copy of the repository.

The Pulumi CLI cannot be installed here, so where the script calls `pulumi` a recording stand-in
answers: the test checks what the script asks of Pulumi (stack, backend, credentials, emulator)
and that the emulator it started really serves at that moment. Everything else runs for real,
the CLI's download too: from a local server of stand-in releases whose `pulumi` is that stand-in.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import os
import platform
import re
import socket
import stat
import subprocess
import sys
import tarfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.pulumi_mocks import run_program
from tests.support import ROOT, copy_project

STUB = """#!{python}
import json, os, sys, urllib.request
args = sys.argv[1:]
entry = {{"args": args, **{{k: os.environ.get(k) for k in
         ("FLEX_API_URL", "TWILIO_ACCOUNT_SID", "PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE")}}}}
if args[:1] == ["up"] and entry["FLEX_API_URL"]:
    entry["emulator"] = json.load(urllib.request.urlopen(entry["FLEX_API_URL"] + "/_emulator/stats"))
with open(os.environ["STUB_LOG"], "a") as log:
    log.write(json.dumps(entry) + "\\n")
if args[:2] == ["config", "get"]:
    sys.exit(1)
if args[:2] == ["stack", "output"]:
    print("{{}}")
"""


INSTALL_ADVICE = "install it with 'curl -fsSL https://get.pulumi.com | sh', then run 'make up' again."


def _load_fetch_pulumi() -> Any:
    spec = importlib.util.spec_from_file_location("fetch_pulumi", ROOT / "scripts" / "fetch_pulumi.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


PULUMI_VERSION = _load_fetch_pulumi().VERSION


def _sh_blocks(markdown: str, heading: str) -> list[list[str]]:
    section = markdown.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    return [[line.split("#")[0].strip() for line in block.splitlines() if line.split("#")[0].strip()]
            for block in blocks]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    """The repository's files, copied with their times, sharing this checkout's .venv (already set up)."""
    copy = copy_project(tmp_path / "flex-channels")
    (copy / ".venv").symlink_to(ROOT / ".venv")
    yield copy
    subprocess.run(["make", "down"], cwd=copy, capture_output=True, check=False)


@dataclass
class Releases:
    """A local stand-in for https://get.pulumi.com/releases/sdk; `requested` lists the paths asked for."""

    url: str
    folder: Path
    requested: list[str] = field(default_factory=list)

    @property
    def archive(self) -> str:
        """This machine's release archive, named as Pulumi names them."""
        system = {"Linux": "linux", "Darwin": "darwin"}[platform.system()]
        arch = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}[platform.machine().lower()]
        return f"pulumi-v{PULUMI_VERSION}-{system}-{arch}.tar.gz"

    def publish(self, members: dict[str, bytes], checksum: str | None = None) -> str:
        """The archive holding `members` (mode 755) and a checksums file with `checksum` or its real SHA-256."""
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
            for name, data in members.items():
                info = tarfile.TarInfo(name)
                info.size, info.mode = len(data), 0o755
                tar.addfile(info, io.BytesIO(data))
        (self.folder / self.archive).write_bytes(buffer.getvalue())
        actual = hashlib.sha256(buffer.getvalue()).hexdigest()
        (self.folder / f"pulumi-{PULUMI_VERSION}-checksums.txt").write_text(
            f"{'0' * 64}  pulumi-v{PULUMI_VERSION}-windows-x64.zip\n{checksum or actual}  {self.archive}\n")
        return actual


@pytest.fixture
def releases(tmp_path: Path) -> Iterator[Releases]:
    folder = tmp_path / "releases"
    folder.mkdir()
    requested: list[str] = []

    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(folder), **kwargs)

        def do_GET(self) -> None:
            requested.append(self.path)
            super().do_GET()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield Releases(f"http://127.0.0.1:{server.server_address[1]}", folder, requested)
    server.shutdown()
    server.server_close()


def _stub(python: str = sys.executable) -> bytes:
    return STUB.format(python=python).encode()


def _env(tmp_path: Path, with_pulumi: bool, **extra: str) -> dict[str, str]:
    path = "/usr/local/bin:/usr/bin:/bin"
    if with_pulumi:
        stub_dir = tmp_path / "bin"
        stub_dir.mkdir(exist_ok=True)
        stub = stub_dir / "pulumi"
        stub.write_bytes(_stub())
        stub.chmod(stub.stat().st_mode | stat.S_IEXEC)
        path = f"{stub_dir}:{path}"
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "FLEX_", "PULUMI_", "MAKE"))}
    return {**keep, "PATH": path, "STUB_LOG": str(tmp_path / "pulumi.log"), **extra}


def _gone(pid: int) -> bool:
    """Wait up to 5 s for the process to end; a zombie (ended, not yet reaped) counts as ended."""
    for _ in range(50):
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return True
        if state == "Z":
            return True
        time.sleep(0.1)
    return False


def _calls(tmp_path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (tmp_path / "pulumi.log").read_text().splitlines()]


def test_readme_quick_start_is_two_commands_and_ci_runs_the_same_tests() -> None:
    commands = _sh_blocks((ROOT / "README.md").read_text(), "Quick start")[0]
    assert commands == ["make up", "make test"]
    assert re.search(r"^make test$", (ROOT / ".ci" / "run").read_text(), re.M)


def _nothing_left(project: Path) -> None:
    assert not (project / ".pulumi").exists(), sorted(p.name for p in (project / ".pulumi").rglob("*"))
    assert not (project / ".emulator").exists()
    assert not (project / ".pulumi-state").exists()


def test_make_up_offline_without_the_pulumi_cli_stops_at_once_saying_how_to_install_it(
        project: Path, tmp_path: Path) -> None:
    offline = f"http://127.0.0.1:{_free_port()}"
    env = _env(tmp_path, with_pulumi=False, FLEX_PULUMI_RELEASES_URL=offline)
    done = subprocess.run(["make", "up"], cwd=project, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.splitlines()[0] == (
        f"The Pulumi CLI is missing and could not be downloaded from {offline}/pulumi-{PULUMI_VERSION}-checksums.txt "
        f"([Errno 111] Connection refused; offline? FLEX_PULUMI_RELEASES_URL can name a mirror): {INSTALL_ADVICE}")
    _nothing_left(project)


def test_make_up_fetches_the_pinned_pulumi_cli_verifies_it_and_runs_it(
        project: Path, tmp_path: Path, releases: Releases) -> None:
    digest = releases.publish({"pulumi/pulumi": _stub(), "pulumi/pulumi-language-python": b"#!/bin/sh\n"})
    env = _env(tmp_path, with_pulumi=False, FLEX_PULUMI_RELEASES_URL=releases.url,
               FLEX_EMULATOR_PORT=str(_free_port()))
    done = subprocess.run(["make", "up"], cwd=project, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[:2] == [
        f"==> Downloading the Pulumi CLI v{PULUMI_VERSION} ({releases.url}/{releases.archive}) into .pulumi/bin",
        f"==> Verified (sha256 {digest}) and installed .pulumi/bin/pulumi"]
    assert releases.requested == [f"/pulumi-{PULUMI_VERSION}-checksums.txt", f"/{releases.archive}"]
    assert sorted(p.relative_to(project).as_posix() for p in (project / ".pulumi").rglob("*")) == [
        ".pulumi/bin", ".pulumi/bin/pulumi", ".pulumi/bin/pulumi-language-python"]
    assert [c["args"][0] for c in _calls(tmp_path)] == ["stack", "config", "up", "stack"], "the fetched CLI ran"

    again = subprocess.run(["make", "up"], cwd=project, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert "Downloading" not in again.stdout
    assert len(releases.requested) == 2, "the CLI is fetched once"


def test_make_up_refuses_a_pulumi_download_that_does_not_match_its_checksum(
        project: Path, tmp_path: Path, releases: Releases) -> None:
    actual = releases.publish({"pulumi/pulumi": _stub()}, checksum="e" * 64)
    env = _env(tmp_path, with_pulumi=False, FLEX_PULUMI_RELEASES_URL=releases.url)
    done = subprocess.run(["make", "up"], cwd=project, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.splitlines()[0] == (
        f"The Pulumi CLI is missing and its download {releases.archive} does not match the published checksum "
        f"(sha256 {actual}, published {'e' * 64}), so nothing was installed: {INSTALL_ADVICE}")
    assert releases.requested == [f"/pulumi-{PULUMI_VERSION}-checksums.txt", f"/{releases.archive}"]
    _nothing_left(project)
    assert not (tmp_path / "pulumi.log").exists(), "nothing ran"


def test_make_up_refuses_a_pulumi_archive_with_a_path_outside_its_folder(
        project: Path, tmp_path: Path, releases: Releases) -> None:
    releases.publish({"pulumi/pulumi": _stub(), "pulumi/../../escaped": b"x"})
    env = _env(tmp_path, with_pulumi=False, FLEX_PULUMI_RELEASES_URL=releases.url)
    done = subprocess.run(["make", "up"], cwd=project, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.splitlines()[0] == (
        f"The Pulumi CLI is missing and the archive {releases.archive} holds 'pulumi/../../escaped', outside "
        f"pulumi/; nothing was installed: {INSTALL_ADVICE}")
    _nothing_left(project)
    assert not (project / "escaped").exists()


def test_make_up_starts_the_emulator_and_runs_pulumi_on_local_state(project: Path, tmp_path: Path) -> None:
    port = _free_port()
    env = _env(tmp_path, with_pulumi=True, FLEX_EMULATOR_PORT=str(port))
    done = subprocess.run(["make", "up"], cwd=project, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "==> Validating stacks/dev.yaml" in done.stdout
    assert "stacks/dev.yaml: 1 flow, 2 channels, 1 address, valid" in done.stdout
    assert f"==> Starting the local Twilio API emulator on http://127.0.0.1:{port}" in done.stdout
    calls = _calls(tmp_path)
    assert [c["args"] for c in calls] == [
        ["stack", "select", "dev", "--create"],
        ["config", "get", "twilio:accountSid", "--stack", "dev"],
        ["up", "--yes", "--stack", "dev"],
        ["stack", "output", "--json", "--stack", "dev"],
    ]
    up = calls[2]
    assert up["PULUMI_BACKEND_URL"] == f"file://{project}/.pulumi-state"
    assert up["PULUMI_CONFIG_PASSPHRASE"] == ""
    assert up["FLEX_API_URL"] == f"http://127.0.0.1:{port}"
    assert up["TWILIO_ACCOUNT_SID"] == "AC" + "0" * 32
    assert (up["emulator"]["requests"], up["emulator"]["channels"]) == (0, 0), "serving, and nothing sent yet"
    pid = int((project / ".emulator" / "pid").read_text().split()[0])

    stopped = subprocess.run(["make", "down"], cwd=project, env=env, capture_output=True, text=True)
    assert stopped.returncode == 0
    assert f"==> Stopping the local Twilio API emulator (pid {pid})" in stopped.stdout
    assert _gone(pid), "the emulator is still running"


def test_make_up_with_credentials_uses_them_and_starts_no_emulator(project: Path, tmp_path: Path) -> None:
    env = _env(tmp_path, with_pulumi=True, TWILIO_ACCOUNT_SID="AC" + "9" * 32, TWILIO_AUTH_TOKEN="from-env")
    done = subprocess.run(["make", "up"], cwd=project, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "==> Using the Twilio credentials from the stack's config or the environment" in done.stdout
    up = _calls(tmp_path)[1]
    assert up["args"] == ["up", "--yes", "--stack", "dev"]
    assert (up["FLEX_API_URL"], up["TWILIO_ACCOUNT_SID"]) == (None, "AC" + "9" * 32)
    assert not (project / ".emulator" / "pid").exists()
    assert "from-env" not in done.stdout + done.stderr


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
            done = subprocess.run(["make", "down"], cwd=project, env=_env(tmp_path, with_pulumi=False),
                                  capture_output=True, text=True, timeout=60)
            assert done.returncode == 0, done.stderr
            assert done.stdout.splitlines() == [f"==> Not stopping pid {unrelated.pid}: it is not the emulator this "
                                                "project started (the pid file is older than that process)"]
            assert unrelated.poll() is None, "make down killed an unrelated process"
            assert not (project / ".emulator" / "pid").exists()
    finally:
        unrelated.kill()
        unrelated.wait()


def test_make_up_starts_its_own_emulator_when_the_pid_file_names_another_process(
        project: Path, tmp_path: Path) -> None:
    unrelated = subprocess.Popen(["sleep", "60"])
    try:
        (project / ".emulator").mkdir()
        (project / ".emulator" / "pid").write_text(f"{unrelated.pid}\n")
        port = _free_port()
        env = _env(tmp_path, with_pulumi=True, FLEX_EMULATOR_PORT=str(port))
        done = subprocess.run(["make", "up"], cwd=project, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert f"==> Starting the local Twilio API emulator on http://127.0.0.1:{port}" in done.stdout
        assert _calls(tmp_path)[2]["emulator"]["requests"] == 0, "the new emulator served pulumi up"
        assert int((project / ".emulator" / "pid").read_text().split()[0]) != unrelated.pid
        assert unrelated.poll() is None
    finally:
        unrelated.kill()
        unrelated.wait()
