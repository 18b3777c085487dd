"""The native provider's resources in a program (`flex:index:FlexChannel`, …), one class per declaration.

They take the same arguments as the dynamic resources (resource.py: the args class or keyword
arguments, defaults from the declaration) and register the native type, served by the `flex` provider
plugin. Typed SDKs for programs of one's own are generated from the schema (sdk/python); these are what
the stack-file program declares when `flex:frontEnd` is `native`.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, ClassVar, Self

import pulumi

from flex_provider.declaration import ResourceType
from flex_provider.native.schema import build_schema, type_token
from flex_provider.resource import resource_class

__all__ = ["NativeResource", "native_class"]


class NativeResource(pulumi.CustomResource):
    """A resource of the native `flex` provider whose inputs and outputs come from its declaration."""

    _rtype: ClassVar[ResourceType]

    def __init__(self, resource_name: str, args: Any = None, opts: pulumi.ResourceOptions | None = None,
                 **kwargs: Any) -> None:
        """Declare the resource from `args` (its args class) or from keyword arguments, never both."""
        inputs = resource_class(self._rtype).inputs(resource_name, args, kwargs)
        super().__init__(type_token(self._rtype), resource_name, {**self._blank_props(), **inputs}, opts)

    @classmethod
    def get(cls, resource_name: str, id: pulumi.Input[str],  # noqa: A002 - Pulumi's own name for it
            opts: pulumi.ResourceOptions | None = None) -> Self:
        """Read an existing resource by SID into the program; Pulumi will not create or delete it."""
        resource = cls.__new__(cls)
        pulumi.CustomResource.__init__(resource, type_token(cls._rtype), resource_name, cls._blank_props(),
                                       pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(id=id)))
        return resource

    @classmethod
    def _blank_props(cls) -> dict[str, Any]:
        """Every output of the schema unset, so each is an attribute."""
        return dict.fromkeys(build_schema((cls._rtype,))["resources"][type_token(cls._rtype)]["properties"])


@functools.cache
def native_class(rtype: ResourceType) -> type[NativeResource]:
    """The native resource class of a declaration (any declared type, made on first use)."""
    body: Mapping[str, Any] = {"_rtype": rtype, "__module__": __name__, "__qualname__": rtype.name,
                               "__doc__": f"The native `{type_token(rtype)}` resource ({rtype.title})."}
    return type(rtype.name, (NativeResource,), dict(body))
