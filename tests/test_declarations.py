"""Each declaration against the API contract (Twilio's specs), and the encoding it drives."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from flex_provider.declaration import Field, Reference, ResourceType, in_dependency_order
from flex_provider.declarations import ADDRESS, CHANNEL, FLEX_FLOW, RESOURCE_TYPES
from flex_provider.kinds import Kind
from tests import spec_contract

OPERATIONS: dict[str, Any] = spec_contract.load_emulator_contract()
"""Every operation's parameters as Twilio's specs give them (cut by tests/spec_contract.py, kept equal by a test)."""
RESOURCES: dict[str, Any] = spec_contract.load_resources()
"""Each resource's answer as the specs give it, by the noun of its operations."""
REPLACED_ALTHOUGH_THE_API_UPDATES_IT = {(FLEX_FLOW, "chat_service_sid")}
"""Deliberate: a flow's channels live in its chat service (declarations/flex_flow.py)."""
URL_ALTHOUGH_THE_SPEC_GIVES_NO_FORMAT = {(ADDRESS, "AutoCreation.WebhookUrl")}
"""Assumed: a URL Twilio calls is an absolute http(s) URL, whether or not the spec says `format: uri`
(declarations/address.py; docs/development.md, Assumed Twilio behaviour)."""
BY_TYPE = pytest.mark.parametrize("rtype", RESOURCE_TYPES, ids=[rtype.name for rtype in RESOURCE_TYPES])


def _operation(rtype: ResourceType, verb: str) -> dict[str, Any] | None:
    """The declared resource's operation (`CreateChannel`), at the declared host and path, if the API has it."""
    found = OPERATIONS.get(f"{verb}{rtype.operation}")
    if found is not None:
        path = rtype.path if verb in ("Create", "List") else f"{rtype.path}/{{Sid}}"
        assert (found["api"], found["path"]) == (rtype.api, path), verb
    return found


def _leaves(fields: tuple[Field, ...]) -> list[Field]:
    """The fields as the API has them: a mapping's keys are parameters of their own (`AutoCreation.Type`)."""
    return [leaf for spec in fields for leaf in (spec.fields or (spec,))]


def test_fixtures_are_what_the_shared_specs_say() -> None:
    if not (spec_contract.SPEC.exists() and spec_contract.CONVERSATIONS_SPEC.exists()):
        pytest.skip(f"{spec_contract.SPECS_DIR} is not here; the shipped fixtures are used as they are")
    assert spec_contract.load_fixture() == spec_contract.derive(json.loads(spec_contract.SPEC.read_text()))
    assert spec_contract.load_conversations_fixture() == spec_contract.derive_conversations(
        json.loads(spec_contract.CONVERSATIONS_SPEC.read_text()))


@BY_TYPE
def test_every_field_is_a_create_parameter_with_its_rules(rtype: ResourceType) -> None:
    create = _operation(rtype, "Create")
    assert create is not None
    params = create["params"]
    leaves = [leaf for leaf in _leaves(rtype.fields) if leaf not in rtype.path_fields]
    assert sorted(spec.api_name for spec in leaves) == sorted(params)
    for spec in leaves:
        rule = params[spec.api_name]
        assert (spec.required, spec.pattern, list(spec.choices)) == (
            rule.get("required", False), rule.get("pattern"), rule.get("enum", [])), spec.api_name
        assert spec.kind.api_type == rule["type"], spec.api_name
        assumed = (rtype, spec.api_name) in URL_ALTHOUGH_THE_SPEC_GIVES_NO_FORMAT
        assert (spec.kind is Kind.URL) == (rule.get("format") == "uri" or assumed), spec.api_name


@BY_TYPE
def test_a_field_updates_in_place_exactly_when_the_update_body_has_it(rtype: ResourceType) -> None:
    update = _operation(rtype, "Update")
    body = update["params"] if update else {}
    for spec in _leaves(rtype.fields):
        if (rtype, spec.name) in REPLACED_ALTHOUGH_THE_API_UPDATES_IT:
            assert spec.api_name in body and not spec.updatable
        else:
            assert spec.updatable == (spec.api_name in body), spec.api_name
    for spec in rtype.fields:
        if spec.fields:
            assert spec.updatable == any(sub.updatable for sub in spec.fields), spec.name
    assert rtype.updatable == (update is not None)


@BY_TYPE
def test_outputs_are_the_response_schema_properties(rtype: ResourceType) -> None:
    assert sorted(rtype.outputs) == sorted(RESOURCES[rtype.operation]["properties"])
    assert set(rtype.exports) <= set(rtype.outputs) and set(rtype.columns) <= set(rtype.outputs)


@BY_TYPE
def test_listing_uses_the_list_operations_key_page_size_and_filters(rtype: ResourceType) -> None:
    listing = _operation(rtype, "List")
    assert listing is not None
    assert listing["list_key"] == rtype.list_key
    assert listing["params"]["PageSize"]["maximum"] == rtype.max_page_size
    for list_filter in rtype.list_filters:
        assert list_filter.query is None or list_filter.query in listing["params"]
        assert list_filter.output in rtype.outputs


def test_the_declared_order_is_a_dependency_order_and_a_circle_is_refused() -> None:
    """A program declares each type after the types its references name; the registry's order already is one."""
    assert in_dependency_order(RESOURCE_TYPES) == RESOURCE_TYPES
    assert in_dependency_order((CHANNEL, ADDRESS, FLEX_FLOW)) == (ADDRESS, FLEX_FLOW, CHANNEL)
    circle = dataclasses.replace(FLEX_FLOW, fields=(*FLEX_FLOW.fields, Field(
        "owner", "Owner", Kind.SID, "A channel.", sid_prefix="CH", reference=Reference("channel", "channels", "id"))))
    with pytest.raises(ValueError, match=r"^the references of FlexChannel, FlexFlow go round in a circle$"):
        in_dependency_order((CHANNEL, circle))


def test_the_api_answers_enums_in_another_case_than_it_takes_them() -> None:
    """Twilio takes `post` and answers `POST`; stored in the declared form, equal data shows no diff."""
    answer = {"sid": "IG" + "0" * 32, "type": "SMS", "auto_creation": {
        "enabled": True, "type": "webhook", "webhook_method": "POST", "webhook_filters": ["onMessageAdded"],
        "studio_retry_count": 3.0, "unmanaged": "dropped"}}
    outputs = ADDRESS.outputs_from(answer)
    assert (outputs["type"], outputs["auto_creation"]) == ("sms", {
        "enabled": True, "type": "webhook", "webhook_method": "post", "webhook_filters": ["onMessageAdded"],
        "studio_retry_count": 3})


def test_a_mapping_spreads_into_its_parameters_and_a_list_repeats_its_own() -> None:
    form = ADDRESS.to_form({"type": "sms", "address": "+15005550006", "auto_creation": {
        "enabled": False, "webhook_filters": ["onMessageAdded", "onParticipantAdded"], "studio_retry_count": 2}})
    assert form == {"Type": "sms", "Address": "+15005550006", "AutoCreation.Enabled": "false",
                    "AutoCreation.WebhookFilters": ["onMessageAdded", "onParticipantAdded"],
                    "AutoCreation.StudioRetryCount": "2"}


@pytest.mark.parametrize(("name", "value", "reason"), [
    ("flex_flow_sid", "FO123", "must be an FO SID: 'FO' and 32 hex digits (pattern ^FO[0-9a-fA-F]{32}$); found 'FO' "
                               "and 3 hex digits"),
    ("flex_flow_sid", "FO" + "1" * 31, "must be an FO SID: 'FO' and 32 hex digits (pattern ^FO[0-9a-fA-F]{32}$); "
                                       "found 'FO' and 31 hex digits"),
    ("flex_flow_sid", "IS" + "1" * 32, "must be an FO SID: 'FO' and 32 hex digits (pattern ^FO[0-9a-fA-F]{32}$); "
                                       "found 'IS' and 32 hex digits"),
    ("task_sid", "", "must be a WT SID: 'WT' and 32 hex digits (pattern ^WT[0-9a-fA-F]{32}$); found an empty string"),
    ("task_sid", "WT" + "g" * 32, "must be a WT SID: 'WT' and 32 hex digits (pattern ^WT[0-9a-fA-F]{32}$); found 'WT' "
                                  "and 32 characters, 0 of them hex digits"),
    ("task_sid", "WT" + "a" * 31 + "\n", "must be a WT SID: 'WT' and 32 hex digits (pattern ^WT[0-9a-fA-F]{32}$); "
                                         "found 'WT' and 32 characters, 31 of them hex digits"),
    ("identity", 42, "must be a string, not the number 42"),
    ("identity", "  ", "must not be empty"),
    ("long_lived", "yes", "must be true or false, not the string 'yes'"),
    ("pre_engagement_data", "{nope", "is not valid JSON: Expecting property name enclosed in double quotes: "
                                     "line 1 column 2 (char 1)"),
    ("task_attributes", [1], "must be a mapping or a JSON string, not a list"),
    ("target", None, "must be a string, not null"),
])
def test_bad_values_say_why(name: str, value: object, reason: str) -> None:
    assert CHANNEL.by_name[name].problem(value) == reason


@pytest.mark.parametrize(("name", "value", "reason"), [
    ("type", "fax", "must be one of sms, whatsapp, messenger, gbm, email, rcs, apple, chat; not 'fax'"),
    ("address", " ", "must not be empty"),
    ("auto_creation", {"webhook_method": "POST"}, "webhook_method: must be one of get, post; not 'POST'"),
    ("auto_creation", {"conversation_service_sid": "IS1"},
     "conversation_service_sid: must be an IS SID: 'IS' and 32 hex digits (pattern ^IS[0-9a-fA-F]{32}$); found 'IS' "
     "and 1 hex digit"),
    ("auto_creation", {"webhook_filters": "onMessageAdded"},
     "webhook_filters: must be a list of strings, not the string 'onMessageAdded'"),
    ("auto_creation", {"retries": 1}, "retries: is not a key of auto_creation; known: enabled, type, "
                                      "conversation_service_sid, webhook_url, webhook_method, webhook_filters, "
                                      "studio_flow_sid, studio_retry_count"),
])
def test_bad_address_values_say_why(name: str, value: object, reason: str) -> None:
    assert ADDRESS.by_name[name].problem(value) == reason


def test_json_fields_encode_canonically_whatever_their_form() -> None:
    as_mapping = CHANNEL.to_form({"pre_engagement_data": {"b": [1, 2], "a": "x"}})
    as_text = CHANNEL.to_form({"pre_engagement_data": '{ "a": "x", "b": [1,2] }'})
    assert as_mapping == as_text == {"PreEngagementData": '{"a":"x","b":[1,2]}'}
