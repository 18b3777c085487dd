"""The native front end: the `flex` provider plugin's check/diff/create/read/update/delete, translated to the core.

Pulumi's experimental provider API (`pulumi.provider.experimental`) serves it over gRPC; this module
turns its property values into plain data, calls the core (core.py) in a pool of threads, and turns the
results back. No behaviour lives here that the dynamic front end lacks, except what the engine offers only
to a native provider: a detailed diff (per field: update or replace), `pulumi import` (a read with the id
alone; the credentials come from Configure), and more calls at once than the dynamic host's four.

The provider answers Configure as the dynamic host does, so the engine treats both alike: it takes no
secrets (the engine strips them before each call and marks the outputs of secret inputs secret itself,
pulumi/pulumi pkg/resource/plugin/provider_plugin.go) and has no preview of its own (in a preview the
engine sends no Create or Update).
"""

from __future__ import annotations

import asyncio
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import grpc
from pulumi.provider.experimental import provider as api
from pulumi.provider.experimental.property_value import Computed, PropertyValue
from pulumi.provider.experimental.server import ProviderServicer

from flex_provider import core
from flex_provider.connection import Connection
from flex_provider.declaration import ResourceType
from flex_provider.declarations import RESOURCE_TYPES
from flex_provider.errors import FlexError
from flex_provider.native.schema import schema_text, type_token
from flex_provider.pulumi_workarounds import UNKNOWN, unwrapped

__all__ = ["CALLS_AT_ONCE", "FlexProvider", "Servicer", "to_plain", "to_value"]

CALLS_AT_ONCE = 64
"""Calls served at once, each on a thread of its own with a connection of its own: as many as
`pulumi up --parallel 64` sends. More wait for a thread; none is refused."""

T = TypeVar("T")


def to_plain(value: PropertyValue) -> Any:
    """A property value as the core takes it: plain data, an unknown value as the engine's unknown sentinel.

    Secrets arrive plain (the provider takes none); whole numbers that crossed as doubles are the
    declarations' business (each kind reads its own)."""
    inner = value.value
    if isinstance(inner, Computed):
        return UNKNOWN
    if isinstance(inner, Mapping):
        return {key: to_plain(item) for key, item in inner.items()}
    if isinstance(inner, Sequence) and not isinstance(inner, str):
        return [to_plain(item) for item in inner]
    return inner


def _plain_map(values: Mapping[str, PropertyValue] | None) -> dict[str, Any]:
    return {key: to_plain(value) for key, value in (values or {}).items()}


def to_value(value: Any) -> PropertyValue:
    """Plain data as a property value: numbers as doubles, as protobuf carries them, and an unknown value as the
    engine's unknown sentinel, its wire form (pulumi_workarounds: the SDK cannot marshal a computed value)."""
    if value == UNKNOWN:
        return PropertyValue(UNKNOWN)
    if isinstance(value, Mapping):
        return PropertyValue({key: to_value(item) for key, item in value.items()})
    if isinstance(value, list | tuple):
        return PropertyValue([to_value(item) for item in value])
    if isinstance(value, int) and not isinstance(value, bool):
        return PropertyValue(float(value))
    return PropertyValue(value)


def _value_map(values: Mapping[str, Any]) -> dict[str, PropertyValue]:
    return {key: to_value(value) for key, value in values.items()}


class FlexProvider(api.Provider):
    """Every declared resource type, `flex:index:<Name>`, through one connection to the account it is configured
    for (a default provider for the stack's `flex:` settings, or an explicit one with its own)."""

    def __init__(self, rtypes: Iterable[ResourceType] = RESOURCE_TYPES, calls_at_once: int = CALLS_AT_ONCE) -> None:
        self._types = {type_token(rtype): rtype for rtype in rtypes}
        self._connection = Connection(native=True, pool_size=calls_at_once)
        self._held = core.Held()
        self._pool = ThreadPoolExecutor(max_workers=calls_at_once, thread_name_prefix="flex-call")

    def _rtype(self, urn: str) -> ResourceType:
        token = urn.split("::")[2].rsplit("$", 1)[-1]
        rtype = self._types.get(token)
        if rtype is None:
            raise FlexError(f"the flex provider has no resource type {token}; it has {', '.join(self._types)}")
        return rtype

    async def _call(self, work: Callable[..., T], *args: Any) -> T:
        """Run blocking work (HTTP) on the pool, so calls overlap as the engine sends them."""
        return await asyncio.get_running_loop().run_in_executor(self._pool, work, *args)

    async def get_schema(self, request: api.GetSchemaRequest) -> api.GetSchemaResponse:
        return api.GetSchemaResponse(schema_text())

    async def configure(self, request: api.ConfigureRequest) -> api.ConfigureResponse:
        """Settings from the provider's inputs (the stack's `flex:` config, or an explicit provider's own), then
        the environment; a problem waits for the first call that needs the API, as in the dynamic front end."""
        settings = _plain_map(request.args)
        self._connection.configure(settings.get)
        return api.ConfigureResponse(accept_secrets=False, supports_preview=False, accept_resources=False,
                                     accept_outputs=False)

    async def check(self, request: api.CheckRequest) -> api.CheckResponse:
        checked = core.check(self._rtype(request.urn), _plain_map(request.old_inputs), _plain_map(request.new_inputs))
        return api.CheckResponse(inputs=_value_map(checked.inputs),
                                 failures=[api.CheckFailure(f.property, f.reason) for f in checked.failures])

    async def diff(self, request: api.DiffRequest) -> api.DiffResponse:
        found = core.diff(self._rtype(request.urn), request.resource_id, _plain_map(request.old_state),
                          _plain_map(request.new_inputs), self._held)
        detailed = {name: api.PropertyDiff(api.PropertyDiffKind.UPDATE_REPLACE if name in found.replaces
                                           else api.PropertyDiffKind.UPDATE, True) for name in found.changed_fields}
        return api.DiffResponse(changes=found.changes, replaces=found.replaces,
                                delete_before_replace=found.delete_before_replace, diffs=found.changed_fields,
                                detailed_diff=detailed)

    async def create(self, request: api.CreateRequest) -> api.CreateResponse:
        made = await self._call(core.create, self._rtype(request.urn), self._connection.client,
                                _plain_map(request.properties), self._held)
        return api.CreateResponse(resource_id=made.id, properties=_value_map(made.outputs))

    async def read(self, request: api.ReadRequest) -> api.ReadResponse:
        """Refresh, `get`, and `pulumi import` (a read with the id alone): the inputs it answers are the
        declared inputs the state holds, or, for an import, those Twilio returns."""
        rtype = self._rtype(request.urn)
        props = _plain_map(request.properties)
        found = await self._call(core.read, rtype, self._connection.client, request.resource_id, props, self._held)
        if found is None:
            return api.ReadResponse(resource_id=None, properties={}, inputs={})
        inputs = _plain_map(request.inputs) or {spec.name: found.outputs[spec.name] for spec in rtype.fields
                                                if found.outputs.get(spec.name) is not None}
        return api.ReadResponse(resource_id=found.id, properties=_value_map(found.outputs),
                                inputs=_value_map(inputs))

    async def update(self, request: api.UpdateRequest) -> api.UpdateResponse:
        outputs = await self._call(core.update, self._rtype(request.urn), self._connection.client,
                                   request.resource_id, _plain_map(request.olds), _plain_map(request.news), self._held)
        return api.UpdateResponse(properties=_value_map(outputs))

    async def delete(self, request: api.DeleteRequest) -> None:
        await self._call(core.delete, self._rtype(request.urn), self._connection.client, request.resource_id,
                         _plain_map(request.properties), self._held)


def _answered(name: str) -> Callable[..., Any]:
    """The experimental server's method `name`, answering our errors with their message alone."""
    method = unwrapped(getattr(ProviderServicer, name))

    async def answer(self: Servicer, request: Any, context: grpc.aio.ServicerContext) -> Any:
        try:
            return await method(self, request, context)
        except FlexError as error:
            await context.abort(grpc.StatusCode.UNKNOWN, str(error))
        except NotImplementedError:
            raise
        except Exception:
            await context.abort(grpc.StatusCode.UNKNOWN, traceback.format_exc())

    answer.__name__ = answer.__qualname__ = name
    return answer


class Servicer(ProviderServicer):
    """The experimental server's servicer, whose resource methods answer a FlexError with its message alone
    (pulumi_workarounds.unwrapped); any other error with its stack, for a bug report."""

    Configure = _answered("Configure")
    Check = _answered("Check")
    Diff = _answered("Diff")
    Create = _answered("Create")
    Read = _answered("Read")
    Update = _answered("Update")
    Delete = _answered("Delete")
