"""The Pulumi resources a program declares (`FlexChannel`, …), one class per declaration, made here in a loop; their
CRUD runs in the providers of `provider.py`.

Each resource takes its typed args object (kept beside its declaration; tests/test_resource.py keeps
it equal to the declared fields) or keyword arguments, as Pulumi's generated SDKs do, and has a `get`
that reads an existing one into a program. Every declared output is an attribute. Defaults are applied
from the declaration, never written here.
"""

from __future__ import annotations

import dataclasses
import inspect
import types
from collections.abc import Mapping
from typing import Any, ClassVar, Self

import pulumi
from pulumi.dynamic import Resource

from flex_provider.declaration import ResourceType
from flex_provider.declarations import RESOURCE_TYPES
from flex_provider.options import IMPORT_INPUT, OPTIONS_BY_KEY
from flex_provider.provider import PROVIDERS, DeclaredProvider
from flex_provider.pulumi_workarounds import PROVIDER_KEY, register_dynamic, serialized_provider
from flex_provider.values import a_or_an, canonical_json, closest, nested, quote, shown


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
        return {**cls._blank_props(), **cls.inputs(resource_name, args, kwargs)}

    @classmethod
    def inputs(cls, resource_name: str, args: Any, kwargs: Mapping[str, Any]) -> dict[str, Any]:
        """The inputs a program gives, checked and with defaults, as both front ends register them."""
        return _props(cls._rtype, cls._args_from(args, kwargs), resource_name)

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
                            f"not both (got args and {', '.join(shown(key) for key in kwargs)})")
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


def declare_resource(rtype: ResourceType, provider: type[DeclaredProvider],
                     module: str = __name__) -> type[DeclaredResource]:
    """The resource class of a declaration, named as it is (`FlexChannel`), served by `provider`.

    Its type token is the declaration's (`pulumi-python:dynamic/flex:FlexChannel`); `args` is the
    declaration's args class, and its outputs are the declared ones.
    """
    if rtype.args is None:
        raise TypeError(f"{rtype.name} declares no args class; a resource needs one")
    fixed = ", ".join(spec.name for spec in rtype.fields if not spec.updatable)
    change = (f"Changing {fixed} replaces it; every other input is updated in place." if rtype.updatable else
              "The API cannot update one, so changing any input replaces it (a new SID).")
    body = {"_rtype": rtype, "_provider_type": provider, "_args_type": rtype.args, "__module__": module,
            "__qualname__": rtype.name, "__annotations__": dict.fromkeys(rtype.outputs, "pulumi.Output[Any]"),
            "__doc__": f"{_capitalized(a_or_an(rtype.title))} (type `{rtype.type_token}`); its id is its SID "
                       f"({rtype.sid_prefix}…).\n\n{change}"}
    return types.new_class(rtype.name, (DeclaredResource,), {"module": rtype.module, "name": rtype.name},
                           lambda namespace: namespace.update(body))


def _capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def _s(items: list[str]) -> str:
    return "s" if len(items) != 1 else ""


def _suggested(unknown: Mapping[str, str | None], known: list[str]) -> str:
    """Unknown names, each with the known one it resembles, as stack files say it; the known list when one has none.

    `identty; did you mean 'identity'?`, or `colour; known: flex_flow_sid, …`. Each is shown as stack files show
    names (`shown`), so a look-alike letter or an escape sequence in one shows as its code point.
    """
    if len(unknown) == 1:
        [(key, close)] = unknown.items()
        return f"{shown(key)}; did you mean '{close}'?" if close else f"{shown(key)}; known: {', '.join(known)}"
    named = ", ".join(f"{shown(key)} (did you mean '{close}'?)" if close else shown(key)
                      for key, close in unknown.items())
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
        if spec is not None and spec.kind.json_text and isinstance(value, Mapping):
            try:
                value = _json_text(value)
            except ValueError as exc:
                problems.append(f"{f.name} {exc}")
                continue
        if spec is not None and spec.fields and dataclasses.is_dataclass(value):
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


RESOURCES: dict[ResourceType, type[DeclaredResource]] = {
    rtype: declare_resource(rtype, PROVIDERS[rtype]) for rtype in RESOURCE_TYPES}
"""Each declared resource's class."""
globals().update({resource.__name__: resource for resource in RESOURCES.values()})

__all__ = ["RESOURCES", "DeclaredResource", "declare_resource", "resource_class",
           *(resource.__name__ for resource in RESOURCES.values())]
