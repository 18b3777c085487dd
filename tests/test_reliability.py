"""Faults lose nothing: rate-limit storms, 5xx bursts, dropped connections, hung and killed servers.

Every loop here is bounded in count and time, and talks only to emulators on 127.0.0.1.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus
from pathlib import Path

import grpc
import pytest

from flex_provider import FlexChannel
from flex_provider.client import Credentials, FlexClient, RetryPolicy
from flex_provider.errors import ApiError, FlexError, OutcomeUnknownError
from tests import engine
from tests.engine import ProviderHost, grpc_error_text, secret, urn
from tests.support import ROOT, channel_inputs, make_client
from twilio_emulator import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, Emulator, Faults

# Retry-After is honoured but capped by the policy, so a storm of "Retry-After: 1" costs milliseconds.
STORM_POLICY = RetryPolicy(attempts=8, backoff_factor=0.005, backoff_max=0.02, jitter=0.005, max_retry_after=0.01)


def host_for(emulator: Emulator, tmp_path: Path, **config: str) -> ProviderHost:
    host = ProviderHost(tmp_path)
    host.configure({"twilio:accountSid": emulator.account_sid, "twilio:authToken": secret(emulator.auth_token),
                    "flex:apiUrl": emulator.base_url, **config})
    return host


def test_429_storm_200_creates_all_succeed_once(emulator: Emulator) -> None:
    emulator.set_faults(Faults(rate_429=0.5, retry_after=1))
    with make_client(emulator, retry=STORM_POLICY) as flex, ThreadPoolExecutor(max_workers=4) as pool:
        sids = list(pool.map(lambda i: flex.create_channel(channel_inputs(f"c{i}")).sid, range(200)))
    channels = emulator.resources("channels")
    assert len(channels) == 200
    assert sorted(c["sid"] for c in channels) == sorted(sids)
    assert len(emulator.requests("POST")) == 400, "half of all requests were answered 429"
    identities = [r.form["Identity"] for r in emulator.requests("POST")]
    assert sorted(set(identities)) == sorted(f"c{i}" for i in range(200))


def test_429_storm_through_the_provider_host_honours_retry_after(emulator: Emulator, tmp_path: Path) -> None:
    """The provider's own policy: every create waits the 1 s Retry-After once, four at a time."""
    emulator.set_faults(Faults(rate_429=0.5, retry_after=1, methods=("POST",)))
    host = host_for(emulator, tmp_path)
    try:
        urns = [urn(f"c{i}", FlexChannel._rtype.type_token) for i in range(8)]
        inputs = [engine.check(host, urns[i], {}, FlexChannel.registration(**channel_inputs(f"c{i}")), dry_run=False)
                  for i in range(8)]
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=4) as pool:
            ids = list(pool.map(lambda i: engine.create(host, urns[i], inputs[i], dry_run=False).id, range(8)))
        elapsed = time.monotonic() - started
    finally:
        host.close()
    assert len(set(ids)) == 8
    assert len(emulator.resources("channels")) == 8
    assert elapsed >= 1.0, "Retry-After was not waited for"


def test_5xx_bursts_on_reads_and_deletes_are_retried(client: FlexClient, emulator: Emulator) -> None:
    sids = [client.create_channel(channel_inputs(f"c{i}")).sid for i in range(25)]
    emulator.set_faults(Faults(rate_5xx=0.5, status_5xx=503, methods=("GET", "DELETE")))
    for sid in sids:
        assert client.fetch_channel(sid).sid == sid
    assert len(list(client.list_channels(page_size=10))) == 25
    for sid in sids:
        client.delete_channel(sid)
    assert emulator.resources("channels") == []


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_on_creates_fails_clearly_and_creates_nothing(client: FlexClient, emulator: Emulator,
                                                         status: int) -> None:
    """A 502 or 504 comes from a gateway that may have timed out after Twilio acted: the outcome is unknown."""
    emulator.set_faults(Faults(rate_5xx=1.0, status_5xx=status, methods=("POST",)))
    gateway = status in (502, 504)
    for i in range(5):
        with pytest.raises(OutcomeUnknownError if gateway else ApiError) as caught:
            client.create_channel(channel_inputs(f"c{i}"))
        assert caught.value.status == status
        if gateway:
            assert str(caught.value).startswith(
                f"POST {emulator.base_url}/v1/Channels: the request was sent but no answer came back (a gateway "
                f"answered HTTP {status} (Twilio error 20500): {HTTPStatus(status).phrase} in Twilio's place). "
                "The channel may have been created.")
            assert "adopt it with `import: CH…`" in str(caught.value)
    assert len(emulator.requests("POST")) == 5, "a create answered 5xx was retried"
    assert emulator.resources("channels") == []


def test_dropped_connection_after_create_through_the_host(emulator: Emulator, tmp_path: Path) -> None:
    emulator.set_faults(Faults(drop_after_create=1.0))
    host = host_for(emulator, tmp_path)
    try:
        with pytest.raises(grpc.RpcError) as caught:
            engine.Stack(host).up([engine.goal(FlexChannel, "web", **channel_inputs())])
    finally:
        host.close()
    message = grpc_error_text(caught.value).splitlines()[-1]
    assert message.startswith(f"flex_provider.errors.OutcomeUnknownError: POST {emulator.base_url}/v1/Channels: "
                              "the request was sent but no answer came back")
    assert "adopt it with `import: CH…` on the channel in the stack file" in message
    assert len(emulator.requests("POST")) == 1
    assert len(emulator.resources("channels")) == 1


def test_hung_server_fails_within_the_configured_timeout(emulator: Emulator, tmp_path: Path) -> None:
    emulator.set_faults(Faults(latency_ms=5000))
    host = host_for(emulator, tmp_path, **{"flex:timeoutSeconds": "0.3", "flex:maxRetries": "0"})
    try:
        web = urn("web", FlexChannel._rtype.type_token)
        inputs = engine.check(host, web, {}, FlexChannel.registration(**channel_inputs()), dry_run=False)
        started = time.monotonic()
        with pytest.raises(grpc.RpcError) as caught:
            engine.create(host, web, inputs, dry_run=False)
        elapsed = time.monotonic() - started
    finally:
        host.close()
    assert "no answer before the read timeout" in grpc_error_text(caught.value)
    assert elapsed < 5.0, "the operation waited for the hung server"


def _start_emulator(data: Path) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen([sys.executable, "-m", "twilio_emulator", "--port", "0", "--data", str(data)],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.startswith("Twilio API emulator (Flex, Conversations) listening on "), (
        process.stderr.read() if process.stderr else line)
    return process, line.rsplit(" ", 1)[1].strip()


@pytest.mark.parametrize("kill_after", [1, 17, 40])
def test_sigkill_mid_run_loses_no_acknowledged_channel(tmp_path: Path, kill_after: int) -> None:
    data = tmp_path / "channels.json"
    acknowledged: list[str] = []
    credentials = Credentials.from_auth_token(DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN)
    for round_ in range(2):
        process, base_url = _start_emulator(data)
        stop = threading.Event()

        def create_until_killed(url: str = base_url, round_: int = round_, stop: threading.Event = stop) -> None:
            flex = FlexClient(credentials, base_url=url, retry=RetryPolicy(attempts=0))
            for i in range(500):
                if stop.is_set():
                    return
                try:
                    acknowledged.append(flex.create_channel(channel_inputs(f"r{round_}-{i}")).sid)
                except FlexError:
                    return

        worker = threading.Thread(target=create_until_killed)
        worker.start()
        target = len(acknowledged) + kill_after
        deadline = time.monotonic() + 20
        while len(acknowledged) < target and time.monotonic() < deadline:
            time.sleep(0.001)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        stop.set()
        worker.join(timeout=20)
        assert len(acknowledged) >= target

    stored = json.loads(data.read_text())
    with Emulator(data_file=data) as restarted:
        present = {c["sid"] for c in restarted.resources("channels")}
    assert set(acknowledged) <= present
    assert len(present) - len(acknowledged) <= 2, "at most the create in flight at each kill"
    assert len(stored["channels"]) == len(present)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["channels.json"], "a temporary file was left behind"
