"""The transport: one keep-alive HTTPS session with Basic auth and the retry policy, JSON in and out, and every
failure mapped, in one place, to the error tree of errors.py.

A request that failed before it was sent is a TransportError; one whose answer was lost after it may
have reached Twilio is an unknown outcome for a POST (`answer_lost`); an error answer keeps Twilio's
code, message and more_info. An answer is read up to MAX_ANSWER_BYTES and no further, so one that never
ends cannot exhaust the process; a connection refused on this machine says to start the emulator.
"""

from __future__ import annotations

import json
import platform
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from http.cookiejar import DefaultCookiePolicy
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import (
    ConnectTimeoutError,
    LocationValueError,
    NewConnectionError,
    ReadTimeoutError,
)

from flex_provider.causes import in_chain, root_reason
from flex_provider.errors import FlexError, TransportError, answer_error, answer_lost
from flex_provider.loopback import is_loopback
from flex_provider.retry import RetryPolicy, make_retry
from flex_provider.version import __version__

__all__ = ["MAX_ANSWER_BYTES", "Credentials", "Timeouts", "Transport"]

MAX_ANSWER_BYTES = 32 * 2**20
"""The longest answer read: a page of 1,000 channels is under 1 MiB."""
_CHUNK = 64 * 1024
_USER_AGENT = f"flex-channels/{__version__} requests/{requests.__version__} Python/{platform.python_version()}"


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


class Transport:
    """One `requests.Session` that keeps connections alive across calls, one pool per host.

    It is safe to share between threads: the connection pool is thread-safe and cookies, the
    session's only other mutable state, are switched off (the API sets none we need).
    """

    def __init__(self, credentials: Credentials, *, timeouts: Timeouts, retry: RetryPolicy, pool_size: int,
                 hosts: int, adapter: HTTPAdapter | None = None) -> None:
        """`adapter` is what carries every request (requests' transport adapter); by default one with a pool of
        `pool_size` connections for each of `hosts` hosts, retrying as `retry` says."""
        self.timeouts = timeouts
        session = requests.Session()
        session.auth = (credentials.username, credentials.password)
        session.headers.update({"User-Agent": _USER_AGENT, "Accept": "application/json"})
        session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        adapter = adapter or HTTPAdapter(pool_connections=hosts, pool_maxsize=pool_size,
                                         max_retries=make_retry(retry))
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        self._session = session

    def close(self) -> None:
        """Close pooled connections."""
        self._session.close()

    def request(self, method: str, url: str, data: Mapping[str, Any] | None = None,
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


def _http_date(text: str | None) -> datetime | None:
    """An HTTP Date header (RFC 9110), or None when there is none or it cannot be read."""
    try:
        return parsedate_to_datetime(text) if text else None
    except (TypeError, ValueError):
        return None


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
    if in_chain(exc, _UNSENDABLE):
        return TransportError(method, url, f"not sent, the URL is not valid: {root_reason(exc)}")
    if in_chain(exc, (ConnectionRefusedError,)) and is_loopback(urlsplit(url).hostname or ""):
        origin = urlsplit(url).netloc
        return TransportError(method, url, f"could not connect: nothing is listening on {origin} (connection "
                                           "refused); start the emulator there (`make emulator` or `python -m "
                                           "twilio_emulator`), or correct the URL")
    if isinstance(exc, requests.ConnectTimeout) or in_chain(exc, _NEVER_SENT):
        return TransportError(method, url, f"could not connect: {root_reason(exc)}")
    if isinstance(exc, requests.ReadTimeout) or in_chain(exc, (ReadTimeoutError,)):
        return answer_lost(method, url, "no answer before the read timeout", advice)
    return answer_lost(method, url, f"connection lost: {root_reason(exc)}", advice)


_NEVER_SENT = (NewConnectionError, ConnectTimeoutError, requests.exceptions.SSLError)
"""Failures while opening the connection, before the request left."""
_UNSENDABLE = (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema, requests.exceptions.MissingSchema,
               requests.exceptions.InvalidHeader, LocationValueError)
"""Requests refused while they were prepared, before any connection (a bad port or host label)."""
