"""scripts/fetch_pulumi.py against a mirror that never stops sending: bounded reads, nothing installed, one line."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from tests.support import ROOT, answering

VERSION = re.search(r'^VERSION = "([^"]+)"$', (ROOT / "scripts" / "fetch_pulumi.py").read_text(), re.M)[1]  # type: ignore[index]


def _fetch(tmp_path: Path, releases: str) -> subprocess.CompletedProcess[str]:
    """The script, copied into a project of its own, so .pulumi/ is made there."""
    (tmp_path / "scripts").mkdir()
    shutil.copy2(ROOT / "scripts" / "fetch_pulumi.py", tmp_path / "scripts")
    try:
        return subprocess.run([sys.executable, str(tmp_path / "scripts" / "fetch_pulumi.py"), "up"], cwd=tmp_path,
                              env={**os.environ, "FLEX_PULUMI_RELEASES_URL": releases}, capture_output=True,
                              text=True, timeout=60, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail("the download did not stop")


def _endless(handler: BaseHTTPRequestHandler, declared: int | None = None) -> None:
    handler.send_response(200)
    if declared is not None:
        handler.send_header("Content-Length", str(declared))
    handler.end_headers()
    while True:
        handler.wfile.write(b"x" * 65536)


def test_an_endless_checksums_file_is_read_no_further_than_its_limit(tmp_path: Path) -> None:
    with answering(_endless) as releases:
        done = _fetch(tmp_path, releases)
    assert done.returncode == 1
    assert done.stderr.startswith(f"The Pulumi CLI is missing and its checksums file {releases}/pulumi-")
    assert "-checksums.txt is over 1,048,576 bytes, which no checksums file is, so nothing was installed" in done.stderr
    assert not (tmp_path / ".pulumi").exists()


def test_an_archive_that_claims_gigabytes_is_not_downloaded(tmp_path: Path) -> None:
    def answer(handler: BaseHTTPRequestHandler) -> None:
        if handler.path.endswith("-checksums.txt"):
            body = b"".join(f"{'0' * 64}  pulumi-v{VERSION}-{system}-{machine}.tar.gz\n".encode()
                            for system in ("linux", "darwin") for machine in ("x64", "arm64"))
            handler.send_response(200)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        else:
            _endless(handler, declared=10 * 2**30)

    with answering(answer) as releases:
        done = _fetch(tmp_path, releases)
    assert done.returncode == 1
    assert done.stderr.rstrip("\n").endswith(".tar.gz is over 1,073,741,824 bytes, which no release is, so nothing was "
                                              "installed: install it with 'curl -fsSL https://get.pulumi.com | sh', "
                                              "then run 'make up' again.")
    assert not (tmp_path / ".pulumi" / "bin").exists()
