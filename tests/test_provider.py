"""FlexChannelProvider's methods: check and diff rules, then the lifecycle against the emulator."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.dynamic import Config, ConfigureRequest

from flex_provider.errors import (
    AuthenticationError,
    ConfigurationError,
    FlexError,
    OutcomeUnknownError,
    RateLimitedError,
    ValidationError,
)
from flex_provider.provider import UNKNOWN, FlexChannelProvider
from tests.support import FLOW, channel_inputs, methods
from twilio_emulator import Emulator, Faults

TASK = "WT" + "b" * 32


def configured(emulator: Emulator, **extra: str) -> FlexChannelProvider:
    provider = FlexChannelProvider()
    config = {"twilio:accountSid": emulator.account_sid, "twilio:authToken": emulator.auth_token,
              "flex:apiUrl": emulator.base_url, **extra}
    provider.configure(ConfigureRequest(Config(config, "flex-channels")))
    return provider


@pytest.fixture
def provider(emulator: Emulator) -> FlexChannelProvider:
    return configured(emulator)


def failures(news: dict[str, Any]) -> list[tuple[str, str]]:
    return [(f.property, f.reason) for f in FlexChannelProvider().check({}, news).failures]


# check


def test_check_accepts_valid_inputs_and_normalizes_json() -> None:
    result = FlexChannelProvider().check({}, channel_inputs(
        pre_engagement_data={"z": 1.0, "a": [True]}, task_attributes='{"b": 2,  "a": 1}', long_lived=True,
        __provider="serialized"))
    assert result.failures == []
    assert result.inputs == {**channel_inputs(), "pre_engagement_data": '{"a":[true],"z":1}',
                             "task_attributes": '{"a":1,"b":2}', "long_lived": True}


def test_check_reports_every_problem_by_property() -> None:
    assert failures({"flex_flow_sid": "FO12", "identity": 7, "task_sid": "WT", "long_lived": "yes",
                     "pre_engagement_data": "{", "colour": "red"}) == [
        ("colour", "is not a FlexChannel input; known: flex_flow_sid, identity, chat_user_friendly_name, "
                   "chat_friendly_name, target, chat_unique_name, pre_engagement_data, task_sid, task_attributes, "
                   "long_lived, import_sid"),
        ("flex_flow_sid", "must be an FO SID: 'FO' and 32 hex digits (pattern ^FO[0-9a-fA-F]{32}$); found 'FO' and "
                          "2 hex digits"),
        ("identity", "must be a string, not the number 7"),
        ("chat_user_friendly_name", "is required"),
        ("chat_friendly_name", "is required"),
        ("pre_engagement_data", "is not valid JSON: Expecting property name enclosed in double quotes: "
                                "line 1 column 2 (char 1)"),
        ("task_sid", "must be a WT SID: 'WT' and 32 hex digits (pattern ^WT[0-9a-fA-F]{32}$); found 'WT' and 0 hex "
                     "digits"),
        ("long_lived", "must be true or false, not the string 'yes'"),
    ]


def _nested(levels: int) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for _ in range(levels - 1):
        data = {"a": data}
    return data


@pytest.mark.parametrize(("value", "reason"), [
    ('{"a": NaN}', "is not valid JSON: NaN is not a JSON number"),
    ('{"a": 1e400}', "is not valid JSON: the number 1e400 is too large for JSON"),
    ("[" * 100_000 + "]" * 100_000, "is not valid JSON: nests 100000 levels deep; at most 64 are allowed"),
    ({"a": [1, float("nan")]}, "holds NaN or an infinity, which JSON has no number for"),
    ({"a": float("-inf")}, "holds NaN or an infinity, which JSON has no number for"),
    (_nested(100_000), "nests too deeply; at most 64 levels are allowed"),
])
def test_check_refuses_what_python_parses_but_json_has_not(value: object, reason: str) -> None:
    """Each of these raised out of check (ValueError, RecursionError) instead of becoming a CheckFailure."""
    assert failures(channel_inputs(pre_engagement_data=value, task_attributes=value)) == [
        ("pre_engagement_data", reason), ("task_attributes", reason)]


def test_check_refuses_sids_and_import_with_a_trailing_newline() -> None:
    assert failures(channel_inputs(flex_flow_sid=FLOW + "\n", task_sid=TASK + "\n",
                                   import_sid="CH" + "c" * 32 + "\n")) == [
        ("flex_flow_sid", "must be an FO SID: 'FO' and 32 hex digits (pattern ^FO[0-9a-fA-F]{32}$); found 'FO' and "
                          "33 characters, 32 of them hex digits"),
        ("task_sid", "must be a WT SID: 'WT' and 32 hex digits (pattern ^WT[0-9a-fA-F]{32}$); found 'WT' and 33 "
                     "characters, 32 of them hex digits"),
        ("import_sid", "must be the SID of an existing channel: 'CH' and 32 hex digits; found 'CH' and 33 characters, "
                       "32 of them hex digits"),
    ]


def test_check_lets_values_unknown_at_preview_through() -> None:
    result = FlexChannelProvider().check({}, channel_inputs(flex_flow_sid=UNKNOWN))
    assert result.failures == []
    assert result.inputs["flex_flow_sid"] == UNKNOWN


def test_check_makes_no_api_call(emulator: Emulator, provider: FlexChannelProvider) -> None:
    provider.check({}, channel_inputs())
    provider.check({}, {"identity": 1})
    assert emulator.requests() == []


# diff


def stored(**extra: Any) -> dict[str, Any]:
    """Outputs as state keeps them: inputs plus the API's fields."""
    return {**channel_inputs(**extra), "sid": "CH" + "c" * 32, "user_sid": "US" + "d" * 32, "task_sid": TASK,
            "__provider": "serialized"}


def test_diff_of_unchanged_inputs_is_no_change() -> None:
    olds = stored(pre_engagement_data='{"a":1}')
    news = {**channel_inputs(pre_engagement_data='{"a":1}'), "__provider": "serialized"}
    result = FlexChannelProvider().diff("CH" + "c" * 32, olds, news)
    assert (result.changes, result.replaces, result.delete_before_replace) == (False, [], False)


def test_server_assigned_task_sid_is_not_a_change_unless_an_input_asks_otherwise() -> None:
    provider = FlexChannelProvider()
    assert provider.diff("id", stored(), channel_inputs()).changes is False
    assert provider.diff("id", stored(), channel_inputs(task_sid=TASK)).changes is False
    assert provider.diff("id", stored(), channel_inputs(task_sid="WT" + "e" * 32)).replaces == ["task_sid"]


def test_every_changed_input_is_listed_as_a_replace() -> None:
    result = FlexChannelProvider().diff("id", stored(), channel_inputs(
        identity="other", chat_friendly_name="Renamed", long_lived=False))
    assert result.changes is True
    assert result.replaces == ["identity", "chat_friendly_name", "long_lived"]
    assert result.delete_before_replace is False


def test_same_unique_name_means_delete_before_replace() -> None:
    result = FlexChannelProvider().diff("id", stored(chat_unique_name="web"),
                                        channel_inputs("other", chat_unique_name="web"))
    assert (result.replaces, result.delete_before_replace) == (["identity"], True)


def test_same_flow_and_identity_means_delete_before_replace() -> None:
    result = FlexChannelProvider().diff("id", stored(), channel_inputs(chat_friendly_name="Renamed"))
    assert (result.replaces, result.delete_before_replace) == (["chat_friendly_name"], True)


def test_unknown_new_value_is_a_replace() -> None:
    assert FlexChannelProvider().diff("id", stored(), channel_inputs(identity=UNKNOWN)).replaces == ["identity"]


# lifecycle


def test_lifecycle_create_read_diff_replace_delete(provider: FlexChannelProvider, emulator: Emulator) -> None:
    news = provider.check({}, channel_inputs(chat_unique_name="web", pre_engagement_data={"topic": "billing"})).inputs

    created = provider.create(news)
    [post] = emulator.requests("POST")
    assert post.form["PreEngagementData"] == '{"topic":"billing"}'
    assert created.id == created.outs["sid"]
    assert created.outs["flex_flow_sid"] == FLOW
    assert created.outs["chat_unique_name"] == "web"
    assert created.outs["user_sid"].startswith("US")

    read = provider.read(created.id, created.outs)
    assert (read.id, read.outs) == (created.id, created.outs)
    read.outs["__provider"] = "serialized"  # as the dynamic host stores the outputs of every call

    assert provider.diff(created.id, read.outs, news).changes is False
    replace = provider.diff(created.id, read.outs, {**news, "chat_friendly_name": "New name"})
    assert (replace.replaces, replace.delete_before_replace) == (["chat_friendly_name"], True)

    provider.delete(created.id, read.outs)
    assert emulator.resources("channels") == []
    gone = provider.read(created.id, read.outs)
    assert (gone.id, gone.outs) == ("", {})


def test_deleting_a_channel_already_gone_succeeds(provider: FlexChannelProvider, emulator: Emulator) -> None:
    provider.delete("CH" + "0" * 32, {})
    assert methods(emulator) == ["DELETE"]


def test_a_read_by_id_alone_leaves_what_twilio_does_not_return_unknown_and_replaces_nothing_for_it(
        provider: FlexChannelProvider, emulator: Emulator) -> None:
    """`get`, or the native provider's `pulumi import`: a channel's identity and names are not in its fetch."""
    existing = provider.create(channel_inputs())
    read = provider.read(existing.id, {"__provider": "serialized"})
    assert read.id == existing.id
    unknown = ["identity", "chat_user_friendly_name", "chat_friendly_name", "target", "chat_unique_name",
               "pre_engagement_data", "task_attributes", "long_lived"]
    assert [name for name, value in read.outs.items() if value is None and name != "task_sid"] == unknown
    stored = {**read.outs, "__provider": "serialized"}
    diff = provider.diff(existing.id, stored, channel_inputs())
    assert (diff.changes, diff.replaces) == (True, []), "the declared values are recorded by an update"
    emulator.reset_stats()
    assert provider.update(existing.id, stored, channel_inputs()).outs["identity"] == "customer-1"
    assert emulator.requests() == [], "which sends nothing"


def test_import_of_a_malformed_id_says_so_and_sends_nothing(provider: FlexChannelProvider, emulator: Emulator) -> None:
    with pytest.raises(FlexError, match=r"^'web-1' is not a Flex chat channel SID \('CH' and 32 hex digits\); "
                                        r"check the id given to `get` \(or in the state\)$"):
        provider.read("web-1", {})
    assert emulator.requests() == []


def test_wrong_credentials_reach_the_user_as_twilio_said(emulator: Emulator) -> None:
    provider = configured(emulator, **{"twilio:authToken": "not-the-token"})
    with pytest.raises(AuthenticationError) as caught:
        provider.create(channel_inputs())
    assert str(caught.value) == (f"POST {emulator.base_url}/v1/Channels returned HTTP 401 (Twilio error 20003): "
                                 "Authenticate. See https://www.twilio.com/docs/errors/20003 "
                                 f"{AuthenticationError.advice}")
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__ is True


def test_bad_input_that_passes_check_is_refused_by_the_api(provider: FlexChannelProvider) -> None:
    with pytest.raises(ValidationError, match="Missing required parameter Identity in the post body"):
        provider.create({**channel_inputs(), "identity": ""})


def test_a_429_storm_that_outlasts_the_retries_surfaces_as_rate_limited(emulator: Emulator) -> None:
    provider = configured(emulator, **{"flex:maxRetries": "2"})
    emulator.set_faults(Faults(rate_429=1.0, retry_after=0))
    with pytest.raises(RateLimitedError, match=r"HTTP 429 \(Twilio error 20429\): Too many requests"):
        provider.read("CH" + "0" * 32, {})
    assert len(emulator.requests("GET")) == 3


def test_lost_create_answer_tells_how_to_adopt(provider: FlexChannelProvider, emulator: Emulator) -> None:
    emulator.set_faults(Faults(drop_after_create=1.0))
    with pytest.raises(OutcomeUnknownError, match="adopt it with `import: CH…`"):
        provider.create(channel_inputs())
    assert len(emulator.requests("POST")) == 1


def test_missing_credentials_fail_the_first_api_call_not_the_preview(emulator: Emulator,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_API_KEY", "TWILIO_API_SECRET"):
        monkeypatch.delenv(name, raising=False)
    provider = FlexChannelProvider()
    provider.configure(ConfigureRequest(Config({"flex:apiUrl": emulator.base_url}, "flex-channels")))
    assert provider.check({}, channel_inputs()).failures == []
    with pytest.raises(ConfigurationError, match="Twilio credentials are missing"):
        provider.create(channel_inputs())
    assert emulator.requests() == []


def test_a_change_to_a_channel_is_refused_by_update_rather_than_losing_outputs() -> None:
    stored = {**channel_inputs(), "__provider": "p"}
    with pytest.raises(FlexError, match="cannot be updated in place"):
        FlexChannelProvider().update("CH" + "a" * 32, stored, {**stored, "identity": "someone-else"})


def test_an_update_with_nothing_to_send_keeps_the_outputs_and_calls_no_api(emulator: Emulator) -> None:
    """A resource moving from the native front end (it has no `__provider` in state): its outputs, unchanged."""
    stored = {**channel_inputs(), "sid": "CH" + "a" * 32, "user_sid": "US" + "b" * 32}
    outputs = configured(emulator).update("CH" + "a" * 32, stored, {**channel_inputs(), "__provider": "p"}).outs
    assert outputs == stored
    assert emulator.requests() == []


def test_a_malformed_id_is_echoed_escaped_and_cut(provider: FlexChannelProvider, emulator: Emulator) -> None:
    """An id from `pulumi import` or `get` is the user's text: a newline in it must not forge a line of output."""
    with pytest.raises(FlexError) as caught:
        provider.read("CH" + "a" * 32 + "\n::error::forged" + "x" * 500, {})
    assert str(caught.value) == (f"{'CH' + 'a' * 32 + chr(10) + '::error::forged' + 'x' * 10!r}… is not a Flex chat "
                                 "channel SID ('CH' and 32 hex digits); check the id given to `get` (or in the state)")
    assert emulator.requests() == []
