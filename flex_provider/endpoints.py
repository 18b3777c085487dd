"""Where each Twilio API is: Twilio's hosts in a Region and Edge, or one explicit URL (the local emulator).

Every value is checked before any request is built: a region or edge must be one DNS label, and an
explicit URL a scheme, host and port, plain HTTP for loopback hosts only.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from urllib.parse import urlsplit

from flex_provider.errors import ConfigurationError
from flex_provider.loopback import is_loopback
from flex_provider.values import quote

__all__ = ["FLEX_API", "Endpoints", "quote_url", "resolve_base_url"]

FLEX_API = "flex-api"
"""The Flex API's host name prefix (`ResourceType.api`), whose base URL `FlexClient.base_url` names."""

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
    said = f"{name} {quote_url(url)}"
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


def quote_url(url: str, limit: int = 100) -> str:
    """A URL a user gave, as a message quotes it (`quote`): its user info hidden, so a password in it never reaches
    a message or log, whatever else is wrong with the URL."""
    return quote(_without_userinfo(url), limit)


def _without_userinfo(url: str) -> str:
    """`url` with everything before its last '@' hidden: a password may hold '/', '?' or '#', which end the user info
    for urlsplit, so none of those is trusted to."""
    if "@" not in url:
        return url
    scheme, sep, _ = url.partition("://")
    prefix = scheme + sep if sep and _SCHEME.fullmatch(scheme) else ""
    return f"{prefix}***@{url.rsplit('@', 1)[1]}"


