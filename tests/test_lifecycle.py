"""Lifecycle conformance: ordered steps on one stack, through the engine-step driver, against the emulator.

In the style of Terraform's acceptance tests: each step is an `up` (or refresh, preview, destroy)
of the program as it would be at that point, and asserts the requests the emulator received and
the state that results. The steps the engine takes are in tests/engine.py, each naming the engine
function it mirrors. The life every resource type goes through (create, update, replace, drift,
adoption) is written once for all of them in tests/test_scenarios.py; here, what is the engine's or
the channel's own: replace order, options, preview, adoption's edge cases, a handed-back channel.
"""

from __future__ import annotations

import grpc
import pytest

from flex_provider import FlexChannel
from flex_provider.client import FlexClient
from tests import engine
from tests.engine import Goal, Stack, StepError, goal, grpc_error_text
from tests.support import calls, channel_inputs, ids, methods
from twilio_emulator import Emulator


def web(**extra: object) -> Goal:
    return goal(FlexChannel, "web", **channel_inputs("web-bot", chat_unique_name="web", **extra))


def billing(**extra: object) -> Goal:
    options = {k: extra.pop(k) for k in ("protect", "retain_on_delete", "aliases") if k in extra}
    return goal(FlexChannel, extra.pop("name", "billing"), **options, **channel_inputs(
        str(extra.pop("identity", "billing-desk")), **extra))


def test_a_replace_deletes_the_old_channel_first_only_when_the_new_one_would_collide(
        stack: Stack, emulator: Emulator) -> None:
    """web keeps its unique name, so the old channel must go first; billing changes its identity, so the new one is
    created first and the old deleted once every resource is registered."""
    assert stack.up([web(), billing()]) == [("create", "web"), ("create", "billing")]
    assert stack.host.calls[-4:] == ["Check", "Create", "Check", "Create"]
    first = ids(stack)
    emulator.reset_stats()
    assert stack.up([web(chat_friendly_name="Web help"), billing(identity="billing-2")]) == [
        ("replace-delete-first", "web"), ("replace-create-first", "billing"), ("delete-replaced", "billing")]
    assert calls(emulator) == ["DELETE /v1/Channels/…", "POST /v1/Channels", "POST /v1/Channels",
                               "DELETE /v1/Channels/…"]
    second = ids(stack)
    assert second["web"] != first["web"] and second["billing"] != first["billing"]
    assert sorted(c["sid"] for c in emulator.resources("channels")) == sorted(second.values())


def test_options_through_a_stacks_life(stack: Stack, emulator: Emulator, client: FlexClient) -> None:
    """A rename through an alias, protect and retain_on_delete: options of every resource, shown on channels."""
    by_hand = client.create_channel(channel_inputs("vip-line"))
    stack.up([billing(), billing(name="vip", identity="vip-line", import_sid=by_hand.sid)])

    # rename through an alias: no request, the same channel
    emulator.reset_stats()
    renamed = billing(name="vip-line", identity="vip-line", aliases=("vip",))
    assert stack.up([billing(), renamed])[1] == ("same", "vip-line")
    assert calls(emulator) == []
    assert ids(stack)["vip-line"] == by_hand.sid

    # protect blocks a delete
    stack.up([billing(protect=True), renamed])
    emulator.reset_stats()
    with pytest.raises(StepError, match="cannot be deleted because it is protected"):
        stack.up([renamed])
    assert calls(emulator) == []
    assert "billing" in ids(stack)

    # retain_on_delete leaves the channel in Twilio
    stack.up([billing(), billing(name="vip-line", identity="vip-line", aliases=("vip",), retain_on_delete=True)])
    emulator.reset_stats()
    assert stack.up([billing()])[-1] == ("delete", "vip-line")
    assert calls(emulator) == []
    assert by_hand.sid in {c["sid"] for c in emulator.resources("channels")}

    # destroy: only the retained channel is left
    emulator.reset_stats()
    assert stack.destroy() == [("delete", "billing")]
    assert calls(emulator) == ["DELETE /v1/Channels/…"]
    assert [c["sid"] for c in emulator.resources("channels")] == [by_hand.sid]
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


def test_import_naming_another_channel_replaces_adopting_the_new_and_deleting_the_old(
        stack: Stack, emulator: Emulator, client: FlexClient) -> None:
    first, second = (client.create_channel(channel_inputs(name)) for name in ("one", "two"))
    stack.up([billing(identity="one", import_sid=first.sid)])
    emulator.reset_stats()
    assert stack.up([billing(identity="two", import_sid=second.sid)]) == [
        ("replace-create-first", "billing"), ("delete-replaced", "billing")]
    assert methods(emulator) == ["GET", "DELETE"]
    assert ids(stack) == {"billing": second.sid}
    assert [c["sid"] for c in emulator.resources("channels")] == [second.sid]


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
    assert [c["sid"] for c in emulator.resources("channels")] != [by_hand.sid]


def test_a_create_answered_with_a_channel_made_before_is_refused(stack: Stack, emulator: Emulator,
                                                                 client: FlexClient) -> None:
    """Flex hands back the channel it has for a Flex Flow and identity; taking it as made by this create
    would give one channel two owners, and destroying either would delete the other's."""
    someone_elses = client.create_channel(channel_inputs("shared-bot"))
    emulator.backends["channels"].fetch(someone_elses.sid).date_created = "2024-01-01T00:00:00Z"
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
    assert [c["sid"] for c in emulator.resources("channels")] == [someone_elses.sid]
