"""HTTP client for the Twilio APIs flex-channels uses (Flex, Conversations): create, fetch, update, list and delete
of every declared resource, each at its API's host.

It knows nothing of Pulumi. What it is made of lives beside it, as in requests: where each API is
(`endpoints`), the retry policy (`retry`), the session and the error mapping (`transport`), and the
answers (`models`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, Self
from urllib.parse import urlencode, urlsplit

from requests.adapters import HTTPAdapter

from flex_provider.declaration import ResourceType
from flex_provider.declarations import ADDRESS, CHANNEL, FLEX_FLOW, RESOURCE_TYPES
from flex_provider.endpoints import FLEX_API, Endpoints, resolve_base_url
from flex_provider.errors import InvalidIdError, TransportError, answer_lost
from flex_provider.models import ApiObject
from flex_provider.retry import RetryPolicy
from flex_provider.transport import Credentials, Timeouts, Transport
from flex_provider.values import a_or_an, quote

__all__ = [
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

    def create(self, rtype: ResourceType, inputs: Mapping[str, Any]) -> ApiObject:
        """POST the collection with the resource's valid inputs (snake_case names, as declared).

        Raises OutcomeUnknownError when the request was sent but its answer lost.
        """
        advice = (f"The {rtype.noun} may have been created. Look for it with `python -m flex_provider "
                  f"{rtype.command} list` or in the Twilio Console; if it is there, adopt it with "
                  f"`import: {rtype.sid_prefix}…` on the {rtype.noun} in the stack file, otherwise run "
                  "`pulumi up` again.")
        url = self._url(rtype, rtype.path)
        body, answered_at = self._request_dated("POST", url, data=rtype.to_form(inputs), advice=advice)
        return self._object(rtype, body, "POST", url, advice, answered_at)

    def fetch(self, rtype: ResourceType, sid: str) -> ApiObject:
        """GET one resource; raises NotFoundError when it does not exist."""
        url = self._url(rtype, rtype.instance_path(_check_sid(rtype, sid)))
        return self._object(rtype, self._request("GET", url), "GET", url)

    def list(self, rtype: ResourceType, page_size: int | None = None, **filters: str) -> Iterator[ApiObject]:
        """Every resource of the account, following `meta.next_page_url` through every page.

        `filters` are the list operation's query parameters by their API names (`FriendlyName`).
        """
        query = urlencode({**filters, "PageSize": page_size or rtype.max_page_size})
        url: str | None = f"{self._url(rtype, rtype.path)}?{query}"
        while url:
            self._check_same_origin(rtype, url)
            page = self._request("GET", url)
            for item in page.get(rtype.list_key) or []:
                yield self._object(rtype, item, "GET", url)
            url = (page.get("meta") or {}).get("next_page_url")

    def update(self, rtype: ResourceType, sid: str, changes: Mapping[str, Any]) -> ApiObject:
        """POST the changed fields to one resource; its answer is the whole resource as it now is.

        Like a create, an update is not retried once it may have reached the server: its outcome
        is reported as unknown, and running `pulumi up` again is safe, since the same update
        sent twice leaves the resource the same.
        """
        url = self._url(rtype, rtype.instance_path(_check_sid(rtype, sid)))
        advice = (f"The {rtype.noun} may or may not have been updated; run `pulumi refresh`, then `pulumi up` "
                  "again: sending the same update twice is safe.")
        body = self._request("POST", url, data=rtype.to_form(changes), advice=advice)
        return self._object(rtype, body, "POST", url, advice)

    def delete(self, rtype: ResourceType, sid: str) -> None:
        """DELETE one resource; raises NotFoundError when it does not exist."""
        self._request("DELETE", self._url(rtype, rtype.instance_path(_check_sid(rtype, sid))))

    def create_channel(self, inputs: Mapping[str, Any]) -> ApiObject:
        """CreateChannel: POST /v1/Channels."""
        return self.create(CHANNEL, inputs)

    def fetch_channel(self, sid: str) -> ApiObject:
        """FetchChannel: GET /v1/Channels/{sid}."""
        return self.fetch(CHANNEL, sid)

    def list_channels(self, page_size: int = 1000) -> Iterator[ApiObject]:
        """ListChannel: GET /v1/Channels, every page."""
        return self.list(CHANNEL, page_size)

    def delete_channel(self, sid: str) -> None:
        """DeleteChannel: DELETE /v1/Channels/{sid}."""
        self.delete(CHANNEL, sid)

    def create_flex_flow(self, inputs: Mapping[str, Any]) -> ApiObject:
        """CreateFlexFlow: POST /v1/FlexFlows."""
        return self.create(FLEX_FLOW, inputs)

    def fetch_flex_flow(self, sid: str) -> ApiObject:
        """FetchFlexFlow: GET /v1/FlexFlows/{sid}."""
        return self.fetch(FLEX_FLOW, sid)

    def update_flex_flow(self, sid: str, changes: Mapping[str, Any]) -> ApiObject:
        """UpdateFlexFlow: POST /v1/FlexFlows/{sid} with only the fields to change."""
        return self.update(FLEX_FLOW, sid, changes)

    def list_flex_flows(self, friendly_name: str | None = None, page_size: int = 1000) -> Iterator[ApiObject]:
        """ListFlexFlow: GET /v1/FlexFlows, every page, optionally only those with a friendly name."""
        return self.list(FLEX_FLOW, page_size, **({"FriendlyName": friendly_name} if friendly_name else {}))

    def delete_flex_flow(self, sid: str) -> None:
        """DeleteFlexFlow: DELETE /v1/FlexFlows/{sid}."""
        self.delete(FLEX_FLOW, sid)

    def create_configuration_address(self, inputs: Mapping[str, Any]) -> ApiObject:
        """CreateConfigurationAddress: POST /v1/Configuration/Addresses of the Conversations API."""
        return self.create(ADDRESS, inputs)

    def fetch_configuration_address(self, sid: str) -> ApiObject:
        """FetchConfigurationAddress: GET /v1/Configuration/Addresses/{sid}."""
        return self.fetch(ADDRESS, sid)

    def update_configuration_address(self, sid: str, changes: Mapping[str, Any]) -> ApiObject:
        """UpdateConfigurationAddress: POST /v1/Configuration/Addresses/{sid} with only the fields to change."""
        return self.update(ADDRESS, sid, changes)

    def list_configuration_addresses(self, type: str | None = None,  # noqa: A002 - the API's name
                                     page_size: int | None = None) -> Iterator[ApiObject]:
        """ListConfigurationAddress: GET /v1/Configuration/Addresses, every page, optionally only one type."""
        return self.list(ADDRESS, page_size, **({"Type": type} if type else {}))

    def delete_configuration_address(self, sid: str) -> None:
        """DeleteConfigurationAddress: DELETE /v1/Configuration/Addresses/{sid}."""
        self.delete(ADDRESS, sid)

    def _url(self, rtype: ResourceType, path: str) -> str:
        """A path of the resource's API at that API's base URL."""
        return self.endpoints.base_url(rtype.api) + path

    def _request(self, method: str, url: str, data: Mapping[str, Any] | None = None,
                 advice: str = "") -> dict[str, Any]:
        return self._transport.request(method, url, data, advice)[0]

    def _request_dated(self, method: str, url: str, data: Mapping[str, Any] | None = None,
                       advice: str = "") -> tuple[dict[str, Any], datetime | None]:
        return self._transport.request(method, url, data, advice)

    def _object(self, rtype: ResourceType, body: Mapping[str, Any], method: str, url: str,
                advice: str = "", answered_at: datetime | None = None) -> ApiObject:
        if not isinstance(body.get("sid"), str):
            raise answer_lost(method, url, f"the answer has no {rtype.noun} 'sid'", advice)
        return ApiObject(rtype, rtype.outputs_from(body), answered_at)

    def _check_same_origin(self, rtype: ResourceType, url: str) -> None:
        """Refuse to follow a page link off the listed API's origin: it would carry our credentials there."""
        ours, theirs = urlsplit(self.endpoints.base_url(rtype.api)), urlsplit(url)
        if (ours.scheme, ours.netloc) != (theirs.scheme, theirs.netloc):
            raise TransportError("GET", f"{theirs.scheme}://{theirs.netloc}/…", "page link points off the API's origin")


def _check_sid(rtype: ResourceType, sid: str) -> str:
    if not isinstance(sid, str) or not rtype.sid_regex.fullmatch(sid):
        raise InvalidIdError(f"{quote(str(sid))} is not {a_or_an(rtype.title)} SID ('{rtype.sid_prefix}' and 32 hex "
                             "digits)")
    return sid
