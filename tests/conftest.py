"""Shared fixtures: a fresh emulator per test and clients pointed at it over real HTTP."""

from __future__ import annotations

import secrets
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from flex_provider.client import Credentials, FlexClient, RetryPolicy, Timeouts
from twilio_emulator import Emulator

ROOT = Path(__file__).resolve().parent.parent
FLOW = "FO" + "a" * 32
FAST_RETRY = RetryPolicy(attempts=6, backoff_factor=0.01, backoff_max=0.05, jitter=0.0, max_retry_after=0.05)


def copy_project(target: Path) -> Path:
    """The files git would commit from this checkout (tracked, and new ones not ignored), copied with their times."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout.splitlines()
    for name in listed:
        if (ROOT / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)
    return target


def channel_inputs(identity: str = "customer-1", **extra: object) -> dict[str, object]:
    """The four required inputs, plus any extras."""
    return {"flex_flow_sid": FLOW, "identity": identity, "chat_user_friendly_name": "Customer",
            "chat_friendly_name": "Support chat", **extra}


@pytest.fixture
def auth_token() -> str:
    """A random token per test, so a leak test can grep for a value nothing else contains."""
    return "tok-" + secrets.token_urlsafe(24)


@pytest.fixture(autouse=True)
def _no_credential_in_artifacts(request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture,
                                auth_token: str) -> Iterator[None]:
    """After every test: its token is in no captured log and no file it wrote (host logs, data files)."""
    tmp_path = request.getfixturevalue("tmp_path") if "tmp_path" in request.fixturenames else None
    yield
    leaks = [f"log record: {r.getMessage()[:120]}" for r in caplog.records if auth_token in r.getMessage()]
    if tmp_path is not None:
        for path in tmp_path.rglob("*"):
            readable = path.is_file() and not path.is_symlink() and path.stat().st_size < 16 << 20
            if readable and auth_token.encode() in path.read_bytes():
                leaks.append(str(path))
    assert leaks == [], f"the auth token leaked into {leaks}"


@pytest.fixture
def emulator(auth_token: str) -> Iterator[Emulator]:
    with Emulator(auth_token=auth_token) as emu:
        yield emu


@pytest.fixture
def client(emulator: Emulator) -> Iterator[FlexClient]:
    with make_client(emulator) as flex:
        yield flex


def make_client(emulator: Emulator, *, token: str | None = None, read_timeout: float = 5.0,
                retry: RetryPolicy = FAST_RETRY) -> FlexClient:
    credentials = Credentials.from_auth_token(emulator.account_sid, token or emulator.auth_token)
    return FlexClient(credentials, base_url=emulator.base_url, timeouts=Timeouts(2.0, read_timeout), retry=retry)
