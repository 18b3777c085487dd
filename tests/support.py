"""Test helpers shared by the test modules: values, clients and the stack config the engine sends."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from flex_provider.client import Credentials, FlexClient, RetryPolicy, Timeouts
from tests.engine import secret
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


def outside_env(**extra: str) -> dict[str, str]:
    """This process's environment without anything that would point Python, pip or the provider elsewhere, plus
    `extra`: what a program run as a user would run it gets."""
    dropped = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PIP_REQUIRE_VIRTUALENV")
    kept = {k: v for k, v in os.environ.items()
            if k not in dropped and not k.startswith(("TWILIO_", "FLEX_", "PULUMI_"))}
    return {**kept, **extra}


def closed_port() -> int:
    """A loopback port nothing listens on: the system picked it free, and the probe that held it is closed."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def channel_inputs(identity: str = "customer-1", **extra: object) -> dict[str, object]:
    """The four required inputs, plus any extras."""
    return {"flex_flow_sid": FLOW, "identity": identity, "chat_user_friendly_name": "Customer",
            "chat_friendly_name": "Support chat", **extra}


def make_client(emulator: Emulator, *, token: str | None = None, read_timeout: float = 5.0,
                retry: RetryPolicy = FAST_RETRY) -> FlexClient:
    credentials = Credentials.from_auth_token(emulator.account_sid, token or emulator.auth_token)
    return FlexClient(credentials, base_url=emulator.base_url, timeouts=Timeouts(2.0, read_timeout), retry=retry)


def stack_config(emulator: Emulator, token: str | None = None, **extra: object) -> dict[str, object]:
    """The stack config the engine hands the default provider: namespaced keys, the token as a secret."""
    return {"twilio:accountSid": emulator.account_sid, "twilio:authToken": secret(token or emulator.auth_token),
            "flex:apiUrl": emulator.base_url, "flex-channels:unrelated": "value", **extra}


@contextlib.contextmanager
def answering(answer: Callable[[BaseHTTPRequestHandler], None]) -> Iterator[str]:
    """A loopback HTTP server whose every GET `answer` writes (a client that went away is no error); its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            with contextlib.suppress(OSError):
                answer(self)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
