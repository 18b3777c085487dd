"""The FlexChannel dynamic provider: Pulumi's check/diff/create/read/delete mapped onto the Flex API.

Pulumi pickles the provider object into the stack state and the dynamic-provider host unpickles
it in another process. So the object carries nothing: no credential, no session, no client.
Its class pickles by reference to this module (a few dozen bytes); settings and the HTTP client
are built in the host process, once, from configuration and the environment.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable, Mapping
from typing import Any, ParamSpec, TypeVar

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
from pulumi.dynamic.dynamic import PROVIDER_KEY
from pulumi.runtime.rpc import UNKNOWN

from flex_provider.client import FlexClient
from flex_provider.errors import FlexError, NotFoundError
from flex_provider.fields import (
    CHANNEL_FIELDS,
    CHANNEL_SID,
    FIELDS_BY_NAME,
    OUTPUT_FIELDS,
    FieldSpec,
    normalize,
    validate_value,
)
from flex_provider.settings import ProviderSettings

__all__ = ["FlexChannelProvider"]

_API_SET = frozenset(OUTPUT_FIELDS) & frozenset(FIELDS_BY_NAME)
"""Inputs the API also returns: left unset, the server's value stands and is no change."""

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


class FlexChannelProvider(ResourceProvider):
    """CRUD for Flex chat channels. The API has no update: every input change is a replace."""

    serialize_as_secret_always = False
    """The pickled provider holds no secret (tests prove it), so it need not be encrypted in state."""

    _settings: ProviderSettings | None = None
    _config_error: FlexError | None = None
    _client: FlexClient | None = None

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        """Pickle to nothing: whatever this object learned at run time stays in its process."""
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__()

    def configure(self, req: ConfigureRequest) -> None:
        """Resolve settings from the stack config the engine sent, then the environment.

        A problem is kept, not raised: preview (check and diff) needs no credentials, and the
        first operation that does reports it.
        """
        try:
            self._settings = ProviderSettings.resolve(req.config.get, os.environ)
        except FlexError as error:
            self._config_error = error

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Validate every input without calling the API; return them normalized.

        Values not yet known (preview of a computed input) are passed through unchecked.
        """
        failures: list[CheckFailure] = []
        inputs: dict[str, Any] = {}
        ignored = {PROVIDER_KEY, *OUTPUT_FIELDS}
        for key in news:
            if key not in FIELDS_BY_NAME and key not in ignored:
                failures.append(CheckFailure(key, f"is not a FlexChannel input; known: {', '.join(FIELDS_BY_NAME)}"))
        for spec in CHANNEL_FIELDS:
            value = news.get(spec.name)
            if value is None:
                if spec.required:
                    failures.append(CheckFailure(spec.name, "is required"))
                continue
            if value == UNKNOWN:
                inputs[spec.name] = value
                continue
            reason = validate_value(spec, value)
            if reason:
                failures.append(CheckFailure(spec.name, reason))
            else:
                inputs[spec.name] = normalize(spec, value)
        return CheckResult(inputs, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """List every changed input as a replace; delete first when old and new would collide.

        Collide: the same `chat_unique_name` (unique per account), or the same Flex Flow and
        identity (Flex hands back the existing channel for those). `olds` are the stored outputs,
        which include the inputs.
        """
        replaces = [spec.name for spec in CHANNEL_FIELDS if _changed(spec.name, olds, news)]
        if not replaces:
            return DiffResult(changes=False, replaces=[], delete_before_replace=False)
        same_unique_name = bool(news.get("chat_unique_name")) and "chat_unique_name" not in replaces
        same_user = not {"flex_flow_sid", "identity"} & set(replaces)
        return DiffResult(changes=True, replaces=replaces, delete_before_replace=same_unique_name or same_user)

    @_user_facing
    def create(self, props: dict[str, Any]) -> CreateResult:
        """POST the channel; its SID is the resource id; outputs are the inputs plus the API's fields.

        One POST, never repeated once it may have reached the server: it either created the
        channel and we return it, or failed and created nothing, or its answer was lost and
        OutcomeUnknownError tells the user how to find and adopt the channel.
        """
        inputs = _inputs(props)
        channel = self._get_client().create_channel(inputs)
        return CreateResult(channel.sid, {**inputs, **channel.to_outputs()})

    @_user_facing
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Fetch the channel (refresh and import). A channel gone from the account reads as gone."""
        if not CHANNEL_SID.match(id_ or ""):
            raise FlexError(f"'{id_}' is not a Flex chat channel SID ('CH' and 32 hex digits); "
                            "check the id given to `import`")
        try:
            channel = self._get_client().fetch_channel(id_)
        except NotFoundError:
            return ReadResult("", {})
        return ReadResult(channel.sid, {**_inputs(props), **channel.to_outputs()})

    def update(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> UpdateResult:
        """Never called: diff marks every change a replace. Refuse rather than drop the outputs."""
        raise FlexError("Flex chat channels cannot be updated in place; every change replaces the channel")

    @_user_facing
    def delete(self, id_: str, _props: dict[str, Any]) -> None:
        """DELETE the channel; one already gone counts as deleted. Any other failure means it still exists."""
        try:
            self._get_client().delete_channel(id_)
        except NotFoundError:
            return

    def _get_client(self) -> FlexClient:
        """The process's one client, built on first use; the host runs up to 4 operations at once."""
        with self._lock:
            if self._client is None:
                if self._config_error is not None:
                    raise self._config_error
                settings = self._settings or ProviderSettings.resolve(lambda _key: None, os.environ)
                self._client = FlexClient(settings.credentials, base_url=settings.base_url,
                                          timeouts=settings.timeouts, retry=settings.retry)
            return self._client


def _stored(spec: FieldSpec, value: Any) -> Any:
    """A value in the form state keeps; an invalid one as given, for check or the API to refuse."""
    return normalize(spec, value) if validate_value(spec, value) is None else value


def _inputs(props: Mapping[str, Any]) -> dict[str, Any]:
    """The channel inputs in `props` in stored form; outputs and the provider are left out."""
    return {spec.name: _stored(spec, props[spec.name]) for spec in CHANNEL_FIELDS if props.get(spec.name) is not None}


def _changed(name: str, olds: Mapping[str, Any], news: Mapping[str, Any]) -> bool:
    new = news.get(name)
    if new is None and name in _API_SET:
        return False
    if new == UNKNOWN:
        return True
    if new is not None:
        new = _stored(FIELDS_BY_NAME[name], new)
    return olds.get(name) != new
