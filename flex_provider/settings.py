"""Where the provider's credentials and endpoint come from: Pulumi config first, then the environment.

The Pulumi engine hands a dynamic provider the whole stack configuration, namespaces kept and
secrets decrypted (pulumi/pulumi#17229, #17673), through the provider's `configure()`; so
`twilio:authToken` set with `pulumi config set --secret` arrives here as plain text, in memory
only. Nothing resolved here is ever stored on the provider object that Pulumi pickles.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flex_provider.client import Credentials, RetryPolicy, Timeouts, resolve_base_url
from flex_provider.errors import ConfigurationError

__all__ = ["SOURCES", "ProviderSettings", "Source"]


@dataclass(frozen=True)
class Source:
    """One setting: its Pulumi config key and its environment variable."""

    config_key: str
    env_var: str
    secret: bool
    description: str


SOURCES: Mapping[str, Source] = {
    "account_sid": Source("twilio:accountSid", "TWILIO_ACCOUNT_SID", False, "Twilio Account SID (AC…)."),
    "auth_token": Source("twilio:authToken", "TWILIO_AUTH_TOKEN", True, "Auth Token of the account."),
    "api_key": Source("twilio:apiKey", "TWILIO_API_KEY", False, "API Key SID (SK…), instead of the Auth Token."),
    "api_secret": Source("twilio:apiSecret", "TWILIO_API_SECRET", True, "Secret of that API Key."),
    "region": Source("twilio:region", "TWILIO_REGION", False, "Twilio Region, for example au1 or ie1."),
    "edge": Source("twilio:edge", "TWILIO_EDGE", False, "Twilio Edge, for example sydney or dublin."),
    "api_url": Source("flex:apiUrl", "FLEX_API_URL", False,
                      "Explicit API base URL, for the local emulator (http allowed on loopback only)."),
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


@dataclass(frozen=True)
class ProviderSettings:
    """Everything the provider needs to build its client, resolved once per provider process."""

    credentials: Credentials
    base_url: str
    timeouts: Timeouts
    retry: RetryPolicy

    @classmethod
    def resolve(cls, config_get: Callable[[str], Any], environ: Mapping[str, str]) -> ProviderSettings:
        """Read each setting from Pulumi config (via `config_get`), falling back to `environ`.

        Raises ConfigurationError, naming both ways to set what is missing; never the values.
        """
        values: dict[str, str | None] = {}
        for name, source in SOURCES.items():
            value = config_get(source.config_key)
            if value in (None, ""):
                value = environ.get(source.env_var)
            values[name] = str(value).strip() if value not in (None, "") else None

        account_sid = values["account_sid"]
        if account_sid and values["api_key"] and values["api_secret"]:
            credentials = Credentials.from_api_key(account_sid, values["api_key"], values["api_secret"])
        elif account_sid and values["auth_token"]:
            credentials = Credentials.from_auth_token(account_sid, values["auth_token"])
        else:
            raise ConfigurationError(_MISSING)
        if not (account_sid.startswith("AC") and len(account_sid) == 34):
            raise ConfigurationError(
                "twilio:accountSid / TWILIO_ACCOUNT_SID must be an Account SID: 'AC' and 32 hex digits"
            )
        return cls(credentials, resolve_base_url(values["api_url"], values["region"], values["edge"]),
                   Timeouts(read=_seconds(values["timeout"])), RetryPolicy(attempts=_retries(values["max_retries"])))


def _seconds(text: str | None) -> float:
    if text is None:
        return Timeouts().read
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds <= 600:
        raise ConfigurationError(
            f"flex:timeoutSeconds / FLEX_TIMEOUT_SECONDS must be a number of seconds between 0 and 600, not {text!r}"
        )
    return seconds


def _retries(text: str | None) -> int:
    if text is None:
        return RetryPolicy().attempts
    if not text.isdigit() or int(text) > 20:
        raise ConfigurationError(
            f"flex:maxRetries / FLEX_MAX_RETRIES must be a whole number from 0 to 20, not {text!r}"
        )
    return int(text)
