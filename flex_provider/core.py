"""The provider's one core: check, diff, create, read, update and delete of any declared resource, on plain
mappings, with plain results.

A front end only translates. The dynamic provider (provider.py) turns the engine's requests into these
calls and the results into pulumi.dynamic's; a native provider does the same with its own types. So no
behaviour lives in one front end only, and nothing here is a Pulumi type. Adoption (`import`) is one
story told in adoption.py; each operation here calls its part.

CRUD takes `client`, a callable that gives the HTTP client: it is asked for only once an operation
needs the API, so that check and diff need no credentials, and a bad id is refused before a missing
credential is. Diff and CRUD also take `held`, the SIDs the resources of this run hold in this process
(`Held`), which a front end keeps for the life of its process, as it keeps its connection.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from flex_provider import adoption
from flex_provider.changes import changed, inputs_of, unread, update_body
from flex_provider.client import ApiObject, FlexClient
from flex_provider.declaration import ResourceType
from flex_provider.errors import AlreadyExistsError, FlexError, InvalidIdError, NotFoundError
from flex_provider.options import IMPORT_INPUT
from flex_provider.pulumi_workarounds import contains_unknown
from flex_provider.values import a_or_an, quote, shown, suggestion

__all__ = ["HANDED_BACK_AFTER", "Checked", "Diff", "Failure", "Found", "Held", "check", "create", "delete", "diff",
           "read", "update"]

Client = Callable[[], FlexClient]

HANDED_BACK_AFTER = timedelta(seconds=30)
"""How much older than Twilio's answer a created resource may be: a create takes well under this."""


@dataclass(frozen=True)
class Failure:
    """An input check refuses: the property (a key path such as `integration.flow_sid`) and why."""

    property: str
    reason: str


@dataclass(frozen=True)
class Checked:
    """What check returns: the inputs with defaults applied, in stored form, and every failure."""

    inputs: dict[str, Any]
    failures: list[Failure] = field(default_factory=list)


@dataclass(frozen=True)
class Diff:
    """What diff returns: whether anything changes, which fields changed, those whose change needs a new
    resource, and whether the old one must go first. The native front end reports `changed_fields` per field
    (Pulumi's detailed diff); Pulumi's dynamic host has no way to."""

    changes: bool
    replaces: list[str] = field(default_factory=list)
    delete_before_replace: bool = False
    changed_fields: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Found:
    """A resource as state keeps it: its id (the SID) and its outputs."""

    id: str
    outputs: dict[str, Any]


class Held:
    """SIDs of the resources this process has seen held in this run (created, adopted, diffed, read or updated;
    a delete lets go), so that a create answered with one of them is refused (`create`).

    The dynamic host keeps one provider object per class for its whole life, one run, and each holds one
    of these, as the native provider holds one; both serve several operations at once, hence the lock.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sids: set[str] = set()

    def hold(self, sid: str | None) -> None:
        """Hold `sid`: a resource of this run has it. An empty id names no resource and holds nothing."""
        if sid:
            with self._lock:
                self._sids.add(sid)

    def claim(self, sid: str) -> bool:
        """Hold `sid`; whether it was held already."""
        with self._lock:
            held = sid in self._sids
            self._sids.add(sid)
        return held

    def release(self, sid: str) -> None:
        """Let go of `sid`: its resource was deleted, so a later create may be answered with that SID anew."""
        with self._lock:
            self._sids.discard(sid)


def check(rtype: ResourceType, olds: Mapping[str, Any], news: Mapping[str, Any]) -> Checked:
    """Validate every input without calling the API; return them with defaults applied, in stored form.

    Values not yet known (preview of a computed input) are passed through unchecked. Keys that are
    outputs are ignored: a program registers every output, unset.
    """
    failures: list[Failure] = []
    inputs: dict[str, Any] = {}
    known = [*rtype.by_name, IMPORT_INPUT]
    for key in news:
        if key not in known and key not in rtype.outputs:
            # The engine prints the property as given: shown, so a look-alike or an escape sequence shows as such.
            failures.append(Failure(shown(key), f"is not {a_or_an(rtype.name)} input; {suggestion(key, known)}"))
    given = rtype.with_defaults(news)
    for spec in rtype.fields:
        value = given.get(spec.name)
        if value is None:
            if spec.required:
                failures.append(Failure(spec.name, "is required"))
            continue
        if contains_unknown(value):
            inputs[spec.name] = value
            continue
        problems, stored = spec.checked(value)
        failures.extend(Failure(f"{spec.name}.{where}" if where else spec.name, reason) for where, reason in problems)
        if not problems:
            inputs[spec.name] = stored
    if not failures and not contains_unknown(inputs):
        failures.extend(Failure(path, reason) for path, _, reason in rtype.requirement_problems(inputs))
    refused = adoption.check_import(rtype, olds, news, inputs)
    if refused:
        failures.append(Failure(IMPORT_INPUT, refused))
    return Checked(inputs, failures)


def diff(rtype: ResourceType, id_: str, olds: Mapping[str, Any], news: Mapping[str, Any], held: Held) -> Diff:
    """Replace when a field the API cannot change changed, else update; delete first when the two would collide.

    Collide: the old and new resource share every key of one of the declared collisions (for a
    channel: the same `chat_unique_name`, or the same Flex Flow and identity). `olds` are the stored
    outputs, which include the inputs. Diff never fails: the engine also diffs after every refresh,
    and an error there would stop it (adoption.py, step 2). The resource it diffs is held (`Held`).
    """
    held.hold(id_)
    fields = [spec for spec in rtype.fields if changed(rtype, spec, olds, news)]
    readopt = adoption.adopts_another(id_, news)
    replaces = [spec.name for spec in fields if not spec.updatable and not unread(rtype, spec, olds)] + (
        [IMPORT_INPUT] if readopt else [])
    changed_names = [spec.name for spec in fields] + ([IMPORT_INPUT] if readopt else [])
    if adoption.keeps_adopted(id_, news) and replaces:
        return Diff(changes=True, changed_fields=changed_names)
    if not fields and not readopt:
        return Diff(changes=False)
    collide = news.get(IMPORT_INPUT) is None and bool(replaces) and any(
        all(news.get(key) is not None for key in collision.keys) and not set(collision.keys) & set(replaces)
        for collision in rtype.collisions)
    return Diff(changes=True, replaces=replaces, delete_before_replace=collide, changed_fields=changed_names)


def create(rtype: ResourceType, client: Client, props: Mapping[str, Any], held: Held) -> Found:
    """POST the resource, or adopt the one `import_sid` names; its SID is the resource id.

    One POST, never repeated once it may have reached the server: it either created the resource
    and we return it, or failed and created nothing, or its answer was lost and OutcomeUnknownError
    tells the user how to find and adopt it. A resource Twilio hands back instead of creating one
    (made before the run, or held by another resource of it) is refused, and so is adopting one another
    resource of the run holds, before anything is sent.
    """
    inputs = inputs_of(rtype, props)
    sid = props.get(IMPORT_INPUT)
    if sid:
        if held.claim(sid):
            raise AlreadyExistsError(
                f"cannot adopt {rtype.title} {sid}: another resource of this run already holds it (it created, "
                f"adopted or manages it). Two resources adopting one {rtype.noun} would give it two owners, and "
                f"destroying either would delete the other's; adopt it in one place only.")
        try:
            found = adoption.adopt(rtype, client, sid, inputs)
        except BaseException:
            held.release(sid)
            raise
    else:
        found = client().create(rtype, inputs)
        _refuse_handed_back(rtype, found)
        _refuse_held(rtype, found, held)
    return Found(found.sid, _outputs(inputs, props, found))


def read(rtype: ResourceType, client: Client, id_: str, props: Mapping[str, Any], held: Held) -> Found | None:
    """Fetch the resource (refresh, `Resource.get`); in a refresh, one gone from the account reads as gone (None).

    The outputs are what the API returns now, so a refresh records drift; inputs the API does not
    return keep their stored value. A refresh sends the stored outputs, which always hold the `sid`;
    `get` sends none. For `get`, a missing resource is an error: answered as gone, the engine would
    keep the requested id and succeed with every output empty (pulumi/pulumi
    pkg/resource/deploy/step.go ReadStep.Apply fails only on nil outputs, and the dynamic host always
    returns its `__provider`).
    """
    if not rtype.sid_regex.fullmatch(id_ or ""):
        raise InvalidIdError(f"{quote(id_ or '')} is not {a_or_an(rtype.title)} SID ('{rtype.sid_prefix}' and 32 "
                             "hex digits); check the id given to `get` (or in the state)")
    inputs = inputs_of(rtype, props)
    try:
        found = client().fetch(rtype, id_, **_parents(rtype, inputs))
    except NotFoundError as error:
        if "sid" not in props:
            error.args = (f"{rtype.name}.get: the account has no {rtype.title} {id_} ({error}). Check the SID given "
                          f"to `get` or `pulumi import`: `python -m flex_provider {rtype.command} list` lists them.",)
            raise
        return None
    held.hold(found.sid)
    return Found(found.sid, {**_unread(rtype, props), **_outputs(inputs, props, found)})


def _unread(rtype: ResourceType, props: Mapping[str, Any]) -> dict[str, None]:
    """The inputs the API does not return that state cannot know (changes.py): all of them on a read with the id
    alone (`pulumi import`, `get`), and on a refresh those the state still holds as not known."""
    by_id_alone = "sid" not in props
    return {spec.name: None for spec in rtype.fields if spec.name not in rtype.returned
            and (by_id_alone or (spec.name in props and props[spec.name] is None))}


def update(rtype: ResourceType, client: Client, id_: str, olds: Mapping[str, Any],
           news: Mapping[str, Any], held: Held) -> dict[str, Any]:
    """POST the changed fields to the resource and return its outputs; diff sends here only fields the API can
    change (and the replace of an adopted resource it answers as an update, refused here). With nothing the
    API must be sent (values an import could not read; a resource moving between front ends) it sends
    nothing and returns the outputs with the declared inputs.

    A changed mapping (`integration`, `auto_creation`) is sent whole: whether Twilio merges the
    keys of one sent in part is not documented, and sent whole the result is the same either way.
    """
    adoption.refuse_readoption(rtype, id_, olds, news)
    inputs = inputs_of(rtype, news)
    changes = {spec.name: inputs[spec.name] for spec in rtype.fields
               if spec.name in inputs and changed(rtype, spec, olds, news) and not unread(rtype, spec, olds)}
    if not changes:
        # Only values an import could not read: recorded as declared, with nothing to send (changes.py).
        held.hold(id_)
        return {**{key: value for key, value in olds.items() if value is not None}, **inputs,
                **adoption.adopted(news)}
    if not rtype.updatable:
        raise FlexError(f"{rtype.title}s cannot be updated in place; every change replaces the {rtype.noun}")
    found = client().update(rtype, id_, update_body(rtype, changes, inputs), **_parents(rtype, inputs))
    held.hold(id_)
    return _outputs(inputs, news, found)


def delete(rtype: ResourceType, client: Client, id_: str, props: Mapping[str, Any], held: Held) -> None:
    """DELETE the resource; one already gone counts as deleted. Any other failure means it still exists.
    Once deleted, its SID is held no more."""
    with contextlib.suppress(NotFoundError):
        client().delete(rtype, id_, **_parents(rtype, inputs_of(rtype, props)))
    held.release(id_)


def _parents(rtype: ResourceType, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The SIDs a nested resource's path names (none for a top-level one)."""
    return {spec.name: inputs.get(spec.name) for spec in rtype.path_fields}


def _outputs(inputs: Mapping[str, Any], props: Mapping[str, Any], found: ApiObject) -> dict[str, Any]:
    """State: the inputs in stored form, the adopted SID if any, and what the API answered.

    An answer of null for a declared input is not taken over it: Twilio leaves some fields out
    where they do not apply (an address's country for a long code), and taking the null would
    show a change on every run.
    """
    answered = {key: value for key, value in found.to_outputs().items() if value is not None or key not in inputs}
    return {**inputs, **adoption.adopted(props), **answered}


def _refuse_handed_back(rtype: ResourceType, found: ApiObject) -> None:
    """Refuse a create Twilio answered with a resource it already had.

    Flex hands back the existing channel for a Flex Flow and identity (docs/development.md, Assumed
    Twilio behaviour; `hands_back_existing` in the declaration). Taking it as created would make two
    owners of one channel, and destroying either would delete the other's. A resource made more
    than `HANDED_BACK_AFTER` before Twilio answered (both by Twilio's clock: `date_created` and
    the answer's Date header) was there already.
    """
    made = _timestamp(found.values.get("date_created"))
    if not rtype.hands_back_existing or made is None or found.answered_at is None:
        return
    if made < found.answered_at - HANDED_BACK_AFTER:
        raise AlreadyExistsError(
            f"the create was answered with {rtype.title} {found.sid}, made {found.values['date_created']}, "
            f"before this run: Twilio hands back the {rtype.noun} it already has for these inputs instead of "
            f"creating one. If it is this {rtype.noun}, adopt it with `import: {found.sid}`; if another "
            f"resource owns it, give this one other inputs ({', '.join(_owner_keys(rtype))}).")


def _refuse_held(rtype: ResourceType, found: ApiObject, held: Held) -> None:
    """Refuse a create Twilio answered with a resource another resource of this run already holds, and hold it
    otherwise.

    The hand-back rule's clock cannot tell a channel made seconds ago by another resource of the same
    run (two stack files of one program, a Python program's computed inputs) from a new one; the
    resources the engine diffed or this process created can. Each provider host holds its own: with
    `flex:hosts` above 1, resources on different hosts are told apart only by the clock.
    """
    if held.claim(found.sid):
        raise AlreadyExistsError(
            f"the create was answered with {rtype.title} {found.sid}, which another resource of this run "
            f"already holds: Twilio hands back the {rtype.noun} it already has for these inputs instead of "
            f"creating one. Taking it would give one {rtype.noun} two owners, and destroying either would "
            f"delete the other's; give this one other inputs ({', '.join(_owner_keys(rtype))}).")


def _timestamp(text: Any) -> datetime | None:
    """Twilio's `2026-11-25T08:15:25Z`, or None for anything else."""
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except (TypeError, ValueError):
        return None


def _owner_keys(rtype: ResourceType) -> list[str]:
    """The inputs that decide which existing resource Twilio hands back: those of its collisions."""
    return list(dict.fromkeys(key for collision in rtype.collisions for key in collision.keys))
