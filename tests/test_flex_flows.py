"""Flex Flows: the client and emulator against the spec, and a stack of flows and the channels that name them through
the engine driver (a flow's own life, drift and adoption are tests/test_scenarios.py's, as every type's).

The stacks here run against an emulator started with `require_flows`, which refuses a channel
whose Flex Flow does not exist, as Twilio does.
"""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from flex_provider import FlexChannel, FlexFlow
from flex_provider.client import FlexClient
from flex_provider.errors import NotFoundError
from flex_provider.provider import UNKNOWN, FlexFlowProvider
from tests import spec_contract
from tests.engine import Goal, Ref, Stack, goal
from tests.support import calls, channel_inputs, ids
from twilio_emulator import Emulator

CONTRACT = spec_contract.load_fixture()
SERVICE, OTHER_SERVICE = "IS" + "1" * 32, "IS" + "2" * 32
STUDIO = "FW" + "3" * 32


def flow_inputs(name: str = "Web chat", **extra: Any) -> dict[str, Any]:
    return {"friendly_name": name, "chat_service_sid": SERVICE, "channel_type": "web", "integration_type": "studio",
            "integration": {"flow_sid": STUDIO, "retry_count": 1}, **extra}




pytestmark = pytest.mark.emulator(require_flows=True)


# the API, through the client


def test_flow_operations_answer_as_the_spec_says(client: FlexClient, emulator: Emulator) -> None:
    created = client.create_flex_flow(flow_inputs(contact_identity="+15005550006", enabled=True))
    [post] = emulator.requests("POST")
    assert post.form == {"FriendlyName": "Web chat", "ChatServiceSid": SERVICE, "ChannelType": "web",
                         "ContactIdentity": "+15005550006", "Enabled": "true", "IntegrationType": "studio",
                         "Integration.FlowSid": STUDIO, "Integration.RetryCount": "1"}
    assert created.sid.startswith("FO")
    assert created.integration == {"flow_sid": STUDIO, "retry_count": 1}
    for answer in (created, client.fetch_flex_flow(created.sid)):
        jsonschema.validate({k: v for k, v in answer.values.items() if k != "integration"},
                            spec_contract.json_schema(CONTRACT["flex_flow"]))
    updated = client.update_flex_flow(created.sid, {"friendly_name": "Renamed", "integration": {"retry_count": 3}})
    assert emulator.requests("POST")[-1].form == {"FriendlyName": "Renamed", "Integration.RetryCount": "3"}
    assert (updated.friendly_name, updated.integration) == ("Renamed", {"flow_sid": STUDIO, "retry_count": 3})
    other = client.create_flex_flow(flow_inputs("SMS", channel_type="sms"))
    assert [f.sid for f in client.list_flex_flows()] == [created.sid, other.sid]
    assert [f.sid for f in client.list_flex_flows(friendly_name="SMS")] == [other.sid]
    client.delete_flex_flow(other.sid)
    with pytest.raises(NotFoundError):
        client.fetch_flex_flow(other.sid)


def test_a_channel_of_a_flow_that_does_not_exist_is_refused_when_flows_are_required(
        client: FlexClient, emulator: Emulator) -> None:
    missing = "FO" + "9" * 32
    with pytest.raises(NotFoundError) as caught:
        client.create_channel(channel_inputs(flex_flow_sid=missing))
    assert (caught.value.code, caught.value.message) == (45205, f"Requested Flex Flow {missing} is not found")
    assert emulator.resources("channels") == []


def test_a_bad_channel_type_is_refused_by_the_emulator_as_the_spec_says(client: FlexClient) -> None:
    from flex_provider.errors import ValidationError

    with pytest.raises(ValidationError, match="Invalid ChannelType: 'fax' is not one of web, sms, facebook"):
        client.create_flex_flow(flow_inputs(channel_type="fax"))


# diff rules


def test_diff_updates_what_the_api_can_change_and_replaces_the_chat_service() -> None:
    provider = FlexFlowProvider()
    olds = {**flow_inputs(), "sid": "FO" + "0" * 32, "enabled": False, "__provider": "serialized",
            "integration": {"flow_sid": STUDIO, "retry_count": 1.0}}
    assert provider.diff("id", olds, flow_inputs()).changes is False, "unset fields keep the server's value"
    update = provider.diff("id", olds, flow_inputs("New", enabled=True, integration={"retry_count": 2}))
    assert (update.changes, update.replaces, update.delete_before_replace) == (True, [], False)
    replace = provider.diff("id", olds, flow_inputs(chat_service_sid=OTHER_SERVICE))
    assert (replace.changes, replace.replaces) == (True, ["chat_service_sid"])
    preview = provider.diff("id", olds, flow_inputs(integration={"flow_sid": UNKNOWN}))
    assert (preview.changes, preview.replaces) == (True, [])


def test_check_names_the_nested_key_of_a_bad_integration() -> None:
    failures = FlexFlowProvider().check({}, flow_inputs(integration={"flow_sid": "FW1", "colour": "red",
                                                                     "timeout": 1.5}, channel_type="fax")).failures
    assert [(f.property, f.reason) for f in failures] == [
        ("channel_type", "must be one of web, sms, facebook, whatsapp, line, custom; not 'fax'"),
        ("integration.colour", "is not a key of integration; known: flow_sid, url, workspace_sid, workflow_sid, "
                               "channel, timeout, priority, creation_on_message, retry_count"),
        ("integration.flow_sid", "must be an FW SID: 'FW' and 32 hex digits (pattern ^FW[0-9a-fA-F]{32}$); found "
                                 "'FW' and 1 hex digit"),
        ("integration.timeout", "must be a whole number, not the number 1.5"),
    ]


# a stack of flows and channels, through the engine driver


def program(service: str = SERVICE, web_name: str = "Web chat", retries: int = 1) -> list[Goal]:
    return [
        goal(FlexFlow, "web", **flow_inputs(web_name, chat_service_sid=service, integration={
            "flow_sid": STUDIO, "retry_count": retries})),
        goal(FlexFlow, "sms", **flow_inputs("SMS", channel_type="sms", contact_identity="+15005550006")),
        goal(FlexChannel, "web-support", **channel_inputs("web-bot", flex_flow_sid=Ref("web"))),
        goal(FlexChannel, "web-sales", **channel_inputs("sales-bot", flex_flow_sid=Ref("web"))),
        goal(FlexChannel, "sms-support", **channel_inputs("sms-bot", flex_flow_sid=Ref("sms"))),
    ]


def test_channels_follow_their_flow_through_its_life(stack: Stack, emulator: Emulator, client: FlexClient) -> None:
    # created in dependency order: the flows first
    assert stack.up(program()) == [("create", name) for name in ("web", "sms", "web-support", "web-sales",
                                                                 "sms-support")]
    assert calls(emulator) == ["POST /v1/FlexFlows"] * 2 + ["POST /v1/Channels"] * 3
    first = ids(stack)
    assert {c["sid"]: c["flex_flow_sid"] for c in emulator.resources("channels")} == {
        first["web-support"]: first["web"], first["web-sales"]: first["web"], first["sms-support"]: first["sms"]}

    # an updatable field: the flow is updated in place with only what changed, no channel is replaced
    emulator.reset_stats()
    assert stack.up(program(web_name="Web chat (EU)", retries=2))[0] == ("update", "web")
    assert calls(emulator) == ["POST /v1/FlexFlows/…"]
    assert emulator.requests()[0].form == {"FriendlyName": "Web chat (EU)", "Integration.FlowSid": STUDIO,
                                           "Integration.RetryCount": "2"}, "a changed mapping is sent whole"
    assert ids(stack) == first

    # a replace-only field: a new flow, its channels replaced onto it, the old ones deleted channels first
    emulator.reset_stats()
    log = stack.up(program(OTHER_SERVICE, "Web chat (EU)", 2))
    assert log == [("replace-create-first", "web"), ("same", "sms"), ("replace-create-first", "web-support"),
                   ("replace-create-first", "web-sales"), ("same", "sms-support"),
                   ("delete-replaced", "web-sales"), ("delete-replaced", "web-support"), ("delete-replaced", "web")]
    assert calls(emulator) == ["POST /v1/FlexFlows", "POST /v1/Channels", "POST /v1/Channels",
                             "DELETE /v1/Channels/…", "DELETE /v1/Channels/…", "DELETE /v1/FlexFlows/…"]
    second = ids(stack)
    assert second["web"] != first["web"] and second["sms"] == first["sms"]
    assert {c["flex_flow_sid"] for c in emulator.resources("channels")} == {second["web"], second["sms"]}

    # destroy: channels before flows
    emulator.reset_stats()
    stack.destroy()
    assert calls(emulator) == ["DELETE /v1/Channels/…"] * 3 + ["DELETE /v1/FlexFlows/…"] * 2
    assert emulator.resources("flex_flows") == [] and emulator.resources("channels") == []


def test_preview_of_a_new_flow_and_its_channel_sends_the_channel_an_unknown_flow(stack: Stack,
                                                                                 emulator: Emulator) -> None:
    assert stack.preview(program()[:1] + program()[2:3]) == [("create", "web"), ("create", "web-support")]
    assert stack.host.calls[-2:] == ["Check", "Check"]
    assert emulator.requests() == []


def test_previewing_a_flow_update_shows_its_channels_unchanged(stack: Stack, emulator: Emulator) -> None:
    """The engine keeps a flow's id known in a preview of its update (not its outputs): channels name it by id."""
    stack.up(program())
    assert stack.preview(program(web_name="Renamed")) == [("update", "web"), ("same", "sms"),
                                                          ("same", "web-support"), ("same", "web-sales"),
                                                          ("same", "sms-support")]


@pytest.mark.parametrize(("integration_type", "integration", "problem"), [
    ("studio", {"retry_count": 1}, ("integration.flow_sid", "is required when integration_type is studio")),
    ("external", {}, ("integration.url", "is required when integration_type is external")),
    ("task", {"workspace_sid": "WS" + "1" * 32},
     ("integration.workflow_sid", "is required when integration_type is task")),
])
def test_each_integration_type_needs_its_keys_in_check_and_in_the_emulator(
        client: FlexClient, integration_type: str, integration: dict[str, Any], problem: tuple[str, str]) -> None:
    from flex_provider.errors import ValidationError

    inputs = flow_inputs(integration_type=integration_type, integration=integration)
    assert [(f.property, f.reason) for f in FlexFlowProvider().check({}, inputs).failures] == [problem]
    api_name = "Integration." + "".join(part.title() for part in problem[0].split(".")[1].split("_"))
    with pytest.raises(ValidationError, match=f"Missing required parameter {api_name} when IntegrationType is "
                                              f"{integration_type}"):
        client.create_flex_flow(inputs)


def test_retry_count_is_zero_to_three_as_the_spec_says(client: FlexClient) -> None:
    from flex_provider.errors import ValidationError

    failures = FlexFlowProvider().check({}, flow_inputs(integration={"flow_sid": STUDIO, "retry_count": 4})).failures
    assert [(f.property, f.reason) for f in failures] == [("integration.retry_count",
                                                           "must be from 0 to 3, not the number 4")]
    with pytest.raises(ValidationError, match=r"Invalid Integration\.RetryCount: 4 is not between 0 and 3"):
        client.create_flex_flow(flow_inputs(integration={"flow_sid": STUDIO, "retry_count": 4}))


def test_a_refresh_of_an_adopted_flow_changed_in_the_console_works_and_up_says_what_to_do(
        stack: Stack, emulator: Emulator, client: FlexClient) -> None:
    """The engine diffs after every refresh, and a diff error would stop the refresh: the adopted flow's
    replace-only change is refused by up, not by the refresh."""
    import grpc

    from tests.engine import grpc_error_text

    by_hand = client.create_flex_flow(flow_inputs())
    declared = [goal(FlexFlow, "web", import_sid=by_hand.sid, **flow_inputs())]
    stack.up(declared)
    client.update_flex_flow(by_hand.sid, {"chat_service_sid": OTHER_SERVICE})
    assert stack.refresh() == [("read", "web")]
    emulator.reset_stats()
    with pytest.raises(grpc.RpcError) as caught:
        stack.up(declared)
    assert grpc_error_text(caught.value).splitlines()[-1] == (
        f"flex_provider.errors.AdoptionError: Flex Flow {by_hand.sid} was adopted with `import`, and a change of "
        f"chat_service_sid needs a new flow: the replace would adopt {by_hand.sid} again and then delete it. Remove "
        "the `import` line first (the flow stays in the stack), then make the change.")
    assert emulator.requests() == []
