"""Where the provider's credentials and endpoint come from: Pulumi config first, then the environment.

One table, `SOURCES`, serves both front ends. The dynamic provider reads the stack config with its
namespaces: the Pulumi engine hands a dynamic provider the whole stack configuration, secrets decrypted
(pulumi/pulumi#17673), so `twilio:authToken` set with `pulumi config set --secret` arrives as plain text,
in memory only. The native `flex` provider reads its own namespace (`flex:authToken`), because a default
provider receives only its package's config (pulumi/pulumi pkg/resource/deploy/target.go,
GetPackageConfig); an explicit one gets the same keys as its inputs. The environment variables are the
same for both. Nothing resolved here is ever stored on the provider object that Pulumi pickles.
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

__all__ = ["SOURCES", "ProviderSettings", "Source", "from_config"]


NATIVE_NAMESPACE = "flex"
"""The native provider's package, and so the namespace of its settings (`flex:accountSid`)."""


@dataclass(frozen=True)
class Source:
    """One setting: its key, the namespace the dynamic front end reads it in, and its environment variable."""

    key: str
    """The key in the native provider's namespace, and its config and provider input name: `accountSid`."""
    namespace: str
    """The namespace the dynamic front end reads it in: `twilio` for `twilio:accountSid`."""
    env_var: str
    secret: bool
    description: str
    targets: bool = False
    """Whether it chooses which account or server requests go to (credentials, an explicit URL): the settings
    that `make up` refuses to mix with the local emulator's."""

    @property
    def config_key(self) -> str:
        """The dynamic front end's config key: `twilio:accountSid`."""
        return f"{self.namespace}:{self.key}"

    @property
    def native_key(self) -> str:
        """The native provider's config key: `flex:accountSid`."""
        return f"{NATIVE_NAMESPACE}:{self.key}"

    def label(self, native: bool = False) -> str:
        """How messages name the setting: both ways to set it, for the front end that reads it."""
        return f"{self.native_key if native else self.config_key} / {self.env_var}"


SOURCES: Mapping[str, Source] = {
    "account_sid": Source("accountSid", "twilio", "TWILIO_ACCOUNT_SID", False, "Twilio Account SID (AC…).", True),
    "auth_token": Source("authToken", "twilio", "TWILIO_AUTH_TOKEN", True, "Auth Token of the account.", True),
    "api_key": Source("apiKey", "twilio", "TWILIO_API_KEY", False, "API Key SID (SK…), instead of the Auth Token.",
                      True),
    "api_secret": Source("apiSecret", "twilio", "TWILIO_API_SECRET", True, "Secret of that API Key.", True),
    "region": Source("region", "twilio", "TWILIO_REGION", False, "Twilio Region, for example au1 or ie1."),
    "edge": Source("edge", "twilio", "TWILIO_EDGE", False, "Twilio Edge, for example sydney or dublin."),
    "api_url": Source("apiUrl", "flex", "FLEX_API_URL", False,
                      "Explicit base URL for every API, for the local emulator (http allowed on loopback only).", True),
    "timeout": Source("timeoutSeconds", "flex", "FLEX_TIMEOUT_SECONDS", False,
                      "Seconds to wait for each API answer (default 30)."),
    "max_retries": Source("maxRetries", "flex", "FLEX_MAX_RETRIES", False,
                          "Retries of a request that is safe to retry (default 6; 0 turns retrying off)."),
}

def from_config(source: Source, config_get: Callable[[str], Any]) -> tuple[str, str] | None:
    """The setting as the stack config gives it, under either namespace, and the key it came from; None if unset.

    The dynamic front end reads `twilio:accountSid`, the native provider `flex:accountSid`; a stack may
    hold either, and switching `flex:frontEnd` must not change the account requests go to. So each reads
    both (its own key first), and a stack that sets the two to different values is refused, naming the
    keys and never the values.
    """
    found = [(key, str(value).strip()) for key in dict.fromkeys((source.config_key, source.native_key))
             if (value := config_get(key)) is not None and str(value).strip()]
    if len(found) == 2 and found[0][1] != found[1][1]:
        raise ConfigurationError(
            f"{found[0][0]} and {found[1][0]} are both set, to different values: the dynamic and the native provider "
            f"would use different ones. Keep one (`pulumi config rm {found[1][0]}`).")
    return found[0] if found else None


def _missing(native: bool) -> str:
    """What to do when no credentials are set, in the keys of the front end that reads them."""
    key = {name: SOURCES[name].native_key if native else SOURCES[name].config_key
           for name in ("account_sid", "auth_token", "api_key", "api_secret")}
    return ("Twilio credentials are missing. Set them in the stack's config:\n"
            f"    pulumi config set {key['account_sid']} AC…\n"
            f"    pulumi config set --secret {key['auth_token']} …\n"
            f"(or {key['api_key']} + --secret {key['api_secret']}), or in the environment: TWILIO_ACCOUNT_SID with "
            "TWILIO_AUTH_TOKEN (or TWILIO_API_KEY + TWILIO_API_SECRET).")


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

    def client(self, pool_size: int | None = None) -> FlexClient:
        """A client with these settings; `pool_size` connections per API host (default: the client's)."""
        sized = {} if pool_size is None else {"pool_size": pool_size}
        return FlexClient(self.credentials, endpoints=self.endpoints, timeouts=self.timeouts, retry=self.retry,
                          **sized)

    @classmethod
    def resolve(cls, config_get: Callable[[str], Any], environ: Mapping[str, str], *,
                native: bool = False) -> ProviderSettings:
        """Read each setting from Pulumi config (via `config_get`), falling back to `environ`.

        `config_get` takes a namespaced key (the dynamic front end gets the whole stack config: either
        namespace, `from_config`), or with `native` the native provider's own key (`accountSid`): it
        receives only its own namespace, or the inputs the program gave its explicit provider.
        Raises ConfigurationError naming the setting (both ways to set it, for that front end) and what it
        must be; it quotes a value the user typed, but never a credential, a secret or a URL's user info.
        """
        label = {name: source.label(native) for name, source in SOURCES.items()}
        values: dict[str, str | None] = {}
        for name, source in SOURCES.items():
            if native:
                value = config_get(source.key)
            else:
                given = from_config(source, config_get)
                value = given[1] if given else None
            if value is None or not str(value).strip():
                value = environ.get(source.env_var)
            values[name] = str(value).strip() if value is not None and str(value).strip() else None

        for name, (prefix, what) in _SIDS.items():
            sid = values[name]
            if sid is not None and not re.fullmatch(sid_pattern(prefix), sid):
                raise ConfigurationError(f"{label[name]} must be {what}: '{prefix}' and 32 hex digits")
        for name in ("auth_token", "api_secret"):
            secret = values[name]
            if secret is not None and not _SECRET.fullmatch(secret):
                raise ConfigurationError(f"{label[name]} holds a space, a control character or a "
                                         "non-ASCII character; copy it again from the Twilio Console")
        account_sid = values["account_sid"]
        if account_sid and values["api_key"] and values["api_secret"]:
            credentials = Credentials.from_api_key(account_sid, values["api_key"], values["api_secret"])
        elif account_sid and values["auth_token"]:
            credentials = Credentials.from_auth_token(account_sid, values["auth_token"])
        else:
            raise ConfigurationError(_missing(native))
        names = {name: label[name] for name in ("api_url", "region", "edge")}
        return cls(credentials, Endpoints.resolve(values["api_url"], values["region"], values["edge"], names=names),
                   Timeouts(read=_seconds(values["timeout"], label["timeout"])),
                   RetryPolicy(attempts=_retries(values["max_retries"], label["max_retries"])))


def _seconds(text: str | None, label: str) -> float:
    if text is None:
        return Timeouts().read
    seconds = float(text) if _DECIMAL.fullmatch(text) else -1.0
    if not 0 < seconds <= 600:
        raise ConfigurationError(f"{label} must be a number of seconds above 0 and at most 600, not {quote(text)}")
    return seconds


def _retries(text: str | None, label: str) -> int:
    if text is None:
        return RetryPolicy().attempts
    if not re.fullmatch(r"[0-9]{1,2}", text) or int(text) > 20:
        raise ConfigurationError(f"{label} must be a whole number from 0 to 20, not {quote(text)}")
    return int(text)
