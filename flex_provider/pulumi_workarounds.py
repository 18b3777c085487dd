"""Every workaround for a Pulumi internal, in one place; tests/test_pulumi_workarounds.py fails once one is unneeded.

- Pickling: `pulumi.dynamic.Resource.__init__` pickles its provider again for every resource,
  and each pickling wraps `pickle._Pickler._batch_setitems` once more (pulumi 3.x on Python
  < 3.14, pulumi/pulumi#17803): near the 985th resource of a program it fails with
  RecursionError. Our providers hold no state, so one pickling per class serves every resource
  (`serialized_provider`), and resources register through `CustomResource.__init__`
  (`register_dynamic`), skipping `Resource.__init__` and its pickling.
- Private names: `PROVIDER_KEY` and `serialize_provider` live in `pulumi.dynamic.dynamic`, the
  unknown-value sentinel in `pulumi.runtime.rpc`, and the gRPC options every Pulumi server uses (the
  message size limit the engine expects) in `pulumi.runtime._grpc_settings`; none of them is exported
  publicly.
- Unknown values: in a preview the host hands the provider an unknown input as a
  `pulumi.output.Unknown` object (it deserializes with keep_unknowns), not as the sentinel
  string the engine sent; `contains_unknown` recognises both.
- Error text: the experimental provider server (`pulumi.provider.experimental.server`) wraps each
  method in `_raise_with_traceback`, which appends the Python stack to the message of every error it
  passes on, so a user would read a traceback under "HTTP 401 …, check the token". The native front end
  calls the wrapped method itself (`unwrapped`) and answers our errors with their message alone.
- Unknown values out: the experimental API's `PropertyValue.marshal` cannot marshal a computed value
  (it raises ValueError), so the native front end answers an unknown with the engine's own wire form
  of it, the sentinel string (`UNKNOWN`), as the dynamic host does.
- Garbage collection: each registration makes the SDK allocate thousands of long-lived objects
  (outputs, futures, tasks) that the cyclic collector rescans every 700 allocations;
  `relax_gc_for_registrations` raises the young-generation threshold for the program process.
"""

from __future__ import annotations

import functools
import gc
import inspect
from collections.abc import Callable
from typing import Any

import pulumi
from pulumi.dynamic import ResourceProvider
from pulumi.dynamic.dynamic import PROVIDER_KEY, serialize_provider
from pulumi.output import Unknown
from pulumi.runtime._grpc_settings import _GRPC_CHANNEL_OPTIONS as GRPC_CHANNEL_OPTIONS
from pulumi.runtime.rpc import UNKNOWN

from flex_provider.values import nested

__all__ = [
    "GC_YOUNG_THRESHOLD",
    "GRPC_CHANNEL_OPTIONS",
    "PROVIDER_KEY",
    "UNKNOWN",
    "contains_unknown",
    "register_dynamic",
    "relax_gc_for_registrations",
    "serialized_provider",
    "unwrapped",
]

GC_YOUNG_THRESHOLD = 50_000
"""Allocations between young-generation collections in the program process (Python's default: 700).

It makes a large program markedly faster under Pulumi's mocks (BENCHMARKS.md has the figures).
"""


def contains_unknown(value: Any) -> bool:
    """Whether a value is, or holds at any depth, a value Pulumi does not know yet (only in a preview).

    Iterative, so hostile nesting cannot exhaust the stack before check refuses it.
    """
    return any(isinstance(item, Unknown) or (isinstance(item, str) and item == UNKNOWN) for item in nested(value))


@functools.cache
def serialized_provider(provider_type: type[ResourceProvider]) -> str:
    """The `__provider` value of every resource served by `provider_type`, made once per process.

    It is byte for byte what `pulumi.dynamic.Resource` stores for a provider with
    `serialize_as_secret_always = False` that captured no secret Output: plain, not secret.
    """
    return serialize_provider(provider_type())


def register_dynamic(resource: pulumi.CustomResource, type_token: str, name: str, props: dict[str, Any],
                     opts: pulumi.ResourceOptions | None) -> None:
    """Register a dynamic resource as `pulumi.dynamic.Resource.__init__` does after pickling."""
    pulumi.CustomResource.__init__(resource, type_token, name, props, opts)


def relax_gc_for_registrations() -> None:
    """Raise the young-generation GC threshold for the rest of the process (never lower it).

    The registrations run after the program's code returns, so the threshold cannot be put
    back around them; the program process ends when they are done.
    """
    young, middle, old = gc.get_threshold()
    gc.set_threshold(max(young, GC_YOUNG_THRESHOLD), middle, old)


def unwrapped(method: Callable[..., Any]) -> Callable[..., Any]:
    """An experimental provider server method without its `_raise_with_traceback` wrapper (the coroutine function
    the wrapper closes over); the method itself if it has none."""
    cells = getattr(method, "__closure__", None) or ()
    return next((cell.cell_contents for cell in cells if inspect.iscoroutinefunction(cell.cell_contents)), method)
