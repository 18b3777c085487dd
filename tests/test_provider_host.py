"""FlexChannelProvider in the real dynamic-provider host (`python -m pulumi.dynamic`), sent what the engine sends."""

from __future__ import annotations

import base64
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import pytest
from pulumi.runtime.proto import provider_pb2

from flex_provider import FlexChannel
from flex_provider.errors import AuthenticationError
from flex_provider.provider import FlexChannelProvider
from flex_provider.pulumi_workarounds import serialized_provider
from tests import engine
from tests.engine import ProviderHost, grpc_error_text, urn
from tests.support import channel_inputs, methods, stack_config
from twilio_emulator import Emulator, Faults

TYPE = FlexChannel._rtype.type_token


def news(**inputs: object) -> dict[str, object]:
    """What the program registers for a channel with these inputs."""
    return FlexChannel.registration(**inputs)


def test_serialized_provider_is_a_small_reference_to_this_package() -> None:
    provider = serialized_provider(FlexChannelProvider)
    raw = base64.b64decode(provider)
    assert b"flex_provider.provider" in raw
    assert b"FlexChannelProvider" in raw
    assert len(provider) <= 200


def test_lifecycle_through_the_host(host: ProviderHost, emulator: Emulator) -> None:
    web = urn("web", TYPE)
    checked = engine.check(host, web, {}, news(**channel_inputs(chat_unique_name="web", pre_engagement_data={"n": 2})),
                           dry_run=False)
    assert checked["pre_engagement_data"] == '{"n":2}'
    assert checked["long_lived"] is True, "the declared default applies"
    assert emulator.requests() == [], "check must not call the API"

    created = engine.create(host, web, checked, dry_run=False)
    assert created.id == created.outputs["sid"]
    assert created.outputs["__provider"] == serialized_provider(FlexChannelProvider)
    assert {"sid", "account_sid", "flex_flow_sid", "user_sid", "url", "date_created", "date_updated"} <= set(
        created.outputs)
    [post] = emulator.requests("POST")
    assert post.form["ChatUniqueName"] == "web"
    assert post.form["PreEngagementData"] == '{"n":2}'

    refreshed = engine.refresh(host, created, dry_run=False)
    assert refreshed is not None
    assert (refreshed.id, refreshed.outputs) == (created.id, created.outputs)

    same = engine.diff(host, refreshed, engine.check(host, web, refreshed.inputs, news(**channel_inputs(
        chat_unique_name="web", pre_engagement_data={"n": 2})), dry_run=False), dry_run=False)
    assert same.changes == provider_pb2.DiffResponse.DIFF_NONE
    replace = engine.diff(host, refreshed, {**checked, "identity": "someone-else"}, dry_run=False)
    assert replace.changes == provider_pb2.DiffResponse.DIFF_SOME
    assert list(replace.replaces) == ["identity"]
    assert replace.deleteBeforeReplace is True

    engine.delete(host, refreshed, dry_run=False)
    assert emulator.resources("channels") == []
    assert engine.refresh(host, refreshed, dry_run=False) is None


def test_check_failures_cross_grpc_as_property_and_reason(host: ProviderHost, emulator: Emulator) -> None:
    with pytest.raises(engine.StepError) as caught:
        engine.check(host, urn("web", TYPE), {}, {**news(**channel_inputs()), "flex_flow_sid": "FO1",
                                                  "chat_friendly_name": None}, dry_run=False)
    assert str(caught.value) == ("flex_flow_sid: must be an FO SID: 'FO' and 32 hex digits (pattern "
                                 "^FO[0-9a-fA-F]{32}$); found 'FO' and 1 hex digit; chat_friendly_name: is required")
    assert emulator.requests() == []


def test_credentials_can_come_from_the_environment(tmp_path: Path, emulator: Emulator) -> None:
    env = {"TWILIO_ACCOUNT_SID": emulator.account_sid, "TWILIO_AUTH_TOKEN": emulator.auth_token,
           "FLEX_API_URL": emulator.base_url}
    provider_host = ProviderHost(tmp_path, env=env)
    try:
        provider_host.configure({})
        created = engine.Stack(provider_host).up([engine.goal(FlexChannel, "web", **channel_inputs())])
    finally:
        provider_host.close()
    assert created == [("create", "web")]
    assert len(emulator.resources("channels")) == 1


def test_missing_credentials_are_one_clear_error(tmp_path: Path, emulator: Emulator) -> None:
    provider_host = ProviderHost(tmp_path)
    try:
        provider_host.configure({"flex:apiUrl": emulator.base_url})
        stack = engine.Stack(provider_host)
        assert stack.preview([engine.goal(FlexChannel, "web", **channel_inputs())]) == [("create", "web")], \
            "preview needs no credentials"
        with pytest.raises(grpc.RpcError) as caught:
            stack.up([engine.goal(FlexChannel, "web", **channel_inputs())])
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
            engine.Stack(provider_host).up([engine.goal(FlexChannel, "web", **channel_inputs())])
    finally:
        provider_host.close()
    last_line = grpc_error_text(caught.value).splitlines()[-1]
    assert last_line == (f"flex_provider.errors.AuthenticationError: POST {emulator.base_url}/v1/Channels returned "
                         "HTTP 401 (Twilio error 20003): Authenticate. See https://www.twilio.com/docs/errors/20003 "
                         f"{AuthenticationError.advice}")


def test_four_concurrent_operations_share_the_pooled_connections(host: ProviderHost, emulator: Emulator) -> None:
    emulator.set_faults(Faults(latency_ms=5))
    emulator.reset_stats()
    names = [f"c{i}" for i in range(40)]
    checked = {name: engine.check(host, urn(name, TYPE), {}, news(**channel_inputs(name)), dry_run=False)
               for name in names}
    with ThreadPoolExecutor(max_workers=4) as pool:
        ids = list(pool.map(lambda name: engine.create(host, urn(name, TYPE), checked[name], dry_run=False).id, names))
    assert len(set(ids)) == 40
    assert len(emulator.resources("channels")) == 40
    assert emulator.stats()["connections"] <= 4


def test_resource_get_reads_with_the_programs_props(host: ProviderHost, emulator: Emulator) -> None:
    """`FlexChannel.get(name, id)`: the engine's ReadStep sends the program's props as properties and inputs."""
    existing = engine.Stack(host)
    existing.up([engine.goal(FlexChannel, "made-elsewhere", **channel_inputs())])
    [made] = existing.state.values()
    emulator.reset_stats()
    program_props = {"__provider": serialized_provider(FlexChannelProvider)}  # FlexChannel.get's registration
    read = engine.get(host, urn("web", TYPE), made.id, program_props)
    assert read.id == made.id
    assert read.outputs["user_sid"] == made.outputs["user_sid"]
    assert methods(emulator) == ["GET"]
