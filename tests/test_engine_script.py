"""scripts/engine.py: where the Pulumi engine comes from, and what it says when it cannot get one.

Each test runs the script as `make up` and `make engine` do, in an environment of its own: a private cache folder,
a PATH without the machine's `pulumi`, and a local server standing in for Pulumi's release downloads (never the
network). The build from Go modules itself is proven by `make test` (which runs it) and by the real-engine tests.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import io
import os
import platform
import re
import signal
import stat
import subprocess
import sys
import tarfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.support import ROOT, answering, closed_port, gone

SCRIPT = ROOT / "scripts" / "engine.py"
SDK_VERSION = re.search(r'"pulumi>=([0-9.]+)', (ROOT / "pyproject.toml").read_text()).group(1)
GO_MOD = (ROOT / "engine" / "go.mod").read_text()
CLI_VERSION = re.search(r"github\.com/pulumi/pulumi/pkg/v3 v([0-9.]+)", GO_MOD).group(1)
"""The release a download fetches: the version the build makes and the tests run, not the SDK's."""
GO_VERSION = re.search(r"^go (\S+)", GO_MOD, re.M).group(1)
ADVICE = (f"install Go {GO_VERSION} or newer (https://go.dev/dl/) so that it can be built, or the Pulumi CLI "
          "(curl -fsSL https://get.pulumi.com | sh). Then run 'make up' again.")



@dataclass
class Releases:
    """A local stand-in for https://get.pulumi.com/releases/sdk; `requested` lists the paths asked for."""

    url: str
    folder: Path
    requested: list[str] = field(default_factory=list)

    @property
    def archive(self) -> str:
        system = {"Linux": "linux", "Darwin": "darwin"}[platform.system()]
        arch = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}[platform.machine().lower()]
        return f"pulumi-v{CLI_VERSION}-{system}-{arch}.tar.gz"

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
        (self.folder / f"pulumi-{CLI_VERSION}-checksums.txt").write_text(
            f"{'0' * 64}  pulumi-v{CLI_VERSION}-windows-x64.zip\n{checksum or actual}  {self.archive}\n")
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


def executable(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


def run(tmp_path: Path, *args: str, path: str = "/usr/bin:/bin", **extra: str) -> subprocess.CompletedProcess[str]:
    """The script with a private cache, downloads from a closed local port unless given, and only `path` on PATH."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_", "FLEX_", "GO"))}
    env = {**keep, "PATH": path, "FLEX_ENGINE_CACHE": str(tmp_path / "cache"),
           "FLEX_PULUMI_RELEASES_URL": f"http://127.0.0.1:{closed_port()}", **extra}
    return subprocess.run([sys.executable, str(SCRIPT), *args], env=env, capture_output=True, text=True,
                          timeout=120, check=False)


def cache_entries(tmp_path: Path) -> list[str]:
    cache = tmp_path / "cache"
    return sorted(p.name for p in cache.iterdir()) if cache.exists() else []


STAND_IN = "#!/bin/sh\n[ \"$1\" = version ] && echo v{version}\n"


def test_offline_without_go_or_a_cli_it_stops_at_once_naming_both_ways_and_leaves_nothing(tmp_path: Path) -> None:
    done = run(tmp_path, "--download", "--for", "up")
    assert done.returncode == 1
    assert done.stdout == ""
    last = done.stderr.splitlines()[-1]
    assert last.startswith("No Pulumi engine: the download from http://127.0.0.1:")
    assert last.endswith(f"offline? FLEX_PULUMI_RELEASES_URL can name a mirror); and Go is not installed; {ADVICE}")
    assert cache_entries(tmp_path) == [".lock"], "nothing half-made is left in the cache"


def test_the_release_is_downloaded_once_verified_and_used_from_the_cache(tmp_path: Path, releases: Releases) -> None:
    digest = releases.publish({"pulumi/pulumi": STAND_IN.format(version=CLI_VERSION).encode(),
                               "pulumi/pulumi-language-python": b"#!/bin/sh\n"})
    done = run(tmp_path, "--download", FLEX_PULUMI_RELEASES_URL=releases.url)
    assert done.returncode == 0, done.stderr
    bin_dir = tmp_path / "cache" / f"pulumi-v{CLI_VERSION}-release" / "bin"
    assert done.stdout == f"{bin_dir}\n"
    assert done.stderr.splitlines() == [
        f"==> Downloading the Pulumi CLI v{CLI_VERSION} ({releases.url}/{releases.archive}) into {bin_dir.parent}",
        f"==> Verified (sha256 {digest}) and installed {bin_dir / 'pulumi'}"]
    assert sorted(p.name for p in bin_dir.iterdir()) == ["pulumi", "pulumi-language-python"]

    again = run(tmp_path, "--download", FLEX_PULUMI_RELEASES_URL=releases.url)
    assert (again.returncode, again.stdout) == (0, f"{bin_dir}\n")
    assert again.stderr == f"==> Using the Pulumi engine in {bin_dir}\n"
    assert len(releases.requested) == 2, "fetched once: the checksums file and the archive"


def test_a_download_that_does_not_match_its_checksum_is_refused_and_nothing_installed(
        tmp_path: Path, releases: Releases) -> None:
    actual = releases.publish({"pulumi/pulumi": b"#!/bin/sh\n"}, checksum="e" * 64)
    done = run(tmp_path, "--download", "--for", "up", FLEX_PULUMI_RELEASES_URL=releases.url)
    assert done.returncode == 1
    assert (f"No Pulumi engine: the download {releases.archive} does not match its published checksum (sha256 "
            f"{actual}, published {'e' * 64}), so nothing was installed; and Go is not installed") in done.stderr
    assert cache_entries(tmp_path) == [".lock"]


def test_an_archive_with_a_path_outside_its_folder_is_refused(tmp_path: Path, releases: Releases) -> None:
    releases.publish({"pulumi/pulumi": b"#!/bin/sh\n", "pulumi/../../escaped": b"x"})
    done = run(tmp_path, "--download", FLEX_PULUMI_RELEASES_URL=releases.url)
    assert done.returncode == 1
    assert (f"the archive {releases.archive} holds 'pulumi/../../escaped', outside pulumi/; nothing was "
            "installed") in done.stderr
    assert cache_entries(tmp_path) == [".lock"]
    assert not list(tmp_path.rglob("escaped"))


def test_a_go_older_than_the_engine_needs_is_named_with_the_fix(tmp_path: Path) -> None:
    executable(tmp_path / "old-go", "go", "#!/bin/sh\n[ \"$2\" = GOVERSION ] && echo go1.25.3\n")
    done = run(tmp_path, "--for", "up", path=f"{tmp_path / 'old-go'}:/usr/bin:/bin")
    assert done.returncode == 1
    required = GO_VERSION
    assert done.stderr.splitlines()[-1] == (
        f"No Pulumi engine: Go {required} or newer is needed to build it, and this machine has go1.25.3; {ADVICE}")


def test_an_unreachable_go_module_proxy_is_named_with_what_go_said(tmp_path: Path) -> None:
    go = Path(subprocess.run(["sh", "-c", "command -v go"], capture_output=True, text=True,
                             env={"PATH": os.environ["PATH"]}, check=False).stdout.strip() or "/usr/local/go/bin/go")
    if not go.is_file():
        pytest.skip("no Go on this machine")
    closed = f"http://127.0.0.1:{closed_port()}"
    done = run(tmp_path, path=f"{go.parent}:/usr/bin:/bin", GOPROXY=closed, GOMODCACHE=str(tmp_path / "mod"),
               GOCACHE=str(tmp_path / "gocache"), GOPATH=str(tmp_path / "gopath"), HOME=str(tmp_path))
    assert done.returncode == 1
    assert "==> [1/5] Downloading the Go modules engine/go.mod and engine/yaml/go.mod list" in done.stderr
    assert (f"No Pulumi engine: Downloading the Go modules failed: the Go module proxy (GOPROXY={closed}) did not "
            "serve what the build needs. Check the network or GOPROXY, then run again. Go said:") in done.stderr
    assert "connection refused" in done.stderr
    assert cache_entries(tmp_path) == [".lock"], "no half-built engine is left"


def test_a_pulumi_on_path_is_used_when_new_enough_and_passed_over_when_too_old(tmp_path: Path) -> None:
    current = executable(tmp_path / "current", "pulumi", STAND_IN.format(version=SDK_VERSION))
    done = run(tmp_path, path=f"{current.parent}:/usr/bin:/bin")
    assert (done.returncode, done.stdout) == (0, f"{current.parent}\n")
    assert done.stderr == f"==> Using the Pulumi CLI on PATH: {current} (v{SDK_VERSION})\n"

    old = executable(tmp_path / "old", "pulumi", STAND_IN.format(version="3.100.0"))
    done = run(tmp_path, "--cached-only", path=f"{old.parent}:/usr/bin:/bin")
    assert done.returncode == 1
    assert done.stderr.splitlines()[0] == (f"==> Passing over {old}: it reports v3.100.0, and flex-channels needs "
                                           f"v{SDK_VERSION} or newer")


@contextlib.contextmanager
def endless_mirror(checksums: bytes | None = None) -> Iterator[str]:
    """A mirror that never stops sending: an endless checksums file, or (given `checksums`) that file and an
    archive that claims 10 GiB and never ends."""

    def answer(handler: BaseHTTPRequestHandler) -> None:
        if checksums is not None and handler.path.endswith("-checksums.txt"):
            handler.send_response(200)
            handler.send_header("Content-Length", str(len(checksums)))
            handler.end_headers()
            handler.wfile.write(checksums)
            return
        handler.send_response(200)
        if checksums is not None:
            handler.send_header("Content-Length", str(10 * 2**30))
        handler.end_headers()
        while True:
            handler.wfile.write(b"x" * 65536)

    with answering(answer) as url:
        yield url


SECRET = "hush-" + "7" * 20


NO_PASSWORD = ("holds an '@': user info, which the download does not send (give a mirror that needs no password), or "
               "an '@' in its path, which cannot be told from a password there (write it %40)")
NOT_ASCII = "holds a space, a control character or a character that is not ASCII"


@pytest.mark.parametrize(("mirror", "said"), [
    (f"https://user:{SECRET}@mirror.example", f"'https://***@mirror.example' {NO_PASSWORD}"),
    (f"http://user:{SECRET}@127.0.0.1:9", f"'http://***@127.0.0.1:9' {NO_PASSWORD}"),
    ("mirror.example/sdk", "'mirror.example/sdk' is not an http(s) URL of a mirror of https://get.pulumi.com/releases/sdk"),
    ("https://mirror.example:x/sdk", "'https://mirror.example:x/sdk' is not an http(s) URL of a mirror of "
                                     "https://get.pulumi.com/releases/sdk"),
    ("http://127.0.0.1:9/\x1b[2J", f"'http://127.0.0.1:9/\\x1b[2J' {NOT_ASCII}"),
    ("https://get.pulum\u0456.com/releases/sdk", f"'https://get.pulum\\u0456.com/releases/sdk' {NOT_ASCII}"),
])
def test_a_mirror_url_is_checked_first_and_named_without_its_password(tmp_path: Path, mirror: str, said: str) -> None:
    """A mirror's URL with a password was printed in every step and error (urllib never sends it: it read the
    password as a port, or resolved `user:…@host` as a host name); one without a host, or with a control character,
    ended in urllib's traceback."""
    done = run(tmp_path, "--download", FLEX_PULUMI_RELEASES_URL=mirror)
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1].startswith(f"No Pulumi engine: FLEX_PULUMI_RELEASES_URL {said}; and Go is not "
                                                   "installed")
    assert SECRET not in done.stderr and "Traceback" not in done.stderr
    assert done.stderr.isascii() and "\x1b" not in done.stderr
    assert cache_entries(tmp_path) == [".lock"]


def test_what_a_mirror_answers_is_escaped(tmp_path: Path) -> None:
    """The reason phrase of an error status is the server's own text."""
    def answer(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(404, "Gone\x1b[2J\u00e9")
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    with answering(answer) as mirror:
        done = run(tmp_path, "--download", FLEX_PULUMI_RELEASES_URL=mirror)
    assert done.returncode == 1
    assert (f"No Pulumi engine: the download failed: {mirror}/pulumi-{CLI_VERSION}-checksums.txt answered 404 "
            "'Gone\\x1b[2J\\xe9'; and Go") in done.stderr
    assert "\x1b" not in done.stderr


def test_an_endless_checksums_file_is_read_no_further_than_its_limit(tmp_path: Path) -> None:
    with endless_mirror() as mirror:
        done = run(tmp_path, "--download", FLEX_PULUMI_RELEASES_URL=mirror)
    assert done.returncode == 1
    assert (f"No Pulumi engine: the checksums file {mirror}/pulumi-{CLI_VERSION}-checksums.txt is over 1,048,576 "
            "bytes, which no checksums file is, so nothing was installed") in done.stderr
    assert cache_entries(tmp_path) == [".lock"]


def test_an_archive_that_claims_gigabytes_is_not_downloaded(tmp_path: Path, releases: Releases) -> None:
    listed = f"{'0' * 64}  {releases.archive}\n".encode()
    with endless_mirror(listed) as mirror:
        done = run(tmp_path, "--download", FLEX_PULUMI_RELEASES_URL=mirror)
    assert done.returncode == 1
    assert (f"the download {mirror}/{releases.archive} is over 1,073,741,824 bytes, which no release is, so nothing "
            "was installed") in done.stderr
    assert cache_entries(tmp_path) == [".lock"]


def test_a_long_go_step_says_it_is_still_running_and_keeps_all_go_printed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("engine_script", SCRIPT)
    assert spec and spec.loader
    engine = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(engine)
    slow = "#!/bin/sh\necho first\nsleep 1\necho second\n"
    executable(tmp_path / "slow-go", "go", slow + "echo 'go: broke' >&2\nexit 1\n")
    monkeypatch.setenv("PATH", f"{tmp_path / 'slow-go'}:/usr/bin:/bin")

    with pytest.raises(engine.EngineError) as raised:
        engine.run_go(["build"], "Building the Pulumi CLI", tmp_path, heartbeat=0.3)
    assert str(raised.value) == "Building the Pulumi CLI failed. Go said:\n    go: broke"
    said = capsys.readouterr().err.splitlines()
    assert len(said) >= 2, said
    assert all(re.fullmatch(r"    … Building the Pulumi CLI: \d s so far", line) for line in said), said

    executable(tmp_path / "slow-go", "go", slow)
    assert engine.run_go(["build"], "Building", tmp_path, heartbeat=0.3) == "first\nsecond\n"


@pytest.mark.parametrize(("signal_number", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_stopping_a_build_stops_go_and_what_go_runs_and_leaves_nothing(
        tmp_path: Path, signal_number: int, status: int) -> None:
    """Go runs compilers and a linker of its own: a Ctrl-C or a kill of the script stops them all, not go alone."""
    pids = tmp_path / "pids"
    go = ('#!/bin/sh\n[ "$2" = GOVERSION ] && { echo go1.99.0; exit 0; }\n'
          f'sleep 60 & echo "$$ $!" > {pids}\nwait\n')
    executable(tmp_path / "go-bin", "go", go)
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_", "FLEX_", "GO"))}
    env = {**keep, "PATH": f"{tmp_path / 'go-bin'}:/usr/bin:/bin", "FLEX_ENGINE_CACHE": str(tmp_path / "cache")}
    script = subprocess.Popen([sys.executable, str(SCRIPT)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    for _ in range(200):
        if pids.exists() and len(pids.read_text().split()) == 2:
            break
        time.sleep(0.05)
    running = [int(pid) for pid in pids.read_text().split()]
    script.send_signal(signal_number)
    _, err = script.communicate(timeout=30)
    assert script.returncode == status, err
    assert [pid for pid in running if not gone(pid)] == [], "go or what it ran still runs"
    assert cache_entries(tmp_path) == [".lock"], "no half-built engine is left"
