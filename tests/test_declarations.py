"""The field table against the API contract, and the encoding it drives."""

from __future__ import annotations

import json

import pytest

from flex_provider.declarations import CHANNEL
from tests import spec_contract


def test_fixture_is_what_the_shared_spec_says() -> None:
    if not spec_contract.SPEC.exists():
        pytest.skip(f"{spec_contract.SPEC} is not here; the shipped fixture is used as it is")
    assert spec_contract.load_fixture() == spec_contract.derive(json.loads(spec_contract.SPEC.read_text()))


def test_field_table_matches_the_create_request_schema() -> None:
    request = spec_contract.load_fixture()["create_request"]
    assert sorted(f.api_name for f in CHANNEL.fields) == sorted(request["properties"])
    assert sorted(f.api_name for f in CHANNEL.fields if f.required) == sorted(request["required"])
    for spec in CHANNEL.fields:
        prop = request["properties"][spec.api_name]
        assert spec.pattern == prop.get("pattern"), spec.name
        assert (spec.kind.value == "boolean") == (prop["type"] == "boolean"), spec.name


def test_outputs_are_the_channel_schema_properties() -> None:
    assert sorted(CHANNEL.outputs) == sorted(spec_contract.load_fixture()["channel"]["properties"])


@pytest.mark.parametrize(("name", "value", "reason"), [
    ("flex_flow_sid", "FO123", "must be a FO SID: 'FO' and 32 hex digits (pattern ^FO[0-9a-fA-F]{32}$)"),
    ("task_sid", "WT" + "g" * 32, "must be a WT SID: 'WT' and 32 hex digits (pattern ^WT[0-9a-fA-F]{32}$)"),
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


def test_json_fields_encode_canonically_whatever_their_form() -> None:
    as_mapping = CHANNEL.to_form({"pre_engagement_data": {"b": [1, 2], "a": "x"}})
    as_text = CHANNEL.to_form({"pre_engagement_data": '{ "a": "x", "b": [1,2] }'})
    assert as_mapping == as_text == {"PreEngagementData": '{"a":"x","b":[1,2]}'}
