#!/usr/bin/env python3
"""Find or build the Pulumi engine (the CLI, the Python language host, the SDK's two scripts) flex-channels runs on.

    scripts/engine.py [--download] [--for TARGET]

Prints the folder that holds `pulumi` on standard output, and one progress line per step on standard error.
It looks, in this order, for:

1. a `pulumi` on PATH, of version MIN_CLI or newer (`pulumi version` is checked);
2. an engine this script made before, in the cache folder (FLEX_ENGINE_CACHE, else $XDG_CACHE_HOME/flex-channels,
   else ~/.cache/flex-channels): outside the checkout, so every clone and every CI run on the machine reuses it;
3. with --download only, Pulumi's release of the CLI version the build makes (engine/go.mod), the version the
   tests run, verified against its published SHA-256 (FLEX_PULUMI_RELEASES_URL names a mirror of
   https://get.pulumi.com/releases/sdk);
4. a build from Pulumi's own Go modules, through the Go module proxy: the CLI (github.com/pulumi/pulumi/pkg/v3/
   cmd/pulumi) at the version engine/go.mod requires, our Python language host (engine/cmd/pulumi-language-python:
   the proxy does not serve Pulumi's own), and `pulumi-language-python-exec` and `pulumi-resource-pulumi-python`
   from github.com/pulumi/pulumi/sdk/v3 at the version of the Python SDK that pyproject.toml pins; and the Pulumi
   YAML language host (github.com/pulumi/pulumi-yaml, cmd/pulumi-language-yaml), in a Go module of its own
   (engine/yaml) at the Pulumi versions it requires.

Otherwise it stops, installing nothing, and says what is missing and how to get it. A build or download happens
in a temporary folder and is moved into place whole, under a lock, so two runs at once never see half an engine.
Standard library only: it runs before .venv exists.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import http.client
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

PROJECT = Path(__file__).resolve().parent.parent
ENGINE_MODULE = PROJECT / "engine"
YAML_MODULE = ENGINE_MODULE / "yaml"
YAML_PACKAGE = "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml"
YAML_VERSION_VARIABLE = "github.com/pulumi/pulumi-yaml/pkg/version.Version"
PYPROJECT = PROJECT / "pyproject.toml"
CLI_PACKAGE = "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
SDK_MODULE = "github.com/pulumi/pulumi/sdk/v3"
VERSION_VARIABLE = f"{SDK_MODULE}/go/common/version.Version"
SDK_SCRIPTS = {"pulumi-language-python-exec": "python/cmd", "pulumi-resource-pulumi-python": "python/dist"}
"""The Python SDK's scripts the engine runs, by their folder in the sdk/v3 module."""
DEFAULT_RELEASES_URL = "https://get.pulumi.com/releases/sdk"
OPERATING_SYSTEMS = {"Linux": "linux", "Darwin": "darwin"}
ARCHITECTURES = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}
CHUNK = 1 << 20
MAX_CHECKSUMS = 1 << 20
"""The longest checksums file read: Pulumi's lists a few dozen archives in a few KiB."""
MAX_ARCHIVE = 1 << 30
"""The largest archive downloaded: the CLI's are about a tenth of it; an answer that never ends stops here."""
HEARTBEAT_SECONDS = 30.0
"""How often a long Go step says it is still running."""


class EngineError(Exception):
    """Why no engine could be found or made; worded to follow "No Pulumi engine: "."""


def step(message: str) -> None:
    print(f"==> {message}", file=sys.stderr, flush=True)


def version_tuple(text: str) -> tuple[int, ...]:
    """`v3.274.1`, `3.272.0` or `go1.26.8` as numbers, for comparing; pre-release suffixes are ignored."""
    return tuple(int(part) for part in re.findall(r"\d+", text.split("-")[0])[:3])


def sdk_version() -> str:
    """The Python SDK version pyproject.toml pins (the lower bound of its `pulumi` requirement)."""
    found = re.search(r'"pulumi>=([0-9.]+)', PYPROJECT.read_text(encoding="utf-8"))
    if not found:
        raise EngineError(f"{PYPROJECT.name} has no `pulumi>=…` requirement to take the SDK version from")
    return found.group(1)


MIN_CLI = sdk_version()
"""The oldest CLI that may run the project: the SDK's own version (Pulumi releases CLI and SDK together)."""


def cli_version() -> str:
    """The Pulumi CLI version engine/go.mod requires."""
    return required_version(ENGINE_MODULE, "github.com/pulumi/pulumi/pkg/v3")


def required_version(module: Path, path: str) -> str:
    """The version of `path` that the Go module in `module` requires."""
    found = re.search(rf"{re.escape(path)} (v[0-9.]+)", (module / "go.mod").read_text())
    if not found:
        raise EngineError(f"{module.relative_to(PROJECT)}/go.mod does not require {path}")
    return found.group(1)


def cache_root() -> Path:
    if os.environ.get("FLEX_ENGINE_CACHE"):
        return Path(os.environ["FLEX_ENGINE_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "flex-channels"


def reported_version(pulumi: Path | str) -> str | None:
    """What `pulumi version` prints, or None when it does not run."""
    try:
        done = subprocess.run([str(pulumi), "version"], capture_output=True, text=True, timeout=60, check=False,
                              env={**os.environ, "PULUMI_SKIP_UPDATE_CHECK": "true"})
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = done.stdout.strip()
    return text if done.returncode == 0 and re.fullmatch(r"v?\d+\.\d+\.\d+\S*", text) else None


def on_path() -> Path | None:
    """The folder of a `pulumi` on PATH that is new enough; an older one is named and passed over."""
    found = shutil.which("pulumi")
    if not found:
        return None
    version = reported_version(found)
    if version is None or version_tuple(version) < version_tuple(MIN_CLI):
        step(f"Passing over {found}: it reports {version or 'no version'}, and flex-channels needs v{MIN_CLI} or "
             "newer")
        return None
    step(f"Using the Pulumi CLI on PATH: {found} ({version})")
    return Path(found).resolve().parent


@contextlib.contextmanager
def locked(root: Path) -> Iterator[None]:
    """Hold the cache's lock, so that two runs never build or download into it at once."""
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


@contextlib.contextmanager
def staging(root: Path, final: Path) -> Iterator[Path]:
    """A temporary folder inside the cache that becomes `final` in one rename, or disappears on any failure."""
    temporary = Path(tempfile.mkdtemp(prefix=".making-", dir=root))
    try:
        yield temporary
        temporary.rename(final)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


# --- the build from Go modules -----------------------------------------------------------------------------------


def build_key() -> str:
    """What the build is made of: the Go module's files (versions pinned in go.mod and go.sum) and the SDK's version.

    Go's own version is not part of it: the modules fix what is built, and a build found in the cache must be
    usable where Go is absent.
    """
    digest = hashlib.sha256()
    for path in sorted(p for p in ENGINE_MODULE.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(ENGINE_MODULE)).encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(f"sdk {sdk_version()}".encode())
    return digest.hexdigest()[:12]


def install_advice() -> str:
    """What to install: the Go that engine/go.mod asks for, or the CLI."""
    return (f"install Go {required_go()} or newer (https://go.dev/dl/) so that it can be built, or the Pulumi CLI "
            "(curl -fsSL https://get.pulumi.com | sh)")


def go_version() -> str:
    go = shutil.which("go")
    if not go:
        raise EngineError(f"Go is not installed; {install_advice()}")
    done = subprocess.run([go, "env", "GOVERSION"], capture_output=True, text=True, check=False,
                          env=go_environment())
    return done.stdout.strip() or "unknown"


def go_environment() -> dict[str, str]:
    """Go as this machine has it, never switching toolchains behind our back, with no VCS stamping."""
    return {**os.environ, "GOTOOLCHAIN": "local", "GOFLAGS": "-buildvcs=false -mod=readonly"}


def required_go() -> str:
    found = re.search(r"^go (\S+)", (ENGINE_MODULE / "go.mod").read_text(), re.M)
    return found.group(1) if found else "1.26"


def elapsed(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


def run_go(args: list[str], what: str, cwd: Path, heartbeat: float = HEARTBEAT_SECONDS) -> str:
    """Run `go args…`, saying every `heartbeat` seconds that it still runs: Go prints nothing while it compiles, and
    the CLI's build takes minutes, which a newcomer would otherwise take for a hang. Its failure becomes an
    EngineError that says what failed and, when it can, why."""
    started = time.monotonic()
    # A session of its own, so that on Ctrl-C, SIGTERM or any error here go is stopped with the compilers and the
    # linker it runs, not go alone (subprocess.run kills only the process it started).
    with subprocess.Popen(["go", *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env=go_environment(), start_new_session=True) as process:
        while True:
            try:
                # Called again after a timeout, communicate() loses no output (its documented contract).
                stdout, stderr = process.communicate(timeout=heartbeat)
                break
            except subprocess.TimeoutExpired:
                print(f"    … {what}: {elapsed(time.monotonic() - started)} so far", file=sys.stderr, flush=True)
            except BaseException:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                raise
    if process.returncode == 0:
        return stdout
    said = [line for line in stderr.splitlines() if line.strip()][-6:]
    reason = "\n    ".join(said) or f"go exited with status {process.returncode}"
    if re.search(r"dial tcp|no such host|connection refused|i/o timeout|TLS handshake|403 Forbidden|"
                 r"proxy\.golang\.org", stderr):
        goproxy = subprocess.run(["go", "env", "GOPROXY"], capture_output=True, text=True,
                                 env=go_environment(), check=False).stdout.strip()
        raise EngineError(f"{what} failed: the Go module proxy (GOPROXY={goproxy}) did not serve what the build "
                          f"needs. Check the network or GOPROXY, then run again. Go said:\n    {reason}")
    raise EngineError(f"{what} failed. Go said:\n    {reason}")


def build(root: Path) -> Path:
    """Build the engine into the cache (see the module's docstring); return its bin folder."""
    found = go_version()
    if version_tuple(found) < version_tuple(required_go()):
        raise EngineError(f"Go {required_go()} or newer is needed to build it, and this machine has {found}; "
                          f"{install_advice()}")
    cli, sdk = cli_version(), sdk_version()
    final = root / f"pulumi-{cli}-{build_key()}"
    if (final / "bin" / "pulumi").is_file():
        return final / "bin"
    yaml = required_version(YAML_MODULE, "github.com/pulumi/pulumi-yaml")
    step(f"Building the Pulumi engine from its Go modules with {found}, into {final} (once per machine; a few "
         "minutes)")
    with staging(root, final) as work:
        bin_dir = work / "bin"
        step(f"[1/5] Downloading the Go modules engine/go.mod and engine/yaml/go.mod list (Pulumi {cli})")
        run_go(["mod", "download"], "Downloading the Go modules", ENGINE_MODULE)
        run_go(["mod", "download"], "Downloading the Go modules", YAML_MODULE)
        step(f"[2/5] Building the Pulumi CLI {cli} ({CLI_PACKAGE})")
        run_go(["build", "-trimpath", "-ldflags", f"-X {VERSION_VARIABLE}={cli}", "-o", str(bin_dir / "pulumi"),
                CLI_PACKAGE], "Building the Pulumi CLI", ENGINE_MODULE)
        step("[3/5] Building the Python language host (engine/cmd/pulumi-language-python)")
        run_go(["build", "-trimpath", "-ldflags", f"-X {VERSION_VARIABLE}={cli}", "-o",
                str(bin_dir / "pulumi-language-python"), "./cmd/pulumi-language-python"],
               "Building the Python language host", ENGINE_MODULE)
        step(f"[4/5] Building the YAML language host (pulumi-yaml {yaml})")
        run_go(["build", "-trimpath", "-ldflags", f"-X {YAML_VERSION_VARIABLE}={yaml}", "-o",
                str(bin_dir / "pulumi-language-yaml"), YAML_PACKAGE], "Building the YAML language host", YAML_MODULE)
        step(f"[5/5] Adding the Python SDK's scripts from {SDK_MODULE}@v{sdk}")
        listed = run_go(["mod", "download", "-json", f"{SDK_MODULE}@v{sdk}"], "Downloading the Python SDK's scripts",
                        work)
        module_dir = Path(json.loads(listed)["Dir"])
        for name, folder in SDK_SCRIPTS.items():
            shutil.copyfile(module_dir / folder / name, bin_dir / name)
            (bin_dir / name).chmod(0o755)
        checked = reported_version(bin_dir / "pulumi")
        if checked != cli:
            raise EngineError(f"the built CLI reports {checked or 'no version'}, not {cli}")
    step(f"Built the Pulumi engine {cli}: {final / 'bin'}")
    return final / "bin"


# --- the official download -----------------------------------------------------------------------------------


def archive_name(version: str) -> str:
    system, machine = platform.system(), platform.machine().lower()
    if system not in OPERATING_SYSTEMS or machine not in ARCHITECTURES:
        raise EngineError(f"Pulumi publishes no release for {system}/{machine} to download")
    return f"pulumi-v{version}-{OPERATING_SYSTEMS[system]}-{ARCHITECTURES[machine]}.tar.gz"


_FETCH_ERRORS = (OSError, http.client.HTTPException, ValueError)
"""What urllib raises for a download that failed: no answer, a malformed one (`IncompleteRead`), or a redirect to
a URL it cannot open (`InvalidURL`, a ValueError): each is one line, not a traceback."""


def _shown(text: str, limit: int = 200) -> str:
    """Text from a user or a server as a message shows it: as is when printable ASCII, else quoted with every other
    character as its code point, so it cannot send an escape sequence to the terminal, forge a line or pass a
    look-alike letter for the one it imitates (flex_provider.values.shown does the same; this script runs before
    .venv exists, on the standard library alone)."""
    if len(text) <= limit and text.isascii() and text.isprintable() and text:
        return text
    return ascii(text[:limit]) + ("…" if len(text) > limit else "")


def releases_url() -> str:
    """FLEX_PULUMI_RELEASES_URL (else Pulumi's own releases), checked before anything is fetched or printed.

    A URL with user info is refused and never shown with it: urllib does not send it (it read the password as a
    port, or looked `user:…@host` up as a host name), and every step and error printed it. A URL urllib cannot
    open, or one with a character a terminal acts on or a look-alike letter, is refused in one line instead of
    urllib's traceback. So once checked, the URL is printed as it is.
    """
    url = os.environ.get("FLEX_PULUMI_RELEASES_URL", DEFAULT_RELEASES_URL).rstrip("/")
    scheme, sep, rest = url.partition("://")
    named = f"{scheme}{sep}***@{rest.rsplit('@', 1)[1]}" if "@" in rest else url  # the password is before the last @
    said = f"FLEX_PULUMI_RELEASES_URL {named!a}"
    if not (url.isascii() and url.isprintable()) or " " in url:
        raise EngineError(f"{said} holds a space, a control character or a character that is not ASCII")
    try:
        parts = urlsplit(url)
        known = parts.scheme == "file" or (parts.scheme in ("http", "https") and parts.hostname and parts.port != 0)
    except ValueError:  # a port that is no number, or a malformed IPv6 address
        known = False
    if "@" in rest:
        raise EngineError(f"{said} holds an '@': user info, which the download does not send (give a mirror that "
                          "needs no password), or an '@' in its path, which cannot be told from a password there "
                          "(write it %40)")
    if not known:
        raise EngineError(f"{said} is not an http(s) URL of a mirror of {DEFAULT_RELEASES_URL}")
    return url


def _unreachable(url: str, error: Exception) -> EngineError:
    if isinstance(error, urllib.error.HTTPError):
        return EngineError(f"the download failed: {url} answered {error.code} {_shown(str(error.reason))}")
    reason = getattr(error, "reason", error)
    return EngineError(f"the download from {url} failed ({_shown(str(reason))}; offline? FLEX_PULUMI_RELEASES_URL can "
                       "name a mirror)")


def published_sha256(releases: str, version: str, archive: str) -> str:
    url = f"{releases}/pulumi-{version}-checksums.txt"
    try:
        with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - https, or the user's mirror
            body = response.read(MAX_CHECKSUMS + 1)
    except _FETCH_ERRORS as error:
        raise _unreachable(url, error) from error
    if len(body) > MAX_CHECKSUMS:
        raise EngineError(f"the checksums file {url} is over {MAX_CHECKSUMS:,} bytes, which no checksums file is, so "
                          "nothing was installed")
    for line in body.decode("utf-8", "replace").splitlines():
        digest, _, name = line.strip().partition(" ")
        if name.strip().lstrip("*") == archive:
            return digest.lower()
    raise EngineError(f"the checksums file {url} lists no checksum for {archive}, so nothing was installed")


def fetch_to(url: str, target: Path) -> str:
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
        except _FETCH_ERRORS as error:
            raise _unreachable(url, error) from error
    if size > MAX_ARCHIVE:
        raise EngineError(f"the download {url} is over {MAX_ARCHIVE:,} bytes, which no release is, so nothing was "
                          "installed")
    return digest.hexdigest()


def unpack(archive: Path, target: Path) -> Path:
    """Unpack the release's `pulumi/` folder; regular files and folders only, none outside it."""
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            path = PurePosixPath(member.name)
            if path.is_absolute() or ".." in path.parts or path.parts[:1] != ("pulumi",):
                raise EngineError(f"the archive {archive.name} holds {member.name!r}, outside pulumi/; nothing was "
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
                raise EngineError(f"the archive {archive.name} holds {member.name!r}, which is not a regular file; "
                                  "nothing was installed")
    unpacked = target / "pulumi"
    if not (unpacked / "pulumi").is_file():
        raise EngineError(f"the archive {archive.name} has no pulumi/pulumi; nothing was installed")
    return unpacked


def download(root: Path) -> Path:
    """Pulumi's release of the CLI version the build makes, verified, into the cache; return its bin folder."""
    version = cli_version().lstrip("v")
    final = root / f"pulumi-v{version}-release"
    if (final / "bin" / "pulumi").is_file():
        return final / "bin"
    releases = releases_url()
    archive = archive_name(version)
    step(f"Downloading the Pulumi CLI v{version} ({releases}/{archive}) into {final}")
    expected = published_sha256(releases, version, archive)
    with staging(root, final) as work:
        actual = fetch_to(f"{releases}/{archive}", work / archive)
        if actual != expected:
            raise EngineError(f"the download {archive} does not match its published checksum (sha256 {actual}, "
                              f"published {expected}), so nothing was installed")
        unpack(work / archive, work / "unpacked").rename(work / "bin")
        (work / archive).unlink()
    step(f"Verified (sha256 {actual}) and installed {final / 'bin' / 'pulumi'}")
    return final / "bin"


def cached(root: Path) -> Path | None:
    """An engine made before: this build's, else a downloaded release."""
    built = root / f"pulumi-{cli_version()}-{build_key()}" / "bin"
    if (built / "pulumi").is_file():
        return built
    released = root / f"pulumi-{cli_version()}-release" / "bin"
    return released if (released / "pulumi").is_file() else None


def find_or_make(allow_download: bool, cached_only: bool = False) -> Path:
    found = on_path()
    if found:
        return found
    root = cache_root()
    with locked(root):
        found = cached(root)
        if found:
            step(f"Using the Pulumi engine in {found}")
            return found
        if cached_only:
            raise EngineError(f"none is on PATH or in {root}: run `make engine` (a few minutes the first time)")
        problems = []
        if allow_download:
            try:
                return download(root)
            except EngineError as error:
                problems.append(str(error))
                step(f"No download ({error}); building it instead")
        try:
            return build(root)
        except EngineError as error:
            problems.append(str(error))
    raise EngineError("; and ".join(problems))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--download", action="store_true", help="try Pulumi's release download before a Go build")
    parser.add_argument("--cached-only", action="store_true", help="only look (PATH, cache): never download or build")
    parser.add_argument("--for", dest="target", default="test", help="the make target to name in messages")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so `finally` removes a half-made engine
    try:
        print(find_or_make(args.download, args.cached_only))
    except EngineError as error:
        print(f"No Pulumi engine: {error}. Then run 'make {args.target}' again.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
