"""No credential in any artifact of a run: serialized provider, gRPC results, errors, logs."""

from __future__ import annotations

import base64
import logging
import secrets
from pathlib import Path

import grpc
import pytest

from flex_provider import FlexChannel
from flex_provider.provider import FlexChannelProvider
from flex_provider.pulumi_workarounds import serialized_provider
from tests import engine
from tests.engine import ProviderHost, grpc_error_text, secret
from tests.support import channel_inputs
from twilio_emulator import Emulator, Faults


def _forms(value: str, user: str) -> list[bytes]:
    """The secret as text and as it would appear inside an HTTP Basic header."""
    return [value.encode(), base64.b64encode(f"{user}:{value}".encode())]


def test_no_artifact_of_a_full_run_contains_the_auth_token_or_api_secret(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    token, api_secret = "tok-" + secrets.token_hex(20), "sec-" + secrets.token_hex(20)
    api_key = "SK" + "4" * 32
    artifacts: list[bytes] = []
    with Emulator(auth_token=token, api_key=api_key, api_secret=api_secret) as emulator:
        config = {"twilio:accountSid": emulator.account_sid, "twilio:authToken": secret(token),
                  "twilio:apiKey": api_key, "twilio:apiSecret": secret(api_secret), "flex:apiUrl": emulator.base_url,
                  "flex:maxRetries": "1"}
        host = ProviderHost(tmp_path / "ok")
        stack = engine.Stack(host)
        try:
            host.configure(config)
            stack.up([engine.goal(FlexChannel, "web", **channel_inputs(chat_unique_name="web"))])
            stack.refresh()
            stack.preview([engine.goal(FlexChannel, "web", **channel_inputs("x", chat_unique_name="web"))])
            for faults in (Faults(), Faults(rate_5xx=1.0), Faults(drop_after_create=1.0)):
                emulator.set_faults(faults)
                with pytest.raises(grpc.RpcError) as caught:
                    stack.up([engine.goal(FlexChannel, "web", **channel_inputs(chat_unique_name="web")),
                              engine.goal(FlexChannel, "dup", **channel_inputs("other", chat_unique_name="web"))])
                artifacts.append(grpc_error_text(caught.value).encode())
            emulator.set_faults(Faults())
            stack.destroy()
        finally:
            artifacts.append(host.close().encode())
        provider = serialized_provider(FlexChannelProvider)
        artifacts.append(provider.encode())
        artifacts.append(base64.b64decode(provider))
        artifacts.extend(response.SerializeToString() for response in host.responses)
        artifacts.extend(str(response).encode() for response in host.responses)

        wrong = ProviderHost(tmp_path / "wrong")
        try:
            wrong.configure({**config, "twilio:apiSecret": secret(api_secret + "-wrong")})
            with pytest.raises(grpc.RpcError) as caught:
                engine.Stack(wrong).up([engine.goal(FlexChannel, "web", **channel_inputs())])
            artifacts.append(grpc_error_text(caught.value).encode())
        finally:
            artifacts.append(wrong.close().encode())
    artifacts.append(caplog.text.encode())

    assert len(artifacts) > 10
    assert any(b"HTTP 401" in a for a in artifacts), "the failing paths did run"
    for needle in _forms(token, emulator.account_sid) + _forms(api_secret, api_key):
        leaks = [a[:200] for a in artifacts if needle in a]
        assert leaks == [], f"a credential leaked into {leaks}"
