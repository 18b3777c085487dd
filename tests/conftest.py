"""Fixtures: a fresh emulator per test, clients and provider hosts pointed at it over real HTTP and gRPC."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from flex_provider.client import FlexClient
from tests.engine import ProviderHost, Stack
from tests.support import make_client, stack_config
from twilio_emulator import Emulator


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
def emulator(request: pytest.FixtureRequest, auth_token: str) -> Iterator[Emulator]:
    """An emulator for the test; `@pytest.mark.emulator(require_flows=True)` passes it options."""
    marker = request.node.get_closest_marker("emulator")
    with Emulator(auth_token=auth_token, **(marker.kwargs if marker else {})) as emu:
        yield emu


@pytest.fixture
def client(emulator: Emulator) -> Iterator[FlexClient]:
    with make_client(emulator) as flex:
        yield flex


@pytest.fixture
def host(tmp_path: Path, emulator: Emulator) -> Iterator[ProviderHost]:
    """The real dynamic-provider host, configured as the engine configures the default provider."""
    provider_host = ProviderHost(tmp_path / "host")
    provider_host.configure(stack_config(emulator))
    yield provider_host
    provider_host.close()


@pytest.fixture
def stack(host: ProviderHost) -> Stack:
    return Stack(host)
