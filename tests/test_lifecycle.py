"""Lifecycle conformance: ordered steps on one stack, through the engine-step driver, against the emulator.

In the style of Terraform's acceptance tests: each step is an `up` (or refresh, preview, destroy)
of the program as it would be at that point, and asserts the requests the emulator received and
the state that results. The steps the engine takes are in tests/engine.py, each naming the engine
function it mirrors.
"""

from __future__ import annotations

import grpc
import pytest

from flex_provider import FlexChannel
from flex_provider.client import FlexClient
from tests import engine
from tests.engine import Goal, Stack, StepError, goal, grpc_error_text
from tests.support import FLOW, channel_inputs
from twilio_emulator import Emulator

OTHER_FLOW = "FO" + "b" * 32


def methods(emulator: Emulator) -> list[str]:
    """The API requests since the last step, as `METHOD /path` without ids, in the order received."""
    return [f"{r.method} /v1/Channels{'/…' if r.path.count('/') > 2 else ''}" for r in emulator.requests()]


def sids(stack: Stack) -> dict[str, str]:
    return {state.name: state.id for state in stack.state.values()}


def web(**extra: object) -> Goal:
    return goal(FlexChannel, "web", **channel_inputs("web-bot", chat_unique_name="web", **extra))


def billing(**extra: object) -> Goal:
    options = {k: extra.pop(k) for k in ("protect", "retain_on_delete", "aliases") if k in extra}
    return goal(FlexChannel, extra.pop("name", "billing"), **options, **channel_inputs(
        str(extra.pop("identity", "billing-desk")), **extra))


def test_a_stack_through_its_whole_life(stack: Stack, emulator: Emulator, client: FlexClient) -> None:
    # 1. create all
    assert stack.up([web(), billing()]) == [("create", "web"), ("create", "billing")]
    assert methods(emulator) == ["POST /v1/Channels", "POST /v1/Channels"]
    first = sids(stack)
    assert sorted(c["sid"] for c in emulator.channels()) == sorted(first.values())
    assert stack.host.calls[-4:] == ["Check", "Create", "Check", "Create"]

    # 2. no-op
    emulator.reset_stats()
    assert stack.up([web(), billing()]) == [("same", "web"), ("same", "billing")]
    assert methods(emulator) == []
    assert sids(stack) == first

    # 3. change a field: a replace in each order. web keeps its unique name, so the old channel must go
    # first; billing changes its identity, so the new one is created first and the old deleted at the end.
    emulator.reset_stats()
    assert stack.up([web(chat_friendly_name="Web help"), billing(identity="billing-2")]) == [
        ("replace-delete-first", "web"), ("replace-create-first", "billing"), ("delete-replaced", "billing")]
    assert methods(emulator) == ["DELETE /v1/Channels/…", "POST /v1/Channels", "POST /v1/Channels",
                                 "DELETE /v1/Channels/…"]
    second = sids(stack)
    assert second["web"] != first["web"] and second["billing"] != first["billing"]
    assert sorted(c["sid"] for c in emulator.channels()) == sorted(second.values())

    # 4. a channel deleted outside Pulumi: refresh drops it, up creates it again
    client.delete_channel(second["billing"])
    emulator.reset_stats()
    assert stack.refresh() == [("read", "web"), ("gone", "billing")]
    assert methods(emulator) == ["GET /v1/Channels/…", "GET /v1/Channels/…"]
    assert stack.up([web(chat_friendly_name="Web help"), billing(identity="billing-2")]) == [
        ("same", "web"), ("create", "billing")]
    assert methods(emulator)[2:] == ["POST /v1/Channels"]

    # 5. adopt a channel made by hand: no POST, its own SID; dropping the import line is no change
    by_hand = client.create_channel(channel_inputs("vip-line"))
    emulator.reset_stats()
    vip = billing(name="vip", identity="vip-line", import_sid=by_hand.sid)
    assert stack.up([web(chat_friendly_name="Web help"), billing(identity="billing-2"), vip])[2] == ("create", "vip")
    assert methods(emulator) == ["GET /v1/Channels/…"]
    assert sids(stack)["vip"] == by_hand.sid
    assert len(list(emulator.channels())) == 3, "no second channel"
    emulator.reset_stats()
    assert stack.up([web(chat_friendly_name="Web help"), billing(identity="billing-2"),
                     billing(name="vip", identity="vip-line")])[2] == ("same", "vip")
    assert methods(emulator) == []

    # 6. rename through an alias: no request, the same channel
    emulator.reset_stats()
    renamed = billing(name="vip-line", identity="vip-line", aliases=("vip",))
    assert stack.up([web(chat_friendly_name="Web help"), billing(identity="billing-2"), renamed])[2] == (
        "same", "vip-line")
    assert methods(emulator) == []
    assert sids(stack)["vip-line"] == by_hand.sid

    # 7. protect blocks a delete
    protected = billing(identity="billing-2", protect=True)
    stack.up([web(chat_friendly_name="Web help"), protected, renamed])
    emulator.reset_stats()
    with pytest.raises(StepError, match="cannot be deleted because it is protected"):
        stack.up([web(chat_friendly_name="Web help"), renamed])
    assert methods(emulator) == []
    assert "billing" in sids(stack)

    # 8. retain_on_delete leaves the channel in Twilio
    retained = billing(name="vip-line", identity="vip-line", aliases=("vip",), retain_on_delete=True)
    stack.up([web(chat_friendly_name="Web help"), billing(identity="billing-2"), retained])
    emulator.reset_stats()
    assert stack.up([web(chat_friendly_name="Web help"), billing(identity="billing-2")])[-1] == ("delete", "vip-line")
    assert methods(emulator) == []
    assert by_hand.sid in {c["sid"] for c in emulator.channels()}

    # 9. destroy
    emulator.reset_stats()
    assert stack.destroy() == [("delete", "billing"), ("delete", "web")]
    assert methods(emulator) == ["DELETE /v1/Channels/…", "DELETE /v1/Channels/…"]
    assert [c["sid"] for c in emulator.channels()] == [by_hand.sid], "only the retained channel is left"
    assert stack.state == {}


def test_preview_checks_and_diffs_but_never_creates_deletes_or_reads(stack: Stack, emulator: Emulator) -> None:
    assert stack.preview([web(), billing()]) == [("create", "web"), ("create", "billing")]
    assert stack.host.calls[-2:] == ["Check", "Check"]
    stack.up([web(), billing()])
    emulator.reset_stats()
    calls = len(stack.host.calls)
    assert stack.preview([web(chat_friendly_name="New"), billing(identity=engine.UNKNOWN)]) == [
        ("replace-delete-first", "web"), ("replace-create-first", "billing"), ("delete-replaced", "billing")]
    assert stack.host.calls[calls:] == ["Check", "Diff", "Check", "Check", "Diff", "Check"]
    assert emulator.requests() == []


def test_adopting_a_missing_channel_names_it_and_creates_nothing(stack: Stack, emulator: Emulator) -> None:
    missing = "CH" + "9" * 32
    with pytest.raises(grpc.RpcError) as caught:
        stack.up([billing(import_sid=missing)])
    assert grpc_error_text(caught.value).splitlines()[-1] == (
        f"flex_provider.errors.AdoptionError: cannot adopt Flex chat channel {missing}: the account has no such "
        "channel. Check the SID (`python -m flex_provider channels list`), or remove `import` to create a new "
        "channel.")
    assert [r.method for r in emulator.requests()] == ["GET"]


def test_adopting_a_channel_of_another_flow_names_both_flows(stack: Stack, emulator: Emulator,
                                                           client: FlexClient) -> None:
    elsewhere = client.create_channel(channel_inputs("vip-line", flex_flow_sid=OTHER_FLOW))
    emulator.reset_stats()
    with pytest.raises(grpc.RpcError) as caught:
        stack.up([billing(identity="vip-line", import_sid=elsewhere.sid)])
    assert grpc_error_text(caught.value).splitlines()[-1] == (
        f"flex_provider.errors.AdoptionError: cannot adopt Flex chat channel {elsewhere.sid}: its flex_flow_sid is "
        f"{OTHER_FLOW}, but the channel declares {FLOW}, and a channel's flex_flow_sid cannot change. Declare "
        f"flex_flow_sid: {OTHER_FLOW} to adopt it as it is, or import a channel of {FLOW} (`python -m flex_provider "
        "channels list` lists them).")
    assert [r.method for r in emulator.requests()] == ["GET"]
    assert stack.state == {}


def test_import_naming_another_channel_replaces_adopting_the_new_and_deleting_the_old(
        stack: Stack, emulator: Emulator, client: FlexClient) -> None:
    first, second = (client.create_channel(channel_inputs(name)) for name in ("one", "two"))
    stack.up([billing(identity="one", import_sid=first.sid)])
    emulator.reset_stats()
    assert stack.up([billing(identity="two", import_sid=second.sid)]) == [
        ("replace-create-first", "billing"), ("delete-replaced", "billing")]
    assert [r.method for r in emulator.requests()] == ["GET", "DELETE"]
    assert sids(stack) == {"billing": second.sid}
    assert [c["sid"] for c in emulator.channels()] == [second.sid]


def test_adopting_the_channel_already_in_state_is_no_change(stack: Stack, emulator: Emulator) -> None:
    stack.up([billing()])
    [created] = stack.state.values()
    emulator.reset_stats()
    assert stack.up([billing(import_sid=created.id)]) == [("same", "billing")]
    assert emulator.requests() == []


def test_replacing_an_adopted_channel_while_import_names_it_is_refused(stack: Stack, emulator: Emulator,
                                                                       client: FlexClient) -> None:
    """The replace would adopt the same channel again and then delete it: the only channel, gone."""
    by_hand = client.create_channel(channel_inputs("vip-line"))
    stack.up([billing(identity="vip-line", import_sid=by_hand.sid)])
    emulator.reset_stats()
    with pytest.raises(StepError) as caught:
        stack.preview([billing(identity="vip-line", target="+15005550006", import_sid=by_hand.sid)])
    assert str(caught.value) == (
        f"import_sid: Flex chat channel {by_hand.sid} was adopted with `import`, and a change of target needs a "
        f"new channel: the replace would adopt {by_hand.sid} again and then delete it. Remove the `import` line "
        "first (the channel stays in the stack), then make the change."), "check refuses it, so a preview shows it"
    assert emulator.requests() == []
    assert stack.up([billing(identity="vip-line", target="+15005550006")]) == [
        ("replace-delete-first", "billing")], "without the import line it is an ordinary replace"
    assert [c["sid"] for c in emulator.channels()] != [by_hand.sid]


def test_a_create_answered_with_a_channel_made_before_is_refused(stack: Stack, emulator: Emulator,
                                                                 client: FlexClient) -> None:
    """Flex hands back the channel it has for a Flex Flow and identity; taking it as made by this create
    would give one channel two owners, and destroying either would delete the other's."""
    someone_elses = client.create_channel(channel_inputs("shared-bot"))
    emulator.backends.channels.fetch_channel(someone_elses.sid).date_created = "2024-01-01T00:00:00Z"
    emulator.reset_stats()
    with pytest.raises(grpc.RpcError) as caught:
        stack.up([billing(identity="shared-bot")])
    assert grpc_error_text(caught.value).splitlines()[-1] == (
        f"flex_provider.errors.AlreadyExistsError: the create was answered with Flex chat channel "
        f"{someone_elses.sid}, made 2024-01-01T00:00:00Z, before this run: Twilio hands back the channel it "
        f"already has for these inputs instead of creating one. If it is this channel, adopt it with `import: "
        f"{someone_elses.sid}`; if another resource owns it, give this one other inputs (chat_unique_name, "
        "flex_flow_sid, identity).")
    assert stack.state == {}
    assert [c["sid"] for c in emulator.channels()] == [someone_elses.sid]
