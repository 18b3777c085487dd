"""How a resource is declared: its fields, outputs, API paths and collision keys, in one place.

Each resource (`declarations/`) is one `ResourceType`. Everything else derives from it: the
provider's check, diff and form body, the stack-file loader, the JSON Schema, the typed args
and the README tables (tests keep the last two equal to it). Names, patterns and enums are those
of Twilio's OpenAPI descriptions; tests check each declaration against them.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from flex_provider.values import (
    EXACT_INTEGER,
    Kind,
    a_or_an,
    canonical_json,
    closest,
    control_character,
    counted,
    describe,
    is_url,
    load_json,
    quote,
)

__all__ = ["Collision", "Field", "Link", "ListFilter", "Reference", "ResourceType", "Shape", "sid_found", "sid_pattern"]


def sid_pattern(prefix: str) -> str:
    """The pattern Twilio's specs give a SID: two letters and 32 hex digits.

    It keeps the spec's `^…$`; code matches it with `re.fullmatch`, so a trailing newline
    (which `$` alone lets through) never passes.
    """
    return f"^{prefix}[0-9a-fA-F]{{32}}$"


def sid_found(prefix: str, value: str) -> str:
    """What a string that is not a SID of `prefix` holds, for the end of a message: "found 'FO' and 31 hex digits".

    The count saves the user counting 32 characters by eye to find the one missing, doubled or not hex.
    """
    if not value:
        return "found an empty string"
    head, rest = value[:len(prefix)], value[len(prefix):]
    digits = sum(char in string.hexdigits for char in rest)
    if digits == len(rest):
        return f"found {quote(head, 10)} and {counted(digits, 'hex digit')}"
    hex_ones = "a hex digit" if digits == 1 else "hex digits"
    return f"found {quote(head, 10)} and {counted(len(rest), 'character')}, {digits} of them {hex_ones}"


@dataclass(frozen=True)
class Reference:
    """A stack-file key that names another declared resource instead of giving a field's value.

    `flex_flow: web-chat` on a channel means `flex_flow_sid` is the id (the SID) of the flow
    `web-chat` of the same file, so Pulumi creates the flow first and replaces the channel when
    the flow is replaced. The id, not the `sid` output: in a preview of an update of the flow,
    the engine keeps the id known but not the outputs (the dynamic host has no preview of its
    own), and an unknown SID would show every channel of the flow as replaced.
    """

    key: str
    section: str
    output: str


@dataclass(frozen=True)
class Link:
    """A field's value taken from another declared resource's output: the resolved form of a Reference."""

    section: str
    name: str
    output: str


@dataclass(frozen=True)
class Shape:
    """The form a text value must have where Twilio's prose gives one but its spec no `pattern`
    (an address's `address_country`: "an ISO 3166-1 alpha-2 country code")."""

    pattern: str
    """Matched with `re.fullmatch`; also the JSON Schema's `pattern`."""
    wanted: str
    """What a value must be, as messages say it: 'an ISO 3166-1 alpha-2 country code, …'."""


@dataclass(frozen=True)
class Field:
    """One input of a resource: its names, kind, rules and whether the API can change it in place."""

    name: str
    api_name: str
    kind: Kind
    description: str
    required: bool = False
    default: Any = None
    sid_prefix: str | None = None
    choices: tuple[str, ...] = ()
    item_choices: tuple[str, ...] = ()
    """For a list of strings: the values each item may take, where the spec's prose lists them."""
    updatable: bool = False
    fields: tuple[Field, ...] = ()
    """The keys of a mapping field (Kind.OBJECT), each encoded under its own API name."""
    reference: Reference | None = None
    bounds: tuple[int, int] | None = None
    """The least and greatest value of a whole number, where the spec gives them."""
    max_length: int | None = None
    """The most characters a string may have, where Twilio documents it."""
    requires: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """For a choice: the keys (`integration.flow_sid`) each value needs set, as the spec's prose says; the
    paths are from the resource's top, also for a choice inside a mapping (`auto_creation.type`)."""
    shape: Shape | None = None

    @property
    def pattern(self) -> str | None:
        return sid_pattern(self.sid_prefix) if self.sid_prefix else None

    @cached_property
    def _regex(self) -> re.Pattern[str] | None:
        return re.compile(self.pattern) if self.pattern else None

    @cached_property
    def by_name(self) -> Mapping[str, Field]:
        return {sub.name: sub for sub in self.fields}

    def problems(self, value: Any) -> list[tuple[str, str]]:
        """Why `value` is not acceptable, as (key path inside this field, reason); empty when it is."""
        if self.kind is Kind.OBJECT:
            return self._object_problems(value)
        reason = self._problem(value)
        return [("", reason)] if reason else []

    def problem(self, value: Any) -> str | None:
        """The first reason `value` is not acceptable, or None; a nested key's reason names the key."""
        found = self.problems(value)
        if not found:
            return None
        where, reason = found[0]
        return f"{where}: {reason}" if where else reason

    def _problem(self, value: Any) -> str | None:
        if self.kind is Kind.BOOL:
            return None if isinstance(value, bool) else f"must be true or false, not {describe(value)}"
        if self.kind is Kind.INT:
            whole = ((isinstance(value, int) and not isinstance(value, bool))
                     or (isinstance(value, float) and value.is_integer()))  # float(int) overflows past 1e308
            if not whole:
                return f"must be a whole number, not {describe(value)}"
            low, high = self.bounds or (-EXACT_INTEGER, EXACT_INTEGER)
            if not low <= value <= high:
                return f"must be from {low} to {high}, not {describe(value)}"
            return None
        if self.kind is Kind.JSON:
            return _json_checked(value)[0]
        if self.kind is Kind.TEXT_LIST:
            if not (isinstance(value, list | tuple) and all(isinstance(item, str) for item in value)):
                return f"must be a list of strings, not {describe(value)}"
            hidden = next((reason for reason in map(control_character, value) if reason), None)
            unknown = next((item for item in value if self.item_choices and item not in self.item_choices), None)
            if hidden is None and unknown is not None:
                return f"must hold only {', '.join(self.item_choices)}; not {quote(unknown, 40)}"
            return hidden
        if not isinstance(value, str):
            return f"must be a string, not {describe(value)}"
        hidden = control_character(value)
        if hidden:
            return hidden
        if self.required and not value.strip():
            return "must not be empty"
        if self.max_length is not None and len(value) > self.max_length:
            return f"must be {self.max_length} characters at most, not {len(value)}"
        if self._regex and not self._regex.fullmatch(value):
            return (f"must be {a_or_an(self.sid_prefix + ' SID')}: '{self.sid_prefix}' and 32 hex digits (pattern "
                    f"{self.pattern}); {sid_found(self.sid_prefix, value)}")
        if self.choices and value not in self.choices:
            return f"must be one of {', '.join(self.choices)}; not {quote(value, 40)}"
        if self.kind is Kind.URL and not is_url(value):
            return f"must be an absolute http(s) URL, not {quote(value)}"
        if self.shape and not re.fullmatch(self.shape.pattern, value):
            return f"must be {self.shape.wanted}, not {quote(value)}"
        return None

    def _object_problems(self, value: Any) -> list[tuple[str, str]]:
        if not isinstance(value, Mapping):
            return [("", f"must be a mapping with keys {', '.join(self.by_name)}, not {describe(value)}")]
        found: list[tuple[str, str]] = []
        for key in value:
            if key not in self.by_name:
                close = closest(str(key), self.by_name)
                hint = f"did you mean '{close}'?" if close else f"known: {', '.join(self.by_name)}"
                found.append((str(key), f"is not a key of {self.name}; {hint}"))
        for sub in self.fields:
            item = value.get(sub.name)
            if item is not None:
                found.extend((_join(sub.name, where), reason) for where, reason in sub.problems(item))
        return found

    def checked(self, value: Any) -> tuple[str | None, Any]:
        """The first problem of a value of a scalar field and, when there is none, its stored form, in one pass
        (for JSON, checking already encodes it: a 10,000-channel stack file encodes each once, not twice)."""
        if self.kind is Kind.JSON:
            return _json_checked(value)
        reason = self.problem(value)
        return reason, (None if reason else self.stored(value))

    def stored(self, value: Any) -> Any:
        """A valid value in the one form state keeps, so equal data never shows a diff."""
        if self.kind is Kind.JSON:
            return canonical_json(value if isinstance(value, Mapping) else load_json(value))
        if self.kind is Kind.INT:
            return int(value)
        if self.kind is Kind.TEXT_LIST:
            return list(value)
        if self.kind is Kind.OBJECT:
            return {sub.name: sub.stored(value[sub.name]) for sub in self.fields if value.get(sub.name) is not None}
        return value

    def from_api(self, value: Any) -> Any:
        """A value as the API returned it, in the form this field stores, so equal data compares equal.

        Twilio answers some enums in another case than it takes them (`POST` for `post`), and a
        mapping may carry keys we do not manage; those are dropped.
        """
        if value is None:
            return None
        if self.kind is Kind.CHOICE and isinstance(value, str):
            return next((choice for choice in self.choices if choice.lower() == value.lower()), value)
        if self.kind is Kind.OBJECT and isinstance(value, Mapping):
            return {sub.name: sub.from_api(value[sub.name]) for sub in self.fields if value.get(sub.name) is not None}
        if self.kind is Kind.INT and isinstance(value, float) and value.is_integer():
            return int(value)
        return value

    def form_items(self, value: Any) -> Iterator[tuple[str, str | list[str]]]:
        """The form parameters for a valid value; a list repeats its parameter, a mapping spreads out."""
        if self.kind is Kind.OBJECT:
            for sub in self.fields:
                if value.get(sub.name) is not None:
                    yield from sub.form_items(value[sub.name])
        elif self.kind is Kind.TEXT_LIST:
            yield self.api_name, list(value)
        elif self.kind is Kind.BOOL:
            yield self.api_name, "true" if value else "false"
        else:
            yield self.api_name, str(self.stored(value))


def _json_checked(value: Any) -> tuple[str | None, str | None]:
    """Why a JSON field's value is not acceptable, or its canonical text."""
    if isinstance(value, Mapping):
        try:
            return None, canonical_json(value)
        except ValueError as exc:
            return str(exc), None
        except TypeError as exc:
            return f"cannot be encoded as JSON: {exc}", None
    if not isinstance(value, str):
        return f"must be a mapping or a JSON string, not {describe(value)}", None
    try:
        return None, canonical_json(load_json(value))
    except ValueError as exc:
        return f"is not valid JSON: {exc}", None


def _join(prefix: str, where: str) -> str:
    return f"{prefix}.{where}" if where else prefix


def _at(inputs: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted key path (`integration.flow_sid`), or None when any step of it is unset."""
    value: Any = inputs
    for key in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


@dataclass(frozen=True)
class Collision:
    """Inputs that together must be unique in the account.

    Two declarations with equal values are refused by the validator, and a replace whose old
    and new resource share them must delete the old one first. `reason` is reported at the
    last key, with `{other}` (the first declaration's name) and `{value}` (its value, quoted) filled in.
    """

    keys: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class ListFilter:
    """A filter of `python -m flex_provider <section> list`: a flag, the output it matches, and the API's
    query parameter for it (None: the API has none, so the listing filters what it receives)."""

    flag: str
    output: str
    query: str | None
    help: str


@dataclass(frozen=True, eq=False)
class ResourceType:
    """One Twilio resource as flex-channels manages it; each is one object, compared by identity."""

    name: str
    """The Pulumi type name (`FlexChannel`), also how messages name the resource."""
    module: str
    title: str
    """What Twilio calls it: 'Flex chat channel'."""
    noun: str
    """How messages name one of them, short: 'channel'."""
    api: str
    """The API's host name prefix: `flex-api` for https://flex-api.twilio.com, `conversations` for
    https://conversations.twilio.com; the client's `Endpoints` makes it a base URL."""
    path: str
    """The collection's path; an instance is `{path}/{sid}`."""
    list_key: str
    max_page_size: int
    sid_prefix: str
    fields: tuple[Field, ...]
    outputs: tuple[str, ...]
    """The response's properties, kept as the resource's outputs."""
    exports: tuple[str, ...]
    """The outputs a stack file's program exports for each resource."""
    section: str
    """The stack file's section of these resources: `channels`."""
    defaults_key: str
    hands_back_existing: bool = False
    """Twilio answers a create with the resource it already has for the collision keys (Flex channels)."""
    columns: tuple[str, ...] = ("sid", "date_created", "date_updated")
    """The outputs `python -m flex_provider <section> list` shows."""
    collisions: tuple[Collision, ...] = ()
    list_filters: tuple[ListFilter, ...] = ()

    @property
    def command(self) -> str:
        """The CLI's name for these resources: `python -m flex_provider flex-flows list`."""
        return self.section.replace("_", "-")

    @property
    def type_token(self) -> str:
        return f"pulumi-python:dynamic/{self.module}:{self.name}"

    @property
    def sid_pattern(self) -> str:
        return sid_pattern(self.sid_prefix)

    @cached_property
    def sid_regex(self) -> re.Pattern[str]:
        return re.compile(self.sid_pattern)

    @cached_property
    def by_name(self) -> Mapping[str, Field]:
        return {spec.name: spec for spec in self.fields}

    @cached_property
    def returned(self) -> frozenset[str]:
        """Inputs the API also returns: left unset, the server's value stands and is no change."""
        return frozenset(self.outputs) & frozenset(self.by_name)

    @property
    def updatable(self) -> bool:
        return any(spec.updatable for spec in self.fields)

    def requirement_problems(self, inputs: Mapping[str, Any]) -> list[tuple[str, str, str]]:
        """Keys a choice's value needs and the inputs lack, as (key path, the choice's path, reason): checked
        once every field is known to be valid, by the provider's check and the stack-file loader alike.
        A choice may be a field or a key of a mapping field (`auto_creation.type`)."""
        choices = [*((spec.name, spec) for spec in self.fields if spec.requires),
                   *((f"{spec.name}.{sub.name}", sub) for spec in self.fields for sub in spec.fields if sub.requires)]
        found = []
        for trigger, spec in choices:
            chosen = _at(inputs, trigger)
            for path in spec.requires.get(chosen, ()) if isinstance(chosen, str) else ():
                if _at(inputs, path) is None:
                    found.append((path, trigger, f"is required when {trigger} is {chosen}"))
        return found

    def with_defaults(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """`inputs` with every unset field that has a default set to it: the one place defaults apply."""
        filled = dict(inputs)
        for spec in self.fields:
            if spec.default is not None and filled.get(spec.name) is None:
                filled[spec.name] = spec.default
        return filled

    def to_form(self, values: Mapping[str, Any]) -> dict[str, str | list[str]]:
        """The API's form body for valid inputs; unset optional fields are left out."""
        return dict(item for spec in self.fields if values.get(spec.name) is not None
                    for item in spec.form_items(values[spec.name]))

    def instance_path(self, sid: str) -> str:
        return f"{self.path}/{sid}"

    def outputs_from(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """The declared outputs of an API answer, inputs among them in the form state keeps."""
        return {name: self.by_name[name].from_api(body.get(name)) if name in self.by_name else body.get(name)
                for name in self.outputs}
