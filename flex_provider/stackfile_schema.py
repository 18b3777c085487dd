"""The JSON Schema of stack files, built from the same field table the validator uses.

Editors read the shipped copy, `flex_provider/stackfile.schema.json` (yaml-language-server picks
it up from the `$schema` modeline at the top of each stack file); a test keeps that copy equal
to what `build_schema()` returns. Regenerate with `python -m flex_provider schema`.
"""

from __future__ import annotations

from typing import Any

from flex_provider.fields import CHANNEL_FIELDS, CHANNEL_SID, FieldKind
from flex_provider.stackfile import NAME_PATTERN, OPTION_KEYS

__all__ = ["SCHEMA_FILE", "build_schema"]

SCHEMA_FILE = "stackfile.schema.json"


def _field_schema(kind: FieldKind, pattern: str | None, description: str) -> dict[str, Any]:
    if kind is FieldKind.BOOL:
        return {"type": "boolean", "description": description}
    if kind is FieldKind.JSON:
        return {"type": ["object", "string"], "description": description}
    schema: dict[str, Any] = {"type": "string", "description": description}
    if pattern:
        schema["pattern"] = pattern
    return schema


def build_schema() -> dict[str, Any]:
    """The stack-file schema: `defaults` and each channel share one set of properties."""
    properties: dict[str, Any] = {
        spec.name: _field_schema(spec.kind, spec.pattern, spec.description + " Changing it replaces the channel.")
        for spec in CHANNEL_FIELDS
    }
    properties["long_lived"]["default"] = True
    properties["protect"] = {"type": "boolean", "default": False, "description": OPTION_KEYS["protect"]}
    properties["retain_on_delete"] = {"type": "boolean", "default": False,
                                      "description": OPTION_KEYS["retain_on_delete"]}
    properties["import"] = {"type": "string", "pattern": CHANNEL_SID.pattern, "description": OPTION_KEYS["import"]}
    properties["aliases"] = {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1},
                             "description": OPTION_KEYS["aliases"]}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "flex-channels stack file",
        "description": "Twilio Flex chat channels of one Pulumi stack.",
        "type": "object",
        "additionalProperties": False,
        "required": ["channels"],
        "properties": {
            "defaults": {"$ref": "#/$defs/fields", "description": "Merged into every channel; the channel wins."},
            "channels": {
                "type": "object",
                "description": "Channels by logical name (the Pulumi resource name).",
                "propertyNames": {"pattern": NAME_PATTERN.pattern},
                "additionalProperties": {"$ref": "#/$defs/channel"},
            },
        },
        "$defs": {
            "fields": {"type": "object", "additionalProperties": False, "properties": properties},
            "channel": {
                "allOf": [{"$ref": "#/$defs/fields"}],
                "description": "Required, on the channel or in defaults: "
                               + ", ".join(s.name for s in CHANNEL_FIELDS if s.required) + ".",
            },
        },
    }
