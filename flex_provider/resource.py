"""The Pulumi resources a program declares (`FlexChannel`, …); their CRUD runs in the providers of `provider.py`.

Each resource takes a typed args object or keyword arguments, as Pulumi's generated SDKs do, and
has a `get` that reads an existing one into a program. The args classes list the declared
fields (tests/test_program.py keeps them equal to the declarations); defaults are applied from
the declaration, never written here.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Self

import pulumi
from pulumi.dynamic import Resource

from flex_provider.declaration import ResourceType
from flex_provider.declarations import ADDRESS, CHANNEL, FLEX_FLOW
from flex_provider.options import IMPORT_INPUT, OPTIONS_BY_KEY
from flex_provider.provider import (
    AddressConfigurationProvider,
    DeclaredProvider,
    FlexChannelProvider,
    FlexFlowProvider,
)
from flex_provider.pulumi_workarounds import PROVIDER_KEY, register_dynamic, serialized_provider
from flex_provider.values import Kind, canonical_json, closest, nested, quote

__all__ = [
    "AddressConfiguration",
    "AddressConfigurationArgs",
    "AutoCreationArgs",
    "DeclaredResource",
    "FlexChannel",
    "FlexChannelArgs",
    "FlexFlow",
    "FlexFlowArgs",
    "FlexFlowIntegrationArgs",
    "resource_class",
]

JsonInput = pulumi.Input[str] | Mapping[str, Any]


@dataclasses.dataclass(frozen=True)
class FlexChannelArgs:
    """The inputs of a Flex chat channel (declarations/channel.py).

    `pre_engagement_data` and `task_attributes` take a mapping or a JSON string; both are
    stored as canonical JSON, so the same data never shows a diff. `import_sid` adopts an
    existing channel instead of creating one.
    """

    flex_flow_sid: pulumi.Input[str]
    identity: pulumi.Input[str]
    chat_user_friendly_name: pulumi.Input[str]
    chat_friendly_name: pulumi.Input[str]
    target: pulumi.Input[str] | None = None
    chat_unique_name: pulumi.Input[str] | None = None
    pre_engagement_data: JsonInput | None = None
    task_sid: pulumi.Input[str] | None = None
    task_attributes: JsonInput | None = None
    long_lived: pulumi.Input[bool] | None = None
    import_sid: pulumi.Input[str] | None = None


@dataclasses.dataclass(frozen=True)
class FlexFlowIntegrationArgs:
    """Where a Flex Flow's inbound messages go: the keys its integration type uses (declarations/flex_flow.py)."""

    flow_sid: pulumi.Input[str] | None = None
    url: pulumi.Input[str] | None = None
    workspace_sid: pulumi.Input[str] | None = None
    workflow_sid: pulumi.Input[str] | None = None
    channel: pulumi.Input[str] | None = None
    timeout: pulumi.Input[int] | None = None
    priority: pulumi.Input[int] | None = None
    creation_on_message: pulumi.Input[bool] | None = None
    retry_count: pulumi.Input[int] | None = None


@dataclasses.dataclass(frozen=True)
class FlexFlowArgs:
    """The inputs of a Flex Flow (declarations/flex_flow.py). `integration` takes the args class or a mapping."""

    friendly_name: pulumi.Input[str]
    chat_service_sid: pulumi.Input[str]
    channel_type: pulumi.Input[str]
    contact_identity: pulumi.Input[str] | None = None
    enabled: pulumi.Input[bool] | None = None
    integration_type: pulumi.Input[str] | None = None
    integration: FlexFlowIntegrationArgs | Mapping[str, Any] | None = None
    long_lived: pulumi.Input[bool] | None = None
    janitor_enabled: pulumi.Input[bool] | None = None
    import_sid: pulumi.Input[str] | None = None


@dataclasses.dataclass(frozen=True)
class AutoCreationArgs:
    """Whether inbound messages to an address start a conversation, and where it goes (declarations/address.py)."""

    enabled: pulumi.Input[bool] | None = None
    type: pulumi.Input[str] | None = None
    conversation_service_sid: pulumi.Input[str] | None = None
    webhook_url: pulumi.Input[str] | None = None
    webhook_method: pulumi.Input[str] | None = None
    webhook_filters: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None
    studio_flow_sid: pulumi.Input[str] | None = None
    studio_retry_count: pulumi.Input[int] | None = None


@dataclasses.dataclass(frozen=True)
class AddressConfigurationArgs:
    """The inputs of a Conversations address configuration (declarations/address.py). `auto_creation` takes
    the args class or a mapping."""

    type: pulumi.Input[str]
    address: pulumi.Input[str]
    friendly_name: pulumi.Input[str] | None = None
    address_country: pulumi.Input[str] | None = None
    auto_creation: AutoCreationArgs | Mapping[str, Any] | None = None
    import_sid: pulumi.Input[str] | None = None


class DeclaredResource(Resource):
    """A dynamic resource whose inputs, outputs and provider come from its declaration."""

    _rtype: ClassVar[ResourceType]
    _provider_type: ClassVar[type[DeclaredProvider]]
    _args_type: ClassVar[type[Any]]
    _by_rtype: ClassVar[dict[ResourceType, type[DeclaredResource]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "_rtype" in cls.__dict__:
            DeclaredResource._by_rtype[cls._rtype] = cls

    def __init__(self, resource_name: str, args: Any = None, opts: pulumi.ResourceOptions | None = None,
                 **kwargs: Any) -> None:
        """Declare the resource from `args` (its args class) or from keyword arguments, never both."""
        register_dynamic(self, self._rtype.type_token, resource_name,
                         self._registration(resource_name, args, kwargs), opts)

    @classmethod
    def registration(cls, args: Any = None, **kwargs: Any) -> dict[str, Any]:
        """The props this resource registers with the engine: its inputs with defaults, every output
        unset, and `__provider`. Tests hand the same props to the engine-step driver."""
        return cls._registration("", args, kwargs)

    @classmethod
    def _registration(cls, resource_name: str, args: Any, kwargs: Mapping[str, Any]) -> dict[str, Any]:
        return {**cls._blank_props(), **_props(cls._rtype, cls._args_from(args, kwargs), resource_name)}

    @classmethod
    def get(cls, resource_name: str, id: pulumi.Input[str],  # noqa: A002 - Pulumi's own name for it
            opts: pulumi.ResourceOptions | None = None) -> Self:
        """Read an existing resource by SID into the program; Pulumi will not create or delete it."""
        resource = cls.__new__(cls)
        register_dynamic(resource, cls._rtype.type_token, resource_name, cls._blank_props(),
                         pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(id=id)))
        return resource

    @classmethod
    def _blank_props(cls) -> dict[str, Any]:
        """Every output unset (so each is an attribute), and the provider serialized once per process."""
        props: dict[str, Any] = dict.fromkeys(cls._rtype.outputs)
        props[PROVIDER_KEY] = serialized_provider(cls._provider_type)
        return props

    @classmethod
    def _args_from(cls, args: Any, kwargs: Mapping[str, Any]) -> Any:
        name, args_type = cls.__name__, cls._args_type
        if args is not None and kwargs:
            raise TypeError(f"{name}() takes its inputs as args={args_type.__name__}(…) or as keyword arguments, "
                            f"not both (got args and {', '.join(kwargs)})")
        if args is not None:
            if not isinstance(args, args_type):
                raise TypeError(f"{name}() args must be a {args_type.__name__}, not {type(args).__name__}")
            return args
        known = [f.name for f in dataclasses.fields(args_type)]
        unknown = {key: closest(key, known) for key in kwargs if key not in known}
        if unknown:
            raise TypeError(f"{name}() got unknown input{_s(list(unknown))} {_suggested(unknown, known)}")
        missing = [f.name for f in dataclasses.fields(args_type)
                   if f.default is dataclasses.MISSING and f.name not in kwargs]
        if missing:
            raise TypeError(f"{name}() is missing required input{_s(missing)}: {', '.join(missing)}")
        return args_type(**kwargs)


def resource_class(rtype: ResourceType) -> type[DeclaredResource]:
    """The resource class of a declaration."""
    return DeclaredResource._by_rtype[rtype]


def _s(items: list[str]) -> str:
    return "s" if len(items) != 1 else ""


def _suggested(unknown: Mapping[str, str | None], known: list[str]) -> str:
    """Unknown names, each with the known one it resembles, as stack files say it; the known list when one has none.

    `identty; did you mean 'identity'?`, or `colour; known: flex_flow_sid, …`.
    """
    if len(unknown) == 1:
        [(key, close)] = unknown.items()
        return f"{key}; did you mean '{close}'?" if close else f"{key}; known: {', '.join(known)}"
    named = ", ".join(f"{key} (did you mean '{close}'?)" if close else key for key, close in unknown.items())
    return named + ("" if all(unknown.values()) else f"; known: {', '.join(known)}")


def _props(rtype: ResourceType, args: Any, resource_name: str) -> dict[str, Any]:
    """The set inputs by name, with the declared defaults; unset ones are left out so they are not sent.

    Every value that is plain data (strings, numbers, booleans, mappings and lists of them) is checked
    here, as the provider's check will check it in the preview, so a malformed SID stops the program
    at the line that declared it; a value that is an Output, or holds one, is checked by the preview
    once it is known. Each problem names the resource and input; all are raised at once as a ValueError.

    JSON mappings become canonical JSON here, in the program: sent as mappings they would cross
    gRPC as protobuf Structs, whose numbers are all doubles. One that is not JSON (NaN, or nested
    too deeply for Pulumi's serializer to survive) is one of those problems.
    """
    props: dict[str, Any] = {}
    problems: list[str] = []
    for f in dataclasses.fields(args):
        value = getattr(args, f.name)
        spec = rtype.by_name.get(f.name)
        if spec is not None and spec.kind is Kind.JSON and isinstance(value, Mapping):
            try:
                value = _json_text(value)
            except ValueError as exc:
                problems.append(f"{f.name} {exc}")
                continue
        if spec is not None and spec.kind is Kind.OBJECT and dataclasses.is_dataclass(value):
            value = {key: item for key, item in vars(value).items() if item is not None}
        if value is None:
            continue
        if _is_plain_data(value):
            problems.extend(_known_problems(rtype, f.name, value))
        props[f.name] = value
    if problems:
        raise ValueError(f"{rtype.name} {quote(resource_name, 100)}: {'; '.join(problems)}")
    return rtype.with_defaults(props)


_PLAIN_DATA = (str, bool, int, float, Mapping, list, tuple, type(None))


def _is_plain_data(value: Any) -> bool:
    """Whether a value is known now: plain data all through, with no Output, awaitable or other object inside."""
    return all(isinstance(item, _PLAIN_DATA) for item in nested(value))


def _known_problems(rtype: ResourceType, name: str, value: Any) -> list[str]:
    """What is wrong with an input whose value is known, as the provider's check says it (`field.key reason`)."""
    spec = rtype.by_name.get(name)
    if spec is None:
        reason = OPTIONS_BY_KEY["import"].problem(value, rtype) if name == IMPORT_INPUT else None
        return [f"{name} {reason}"] if reason else []
    return [f"{name}.{where} {reason}" if where else f"{name} {reason}" for where, reason in spec.problems(value)]


def _json_text(value: Mapping[str, Any]) -> pulumi.Input[str]:
    """Canonical JSON now, or once the Outputs inside are known; a value JSON cannot hold raises now."""
    try:
        return canonical_json(value)
    except TypeError as exc:
        if not _holds_outputs(value):
            raise ValueError(f"holds a value JSON cannot: {exc}") from None
        return pulumi.Output.from_input(value).apply(canonical_json)


def _holds_outputs(value: Any) -> bool:
    """Whether a value holds, at any depth, an Output or awaitable whose value comes later."""
    return any(isinstance(item, pulumi.Output) or inspect.isawaitable(item) for item in nested(value))


class FlexChannel(DeclaredResource, module="flex", name="FlexChannel"):
    """A Flex chat channel (type `pulumi-python:dynamic/flex:FlexChannel`); its id is the channel SID.

    The Flex API cannot update a channel, so changing any input replaces it (new SID).
    """

    _rtype = CHANNEL
    _provider_type = FlexChannelProvider
    _args_type = FlexChannelArgs

    sid: pulumi.Output[str]
    account_sid: pulumi.Output[str]
    flex_flow_sid: pulumi.Output[str]
    user_sid: pulumi.Output[str]
    task_sid: pulumi.Output[str | None]
    url: pulumi.Output[str]
    date_created: pulumi.Output[str]
    date_updated: pulumi.Output[str]

    def __init__(self, resource_name: str, args: FlexChannelArgs | None = None,
                 opts: pulumi.ResourceOptions | None = None, **kwargs: Any) -> None:
        super().__init__(resource_name, args, opts, **kwargs)


class FlexFlow(DeclaredResource, module="flex", name="FlexFlow"):
    """A Flex Flow (type `pulumi-python:dynamic/flex:FlexFlow`); its id is the flow SID.

    Every field is updated in place except `chat_service_sid`, which replaces the flow.
    """

    _rtype = FLEX_FLOW
    _provider_type = FlexFlowProvider
    _args_type = FlexFlowArgs

    sid: pulumi.Output[str]
    account_sid: pulumi.Output[str]
    friendly_name: pulumi.Output[str]
    chat_service_sid: pulumi.Output[str]
    channel_type: pulumi.Output[str]
    contact_identity: pulumi.Output[str | None]
    enabled: pulumi.Output[bool | None]
    integration_type: pulumi.Output[str | None]
    integration: pulumi.Output[dict[str, Any] | None]
    long_lived: pulumi.Output[bool | None]
    janitor_enabled: pulumi.Output[bool | None]
    url: pulumi.Output[str]
    date_created: pulumi.Output[str]
    date_updated: pulumi.Output[str]

    def __init__(self, resource_name: str, args: FlexFlowArgs | None = None,
                 opts: pulumi.ResourceOptions | None = None, **kwargs: Any) -> None:
        super().__init__(resource_name, args, opts, **kwargs)


class AddressConfiguration(DeclaredResource, module="conversations", name="AddressConfiguration"):
    """A Conversations address configuration (type `pulumi-python:dynamic/conversations:AddressConfiguration`); its
    id is the configuration SID (IG…).

    `friendly_name` and `auto_creation` are updated in place; `type`, `address` and `address_country` replace it.
    """

    _rtype = ADDRESS
    _provider_type = AddressConfigurationProvider
    _args_type = AddressConfigurationArgs

    sid: pulumi.Output[str]
    account_sid: pulumi.Output[str]
    type: pulumi.Output[str]
    address: pulumi.Output[str]
    friendly_name: pulumi.Output[str | None]
    auto_creation: pulumi.Output[dict[str, Any] | None]
    date_created: pulumi.Output[str]
    date_updated: pulumi.Output[str]
    url: pulumi.Output[str]
    address_country: pulumi.Output[str | None]

    def __init__(self, resource_name: str, args: AddressConfigurationArgs | None = None,
                 opts: pulumi.ResourceOptions | None = None, **kwargs: Any) -> None:
        super().__init__(resource_name, args, opts, **kwargs)
