"""Test helpers shared by the test modules: values, clients, the stack config the engine sends, and what the
emulator received. No test module imports another; what two of them need lives here."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from flex_provider.client import Credentials, FlexClient, RetryPolicy, Timeouts
from flex_provider.declaration import Field, ResourceType
from flex_provider.kinds import Kind
from tests.engine import Stack, secret
from twilio_emulator import Emulator

ROOT = Path(__file__).resolve().parent.parent
FLOW = "FO" + "a" * 32
CHANNEL_FORM = {"FlexFlowSid": FLOW, "Identity": "c1", "ChatUserFriendlyName": "C", "ChatFriendlyName": "Chat"}
"""A CreateChannel form body with the four required parameters, as a raw HTTP client sends it."""
_SID_SEGMENT = re.compile(r"/[A-Z]{2}[0-9a-fA-F]{32}(?=/|$)")
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


def gone(pid: int) -> bool:
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


def calls(emulator: Emulator) -> list[str]:
    """The API requests since the last reset, as `METHOD /path` without the query and with each SID shown as `…`."""
    return [f"{r.method} {shape(r.path)}" for r in emulator.requests()]


def shape(path: str) -> str:
    """A path as `calls` shows it: no query, each SID `…` (`/v1/FlexFlows/…/Webhooks`)."""
    return _SID_SEGMENT.sub("/…", urlsplit(path).path)


def methods(emulator: Emulator) -> list[str]:
    """The methods of the API requests since the last reset, in the order received."""
    return [r.method for r in emulator.requests()]


def http(emulator: Emulator) -> requests.Session:
    """A plain requests session with the emulator's credentials, for raw calls past our client."""
    session = requests.Session()
    session.auth = (emulator.account_sid, emulator.auth_token)
    return session


def ids(stack: Stack) -> dict[str, str]:
    """Each resource of a stack's state by name: its id (the SID)."""
    return {state.name: state.id for state in stack.state.values()}


def run_cli(*args: str, env: dict[str, str], cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """`python -m flex_provider ARGS` with only `env`'s TWILIO_* and FLEX_* variables."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "FLEX_"))}
    return subprocess.run([sys.executable, "-m", "flex_provider", *args], cwd=cwd, env={**clean, **env},
                          capture_output=True, text=True, timeout=60, check=False)


def emulator_env(emulator: Emulator) -> dict[str, str]:
    """The environment that points the CLI at the emulator with its credentials."""
    return {"TWILIO_ACCOUNT_SID": emulator.account_sid, "TWILIO_AUTH_TOKEN": emulator.auth_token,
            "FLEX_API_URL": emulator.base_url, "PYTHONPATH": str(ROOT)}


_VALUES: dict[Kind, Any] = {
    Kind.TEXT: lambda spec, n: f"{spec.name.replace('_', '-')}-{n}",
    Kind.SID: lambda spec, n: f"{spec.sid_prefix}{n:032x}",
    Kind.CHOICE: lambda spec, n: spec.choices[n % len(spec.choices)],
    Kind.URL: lambda spec, n: f"https://hooks.example.com/{spec.name}/{n}",
    Kind.BOOL: lambda spec, n: n % 2 == 0,
    Kind.INT: lambda spec, n: spec.bounds[0] + n % (spec.bounds[1] - spec.bounds[0] + 1) if spec.bounds else n,
    Kind.JSON: lambda spec, n: {"n": n, spec.name: [n, "x"]},
    Kind.TEXT_LIST: lambda spec, n: ([spec.item_choices[n % len(spec.item_choices)],
                                      spec.item_choices[(n + 1) % len(spec.item_choices)]] if spec.item_choices
                                     else [f"{spec.name}-{n}", f"{spec.name}-{n}-b"]),
    Kind.OBJECT: lambda spec, n: {sub.name: value(sub, n) for sub in spec.fields},
}
"""The nth valid value of a field of each kind; values with different n differ (a choice's, modulo its choices)."""
_SHAPED: dict[str, Any] = {
    "[A-Z]{2}": lambda n: chr(ord("A") + n % 26) + chr(ord("A") + n // 26 % 26),
}
"""The nth value of each declared `Shape`, by its pattern: a new shape needs its line here."""


def value(spec: Field, n: int) -> Any:
    """A valid value of `spec`, the nth: every key of a mapping set, so whatever a choice needs is there."""
    return _SHAPED[spec.shape.pattern](n) if spec.shape else _VALUES[spec.kind](spec, n)


def example(rtype: ResourceType, n: int, **given: Any) -> dict[str, Any]:
    """Valid inputs of `rtype` with every field set, the nth example; `given` overrides."""
    return {**{spec.name: value(spec, n) for spec in rtype.fields}, **given}


def in_place_field(rtype: ResourceType) -> Field | None:
    """The first field the API can change in place and answers with: one a Console edit can make drift."""
    return next((spec for spec in rtype.fields if spec.updatable and spec.name in rtype.returned), None)


def fixed_field(rtype: ResourceType) -> Field:
    """The first field the API answers with but cannot change (a parent's SID aside): changing it replaces."""
    return next(spec for spec in rtype.fields
                if not spec.updatable and spec.name in rtype.returned and spec not in rtype.path_fields)


def with_parents(rtype: ResourceType, client: FlexClient, types: tuple[ResourceType, ...],
                 inputs: dict[str, Any], n: int) -> dict[str, Any]:
    """`inputs` with each parent a nested resource's path names made first, through the client."""
    by_section = {other.section: other for other in types}
    for spec in rtype.path_fields:
        assert spec.reference is not None
        parent = by_section[spec.reference.section]
        inputs = {**inputs, spec.name: client.create(parent, example(parent, n)).sid}
    return inputs


def update_form(rtype: ResourceType, changes: dict[str, Any], inputs: dict[str, Any]) -> dict[str, Any]:
    """The form an update sends: the changed fields, and those the API wants in every update."""
    every = {spec.name: inputs[spec.name] for spec in rtype.fields if spec.every_update and spec.name in inputs}
    return rtype.to_form({**changes, **every})
