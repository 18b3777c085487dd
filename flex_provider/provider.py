"""The dynamic front end: pulumi.dynamic's check/diff/create/read/update/delete, translated to the core (core.py).

One class, `DeclaredProvider`, serves every resource; each declared resource has a subclass,
`<Name>Provider`, made here in a loop over the declarations. Pulumi pickles the provider object into
the stack state and the dynamic-provider host unpickles it in another process, so the object carries
nothing: no credential, no session, no client. Its class pickles by reference to this module (a few
dozen bytes), and every resource's state holds that reference, so these classes keep their module and
names. Settings and the HTTP client are built in the host process, once, from configuration and the
environment (connection.py).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ClassVar, ParamSpec, TypeVar

from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

from flex_provider import core
from flex_provider.connection import Connection
from flex_provider.declaration import ResourceType
from flex_provider.declarations import RESOURCE_TYPES
from flex_provider.errors import FlexError
from flex_provider.pulumi_workarounds import PROVIDER_KEY, UNKNOWN

P = ParamSpec("P")
R = TypeVar("R")


def _user_facing(method: Callable[P, R]) -> Callable[P, R]:
    """Raise our own errors without the chain of library exceptions behind them.

    The dynamic-provider host prints the full traceback of whatever a method raises; a
    FlexError's message already says what happened and what to do.
    """

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except FlexError as error:
            raise error.with_traceback(None) from None

    return wrapper


class DeclaredProvider(ResourceProvider):
    """The resource `rtype` declares, through the core: each method's contract is its core function's."""

    rtype: ClassVar[ResourceType]

    serialize_as_secret_always = False
    """The pickled provider holds no secret (tests prove it), so it need not be encrypted in state."""

    def __init__(self) -> None:
        super().__init__()
        self._connection = Connection()
        self._held = core.Held()

    def __getstate__(self) -> dict[str, Any]:
        """Pickle to nothing: whatever this object learned at run time stays in its process."""
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__()

    def configure(self, req: ConfigureRequest) -> None:
        """Settings from the stack config the engine sent, then the environment (a problem waits for the API)."""
        self._connection.configure(req.config.get)

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        checked = core.check(self.rtype, olds, {k: v for k, v in news.items() if k != PROVIDER_KEY})
        return CheckResult(checked.inputs, [CheckFailure(f.property, f.reason) for f in checked.failures])

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """The core's diff; and an update, sending nothing, for a resource the native provider made.

        The dynamic host finds the provider of every later call (read, update, delete) in the resource's
        stored outputs, where only its own create or update puts it. A resource that comes from the native
        front end (front_end.py) has none, so it gets one through an update that calls no API.
        """
        found = core.diff(self.rtype, id_, olds, news, self._held)
        if not found.changes and PROVIDER_KEY not in olds:
            return DiffResult(changes=True, replaces=[], delete_before_replace=False)
        return DiffResult(changes=found.changes, replaces=found.replaces,
                          delete_before_replace=found.delete_before_replace)

    @_user_facing
    def create(self, props: dict[str, Any]) -> CreateResult:
        created = core.create(self.rtype, self._connection.client, props, self._held)
        return CreateResult(created.id, created.outputs)

    @_user_facing
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        found = core.read(self.rtype, self._connection.client, id_, props, self._held)
        return ReadResult("", {}) if found is None else ReadResult(found.id, found.outputs)

    @_user_facing
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """The core's update; for a resource the native provider made (see diff) it has nothing to send, and
        the host adds its provider to the outputs."""
        return UpdateResult(core.update(self.rtype, self._connection.client, id_, olds, news, self._held))

    @_user_facing
    def delete(self, id_: str, props: dict[str, Any]) -> None:
        core.delete(self.rtype, self._connection.client, id_, props, self._held)


def provider_class(rtype: ResourceType, module: str = __name__) -> type[DeclaredProvider]:
    """The dynamic provider class of a declaration, `<Name>Provider`, as defined in `module`.

    The caller binds it to that name in `module`: pickle finds a class by its module and name,
    and the dynamic host imports that module to unpickle it.
    """
    name = f"{rtype.name}Provider"
    return type(name, (DeclaredProvider,), {"rtype": rtype, "__module__": module, "__qualname__": name,
                                            "__doc__": f"The {rtype.title}s of the declarations."})


PROVIDERS: dict[ResourceType, type[DeclaredProvider]] = {rtype: provider_class(rtype) for rtype in RESOURCE_TYPES}
"""Each declared resource's provider class."""
globals().update({provider.__name__: provider for provider in PROVIDERS.values()})

__all__ = ["PROVIDERS", "UNKNOWN", "DeclaredProvider", "provider_class",
           *(provider.__name__ for provider in PROVIDERS.values())]
