"""Dynamic providers: Pulumi's check/diff/create/read/update/delete mapped onto each declared resource's API.

One class, `DeclaredProvider`, serves every resource from its declaration; each resource has a
subclass that names its declaration. Pulumi pickles the provider object into the stack state and
the dynamic-provider host unpickles it in another process, so the object carries nothing: no
credential, no session, no client. Its class pickles by reference to this module (a few dozen
bytes); settings and the HTTP client are built in the host process, once, from configuration
and the environment.
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
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

from flex_provider.client import ApiObject, FlexClient
from flex_provider.declaration import Field, ResourceType
from flex_provider.declarations import ADDRESS, CHANNEL, FLEX_FLOW
from flex_provider.errors import AdoptionError, AlreadyExistsError, FlexError, InvalidIdError, NotFoundError
from flex_provider.options import IMPORT_INPUT, OPTIONS_BY_KEY
from flex_provider.pulumi_workarounds import PROVIDER_KEY, UNKNOWN, contains_unknown
from flex_provider.settings import ProviderSettings
from flex_provider.values import Kind, a_or_an, quote, shown

__all__ = ["UNKNOWN", "AddressConfigurationProvider", "DeclaredProvider", "FlexChannelProvider", "FlexFlowProvider"]

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
    """CRUD for the resource `rtype` declares: replace for fields the API cannot change, update for the rest."""

    rtype: ClassVar[ResourceType]

    serialize_as_secret_always = False
    """The pickled provider holds no secret (tests prove it), so it need not be encrypted in state."""

    _settings: ProviderSettings | None = None
    _config_error: FlexError | None = None
    _client: FlexClient | None = None

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._held: set[str] = set()
        """SIDs of the resources this process has seen held in this run (created, adopted, diffed, read or
        updated; a delete lets go). The host keeps one provider object per class for its whole life, one run."""

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

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Validate every input without calling the API; return them with defaults applied, in stored form.

        Values not yet known (preview of a computed input) are passed through unchecked.
        """
        rtype = self.rtype
        failures: list[CheckFailure] = []
        inputs: dict[str, Any] = {}
        known = [*rtype.by_name, IMPORT_INPUT]
        ignored = {PROVIDER_KEY, *rtype.outputs}
        for key in news:
            if key not in known and key not in ignored:
                failures.append(CheckFailure(key, f"is not {a_or_an(rtype.name)} input; known: {', '.join(known)}"))
        given = rtype.with_defaults(news)
        for spec in rtype.fields:
            value = given.get(spec.name)
            if value is None:
                if spec.required:
                    failures.append(CheckFailure(spec.name, "is required"))
                continue
            if contains_unknown(value):
                inputs[spec.name] = value
                continue
            if spec.kind is Kind.OBJECT:
                problems = spec.problems(value)
                failures.extend(CheckFailure(f"{spec.name}.{where}" if where else spec.name, reason)
                                for where, reason in problems)
                if not problems:
                    inputs[spec.name] = spec.stored(value)
                continue
            reason, stored = spec.checked(value)
            if reason:
                failures.append(CheckFailure(spec.name, reason))
            else:
                inputs[spec.name] = stored
        if not failures and not contains_unknown(inputs):
            failures.extend(CheckFailure(path, reason) for path, _, reason in rtype.requirement_problems(inputs))
        adopt = news.get(IMPORT_INPUT)
        reason = None if adopt is None or contains_unknown(adopt) else OPTIONS_BY_KEY["import"].problem(adopt, rtype)
        if reason:
            failures.append(CheckFailure(IMPORT_INPUT, reason))
        elif adopt is not None:
            inputs[IMPORT_INPUT] = adopt
            fixed = [spec.name for spec in rtype.fields
                     if not spec.updatable and olds and _changed(rtype, spec, olds, inputs)]
            if olds.get(IMPORT_INPUT) == adopt and fixed:
                failures.append(CheckFailure(IMPORT_INPUT, str(_readoption(rtype, adopt, fixed))))
        return CheckResult(inputs, failures)

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Replace when a field the API cannot change changed, else update; delete first when the two would collide.

        Collide: the old and new resource share every key of one of the declared collisions
        (for a channel: the same `chat_unique_name`, or the same Flex Flow and identity).
        `olds` are the stored outputs, which include the inputs. An `import_sid` that names
        another resource than this one is a replace: the new one is adopted, the old deleted.

        A replace of the resource `import_sid` still names would adopt it again and then delete it;
        check refuses that change in the program, and one found only against the live resource (a
        field changed in the Console) is answered as an update, which `update` refuses. Diff itself
        never fails: the engine also diffs after every refresh, and an error there would stop it.
        """
        rtype = self.rtype
        self._hold(id_)
        changed = [spec for spec in rtype.fields if _changed(rtype, spec, olds, news)]
        adopt = news.get(IMPORT_INPUT)
        readopt = adopt is not None and (contains_unknown(adopt) or adopt != id_)
        replaces = [spec.name for spec in changed if not spec.updatable] + ([IMPORT_INPUT] if readopt else [])
        if adopt == id_ and replaces:
            return DiffResult(changes=True, replaces=[], delete_before_replace=False)
        if not changed and not readopt:
            return DiffResult(changes=False, replaces=[], delete_before_replace=False)
        collide = adopt is None and bool(replaces) and any(
            all(news.get(key) is not None for key in collision.keys) and not set(collision.keys) & set(replaces)
            for collision in rtype.collisions)
        return DiffResult(changes=True, replaces=replaces, delete_before_replace=collide)

    @_user_facing
    def create(self, props: dict[str, Any]) -> CreateResult:
        """POST the resource, or adopt the one `import_sid` names; its SID is the resource id.

        One POST, never repeated once it may have reached the server: it either created the
        resource and we return it, or failed and created nothing, or its answer was lost and
        OutcomeUnknownError tells the user how to find and adopt it. An adoption makes no POST
        to the collection: it fetches the resource, refuses one whose fields cannot be made to
        match the declaration, and updates those that can.
        """
        inputs = _inputs(self.rtype, props)
        adopt = props.get(IMPORT_INPUT)
        if adopt:
            found = self._adopt(adopt, inputs)
            self._hold(found.sid)
        else:
            found = self._get_client().create(self.rtype, inputs)
            self._refuse_handed_back(found)
            self._refuse_held(found)
        return CreateResult(found.sid, self._outputs(inputs, props, found))

    def _hold(self, sid: str | None) -> None:
        if sid:
            with self._lock:
                self._held.add(sid)

    def _refuse_held(self, found: ApiObject) -> None:
        """Refuse a create Twilio answered with a resource another resource of this run already holds, and
        hold it otherwise.

        The hand-back rule's clock cannot tell a channel made seconds ago by another resource of the same
        run (two stack files of one program, a Python program's computed inputs) from a new one; the
        resources the engine diffed or this process created can. Each provider host holds its own: with
        `flex:hosts` above 1, resources on different hosts are told apart only by the clock.
        """
        rtype = self.rtype
        with self._lock:
            held = found.sid in self._held
            self._held.add(found.sid)
        if held:
            raise AlreadyExistsError(
                f"the create was answered with {rtype.title} {found.sid}, which another resource of this run "
                f"already holds: Twilio hands back the {rtype.noun} it already has for these inputs instead of "
                f"creating one. Taking it would give one {rtype.noun} two owners, and destroying either would "
                f"delete the other's; give this one other inputs ({', '.join(_owner_keys(rtype))}).")

    def _refuse_handed_back(self, found: ApiObject) -> None:
        """Refuse a create Twilio answered with a resource it already had.

        Flex hands back the existing channel for a Flex Flow and identity (README, Assumed Twilio
        behaviour; `hands_back_existing` in the declaration). Taking it as created would make two
        owners of one channel, and destroying either would delete the other's. A resource made more
        than `HANDED_BACK_AFTER` before Twilio answered (both by Twilio's clock: `date_created` and
        the answer's Date header) was there already.
        """
        made = _timestamp(found.values.get("date_created"))
        if not self.rtype.hands_back_existing or made is None or found.answered_at is None:
            return
        if made < found.answered_at - HANDED_BACK_AFTER:
            rtype = self.rtype
            raise AlreadyExistsError(
                f"the create was answered with {rtype.title} {found.sid}, made {found.values['date_created']}, "
                f"before this run: Twilio hands back the {rtype.noun} it already has for these inputs instead of "
                f"creating one. If it is this {rtype.noun}, adopt it with `import: {found.sid}`; if another "
                f"resource owns it, give this one other inputs ({', '.join(_owner_keys(rtype))}).")

    @_user_facing
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Fetch the resource (refresh, `Resource.get`). In a refresh, one gone from the account reads as gone.

        The outputs are what the API returns now, so a refresh records drift; inputs the API
        does not return keep their stored value. A refresh sends the stored outputs, which always
        hold the `sid`; `get` sends none. For `get`, a missing resource is an error: answered as
        gone, the engine would keep the requested id and succeed with every output empty
        (pulumi/pulumi pkg/resource/deploy/step.go ReadStep.Apply fails only on nil outputs, and the
        dynamic host always returns its `__provider`).
        """
        rtype = self.rtype
        if not rtype.sid_regex.fullmatch(id_ or ""):
            raise InvalidIdError(f"{quote(id_ or '')} is not {a_or_an(rtype.title)} SID ('{rtype.sid_prefix}' and 32 "
                                 "hex digits); check the id given to `get` (or in the state)")
        try:
            found = self._get_client().fetch(rtype, id_)
        except NotFoundError as error:
            if "sid" not in props:
                error.args = (f"{rtype.name}.get: the account has no {rtype.title} {id_} ({error}). Check the SID: "
                              f"`python -m flex_provider {rtype.command} list` lists them.",)
                raise
            return ReadResult("", {})
        self._hold(found.sid)
        return ReadResult(found.sid, self._outputs(_inputs(rtype, props), props, found))

    @_user_facing
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """POST the changed fields to the resource; diff sends here only fields the API can change, and the
        replace of an adopted resource it answers as an update (see `diff`), refused here.

        A changed mapping (`integration`, `auto_creation`) is sent whole: whether Twilio merges the
        keys of one sent in part is not documented, and sent whole the result is the same either way.
        """
        rtype = self.rtype
        fixed = [spec.name for spec in rtype.fields if not spec.updatable and _changed(rtype, spec, olds, news)]
        if news.get(IMPORT_INPUT) == id_ and fixed:
            raise _readoption(rtype, id_, fixed)
        if not rtype.updatable:
            raise FlexError(f"{rtype.title}s cannot be updated in place; every change replaces the {rtype.noun}")
        inputs = _inputs(rtype, news)
        changes = {spec.name: inputs[spec.name]
                   for spec in rtype.fields if spec.name in inputs and _changed(rtype, spec, olds, news)}
        found = self._get_client().update(rtype, id_, changes)
        self._hold(id_)
        return UpdateResult(self._outputs(inputs, news, found))

    @_user_facing
    def delete(self, id_: str, _props: dict[str, Any]) -> None:
        """DELETE the resource; one already gone counts as deleted. Any other failure means it still exists."""
        with contextlib.suppress(NotFoundError):
            self._get_client().delete(self.rtype, id_)
        with self._lock:
            self._held.discard(id_)

    def _adopt(self, sid: str, inputs: Mapping[str, Any]) -> ApiObject:
        rtype, client = self.rtype, self._get_client()
        try:
            found = client.fetch(rtype, sid)
        except NotFoundError as error:
            raise AdoptionError(
                f"cannot adopt {rtype.title} {sid}: the account has no such {rtype.noun}. Check the SID "
                f"(`python -m flex_provider {rtype.command} list`), or remove `import` to create a new {rtype.noun}."
            ) from error
        returned = [spec for spec in rtype.fields if spec.name in rtype.returned and spec.name in inputs]
        for spec in returned:
            actual = found.values.get(spec.name)
            if not spec.updatable and actual != inputs[spec.name]:
                theirs, ours = shown(str(actual)), shown(str(inputs[spec.name]))  # Twilio's and the file's: escaped
                raise AdoptionError(
                    f"cannot adopt {rtype.title} {sid}: its {spec.name} is {theirs}, but the {rtype.noun} declares "
                    f"{ours}, and {a_or_an(rtype.noun)}'s {spec.name} cannot change. Declare {spec.name}: {theirs} to "
                    f"adopt it as it is, or import {a_or_an(rtype.noun)} of {ours} (`python -m flex_provider "
                    f"{rtype.command} list` lists them)."
                )
        changes = {spec.name: inputs[spec.name]
                   for spec in returned if _differs(spec, found.values.get(spec.name), inputs[spec.name])}
        return client.update(rtype, sid, changes) if changes else found

    def _outputs(self, inputs: Mapping[str, Any], props: Mapping[str, Any], found: ApiObject) -> dict[str, Any]:
        """State: the inputs in stored form, the adopted SID if any, and what the API answered.

        An answer of null for a declared input is not taken over it: Twilio leaves some fields out
        where they do not apply (an address's country for a long code), and taking the null would
        show a change on every run.
        """
        adopted = {IMPORT_INPUT: props[IMPORT_INPUT]} if props.get(IMPORT_INPUT) else {}
        answered = {key: value for key, value in found.to_outputs().items() if value is not None or key not in inputs}
        return {**inputs, **adopted, **answered}

    def _get_client(self) -> FlexClient:
        """The process's one client, built on first use; the host runs up to 4 operations at once."""
        with self._lock:
            if self._client is None:
                if self._config_error is not None:
                    raise type(self._config_error)(str(self._config_error))  # a fresh one: up to 4 threads raise it
                settings = self._settings or ProviderSettings.resolve(lambda _key: None, os.environ)
                self._client = settings.client()
            return self._client


class FlexChannelProvider(DeclaredProvider):
    """Flex chat channels. The API has no update: every input change is a replace."""

    rtype = CHANNEL


class FlexFlowProvider(DeclaredProvider):
    """Flex Flows: updated in place, but replaced for another chat service."""

    rtype = FLEX_FLOW


class AddressConfigurationProvider(DeclaredProvider):
    """Conversations address configurations: updated in place, but replaced for another type, address or country."""

    rtype = ADDRESS


HANDED_BACK_AFTER = timedelta(seconds=30)
"""How much older than Twilio's answer a created resource may be: a create takes well under this."""


def _timestamp(text: Any) -> datetime | None:
    """Twilio's `2026-11-25T08:15:25Z`, or None for anything else."""
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except (TypeError, ValueError):
        return None


def _owner_keys(rtype: ResourceType) -> list[str]:
    """The inputs that decide which existing resource Twilio hands back: those of its collisions."""
    return list(dict.fromkeys(key for collision in rtype.collisions for key in collision.keys))


def _stored(spec: Field, value: Any) -> Any:
    """A value in the form state keeps; an invalid one as given, for check or the API to refuse."""
    return spec.stored(value) if not spec.problems(value) else value


def _inputs(rtype: ResourceType, props: Mapping[str, Any]) -> dict[str, Any]:
    """The declared inputs in `props` in stored form; outputs, options and the provider are left out."""
    return {spec.name: _stored(spec, props[spec.name]) for spec in rtype.fields if props.get(spec.name) is not None}


def _changed(rtype: ResourceType, spec: Field, olds: Mapping[str, Any], news: Mapping[str, Any]) -> bool:
    new = news.get(spec.name)
    if new is None and spec.name in rtype.returned:
        return False
    if contains_unknown(new):
        return True
    old = olds.get(spec.name)
    return _differs(spec, None if old is None else _stored(spec, spec.from_api(old)),
                    None if new is None else _stored(spec, new))


def _differs(spec: Field, old: Any, new: Any) -> bool:
    """Whether `new` asks for something `old` is not; a mapping's keys left unset keep the server's value."""
    if spec.kind is Kind.OBJECT and isinstance(old, Mapping) and isinstance(new, Mapping):
        return any(contains_unknown(new[key]) or old.get(key) != new[key] for key in new)
    return old != new


def _readoption(rtype: ResourceType, sid: str, fields: list[str]) -> AdoptionError:
    return AdoptionError(
        f"{rtype.title} {sid} was adopted with `import`, and a change of {', '.join(fields)} needs a new "
        f"{rtype.noun}: the replace would adopt {sid} again and then delete it. Remove the `import` line "
        f"first (the {rtype.noun} stays in the stack), then make the change.")
