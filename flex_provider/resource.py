"""`FlexChannel`, the Pulumi resource a program declares; its CRUD runs in FlexChannelProvider."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import pulumi
from pulumi.dynamic import Resource
from pulumi.dynamic.dynamic import PROVIDER_KEY, serialize_provider

from flex_provider.fields import OUTPUT_FIELDS, canonical_json
from flex_provider.provider import FlexChannelProvider

__all__ = ["FlexChannel", "FlexChannelArgs", "serialized_provider"]

JsonInput = pulumi.Input[str] | dict[str, Any]


@dataclass(frozen=True)
class FlexChannelArgs:
    """The inputs of a Flex chat channel, as in `fields.CHANNEL_FIELDS` (a test keeps the two equal).

    `pre_engagement_data` and `task_attributes` take a mapping or a JSON string; both are
    stored as canonical JSON, so the same data never shows a diff.
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

    def to_props(self) -> dict[str, Any]:
        """The set inputs by name; unset ones are left out so they are not sent.

        Mappings become canonical JSON here, in the program: sent as mappings they would cross
        gRPC as protobuf Structs, whose numbers are all doubles.
        """
        props = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Mapping):
                value = _json_text(value)
            if value is not None:
                props[f.name] = value
        return props


def _json_text(value: Mapping[str, Any]) -> pulumi.Input[str]:
    try:
        return canonical_json(value)
    except TypeError:
        return pulumi.Output.from_input(value).apply(canonical_json)


@functools.cache
def serialized_provider() -> str:
    """The `__provider` value of every FlexChannel, made once per process.

    `pulumi.dynamic.Resource.__init__` pickles its provider again for every resource, and each
    pickling wraps `pickle._Pickler._batch_setitems` once more (pulumi 3.x on Python < 3.14):
    after about 980 resources in one program, pickling fails with RecursionError. The provider
    is stateless, so one pickling serves every channel, with the same bytes. It is plain, not
    secret, exactly as `Resource` stores a provider with `serialize_as_secret_always = False`
    that captured no secret Output.
    """
    return serialize_provider(FlexChannelProvider())


class FlexChannel(Resource, module="flex", name="FlexChannel"):
    """A Flex chat channel (type `pulumi-python:dynamic/flex:FlexChannel`); its id is the channel SID.

    The Flex API cannot update a channel, so changing any input replaces it (new SID).
    """

    sid: pulumi.Output[str]
    account_sid: pulumi.Output[str]
    flex_flow_sid: pulumi.Output[str]
    user_sid: pulumi.Output[str]
    task_sid: pulumi.Output[str | None]
    url: pulumi.Output[str]
    date_created: pulumi.Output[str]
    date_updated: pulumi.Output[str]

    def __init__(self, resource_name: str, args: FlexChannelArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        props: dict[str, Any] = dict.fromkeys(OUTPUT_FIELDS)
        props.update(args.to_props())
        props[PROVIDER_KEY] = serialized_provider()
        # What Resource.__init__ does after pickling, without pickling again: see serialized_provider.
        pulumi.CustomResource.__init__(self, f"pulumi-python:{self._resource_type_name}", resource_name, props, opts)
