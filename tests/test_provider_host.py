"""FlexChannelProvider inside the real dynamic-provider host (`python -m pulumi.dynamic`), over gRPC."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import pytest
from pulumi.runtime.proto import provider_pb2

from tests.conftest import channel_inputs
from tests.provider_host import ProviderHost, grpc_error_text, secret
from twilio_emulator import Emulator, Faults


def stack_config(emulator: Emulator, token: str | None = None) -> dict[str, object]:
    return {"twilio:accountSid": emulator.account_sid, "twilio:authToken": secret(token or emulator.auth_token),
            "flex:apiUrl": emulator.base_url, "flex-channels:unrelated": "value"}


@pytest.fixture
def host(tmp_path: Path, emulator: Emulator) -> Iterator[ProviderHost]:
    provider_host = ProviderHost(tmp_path)
    provider_host.configure(stack_config(emulator))
    yield provider_host
    provider_host.close()


def test_serialized_provider_is_a_small_reference_to_this_package(host: ProviderHost) -> None:
    raw = base64.b64decode(host.provider)
    assert b"flex_provider.provider" in raw
    assert b"FlexChannelProvider" in raw
    assert len(host.provider) <= 200


def test_lifecycle_through_the_host(host: ProviderHost, emulator: Emulator) -> None:
    inputs, failures = host.check("web", channel_inputs(chat_unique_name="web", pre_engagement_data={"n": 2}))
    assert failures == []
    assert inputs["pre_engagement_data"] == '{"n":2}'
    assert emulator.requests() == [], "check must not call the API"

    id_, outs = host.create("web", inputs)
    assert id_ == outs["sid"]
    assert outs["__provider"] == host.provider
    assert {"sid", "account_sid", "flex_flow_sid", "user_sid", "url", "date_created", "date_updated"} <= set(outs)
    [post] = emulator.requests("POST")
    assert post.form["ChatUniqueName"] == "web"
    assert post.form["PreEngagementData"] == '{"n":2}'

    read_id, read_outs = host.read("web", id_, outs)
    assert (read_id, read_outs) == (id_, outs)

    assert host.diff("web", id_, read_outs, inputs).changes == provider_pb2.DiffResponse.DIFF_NONE
    replace = host.diff("web", id_, read_outs, {**inputs, "identity": "someone-else"})
    assert replace.changes == provider_pb2.DiffResponse.DIFF_SOME
    assert list(replace.replaces) == ["identity"]
    assert replace.deleteBeforeReplace is True

    host.delete("web", id_, read_outs)
    assert list(emulator.channels()) == []
    gone_id, _ = host.read("web", id_, read_outs)
    assert gone_id == ""


def test_check_failures_cross_grpc_as_property_and_reason(host: ProviderHost, emulator: Emulator) -> None:
    _, failures = host.check("web", {"flex_flow_sid": "FO1", "identity": "x", "chat_user_friendly_name": "u"})
    assert failures == [
        ("flex_flow_sid", "must be a FO SID: 'FO' and 32 hex digits (pattern ^FO[0-9a-fA-F]{32}$)"),
        ("chat_friendly_name", "is required"),
    ]
    assert emulator.requests() == []


def test_import_reads_with_inputs_only_and_adopts(host: ProviderHost, emulator: Emulator) -> None:
    """`import_`: the engine sends no prior state, only the program's inputs."""
    inputs, _ = host.check("web", channel_inputs())
    existing, _ = host.create("other", inputs)
    adopted_id, adopted = host.read("web", existing, {}, inputs=inputs)
    assert adopted_id == existing
    assert host.diff("web", existing, adopted, inputs).changes == provider_pb2.DiffResponse.DIFF_NONE
    assert len(emulator.requests("POST")) == 1


def test_credentials_can_come_from_the_environment(tmp_path: Path, emulator: Emulator) -> None:
    env = {"TWILIO_ACCOUNT_SID": emulator.account_sid, "TWILIO_AUTH_TOKEN": emulator.auth_token,
           "FLEX_API_URL": emulator.base_url}
    provider_host = ProviderHost(tmp_path, env=env)
    try:
        provider_host.configure({})
        id_, _ = provider_host.create("web", provider_host.check("web", channel_inputs())[0])
    finally:
        provider_host.close()
    assert [c["sid"] for c in emulator.channels()] == [id_]


def test_missing_credentials_are_one_clear_error(tmp_path: Path, emulator: Emulator) -> None:
    provider_host = ProviderHost(tmp_path)
    try:
        provider_host.configure({"flex:apiUrl": emulator.base_url})
        inputs, failures = provider_host.check("web", channel_inputs())
        assert failures == [], "preview needs no credentials"
        with pytest.raises(grpc.RpcError) as caught:
            provider_host.create("web", inputs)
    finally:
        provider_host.close()
    assert grpc_error_text(caught.value).splitlines()[-4:] == [
        "flex_provider.errors.ConfigurationError: Twilio credentials are missing. Set them in the stack's config:",
        "    pulumi config set twilio:accountSid AC…",
        "    pulumi config set --secret twilio:authToken …",
        "(or twilio:apiKey + --secret twilio:apiSecret), or in the environment: TWILIO_ACCOUNT_SID with "
        "TWILIO_AUTH_TOKEN (or TWILIO_API_KEY + TWILIO_API_SECRET).",
    ]
    assert emulator.requests() == []


def test_twilio_errors_reach_the_engine_with_code_message_and_link(tmp_path: Path, emulator: Emulator) -> None:
    provider_host = ProviderHost(tmp_path)
    try:
        provider_host.configure(stack_config(emulator, token="a-wrong-token"))
        with pytest.raises(grpc.RpcError) as caught:
            provider_host.create("web", provider_host.check("web", channel_inputs())[0])
    finally:
        provider_host.close()
    last_line = grpc_error_text(caught.value).splitlines()[-1]
    assert last_line == (f"flex_provider.errors.AuthenticationError: POST {emulator.base_url}/v1/Channels returned "
                         "HTTP 401 (Twilio error 20003): Authenticate. See https://www.twilio.com/docs/errors/20003")


def test_four_concurrent_operations_share_the_pooled_connections(host: ProviderHost, emulator: Emulator) -> None:
    emulator.set_faults(Faults(latency_ms=5))
    emulator.reset_stats()
    inputs = [host.check(f"c{i}", channel_inputs(f"c{i}"))[0] for i in range(40)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        ids = list(pool.map(lambda i: host.create(f"c{i}", inputs[i])[0], range(40)))
    assert len(set(ids)) == 40
    assert len(list(emulator.channels())) == 40
    assert emulator.stats()["connections"] <= 4
