"""Handlers: parse and check each request as Twilio does, call the backend, answer with the API's JSON.

Every backend's operations are alike (records.py), so each verb has one handler here, made for a backend
and the contract's operation: a create parses the form as the contract says, lets the backend refuse
what the spec's prose forbids, and answers with the operation's status; a nested resource's path names
its parent, which must exist. `routes.py` maps method and path to them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from twilio_emulator.backends.records import Records
from twilio_emulator.contract import parse_params, snake_case
from twilio_emulator.errors import not_found
from twilio_emulator.paging import page_of

__all__ = ["Answer", "Handler", "Request", "handler"]

_PAGING = ("PageSize", "Page", "PageToken")


@dataclass(frozen=True)
class Request:
    """An API request, parsed: what a handler needs and nothing of HTTP."""

    base_url: str
    """Where the request was sent (scheme and Host): URLs in answers are built from it."""
    path: str
    path_params: Mapping[str, str]
    """The path's `{Name}`s as the route matched them: `Sid`, and a nested resource's parent (`WorkspaceSid`)."""
    query: Mapping[str, Sequence[str]]
    form: Mapping[str, Sequence[str]]


@dataclass(frozen=True)
class Answer:
    status: int
    body: Mapping[str, Any] | None = None
    created: bool = field(default=False)
    """A create that made something: a `drop_after_create` fault may lose this answer. A create that
    hands back an existing resource made nothing, so it is never dropped: the fault stands for the one
    dangerous loss (a resource made whose SID the caller never learns), and its share stays a share
    of resources made however often a caller repeats a create."""


Handler = Callable[[Request], Answer]


def handler(backend: Records[Any], verb: str, operation: Mapping[str, Any]) -> Handler:
    """The handler of one of a backend's operations (`verb` is `Create`, `Fetch`, `Update`, `List` or `Delete`)."""
    return _VERBS[verb](backend, operation)


def _create(backend: Records[Any], operation: Mapping[str, Any]) -> Handler:
    def create(request: Request) -> Answer:
        params = {**parse_params(operation, request.form), **_parents(backend, request)}
        backend.check(params, None)
        with backend.account.lock:
            _require_references(backend, params)
            record, made = backend.create(**params)
        return Answer(operation["status"], record.to_json(request.base_url), created=made)
    return create


def _fetch(backend: Records[Any], operation: Mapping[str, Any]) -> Handler:
    def fetch(request: Request) -> Answer:
        return Answer(operation["status"], _found(backend, request).to_json(request.base_url))
    return fetch


def _update(backend: Records[Any], operation: Mapping[str, Any]) -> Handler:
    def update(request: Request) -> Answer:
        changes = parse_params(operation, request.form)
        current = _found(backend, request)
        backend.check(changes, current)
        return Answer(operation["status"], backend.update(current.sid, **changes).to_json(request.base_url))
    return update


def _list(backend: Records[Any], operation: Mapping[str, Any]) -> Handler:
    def list_(request: Request) -> Answer:
        parents = _parents(backend, request)
        query = parse_params(operation, {"PageSize": ["50"], "Page": ["0"], **request.query}, "query")
        filters = {name: query[snake_case(name)] for name in operation["params"]
                   if name not in _PAGING and snake_case(name) in query}
        items = backend.list(**{snake_case(name): value for name, value in filters.items()}, **parents)
        key = operation["list_key"]
        page = page_of(items, lambda item: item.seq, base_url=request.base_url, path=request.path, key=key,
                       page_size=query["page_size"], page=query["page"], token=query.get("page_token"),
                       filters=filters)
        return Answer(operation["status"], {"meta": page.meta,
                                            key: [item.to_json(request.base_url) for item in page.items]})
    return list_


def _delete(backend: Records[Any], operation: Mapping[str, Any]) -> Handler:
    def delete(request: Request) -> Answer:
        backend.delete(_found(backend, request).sid)
        return Answer(operation["status"])
    return delete


_VERBS: Mapping[str, Callable[[Records[Any], Mapping[str, Any]], Handler]] = {
    "Create": _create, "Fetch": _fetch, "Update": _update, "List": _list, "Delete": _delete}


def _parents(backend: Records[Any], request: Request) -> dict[str, str]:
    """A nested resource's parents, by snake_case name, from its path; each must exist (404, as any unknown path)."""
    parents = {snake_case(name): value for name, value in request.path_params.items() if name != "Sid"}
    for name, value in parents.items():
        if value not in backend.account.backend(backend.references[name]):
            raise not_found(request.path)
    return parents


def _found(backend: Records[Any], request: Request) -> Any:
    """The record the path names, under the parents the path names."""
    record = backend.fetch(backend.path_id(request.path_params["Sid"]))
    if any(getattr(record, name) != value for name, value in _parents(backend, request).items()):
        raise not_found(request.path)
    return record


def _require_references(backend: Records[Any], params: Mapping[str, Any]) -> None:
    """A create's references must exist when the account requires them (a channel's Flex Flow, as on Twilio)."""
    if not backend.account.require_references:
        return
    for name, section in backend.references.items():
        if name in params and params[name] not in backend.account.backend(section):
            raise backend.missing(name, params[name])
