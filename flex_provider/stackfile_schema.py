"""The JSON Schema of stack files, built from the same declarations the validator uses.

Editors read the shipped copy, `flex_provider/stackfile.schema.json` (yaml-language-server picks
it up from the `$schema` modeline at the top of each stack file); a test keeps that copy equal
to what `build_schema()` returns. Regenerate with `python -m flex_provider schema --write`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flex_provider.declaration import Field, ResourceType
from flex_provider.declarations import RESOURCE_TYPES
from flex_provider.kinds import SCHEMA_END
from flex_provider.options import OPTIONS
from flex_provider.stackfile import NAME_PATTERN

__all__ = ["SCHEMA_FILE", "build_schema"]

SCHEMA_FILE = "stackfile.schema.json"

def _field_schema(spec: Field, rtype: ResourceType) -> dict[str, Any]:
    change = "Changed in place." if spec.updatable else f"Changing it replaces the {rtype.noun}."
    schema: dict[str, Any] = {"description": f"{spec.description} {change}",
                              **spec.kind.json_schema(spec, lambda sub: _field_schema(sub, rtype))}
    if spec.default is not None:
        schema["default"] = spec.default
    return schema


def _option_schemas(rtype: ResourceType) -> dict[str, Any]:
    kinds: dict[str, dict[str, Any]] = {
        "boolean": {"type": "boolean", "default": False},
        "sid": {"type": "string", "pattern": rtype.sid_pattern + SCHEMA_END},
        "names": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}},
    }
    return {option.key: {**kinds[option.kind], "description": option.describe(rtype)} for option in OPTIONS}


def _resource_defs(rtype: ResourceType, by_section: Mapping[str, ResourceType]) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    exclusive: list[dict[str, Any]] = []
    for spec in rtype.fields:
        properties[spec.name] = _field_schema(spec, rtype)
        if spec.reference:
            target = by_section[spec.reference.section]
            properties[spec.reference.key] = {
                "type": "string", "minLength": 1,
                "description": f"Name of a {target.noun} in `{target.section}:`: its {spec.reference.output} is "
                               f"the {spec.name}, and Pulumi creates it first. Give this or {spec.name}, not both."}
            exclusive.append({"not": {"required": [spec.name, spec.reference.key]}})
    properties.update(_option_schemas(rtype))
    required = ", ".join(spec.name for spec in rtype.fields if spec.required)
    fields_def: dict[str, Any] = {"type": "object", "additionalProperties": False, "properties": properties}
    if exclusive:
        fields_def["allOf"] = exclusive
    return {
        f"{rtype.noun}_fields": fields_def,
        rtype.noun: {
            "allOf": [{"$ref": f"#/$defs/{rtype.noun}_fields"}],
            "description": f"Required, on the {rtype.noun} or in {rtype.defaults_key}: {required}.",
        },
    }


def build_schema(types: Sequence[ResourceType] = RESOURCE_TYPES) -> dict[str, Any]:
    """The stack-file schema of `types` (by default every declared one): each section's defaults and resources
    share one set of properties."""
    properties: dict[str, Any] = {}
    definitions: dict[str, Any] = {}
    by_section = {rtype.section: rtype for rtype in types}
    for rtype in types:
        properties[rtype.defaults_key] = {
            "$ref": f"#/$defs/{rtype.noun}_fields",
            "not": {"anyOf": [{"required": [option.key]} for option in OPTIONS if option.one_resource]},
            "description": f"Merged into every {rtype.noun}; the {rtype.noun} wins. Options that name one "
                           f"{rtype.noun} ({', '.join(o.key for o in OPTIONS if o.one_resource)}) belong on it."}
        properties[rtype.section] = {
            "type": "object",
            "description": f"{rtype.title}s by logical name (the Pulumi resource name).",
            "propertyNames": {"pattern": "^" + NAME_PATTERN.pattern + SCHEMA_END},
            "additionalProperties": {"$ref": f"#/$defs/{rtype.noun}"},
        }
        definitions.update(_resource_defs(rtype, by_section))
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "flex-channels stack file",
        "description": "Twilio Flex resources of one Pulumi stack.",
        "type": "object",
        "additionalProperties": False,
        "anyOf": [{"required": [rtype.section]} for rtype in types],
        "properties": properties,
        "$defs": definitions,
    }
