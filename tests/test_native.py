"""The native front end's pieces that need no engine: the schema read off the declarations, the settings in its
own namespace, the front-end setting of the stack-file program, and the translation of property values."""

from __future__ import annotations

import pytest
from pulumi.provider.experimental.property_value import PropertyValue

from flex_provider.declarations import RESOURCE_TYPES
from flex_provider.errors import ConfigurationError
from flex_provider.front_end import front_end_setting
from flex_provider.native.provider import to_plain, to_value
from flex_provider.native.schema import build_schema, type_token
from flex_provider.options import IMPORT_INPUT
from flex_provider.pulumi_workarounds import UNKNOWN
from flex_provider.settings import SOURCES, ProviderSettings


@pytest.mark.parametrize("rtype", RESOURCE_TYPES, ids=lambda rtype: rtype.name)
def test_each_resource_of_the_schema_is_its_declaration(rtype: object) -> None:
    resource = build_schema()["resources"][type_token(rtype)]  # type: ignore[arg-type]
    fields = {spec.name: spec for spec in rtype.fields}  # type: ignore[attr-defined]
    assert set(resource["inputProperties"]) == {*fields, IMPORT_INPUT}
    assert resource["requiredInputs"] == [name for name, spec in fields.items() if spec.required]
    for name, spec in fields.items():
        prop = resource["inputProperties"][name]
        assert prop["description"].startswith(spec.description)
        assert prop.get("replaceOnChanges", False) is (not spec.updatable), name
    assert set(resource["properties"]) == {*fields, *rtype.outputs, IMPORT_INPUT}  # type: ignore[attr-defined]


def test_the_schemas_settings_are_the_settings_with_secrets_marked() -> None:
    schema = build_schema()
    assert schema["config"]["variables"] == schema["provider"]["inputProperties"]
    assert {key: spec["secret"] for key, spec in schema["config"]["variables"].items()} == {
        source.key: source.secret for source in SOURCES.values()}
    assert [key for key, spec in schema["config"]["variables"].items() if spec["secret"]] == ["authToken",
                                                                                            "apiSecret"]


def test_the_native_provider_reads_its_own_keys_and_names_them_in_its_messages() -> None:
    given = {"accountSid": "AC" + "1" * 32, "authToken": "secret-token", "apiUrl": "http://127.0.0.1:9"}
    settings = ProviderSettings.resolve(given.get, {}, native=True)
    assert (settings.credentials.account_sid, settings.base_url) == ("AC" + "1" * 32, "http://127.0.0.1:9")
    with pytest.raises(ConfigurationError) as bad:
        ProviderSettings.resolve({"accountSid": "AC1"}.get, {}, native=True)
    assert str(bad.value) == "flex:accountSid / TWILIO_ACCOUNT_SID must be an Account SID: 'AC' and 32 hex digits"
    with pytest.raises(ConfigurationError) as missing:
        ProviderSettings.resolve({}.get, {}, native=True)
    assert "pulumi config set flex:accountSid AC…" in str(missing.value)
    assert "pulumi config set --secret flex:authToken …" in str(missing.value)


def test_the_front_end_is_dynamic_unless_set_to_native_and_nothing_else_is_taken() -> None:
    assert front_end_setting(None) == front_end_setting(" ") == "dynamic"
    assert front_end_setting("native") == "native"
    with pytest.raises(ConfigurationError) as bad:
        front_end_setting("Native\x1b[2J")
    assert str(bad.value) == "flex:frontEnd must be dynamic or native, not 'Native\\x1b[2J'"


def test_property_values_translate_both_ways() -> None:
    plain = {"name": "web", "count": 3, "flag": True, "nested": {"keys": ["a", "b"]}, "gone": None}
    assert to_plain(to_value(plain)) == {**plain, "count": 3.0}
    assert to_plain(PropertyValue.computed()) == UNKNOWN
    assert to_value(UNKNOWN) == PropertyValue(UNKNOWN), "an unknown goes back in the engine's wire form"


def test_each_front_end_reads_a_setting_under_either_namespace_and_two_different_values_are_refused() -> None:
    native_only = {"flex:accountSid": "AC" + "1" * 32, "flex:authToken": "tok", "flex:apiUrl": "http://127.0.0.1:9"}
    assert ProviderSettings.resolve(native_only.get, {}).credentials.account_sid == "AC" + "1" * 32
    both = {**native_only, "twilio:accountSid": "AC" + "2" * 32}
    with pytest.raises(ConfigurationError) as refused:
        ProviderSettings.resolve(both.get, {})
    assert str(refused.value) == (
        "twilio:accountSid and flex:accountSid are both set, to different values: the dynamic and the native "
        "provider would use different ones. Keep one (`pulumi config rm flex:accountSid`).")
    same = {**native_only, "twilio:authToken": "tok"}
    assert ProviderSettings.resolve(same.get, {}).credentials.password == "tok"
