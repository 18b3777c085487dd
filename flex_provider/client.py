"""HTTP client for the Twilio APIs flex-channels uses (Flex, Conversations): one keep-alive session, bounded
retries, typed errors.

It knows nothing of Pulumi. Retries are urllib3's `Retry`, narrowed so that a POST is only ever
repeated when the server cannot have acted on it: a 429 answer, or a connection that was never
opened. A POST whose answer is lost raises `OutcomeUnknownError` instead, because a duplicate
resource is worse than an error. A connection refused by this machine is not retried at all:
nothing listens there, and nothing will in the next few seconds. Each retry is logged (logger
`flex_provider.client`, WARNING) with its count, for a front end that shows progress: the CLI does.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import platform
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from http.cookiejar import DefaultCookiePolicy
from types import MappingProxyType
from typing import Any, Self
from urllib.parse import urlencode, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import (
    ConnectTimeoutError,
    LocationValueError,
    MaxRetryError,
    NewConnectionError,
    ReadTimeoutError,
    ResponseError,
)
from urllib3.util.retry import Retry

from flex_provider.declaration import ResourceType
from flex_provider.declarations import ADDRESS, CHANNEL, FLEX_FLOW, RESOURCE_TYPES
from flex_provider.errors import (
    ConfigurationError,
    FlexError,
    InvalidIdError,
    TransportError,
    answer_error,
    answer_lost,
)
from flex_provider.loopback import is_loopback
from flex_provider.values import a_or_an, quote, shown
from flex_provider.version import __version__

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

FLEX_API = "flex-api"
"""The Flex API's host name prefix (`ResourceType.api`), whose base URL `FlexClient.base_url` names."""
_API_HOSTS = len({rtype.api for rtype in RESOURCE_TYPES})
"""One connection pool per API host: with fewer, urllib3 drops a host's pool, keep-alive and all, to make room."""
MAX_ANSWER_BYTES = 32 * 2**20
"""The longest answer read: a page of 1,000 channels is under 1 MiB."""
_CHUNK = 64 * 1024
_USER_AGENT = f"flex-channels/{__version__} requests/{requests.__version__} Python/{platform.python_version()}"
_log = logging.getLogger(__name__)
_log.addHandler(logging.NullHandler())  # a library is silent unless its user shows its logs (the CLI does)


@dataclass(frozen=True)
class Credentials:
    """HTTP Basic credentials: Account SID + Auth Token, or API Key SID + secret for an account.

    The secret is kept out of `repr` so it cannot reach a log or a traceback by accident.
    """

    account_sid: str
    username: str
    password: str = field(repr=False)

    @classmethod
    def from_auth_token(cls, account_sid: str, auth_token: str) -> Credentials:
        return cls(account_sid, account_sid, auth_token)

    @classmethod
    def from_api_key(cls, account_sid: str, api_key: str, api_secret: str) -> Credentials:
        return cls(account_sid, api_key, api_secret)


@dataclass(frozen=True)
class Timeouts:
    """Seconds to wait for a connection and for each read of the answer."""

    connect: float = 5.0
    read: float = 30.0


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds on retrying: at most `attempts` retries and `max_elapsed` seconds of retrying.

    A `Retry-After` longer than `max_retry_after` is cut to it, so one answer cannot stall a run.
    """

    attempts: int = 6
    backoff_factor: float = 0.25
    backoff_max: float = 8.0
    jitter: float = 0.25
    max_retry_after: float = 30.0
    max_elapsed: float = 90.0


_NAMES: Mapping[str, str] = MappingProxyType({"api_url": "base_url", "region": "region", "edge": "edge"})
_DNS_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
"""One DNS label, as Twilio names its regions and edges: lowercase letters, digits, inner hyphens; 63 at most."""
_HOST_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")
_EXAMPLES = {"region": "au1 or ie1", "edge": "sydney or dublin"}


@dataclass(frozen=True)
class Endpoints:
    """Where each Twilio API is: one explicit URL that serves them all, or Twilio's hosts in a Region and Edge.

    Each API has its own host (`flex-api.twilio.com`, `conversations.twilio.com`), named by the
    `api` of its declarations. An explicit URL (`flex:apiUrl`, for the local emulator) serves every
    API, so the user never configures one URL per API. Build it with `resolve`, which checks
    every value; the constructor takes them as they are.
    """

    api_url: str | None = None
    region: str | None = None
    edge: str | None = None

    @classmethod
    def resolve(cls, api_url: str | None = None, region: str | None = None, edge: str | None = None, *,
                names: Mapping[str, str] = _NAMES) -> Endpoints:
        """Check the values: a region or edge must be one DNS label, or a region such as `evil.example#`
        would send the credentials to another host; an explicit URL must be a scheme, host and port,
        plain HTTP for loopback hosts only, so that credentials never cross a network unencrypted.
        Errors name each value as `names` says (the parameter, or the setting it came from) and quote
        it, never with the user info (a password) of a URL."""
        for key, value in (("region", region), ("edge", edge)):
            if value and not _DNS_LABEL.fullmatch(value):
                raise ConfigurationError(
                    f"{names[key]} must be a Twilio {key.title()} such as {_EXAMPLES[key]} (lowercase letters, "
                    f"digits and hyphens), not {quote(value)}"
                )
        return cls(_checked_url(api_url.rstrip("/"), names["api_url"]) if api_url else None, region or None,
                   edge or None)

    def base_url(self, api: str = FLEX_API) -> str:
        """The base URL of one API: the explicit URL, else Twilio's regional form, else the API's global host.

        Regional form as Twilio's SDKs build it: `{api}.{edge}.{region}.twilio.com`, with region
        `us1` when only an edge is given.
        """
        if self.api_url:
            return self.api_url
        return "https://" + ".".join(part for part in (api, self.edge, self.region or (self.edge and "us1"),
                                                       "twilio.com") if part)


def resolve_base_url(api_url: str | None = None, region: str | None = None, edge: str | None = None, *,
                     api: str = FLEX_API, names: Mapping[str, str] = _NAMES) -> str:
    """The base URL of one API (the Flex API unless `api` names another), checked as `Endpoints.resolve` checks."""
    return Endpoints.resolve(api_url, region, edge, names=names).base_url(api)


def _checked_url(url: str, name: str) -> str:
    """An explicit base URL, refused unless it is a scheme, a valid host and an optional port."""
    said = f"{name} {quote(_without_userinfo(url), 100)}"
    if not url.isprintable() or any(char.isspace() for char in url):
        # urlsplit drops tabs and newlines without a word, so they would pass every check below.
        raise ConfigurationError(f"{said} holds a space or a control character")
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigurationError(
            f"{said} is not an absolute http(s) URL; use something like https://flex-api.twilio.com, or "
            "http://127.0.0.1:8080 for a local emulator"
        )
    if "@" in parts.netloc or parts.path or "?" in url or "#" in url:
        raise ConfigurationError(f"{said} must be a scheme, host and port only (no path, query, fragment or user info)")
    if not _is_host(parts.hostname):
        raise ConfigurationError(f"{said} has no valid host: use a name of letters, digits, hyphens and dots, or an "
                                 "IP address")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        raise ConfigurationError(f"{said} has no valid port: give one from 1 to 65535, or none")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ConfigurationError(
            f"{said} uses plain http to a non-loopback host; credentials would travel unencrypted. Use https://, "
            "or http:// only for a local emulator on 127.0.0.1 / localhost."
        )
    return url


def _is_host(host: str) -> bool:
    """An IP address, or a host name of DNS labels (urlsplit has lowercased it)."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        name = host.removesuffix(".")
        return len(name) <= 253 and all(_HOST_LABEL.fullmatch(label) for label in name.split("."))
    return True


def _without_userinfo(url: str) -> str:
    """`url` with everything before its last '@' hidden, so a password in it never reaches a message or log."""
    if "@" not in url:
        return url
    scheme, sep, _ = url.partition("://")
    prefix = scheme + sep if sep and _SCHEME.fullmatch(scheme) else ""
    return f"{prefix}***@{url.rsplit('@', 1)[1]}"


class _FlexRetry(Retry):
    """urllib3 `Retry` with the POST rule, a time budget, no retry of a refused loopback connection, and a log
    line per retry.

    GET and DELETE are retried on connection errors, 429 and 5xx. POST is retried on a 429 (the
    server refused before acting) and on connection errors before anything was sent (urllib3
    counts those as connect errors for every method); never on a read error or a 5xx.
    """

    def __init__(
        self,
        *args: Any,
        max_elapsed: float = 90.0,
        max_retry_after: float = 30.0,
        started: float | None = None,
        attempts: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.max_elapsed = max_elapsed
        self.max_retry_after = max_retry_after
        self.started = started
        self.attempts = attempts
        """The retries allowed in all, for the count in the log ("retry 2 of 6")."""

    def new(self, **kw: Any) -> Self:
        kw.setdefault("max_elapsed", self.max_elapsed)
        kw.setdefault("max_retry_after", self.max_retry_after)
        kw.setdefault("started", self.started)
        kw.setdefault("attempts", self.attempts)
        return super().new(**kw)

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if method.upper() == "POST":
            return status_code == 429 and bool(self.total)
        return super().is_retry(method, status_code, has_retry_after)

    def parse_retry_after(self, retry_after: str) -> float:
        return min(super().parse_retry_after(retry_after), self.max_retry_after)

    def increment(self, method: str | None = None, url: str | None = None, *args: Any, **kwargs: Any) -> Self:
        started = self.started if self.started is not None else time.monotonic()
        error, pool = kwargs.get("error"), kwargs.get("_pool")
        if time.monotonic() - started > self.max_elapsed:
            raise MaxRetryError(pool, url or "", error or ResponseError(f"retried for over {self.max_elapsed:g} s"))
        if error is not None and _in_chain(error, (ConnectionRefusedError,)) and is_loopback(getattr(pool, "host", "")):
            # This machine answered that nothing listens on the port (an emulator not started, a wrong
            # port): retrying would only make the user wait 16 s for the same answer.
            raise MaxRetryError(pool, url or "", error)
        retry = super().increment(method, url, *args, **kwargs)
        retry.started = started
        response = kwargs.get("response")
        why = f"HTTP {response.status}" if response is not None else _root_reason(error) if error else "no answer"
        where = f" at {pool.host}" if pool is not None else ""
        _log.warning("retrying %s %s%s (retry %d of %d): %s", method, shown(url or "", 200), where,
                     len(retry.history), self.attempts, shown(why, 200))
        return retry


def _make_retry(policy: RetryPolicy) -> _FlexRetry:
    return _FlexRetry(
        total=policy.attempts,
        connect=policy.attempts,
        read=policy.attempts,
        status=policy.attempts,
        other=0,
        redirect=0,
        allowed_methods=frozenset({"GET", "DELETE"}),
        status_forcelist=frozenset({429, 500, 502, 503, 504}),
        backoff_factor=policy.backoff_factor,
        backoff_max=policy.backoff_max,
        backoff_jitter=policy.jitter,
        respect_retry_after_header=True,
        raise_on_status=False,
        raise_on_redirect=False,
        max_elapsed=policy.max_elapsed,
        max_retry_after=policy.max_retry_after,
        attempts=policy.attempts,
    )


@dataclass(frozen=True)
class ApiObject:
    """A resource as the API returned it: its declared outputs by name, also readable as attributes."""

    rtype: ResourceType = field(repr=False, compare=False)
    values: Mapping[str, Any]
    answered_at: datetime | None = field(default=None, repr=False, compare=False)
    """When Twilio answered, by Twilio's clock (the HTTP Date header), so it compares with `date_created`."""

    @property
    def sid(self) -> str:
        return self.values["sid"]

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name in ("rtype", "values"):
            raise AttributeError(name)
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(f"{self.rtype.name} has no output {name!r}") from None

    def to_outputs(self) -> dict[str, Any]:
        """The resource's outputs, as Pulumi state keeps them."""
        return dict(self.values)


class FlexClient:
    """Create, fetch, update, list and delete Twilio resources declared in `declarations`, each at its API's host.

    One `requests.Session` per client keeps connections alive across calls. It is safe to share
    between threads: the connection pool is thread-safe and cookies, the session's only other
    mutable state, are switched off (the API sets none we need).
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
    ) -> None:
        """`base_url` is one explicit URL for every API (a local emulator); `endpoints`, resolved settings
        (`ProviderSettings.endpoints`); neither means Twilio's global hosts."""
        if base_url is not None and endpoints is not None:
            raise TypeError("FlexClient() takes base_url or endpoints, not both")
        self.endpoints = endpoints or Endpoints.resolve(base_url)
        self.timeouts = timeouts
        session = requests.Session()
        session.auth = (credentials.username, credentials.password)
        session.headers.update({"User-Agent": _USER_AGENT, "Accept": "application/json"})
        session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        adapter = HTTPAdapter(pool_connections=_API_HOSTS, pool_maxsize=pool_size, max_retries=_make_retry(retry))
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        self._session = session

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
        self._session.close()

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
        url: object = f"{self._url(rtype, rtype.path)}?{query}"
        while url:
            link = self._check_same_origin(rtype, url)
            page = self._request("GET", link)
            for item in page.get(rtype.list_key) or []:
                yield self._object(rtype, item, "GET", link)
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
        return self._request_dated(method, url, data, advice)[0]

    def _request_dated(self, method: str, url: str, data: Mapping[str, Any] | None = None,
                       advice: str = "") -> tuple[dict[str, Any], datetime | None]:
        """The answer's JSON object, and when the server sent it (its Date header), if it said."""
        try:
            response = self._session.request(method, url, data=data, stream=True, allow_redirects=False,
                                             timeout=(self.timeouts.connect, self.timeouts.read))
            content = _read_bounded(response)
        except (requests.RequestException, LocationValueError) as exc:
            raise _transport_error(method, url, exc, advice) from exc
        if content is None:
            raise answer_lost(method, url, f"the answer is over {MAX_ANSWER_BYTES:,} bytes; no Twilio answer is that "
                                           "long", advice)
        if response.status_code >= 300:
            raise _api_error(method, url, response, content, advice)
        answered_at = _http_date(response.headers.get("Date"))
        if response.status_code == 204 or not content:
            return {}, answered_at
        try:
            body = json.loads(content)
        except (ValueError, RecursionError) as exc:  # RecursionError: nesting deeper than the parser's stack
            raise answer_lost(method, url, f"HTTP {response.status_code} with a body that is not JSON",
                              advice) from exc
        if not isinstance(body, dict):
            raise TransportError(method, url, f"HTTP {response.status_code} with a JSON body that is not an object")
        return body, answered_at

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

    def _check_same_origin(self, rtype: ResourceType, url: object) -> str:
        """Refuse to follow a page link off the listed API's origin (it would carry our credentials there), or one
        that is no URL at all."""
        ours = urlsplit(self.endpoints.base_url(rtype.api))
        try:
            theirs = urlsplit(url) if isinstance(url, str) else None
        except ValueError:  # a '[' that opens no IPv6 address
            theirs = None
        if theirs is None:
            raise TransportError("GET", self._url(rtype, rtype.path), f"page link {quote(str(url))} is not a URL")
        if (ours.scheme, ours.netloc) != (theirs.scheme, theirs.netloc):
            raise TransportError("GET", f"{theirs.scheme}://{theirs.netloc}/...",
                                 "page link points off the API's origin")
        return str(url)


def _http_date(text: str | None) -> datetime | None:
    """An HTTP Date header (RFC 9110), or None when there is none or it cannot be read."""
    try:
        return parsedate_to_datetime(text) if text else None
    except (TypeError, ValueError):
        return None


def _check_sid(rtype: ResourceType, sid: str) -> str:
    if not isinstance(sid, str) or not rtype.sid_regex.fullmatch(sid):
        raise InvalidIdError(f"{quote(str(sid))} is not {a_or_an(rtype.title)} SID ('{rtype.sid_prefix}' and 32 hex "
                             "digits)")
    return sid


def _read_bounded(response: requests.Response) -> bytes | None:
    """The answer's body, or None (and the connection closed) once it is over MAX_ANSWER_BYTES: an answer that
    never ends, or claims gigabytes, cannot exhaust the process."""
    declared = response.headers.get("Content-Length", "")
    if declared.isascii() and declared.isdigit() and (len(declared) > 12 or int(declared) > MAX_ANSWER_BYTES):
        response.close()
        return None
    chunks, size = [], 0
    for chunk in response.iter_content(_CHUNK):
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            response.close()
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _api_error(method: str, url: str, response: requests.Response, content: bytes, advice: str) -> FlexError:
    try:
        body = json.loads(content)
    except (ValueError, RecursionError):
        body = {}
    if not isinstance(body, dict):
        body = {}
    code = body.get("code")
    message = body.get("message") or response.reason or "no message"
    return answer_error(
        method=method,
        url=url,
        status=response.status_code,
        code=code if isinstance(code, int) else None,
        message=str(message),
        more_info=body.get("more_info") if isinstance(body.get("more_info"), str) else None,
        advice=advice,
    )


def _transport_error(method: str, url: str, exc: Exception, advice: str) -> TransportError:
    """Map a requests or urllib3 exception to our tree: never sent, or sent with its answer lost."""
    if _in_chain(exc, _UNSENDABLE):
        return TransportError(method, url, f"not sent, the URL is not valid: {_root_reason(exc)}")
    if _in_chain(exc, (ConnectionRefusedError,)) and is_loopback(urlsplit(url).hostname or ""):
        origin = urlsplit(url).netloc
        return TransportError(method, url, f"could not connect: nothing is listening on {origin} (connection "
                                           "refused); start the emulator there (`make emulator` or `python -m "
                                           "twilio_emulator`), or correct the URL")
    if isinstance(exc, requests.ConnectTimeout) or _in_chain(exc, _NEVER_SENT):
        return TransportError(method, url, f"could not connect: {_root_reason(exc)}")
    if isinstance(exc, requests.ReadTimeout) or _in_chain(exc, (ReadTimeoutError,)):
        return answer_lost(method, url, "no answer before the read timeout", advice)
    return answer_lost(method, url, f"connection lost: {_root_reason(exc)}", advice)


_NEVER_SENT = (NewConnectionError, ConnectTimeoutError, requests.exceptions.SSLError)
"""Failures while opening the connection, before the request left."""
_UNSENDABLE = (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema, requests.exceptions.MissingSchema,
               requests.exceptions.InvalidHeader, LocationValueError)
"""Requests refused while they were prepared, before any connection (a bad port or host label)."""


def _in_chain(exc: BaseException, types: tuple[type[BaseException], ...]) -> bool:
    """True when `exc` or anything it wraps (args, causes, MaxRetryError reasons) is one of `types`."""
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, types):
            return True
        if isinstance(current, MaxRetryError) and current.reason is not None:
            stack.append(current.reason)
        stack.extend(arg for arg in current.args if isinstance(arg, BaseException))
        for linked in (current.__cause__, current.__context__):
            if linked is not None:
                stack.append(linked)
    return False


def _root_reason(exc: BaseException) -> str:
    """A short reason without the nested reprs requests builds (which can be very long)."""
    reason: BaseException = exc
    while True:
        if isinstance(reason, MaxRetryError) and reason.reason is not None:
            reason = reason.reason
        elif reason.args and isinstance(reason.args[0], BaseException):
            reason = reason.args[0]
        else:
            break
    text = str(reason.args[-1] if reason.args else reason) or type(reason).__name__
    return text.split(": ", 1)[-1] if text.startswith("<") else text
