"""The Flex chat channel's fields, declared once; validation, form encoding, diff and docs use this table.

Names, requiredness and SID patterns are those of `CreateChannelRequest` and `flex.v1.channel` in
Twilio's OpenAPI description (twilio_flex_v1.json); tests/test_fields.py checks the table against it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

__all__ = [
    "CHANNEL_FIELDS",
    "CHANNEL_SID",
    "FIELDS_BY_NAME",
    "OUTPUT_FIELDS",
    "Channel",
    "FieldKind",
    "FieldSpec",
    "canonical_json",
    "normalize",
    "to_form",
    "validate_value",
]


class FieldKind(Enum):
    """How a field is typed in YAML/Python and encoded in the form body."""

    TEXT = "string"
    SID = "sid"
    JSON = "json"
    BOOL = "boolean"


@dataclass(frozen=True)
class FieldSpec:
    """One input of a Flex chat channel.

    Every field replaces the channel when it changes: the Flex API has no update operation.
    """

    name: str
    api_name: str
    kind: FieldKind
    required: bool
    description: str
    pattern: str | None = None
    replaces: bool = True

    @property
    def sid_prefix(self) -> str | None:
        """The two letters a SID of this field starts with, for error messages."""
        return self.pattern[1:3] if self.pattern else None


CHANNEL_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("flex_flow_sid", "FlexFlowSid", FieldKind.SID, True,
              "SID of the Flex Flow the channel belongs to.", r"^FO[0-9a-fA-F]{32}$"),
    FieldSpec("identity", "Identity", FieldKind.TEXT, True,
              "Identity of the chat user the channel is created for."),
    FieldSpec("chat_user_friendly_name", "ChatUserFriendlyName", FieldKind.TEXT, True,
              "Friendly name of the chat participant."),
    FieldSpec("chat_friendly_name", "ChatFriendlyName", FieldKind.TEXT, True,
              "Friendly name of the chat channel."),
    FieldSpec("target", "Target", FieldKind.TEXT, False,
              "Target contact identity, for example the customer's phone number."),
    FieldSpec("chat_unique_name", "ChatUniqueName", FieldKind.TEXT, False,
              "Unique name of the chat channel within the account."),
    FieldSpec("pre_engagement_data", "PreEngagementData", FieldKind.JSON, False,
              "Pre-engagement data: a mapping or a JSON string."),
    FieldSpec("task_sid", "TaskSid", FieldKind.SID, False,
              "SID of an existing TaskRouter Task (task integrations only).", r"^WT[0-9a-fA-F]{32}$"),
    FieldSpec("task_attributes", "TaskAttributes", FieldKind.JSON, False,
              "Attributes of the TaskRouter Task: a mapping or a JSON string."),
    FieldSpec("long_lived", "LongLived", FieldKind.BOOL, False,
              "Whether the channel is long-lived."),
)

FIELDS_BY_NAME: Mapping[str, FieldSpec] = {f.name: f for f in CHANNEL_FIELDS}

OUTPUT_FIELDS: tuple[str, ...] = (
    "sid", "account_sid", "flex_flow_sid", "user_sid", "task_sid", "url", "date_created", "date_updated",
)

_PATTERNS = {f.name: re.compile(f.pattern) for f in CHANNEL_FIELDS if f.pattern}

CHANNEL_SID = re.compile(r"^CH[0-9a-fA-F]{32}$")
"""A channel's own SID (`sid` in `flex.v1.channel`, `Sid` in the fetch and delete paths)."""


def canonical_json(value: Any) -> str:
    """Serialize JSON data so equal data always gives equal text (sorted keys, no spaces).

    Integral floats are written as integers: a mapping that crossed Pulumi's gRPC boundary has
    only doubles (protobuf Struct), and `2.0` must encode as the `2` the user wrote.
    """
    return json.dumps(_integral(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _integral(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, Mapping):
        return {key: _integral(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_integral(item) for item in value]
    return value


def validate_value(spec: FieldSpec, value: Any) -> str | None:
    """Return why `value` is not acceptable for `spec`, or None when it is."""
    if spec.kind is FieldKind.BOOL:
        return None if isinstance(value, bool) else f"must be true or false, not {_describe(value)}"
    if spec.kind is FieldKind.JSON:
        if isinstance(value, Mapping):
            try:
                canonical_json(value)
            except (TypeError, ValueError) as exc:
                return f"cannot be encoded as JSON: {exc}"
            return None
        if not isinstance(value, str):
            return f"must be a mapping or a JSON string, not {_describe(value)}"
        try:
            json.loads(value)
        except ValueError as exc:
            return f"is not valid JSON: {exc}"
        return None
    if not isinstance(value, str):
        return f"must be a string, not {_describe(value)}"
    if spec.required and not value.strip():
        return "must not be empty"
    pattern = _PATTERNS.get(spec.name)
    if pattern and not pattern.match(value):
        return f"must be a {spec.sid_prefix} SID: '{spec.sid_prefix}' and 32 hex digits (pattern {spec.pattern})"
    return None


def normalize(spec: FieldSpec, value: Any) -> Any:
    """Bring a valid value to the one form stored in state, so equal data never shows a diff.

    JSON fields are stored as canonical JSON text, whether given as a mapping or as a string.
    """
    if spec.kind is FieldKind.JSON:
        data = value if isinstance(value, Mapping) else json.loads(value)
        return canonical_json(data)
    return value


def to_form(values: Mapping[str, Any]) -> dict[str, str]:
    """Encode normalized channel inputs as the API's form body; unset optional fields are left out."""
    form: dict[str, str] = {}
    for spec in CHANNEL_FIELDS:
        value = values.get(spec.name)
        if value is None:
            continue
        if spec.kind is FieldKind.BOOL:
            form[spec.api_name] = "true" if value else "false"
        else:
            form[spec.api_name] = str(normalize(spec, value))
    return form


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {_integral(value)}"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, str):
        return f"the string {value[:40]!r}"
    return f"a {type(value).__name__}"


@dataclass(frozen=True)
class Channel:
    """A Flex chat channel as the API returns it (`flex.v1.channel`)."""

    sid: str
    account_sid: str | None
    flex_flow_sid: str | None
    user_sid: str | None
    task_sid: str | None
    url: str | None
    date_created: str | None
    date_updated: str | None

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> Channel:
        """Build from a response body; a body without a SID is not a channel and raises KeyError."""
        sid = body["sid"]
        if not isinstance(sid, str):
            raise KeyError("sid")
        return cls(**{name: body.get(name) for name in OUTPUT_FIELDS if name != "sid"}, sid=sid)

    def to_outputs(self) -> dict[str, Any]:
        """The channel's fields as resource outputs."""
        return {name: getattr(self, name) for name in OUTPUT_FIELDS}
