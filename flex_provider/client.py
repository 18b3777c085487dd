"""HTTP client for the Twilio APIs flex-channels uses (Flex, Conversations): create, fetch, update, list and delete
of every declared resource, each at its API's host.

It knows nothing of Pulumi. What it is made of lives beside it, as in requests: where each API is
(`endpoints`), the retry policy (`retry`), the session and the error mapping (`transport`), and the
answers (`models`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any, Self
from urllib.parse import urlencode, urlsplit

from requests.adapters import HTTPAdapter

from flex_provider.declaration import ResourceType
from flex_provider.declarations import RESOURCE_TYPES
from flex_provider.endpoints import FLEX_API, Endpoints, resolve_base_url
from flex_provider.errors import InvalidIdError, TransportError, answer_lost
from flex_provider.models import ApiObject
from flex_provider.retry import RetryPolicy
from flex_provider.transport import MAX_ANSWER_BYTES, Credentials, Timeouts, Transport
from flex_provider.values import a_or_an, describe, quote

__all__ = [
    "MAX_ANSWER_BYTES",
    "ApiObject",
    "Credentials",
    "Endpoints",
    "FlexClient",
    "RetryPolicy",
    "Timeouts",
    "resolve_base_url",
]

_API_HOSTS = len({rtype.api for rtype in RESOURCE_TYPES})
"""One connection pool per API host: with fewer, urllib3 drops a host's pool, keep-alive and all, to make room."""
_NAMED: dict[str, tuple[str, ResourceType]] = {
    rtype.method_name(verb): (verb, rtype) for rtype in RESOURCE_TYPES
    for verb in ("create", "fetch", "list", "delete", *(("update",) if rtype.updatable else ()))}
"""Each operation by the API's name (`create_channel`): the client's method and the resource it is for."""


class FlexClient:
    """Create, fetch, update, list and delete Twilio resources declared in `declarations`, each at its API's host.

    Its one transport keeps connections alive across calls, and it is safe to share between threads
    (transport.py says why).
    """

    def __init__(
        self,
        credentials: Credentials,
        *,
        base_url: str | None = None,
        endpoints: Endpoints | None = None,
        timeouts: Timeouts = Timeouts(),
        retry: RetryPolicy = RetryPolicy(),
        pool_size: int = 8,
        adapter: HTTPAdapter | None = None,
    ) -> None:
        """`base_url` is one explicit URL for every API (a local emulator); `endpoints`, resolved settings
        (`ProviderSettings.endpoints`); neither means Twilio's global hosts. `adapter` replaces the transport
        adapter every request goes through (requests' `HTTPAdapter`; by default a pooled one that retries as
        `retry` says), as a test or a proxy needs."""
        if base_url is not None and endpoints is not None:
            raise TypeError("FlexClient() takes base_url or endpoints, not both")
        self.endpoints = endpoints or Endpoints.resolve(base_url)
        self.timeouts = timeouts
        self._transport = Transport(credentials, timeouts=timeouts, retry=retry, pool_size=pool_size, hosts=_API_HOSTS,
                                    adapter=adapter)

    @property
    def base_url(self) -> str:
        """The Flex API's base URL."""
        return self.endpoints.base_url(FLEX_API)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close pooled connections."""
        self._transport.close()

    def __getattr__(self, name: str) -> Callable[..., Any]:
        """The operations by the API's names, one of each for every declared resource: `create_channel(inputs)`,
        `fetch_flex_flow(sid)`, `update_configuration_address(sid, changes)`, `list_channels(**filters)`,
        `delete_channel(sid)` (a nested resource's also take its parent's SID by field name)."""
        found = _NAMED.get(name)
        if found is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        verb, rtype = found
        return functools.partial(getattr(self, verb), rtype)

    def __dir__(self) -> list[str]:
        return [*super().__dir__(), *_NAMED]

    def create(self, rtype: ResourceType, inputs: Mapping[str, Any]) -> ApiObject:
        """POST the collection with the resource's valid inputs (snake_case names, as declared).

        Raises OutcomeUnknownError when the request was sent but its answer lost.
        """
        advice = (f"The {rtype.noun} may have been created. Look for it with `python -m flex_provider "
                  f"{rtype.command} list` or in the Twilio Console; if it is there, adopt it with "
                  f"`import: {rtype.sid_prefix}…` on the {rtype.noun} in the stack file, otherwise run "
                  "`pulumi up` again.")
        url = self._url(rtype, rtype.collection_path(_checked_parents(rtype, inputs)))
        body, answered_at = self._transport.request("POST", url, data=rtype.to_form(inputs), advice=advice)
        return self._object(rtype, body, "POST", url, advice, answered_at)

    def fetch(self, rtype: ResourceType, sid: str, **parents: str) -> ApiObject:
        """GET one resource; raises NotFoundError when it does not exist."""
        url = self._instance_url(rtype, sid, parents)
        return self._object(rtype, self._request("GET", url), "GET", url)

    def list(self, rtype: ResourceType, page_size: int | None = None, **filters: str) -> Iterator[ApiObject]:
        """Every resource of the account, following `meta.next_page_url` through every page.

        `filters` are by output name, as the declaration's list filters name them (`friendly_name`); those the
        API takes are sent as its query, the others applied to what it answers. A nested resource's list
        takes its parent's SID by field name.
        """
        given = {key: value for key, value in filters.items() if value}
        sent = {f.query: given[f.output] for f in rtype.list_filters if f.query and f.output in given}
        kept = {f.output: given[f.output] for f in rtype.list_filters if not f.query and f.output in given}
        query = urlencode({**sent, "PageSize": page_size or rtype.max_page_size})
        collection = self._url(rtype, rtype.collection_path(_checked_parents(rtype, filters)))
        url: object = f"{collection}?{query}"
        while url:
            link = self._check_same_origin(rtype, url, collection)
            page = self._request("GET", link)
            for item in page.get(rtype.list_key) or []:
                found = self._object(rtype, item, "GET", link)
                if all(found.values.get(key) == value for key, value in kept.items()):
                    yield found
            url = (page.get("meta") or {}).get("next_page_url")

    def update(self, rtype: ResourceType, sid: str, changes: Mapping[str, Any], **parents: str) -> ApiObject:
        """POST the changed fields to one resource; its answer is the whole resource as it now is.

        Like a create, an update is not retried once it may have reached the server: its outcome
        is reported as unknown, and running `pulumi up` again is safe, since the same update
        sent twice leaves the resource the same.
        """
        url = self._instance_url(rtype, sid, parents)
        advice = (f"The {rtype.noun} may or may not have been updated; run `pulumi refresh`, then `pulumi up` "
                  "again: sending the same update twice is safe.")
        body = self._request("POST", url, data=rtype.to_form(changes), advice=advice)
        return self._object(rtype, body, "POST", url, advice)

    def delete(self, rtype: ResourceType, sid: str, **parents: str) -> None:
        """DELETE one resource; raises NotFoundError when it does not exist."""
        self._request("DELETE", self._instance_url(rtype, sid, parents))

    def _instance_url(self, rtype: ResourceType, sid: str, parents: Mapping[str, Any]) -> str:
        return self._url(rtype, rtype.instance_path(_check_sid(rtype, sid), _checked_parents(rtype, parents)))

    def _url(self, rtype: ResourceType, path: str) -> str:
        """A path of the resource's API at that API's base URL."""
        return self.endpoints.base_url(rtype.api) + path

    def _request(self, method: str, url: str, data: Mapping[str, Any] | None = None,
                 advice: str = "") -> dict[str, Any]:
        return self._transport.request(method, url, data, advice)[0]

    def _object(self, rtype: ResourceType, body: Mapping[str, Any], method: str, url: str,
                advice: str = "", answered_at: datetime | None = None) -> ApiObject:
        sid = body.get("sid")
        if not isinstance(sid, str):
            raise answer_lost(method, url, f"the answer has no {rtype.noun} 'sid'", advice)
        if not rtype.sid_regex.fullmatch(sid):
            # Users copy SIDs from `list` into `import:`, and state keeps them as ids: only Twilio's form passes.
            raise answer_lost(method, url, f"the answer's {rtype.noun} 'sid' is not a {rtype.sid_prefix} SID "
                                           f"('{rtype.sid_prefix}' and 32 hex digits): {quote(sid)}", advice)
        return ApiObject(rtype, rtype.outputs_from(body), answered_at)

    def _check_same_origin(self, rtype: ResourceType, url: object, collection: str) -> str:
        """Refuse to follow a page link off the listed API's origin (it would carry our credentials there), or one
        that is no URL at all (named as a failure of listing `collection`)."""
        ours = urlsplit(self.endpoints.base_url(rtype.api))
        try:
            theirs = urlsplit(url) if isinstance(url, str) else None
        except ValueError:  # a '[' that opens no IPv6 address
            theirs = None
        if theirs is None:
            raise TransportError("GET", collection, f"page link {quote(str(url))} is not a URL")
        if (ours.scheme, ours.netloc) != (theirs.scheme, theirs.netloc):
            raise TransportError("GET", f"{theirs.scheme}://{theirs.netloc}/...",
                                 "page link points off the API's origin")
        return str(url)


def _checked_parents(rtype: ResourceType, values: Mapping[str, Any]) -> dict[str, str]:
    """The SIDs a nested resource's path names, each checked as `_check_sid` checks an id; none for others."""
    parents = {}
    for spec in rtype.path_fields:
        value = values.get(spec.name)
        if not isinstance(value, str) or not spec.regex or not spec.regex.fullmatch(value):
            prefix = spec.sid_prefix
            raise InvalidIdError(f"{a_or_an(rtype.title)} lives under its {spec.name}, which must be a {prefix} SID "
                                 f"('{prefix}' and 32 hex digits), not {describe(value)}")
        parents[spec.name] = value
    return parents


def _check_sid(rtype: ResourceType, sid: str) -> str:
    if not isinstance(sid, str) or not rtype.sid_regex.fullmatch(sid):
        raise InvalidIdError(f"{quote(str(sid))} is not {a_or_an(rtype.title)} SID ('{rtype.sid_prefix}' and 32 hex "
                             "digits)")
    return sid
