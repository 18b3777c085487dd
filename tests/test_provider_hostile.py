"""The provider against hostile answers and duplicate owners: one owner per Twilio object at run time, and every
value from Twilio escaped in the messages that reach Pulumi's output."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest

from flex_provider import FlexChannel
from flex_provider.client import FlexClient
from flex_provider.declarations import ADDRESS
from flex_provider.errors import ConfigurationError
from flex_provider.hosts import hosts_setting
from flex_provider.provider import AddressConfigurationProvider, FlexChannelProvider, FlexFlowProvider
from tests.engine import ProviderHost, Stack, goal, grpc_error_text
from tests.support import FLOW, channel_inputs, stack_config
from twilio_emulator import Emulator

OWNER_KEYS = "chat_unique_name, flex_flow_sid, identity"


def _held_by_another(sid: str) -> str:
    return (f"flex_provider.errors.AlreadyExistsError: the create was answered with Flex chat channel {sid}, which "
            "another resource of this run already holds: Twilio hands back the channel it already has for these "
            "inputs instead of creating one. Taking it would give one channel two owners, and destroying either "
            f"would delete the other's; give this one other inputs ({OWNER_KEYS}).")


def test_a_create_answered_with_a_channel_made_earlier_in_the_run_is_refused(stack: Stack,
                                                                             emulator: Emulator) -> None:
    """Two resources of one run (two stack files in one program, say) with one Flex Flow and identity: the second
    create is answered, seconds later, with the first one's channel; the 30-second rule cannot tell."""
    first, second = (goal(FlexChannel, name, **channel_inputs("bot")) for name in ("web", "web2"))
    with pytest.raises(grpc.RpcError) as caught:
        stack.up([first, second])
    [made] = emulator.resources("channels")
    assert grpc_error_text(caught.value).splitlines()[-1] == _held_by_another(made["sid"])
    assert [r.method for r in emulator.requests()] == ["POST", "POST"], "nothing deleted"


def test_a_create_answered_with_a_channel_the_stack_already_has_is_refused(tmp_path: Path, stack: Stack,
                                                                          emulator: Emulator) -> None:
    """The next run (a new provider process) sees the existing channel in its diff: a new resource answered with
    it is refused however young the channel is."""
    first = goal(FlexChannel, "web", **channel_inputs("bot"))
    stack.up([first])
    next_run = ProviderHost(tmp_path / "next-run")
    try:
        next_run.configure(stack_config(emulator))
        again = Stack(next_run, state=stack.state)
        with pytest.raises(grpc.RpcError) as caught:
            again.up([first, goal(FlexChannel, "web2", **channel_inputs("bot"))])
    finally:
        next_run.close()
    [made] = emulator.resources("channels")
    assert grpc_error_text(caught.value).splitlines()[-1] == _held_by_another(made["sid"])


def test_a_channel_adopted_by_two_resources_of_one_run_is_refused_for_the_second_before_anything_is_sent(
        stack: Stack, emulator: Emulator, client: FlexClient) -> None:
    """Two resources with one `import:` SID (two stack files, or a program of its own): the second would give the
    channel two owners, and removing it later would delete the first one's channel."""
    existing = client.create_channel(channel_inputs("made-by-hand")).sid
    first, second = (goal(FlexChannel, name, **channel_inputs("made-by-hand", import_sid=existing))
                     for name in ("one", "two"))
    emulator.reset_stats()
    with pytest.raises(grpc.RpcError) as caught:
        stack.up([first, second])
    assert grpc_error_text(caught.value).splitlines()[-1] == (
        f"flex_provider.errors.AlreadyExistsError: cannot adopt Flex chat channel {existing}: another resource of "
        "this run already holds it (it created, adopted or manages it). Two resources adopting one channel would "
        "give it two owners, and destroying either would delete the other's; adopt it in one place only.")
    assert [r.method for r in emulator.requests()] == ["GET"], "the second adoption sent nothing"
    assert [c["sid"] for c in emulator.resources("channels")] == [existing]


def test_a_resource_deleted_in_the_run_no_longer_holds_its_channel(stack: Stack, emulator: Emulator) -> None:
    """A replace that deletes first frees the channel: the same inputs may create it anew (no false refusal)."""
    stack.up([goal(FlexChannel, "web", **channel_inputs("bot"))])
    assert stack.up([goal(FlexChannel, "web", **channel_inputs("bot", target="+15005550006"))]) == [
        ("replace-delete-first", "web")]
    assert len(emulator.resources("channels")) == 1


def test_check_refuses_an_auto_creation_lacking_what_its_type_needs() -> None:
    """Python programs get the stack file's rule: the provider's check applies the same declaration."""
    result = AddressConfigurationProvider().check({}, {"type": "sms", "address": "+15005550006", "auto_creation": {
        "enabled": True, "type": "webhook", "webhook_method": "post"}})
    assert [(f.property, f.reason) for f in result.failures] == [
        ("auto_creation.webhook_url", "is required when auto_creation.type is webhook")]
    assert ADDRESS.by_name["address_country"].problem("USA") == (
        "must be an ISO 3166-1 alpha-2 country code, two capital letters such as US, not 'USA'")


def test_check_names_an_unknown_input_escaped() -> None:
    """The engine prints a failure's property as it is given: a look-alike letter (Cyrillic `с`) read as the input it
    imitates, beside a list that holds it, and an escape sequence or newline in a key (from a YAML program) reached
    the terminal. Keys are shown as stack files show them, with the input they resemble."""
    checked = FlexChannelProvider().check({}, {**channel_inputs("bot"), "\u0441hat_unique_name": "web-1",
                                               "x\x1b[2J\nforged": 1})
    assert [(f.property, f.reason) for f in checked.failures] == [
        ("'\\u0441hat_unique_name'", "is not a FlexChannel input; did you mean 'chat_unique_name'?"),
        ("'x\\x1b[2J\\nforged'", "is not a FlexChannel input; known: flex_flow_sid, identity, chat_user_friendly_name, "
                                 "chat_friendly_name, target, chat_unique_name, pre_engagement_data, task_sid, "
                                 "task_attributes, long_lived, import_sid")]
    flow = FlexFlowProvider().check({}, {"friendly_name": "Web", "chat_service_sid": "IS" + "1" * 32,
                                         "channel_type": "web", "integration": {"flow_s\u0456d": "FW" + "1" * 32}})
    assert [(f.property, f.reason) for f in flow.failures] == [
        ("integration.'flow_s\\u0456d'", "is not a key of integration; did you mean 'flow_sid'?")]


def test_what_twilio_holds_is_escaped_in_an_adoption_error(stack: Stack, emulator: Emulator,
                                                           client: FlexClient) -> None:
    by_hand = client.create_channel(channel_inputs("vip"))
    emulator.backends["channels"].fetch(by_hand.sid).flex_flow_sid = "FO\x1b[2J\n::error::forged"
    with pytest.raises(grpc.RpcError) as caught:
        stack.up([goal(FlexChannel, "vip", import_sid=by_hand.sid, **channel_inputs("vip"))])
    last = grpc_error_text(caught.value).splitlines()[-1]
    assert last.startswith(f"flex_provider.errors.AdoptionError: cannot adopt Flex chat channel {by_hand.sid}: its "
                           f"flex_flow_sid is 'FO\\x1b[2J\\n::error::forged', but the channel declares {FLOW}")
    assert "\x1b" not in grpc_error_text(caught.value)


@pytest.mark.parametrize(("configured", "environ"), [("1" * 5000, {}), (None, {"FLEX_HOSTS": "9" * 5000})])
def test_a_host_count_int_cannot_read_is_a_configuration_error(configured: str | None,
                                                               environ: dict[str, str]) -> None:
    """int() refuses more than 4,300 digits with a ValueError, which reached the program as a traceback."""
    digit = (configured or environ["FLEX_HOSTS"])[0]
    with pytest.raises(ConfigurationError) as caught:
        hosts_setting(configured, environ)
    assert str(caught.value) == (f"flex:hosts / FLEX_HOSTS must be a whole number from 1 to 32, not '{digit * 20}'…")


def test_a_whole_number_past_what_json_and_grpc_carry_is_refused_not_a_crash() -> None:
    """float() of a 400-digit int overflowed inside check (a traceback in Pulumi's output); 1e300 passed and was sent
    as 301 digits."""
    flow = {"friendly_name": "Web", "chat_service_sid": "IS" + "1" * 32, "channel_type": "web"}
    result = FlexFlowProvider().check({}, {**flow, "integration": {"timeout": 10**400, "priority": 1e300}})
    assert [(f.property, f.reason) for f in result.failures] == [
        ("integration.timeout", "must be from -9007199254740992 to 9007199254740992, not a whole number of 1329 bits"),
        ("integration.priority", "must be from -9007199254740992 to 9007199254740992, not the number 1e+300")]


def test_json_data_with_a_number_too_long_to_write_says_so() -> None:
    """It said 'holds NaN or an infinity'."""
    result = FlexChannelProvider().check({}, channel_inputs(pre_engagement_data={"a": [10**5000]}))
    assert [(f.property, f.reason) for f in result.failures] == [
        ("pre_engagement_data", "holds a whole number too long to write (Python writes 4,300 digits at most)")]
