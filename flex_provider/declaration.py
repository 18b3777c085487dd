"""How a resource is declared: its fields, outputs, API paths and collision keys, in one place.

Each resource (`declarations/`) is one `ResourceType`, registered by one line in
`declarations.RESOURCE_TYPES`. Everything else derives from it: the client's operations, the
provider's check, diff and form body, the provider and resource classes, the stack-file section and
loader, the JSON Schema, the CLI's list command, the exports, and the field tables of docs/stack-files.md (a test keeps
those and the typed args classes equal to it). Names, patterns and enums are those of Twilio's
OpenAPI descriptions; tests check each declaration against them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from flex_provider.kinds import Kind, Problems
from flex_provider.values import plural

__all__ = ["COMMON_OUTPUTS", "Collision", "Field", "Link", "ListFilter", "Reference", "ResourceType", "Shape",
           "first_problem", "in_dependency_order", "sid_pattern"]


def in_dependency_order(types: Iterable[ResourceType]) -> tuple[ResourceType, ...]:
    """`types` with each after every type its references name, and otherwise in the order given: the order in
    which a program declares their resources, so that each reference is to a resource already declared.

    Raises ValueError when references go round in a circle, which no order can satisfy.
    """
    pending = list(types)
    sections = {rtype.section for rtype in pending}
    ordered: list[ResourceType] = []
    while pending:
        placed = {rtype.section for rtype in ordered}
        ready = next((rtype for rtype in pending
                      if all(section in placed or section not in sections or section == rtype.section
                             for section in rtype.referenced_sections)), None)
        if ready is None:
            raise ValueError(f"the references of {', '.join(rtype.name for rtype in pending)} go round in a circle")
        ordered.append(ready)
        pending.remove(ready)
    return tuple(ordered)


_PLACEHOLDER = re.compile(r"\{(\w+)\}")
"""A path's `{ApiName}`."""


def sid_pattern(prefix: str) -> str:
    """The pattern Twilio's specs give a SID: two letters and 32 hex digits.

    It keeps the spec's `^…$`; code matches it with `re.fullmatch`, so a trailing newline
    (which `$` alone lets through) never passes.
    """
    return f"^{prefix}[0-9a-fA-F]{{32}}$"


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
    every_update: bool = False
    """Sent in every update, changed or not, where the API takes a partial update only with it (Studio's `Status`)."""
    shape: Shape | None = None

    @property
    def pattern(self) -> str | None:
        return sid_pattern(self.sid_prefix) if self.sid_prefix else None

    @cached_property
    def regex(self) -> re.Pattern[str] | None:
        return re.compile(self.pattern) if self.pattern else None

    @cached_property
    def by_name(self) -> Mapping[str, Field]:
        return {sub.name: sub for sub in self.fields}

    def problems(self, value: Any) -> Problems:
        """Why `value` is not acceptable, as (key path inside this field, reason); empty when it is."""
        return self.kind.problems(self, value)

    def problem(self, value: Any) -> str | None:
        """The first reason `value` is not acceptable, or None; a nested key's reason names the key."""
        return first_problem(self.problems(value))

    def checked(self, value: Any) -> tuple[Problems, Any]:
        """The problems of a value and, when there are none, its stored form, in one pass."""
        return self.kind.checked(self, value)

    def stored(self, value: Any) -> Any:
        """A valid value in the one form state keeps, so equal data never shows a diff."""
        return self.kind.stored(self, value)

    def from_api(self, value: Any) -> Any:
        """A value as the API returned it, in the form this field stores, so equal data compares equal."""
        return None if value is None else self.kind.from_api(self, value)

    def form_items(self, value: Any) -> Iterator[tuple[str, str | list[str]]]:
        """The form parameters for a valid value; a list repeats its parameter, a mapping spreads out."""
        return self.kind.form_items(self, value)


def first_problem(problems: Problems) -> str | None:
    """The first problem as one reason, a nested key's naming the key: `webhook_method: must be one of …`."""
    if not problems:
        return None
    where, reason = problems[0]
    return f"{where}: {reason}" if where else reason


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


COMMON_OUTPUTS: Mapping[str, str] = {
    "sid": "The resource's SID, also its Pulumi id.",
    "account_sid": "The SID of the account it belongs to.",
    "url": "Its absolute URL in the Twilio API.",
    "date_created": "When Twilio created it (ISO 8601).",
    "date_updated": "When Twilio last changed it (ISO 8601).",
}
"""What the outputs every Twilio resource answers with mean (the native provider's schema describes them)."""


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
    operation: str
    """How the API's operation IDs name one of them (`Channel` of CreateChannel, `ConfigurationAddress`); the
    client's methods are named after those operations (`create_channel`, `list_configuration_addresses`)."""
    path: str
    """The collection's path as the spec writes it; an instance is `{path}/{Sid}`. A collection nested in another
    resource names its parent's SID as the spec does (`/v1/Workspaces/{WorkspaceSid}/TaskQueues`): each
    `{ApiName}` is a field's API name, and that field's value fills it (`path_fields`)."""
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
    output_descriptions: Mapping[str, str] = field(default_factory=dict)
    """What each output that is not a field means, beyond those every Twilio resource has (`COMMON_OUTPUTS`)."""
    args: type | None = field(default=None, repr=False)
    """The typed args class a Python program may declare one with, kept beside the declaration (a test keeps
    its fields equal to the declared ones)."""

    def __post_init__(self) -> None:
        """Refuse a path that names no field, or a parent field that could change or be left out."""
        for name in _PLACEHOLDER.findall(self.path):
            spec = next((spec for spec in self.fields if spec.api_name == name), None)
            if spec is None or spec.updatable or not spec.required or spec.sid_prefix is None:
                raise ValueError(f"{self.name}: path {self.path} names {{{name}}}, which must be the API name of a "
                                 "required SID field that replaces the resource when it changes")

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

    def output_description(self, name: str) -> str:
        """What an output that is not a field means; a KeyError names one the declaration leaves undescribed."""
        return {**COMMON_OUTPUTS, **self.output_descriptions}[name]

    @cached_property
    def returned(self) -> frozenset[str]:
        """Inputs the API also returns: left unset, the server's value stands and is no change."""
        return frozenset(self.outputs) & frozenset(self.by_name)

    @property
    def updatable(self) -> bool:
        return any(spec.updatable for spec in self.fields)

    @cached_property
    def referenced_sections(self) -> frozenset[str]:
        """The sections whose resources its fields can name (a channel's `flex_flow: web-chat`)."""
        return frozenset(spec.reference.section for spec in self.fields if spec.reference)

    @cached_property
    def path_fields(self) -> tuple[Field, ...]:
        """The fields whose values are part of the path (a parent's SID), not of the form body."""
        named = _PLACEHOLDER.findall(self.path)
        return tuple(spec for spec in self.fields if spec.api_name in named)

    def method_name(self, verb: str) -> str:
        """The client's name for one of its operations: `create_channel`, `list_flex_flows`."""
        noun = re.sub(r"(?<!^)(?=[A-Z])", "_", self.operation).lower()
        return f"{verb}_{plural(noun) if verb == 'list' else noun}"

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
        """The API's form body for valid inputs; unset optional fields, and those in the path, are left out."""
        return dict(item for spec in self.fields if values.get(spec.name) is not None and spec not in self.path_fields
                    for item in spec.form_items(values[spec.name]))

    def collection_path(self, parents: Mapping[str, Any]) -> str:
        """The collection's path, its parents' SIDs (by field name, valid SIDs) filled in."""
        return _PLACEHOLDER.sub(lambda found: str(parents[self.by_api_name[found.group(1)].name]), self.path)

    def instance_path(self, sid: str, parents: Mapping[str, Any]) -> str:
        """One resource's path: `{collection}/{sid}`."""
        return f"{self.collection_path(parents)}/{sid}"

    @cached_property
    def by_api_name(self) -> Mapping[str, Field]:
        return {spec.api_name: spec for spec in self.fields}

    def outputs_from(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """The declared outputs of an API answer, inputs among them in the form state keeps."""
        return {name: self.by_name[name].from_api(body.get(name)) if name in self.by_name else body.get(name)
                for name in self.outputs}
