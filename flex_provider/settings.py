"""Where the provider's credentials and endpoint come from: Pulumi config first, then the environment.

The Pulumi engine hands a dynamic provider the whole stack configuration, namespaces kept and
secrets decrypted (pulumi/pulumi#17673), through the provider's `configure()`; so
`twilio:authToken` set with `pulumi config set --secret` arrives here as plain text, in memory
only. Nothing resolved here is ever stored on the provider object that Pulumi pickles.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flex_provider.client import Credentials, Endpoints, FlexClient, RetryPolicy, Timeouts
from flex_provider.declaration import sid_pattern
from flex_provider.errors import ConfigurationError
from flex_provider.values import quote

__all__ = ["SOURCES", "ProviderSettings", "Source"]


@dataclass(frozen=True)
class Source:
    """One setting: its Pulumi config key and its environment variable."""

    config_key: str
    env_var: str
    secret: bool
    description: str
    targets: bool = False
    """Whether it chooses which account or server requests go to (credentials, an explicit URL): the settings
    that `make up` refuses to mix with the local emulator's."""

    @property
    def label(self) -> str:
        """How messages name the setting: both ways to set it."""
        return f"{self.config_key} / {self.env_var}"


SOURCES: Mapping[str, Source] = {
    "account_sid": Source("twilio:accountSid", "TWILIO_ACCOUNT_SID", False, "Twilio Account SID (AC…).", True),
    "auth_token": Source("twilio:authToken", "TWILIO_AUTH_TOKEN", True, "Auth Token of the account.", True),
    "api_key": Source("twilio:apiKey", "TWILIO_API_KEY", False, "API Key SID (SK…), instead of the Auth Token.",
                      True),
    "api_secret": Source("twilio:apiSecret", "TWILIO_API_SECRET", True, "Secret of that API Key.", True),
    "region": Source("twilio:region", "TWILIO_REGION", False, "Twilio Region, for example au1 or ie1."),
    "edge": Source("twilio:edge", "TWILIO_EDGE", False, "Twilio Edge, for example sydney or dublin."),
    "api_url": Source("flex:apiUrl", "FLEX_API_URL", False,
                      "Explicit base URL for every API, for the local emulator (http allowed on loopback only).", True),
    "timeout": Source("flex:timeoutSeconds", "FLEX_TIMEOUT_SECONDS", False,
                      "Seconds to wait for each API answer (default 30)."),
    "max_retries": Source("flex:maxRetries", "FLEX_MAX_RETRIES", False,
                          "Retries of a request that is safe to retry (default 6; 0 turns retrying off)."),
}

_MISSING = (
    "Twilio credentials are missing. Set them in the stack's config:\n"
    "    pulumi config set twilio:accountSid AC…\n"
    "    pulumi config set --secret twilio:authToken …\n"
    "(or twilio:apiKey + --secret twilio:apiSecret), or in the environment: TWILIO_ACCOUNT_SID with "
    "TWILIO_AUTH_TOKEN (or TWILIO_API_KEY + TWILIO_API_SECRET)."
)
_SIDS = {"account_sid": ("AC", "an Account SID"), "api_key": ("SK", "an API Key SID")}
_SECRET = re.compile(r"[!-~]+")
"""What a secret may hold: printable ASCII without spaces. Twilio's are letters and digits; HTTP Basic
sends anything else as Latin-1 at best, and requests raises on what Latin-1 cannot encode."""
_DECIMAL = re.compile(r"[0-9]{1,6}(?:\.[0-9]{1,6})?")
"""A number as a setting takes it: ASCII digits only (float() also takes '١٠', '1_0', 'nan' and 'inf')."""


@dataclass(frozen=True)
class ProviderSettings:
    """Everything the provider needs to build its client, resolved once per provider process."""

    credentials: Credentials
    endpoints: Endpoints
    timeouts: Timeouts
    retry: RetryPolicy

    @property
    def base_url(self) -> str:
        """The Flex API's base URL; `endpoints.base_url(api)` gives any API's."""
        return self.endpoints.base_url()

    def client(self) -> FlexClient:
        """A client with these settings."""
        return FlexClient(self.credentials, endpoints=self.endpoints, timeouts=self.timeouts, retry=self.retry)

    @classmethod
    def resolve(cls, config_get: Callable[[str], Any], environ: Mapping[str, str]) -> ProviderSettings:
        """Read each setting from Pulumi config (via `config_get`), falling back to `environ`.

        Raises ConfigurationError naming the setting (both ways to set it) and what it must be;
        it quotes a value the user typed, but never a credential, a secret or a URL's user info.
        """
        values: dict[str, str | None] = {}
        for name, source in SOURCES.items():
            value = config_get(source.config_key)
            if value is None or not str(value).strip():
                value = environ.get(source.env_var)
            values[name] = str(value).strip() if value is not None and str(value).strip() else None

        for name, (prefix, what) in _SIDS.items():
            sid = values[name]
            if sid is not None and not re.fullmatch(sid_pattern(prefix), sid):
                raise ConfigurationError(f"{SOURCES[name].label} must be {what}: '{prefix}' and 32 hex digits")
        for name in ("auth_token", "api_secret"):
            secret = values[name]
            if secret is not None and not _SECRET.fullmatch(secret):
                raise ConfigurationError(f"{SOURCES[name].label} holds a space, a control character or a "
                                         "non-ASCII character; copy it again from the Twilio Console")
        account_sid = values["account_sid"]
        if account_sid and values["api_key"] and values["api_secret"]:
            credentials = Credentials.from_api_key(account_sid, values["api_key"], values["api_secret"])
        elif account_sid and values["auth_token"]:
            credentials = Credentials.from_auth_token(account_sid, values["auth_token"])
        else:
            raise ConfigurationError(_MISSING)
        names = {name: SOURCES[name].label for name in ("api_url", "region", "edge")}
        return cls(credentials, Endpoints.resolve(values["api_url"], values["region"], values["edge"], names=names),
                   Timeouts(read=_seconds(values["timeout"])), RetryPolicy(attempts=_retries(values["max_retries"])))


def _seconds(text: str | None) -> float:
    if text is None:
        return Timeouts().read
    seconds = float(text) if _DECIMAL.fullmatch(text) else -1.0
    if not 0 < seconds <= 600:
        raise ConfigurationError(
            f"{SOURCES['timeout'].label} must be a number of seconds above 0 and at most 600, not {quote(text)}"
        )
    return seconds


def _retries(text: str | None) -> int:
    if text is None:
        return RetryPolicy().attempts
    if not re.fullmatch(r"[0-9]{1,2}", text) or int(text) > 20:
        raise ConfigurationError(
            f"{SOURCES['max_retries'].label} must be a whole number from 0 to 20, not {quote(text)}"
        )
    return int(text)
