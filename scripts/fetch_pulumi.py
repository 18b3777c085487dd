#!/usr/bin/env python3
"""Fetch the pinned Pulumi CLI into .pulumi/bin for `make up`, verified against the release's published checksum.

    scripts/fetch_pulumi.py TARGET    (TARGET: the make target to name in messages, e.g. up)

Nothing is installed unless the download matches its checksum, and nothing is left half-done: the
archive is downloaded and unpacked in a temporary folder inside .pulumi/, and only the verified CLI
is moved into place, with one rename. Standard library only, as it runs before .venv exists.
FLEX_PULUMI_RELEASES_URL replaces https://get.pulumi.com/releases/sdk (a mirror, or the tests' server).
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import signal
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
from pathlib import Path, PurePosixPath

# The CLI of the Pulumi SDK release that requirements are tested with; CLI and SDK are released together.
VERSION = "3.272.0"
DEFAULT_RELEASES_URL = "https://get.pulumi.com/releases/sdk"
OPERATING_SYSTEMS = {"Linux": "linux", "Darwin": "darwin"}
ARCHITECTURES = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}
PROJECT = Path(__file__).resolve().parent.parent
PULUMI_DIR = PROJECT / ".pulumi"
BIN = PULUMI_DIR / "bin"
CHUNK = 1 << 20
MAX_CHECKSUMS = 1 << 20
"""The longest checksums file read: Pulumi's lists a few dozen archives in a few KiB."""
MAX_ARCHIVE = 1 << 30
"""The largest archive downloaded: the CLI's are about a tenth of it; an answer that never ends stops here."""


class FetchError(Exception):
    """Why the CLI was not installed, worded to follow "The Pulumi CLI is missing and "."""


def _archive_name() -> str:
    system, machine = platform.system(), platform.machine().lower()
    if system not in OPERATING_SYSTEMS or machine not in ARCHITECTURES:
        raise FetchError(f"has no release for {system}/{machine} to download")
    return f"pulumi-v{VERSION}-{OPERATING_SYSTEMS[system]}-{ARCHITECTURES[machine]}.tar.gz"


def _unreachable(url: str, error: OSError) -> FetchError:
    if isinstance(error, urllib.error.HTTPError):
        return FetchError(f"could not be downloaded: {url} answered {error.code} {error.reason}")
    reason = getattr(error, "reason", error)
    return FetchError(f"could not be downloaded from {url} ({reason}; offline? FLEX_PULUMI_RELEASES_URL can "
                      "name a mirror)")


def _published_sha256(releases: str, archive: str) -> str:
    url = f"{releases}/pulumi-{VERSION}-checksums.txt"
    try:
        with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - https, or the user's mirror
            body = response.read(MAX_CHECKSUMS + 1)
    except OSError as error:
        raise _unreachable(url, error) from error
    if len(body) > MAX_CHECKSUMS:
        raise FetchError(f"its checksums file {url} is over {MAX_CHECKSUMS:,} bytes, which no checksums file is, so "
                         "nothing was installed")
    lines = body.decode("utf-8", "replace").splitlines()
    for line in lines:
        digest, _, name = line.strip().partition(" ")
        if name.strip().lstrip("*") == archive:
            return digest.lower()
    raise FetchError(f"its checksums file {url} lists no checksum for {archive}, so nothing was installed")


def _download(url: str, target: Path) -> str:
    """Write `url` to `target`, MAX_ARCHIVE bytes at most; return its SHA-256, computed as it arrives."""
    digest = hashlib.sha256()
    size = 0
    with target.open("wb") as out:
        try:
            with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - as above
                declared = response.headers.get("Content-Length", "")
                if declared.isascii() and declared.isdigit() and (len(declared) > 12 or int(declared) > MAX_ARCHIVE):
                    size = MAX_ARCHIVE + 1
                while size <= MAX_ARCHIVE and (chunk := response.read(CHUNK)):
                    size += len(chunk)
                    digest.update(chunk)
                    out.write(chunk)
        except OSError as error:
            raise _unreachable(url, error) from error
    if size > MAX_ARCHIVE:
        raise FetchError(f"its download {url} is over {MAX_ARCHIVE:,} bytes, which no release is, so nothing was "
                         "installed")
    return digest.hexdigest()


def _unpack(archive: Path, target: Path) -> Path:
    """Unpack the release's `pulumi/` folder; regular files and folders only, none outside it."""
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            path = PurePosixPath(member.name)
            if path.is_absolute() or ".." in path.parts or path.parts[:1] != ("pulumi",):
                raise FetchError(f"the archive {archive.name} holds {member.name!r}, outside pulumi/; nothing was "
                                 "installed")
            destination = target.joinpath(*path.parts)
            if member.isdir():
                destination.mkdir(parents=True, exist_ok=True)
            elif member.isfile():
                destination.parent.mkdir(parents=True, exist_ok=True)
                source = tar.extractfile(member)
                assert source is not None, "a regular file always has contents"
                with source, destination.open("wb") as out:
                    shutil.copyfileobj(source, out, CHUNK)
                destination.chmod(0o755 if member.mode & 0o111 else 0o644)
            else:
                raise FetchError(f"the archive {archive.name} holds {member.name!r}, which is not a regular file; "
                                 "nothing was installed")
    unpacked = target / "pulumi"
    if not (unpacked / "pulumi").is_file():
        raise FetchError(f"the archive {archive.name} has no pulumi/pulumi; nothing was installed")
    return unpacked


def fetch() -> None:
    releases = os.environ.get("FLEX_PULUMI_RELEASES_URL", DEFAULT_RELEASES_URL).rstrip("/")
    archive = _archive_name()
    print(f"==> Downloading the Pulumi CLI v{VERSION} ({releases}/{archive}) into .pulumi/bin", flush=True)
    expected = _published_sha256(releases, archive)
    PULUMI_DIR.mkdir(exist_ok=True)
    temporary = Path(tempfile.mkdtemp(prefix=".download-", dir=PULUMI_DIR))
    try:
        actual = _download(f"{releases}/{archive}", temporary / archive)
        if actual != expected:
            raise FetchError(f"its download {archive} does not match the published checksum (sha256 {actual}, "
                             f"published {expected}), so nothing was installed")
        unpacked = _unpack(temporary / archive, temporary / "unpacked")
        if BIN.exists():
            shutil.rmtree(BIN)  # it has no CLI in it: quickstart.sh runs this only then
        unpacked.rename(BIN)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
    print(f"==> Verified (sha256 {actual}) and installed .pulumi/bin/pulumi", flush=True)


def main(target: str) -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so `finally` removes the temporary folder
    try:
        fetch()
    except FetchError as error:
        if PULUMI_DIR.is_dir() and not any(PULUMI_DIR.iterdir()):
            PULUMI_DIR.rmdir()
        print(f"The Pulumi CLI is missing and {error}: install it with 'curl -fsSL https://get.pulumi.com | sh', "
              f"then run 'make {target}' again.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "up"))
