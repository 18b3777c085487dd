"""Test helpers shared by the test modules: values, clients, the stack config the engine sends, and what the
emulator received. No test module imports another; what two of them need lives here."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import requests

from flex_provider.client import Credentials, FlexClient, RetryPolicy, Timeouts
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


def calls(emulator: Emulator) -> list[str]:
    """The API requests since the last reset, as `METHOD /path` without the query and with each SID shown as `…`."""
    return [f"{r.method} {_SID_SEGMENT.sub('/…', urlsplit(r.path).path)}" for r in emulator.requests()]


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
