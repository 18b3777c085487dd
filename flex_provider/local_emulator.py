"""The local emulator as the provider's settings: its published test account, at its URL.

For `python -m flex_provider emulator-env` (the lines a shell or script exports) and for `<section> list
--emulator`. The account, token, host and default port are the emulator's own, named once in
`twilio_emulator`; the variable names are the provider's (`settings.SOURCES`).
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from urllib.parse import urlsplit

from flex_provider.endpoints import Endpoints, quote_url
from flex_provider.errors import ConfigurationError
from flex_provider.loopback import is_loopback
from flex_provider.settings import SOURCES
from twilio_emulator import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, DEFAULT_HOST, DEFAULT_URL

__all__ = ["emulator_environ", "emulator_settings", "emulator_url", "export_lines"]

_CLEARED = ("api_key", "api_secret")
"""Settings that would win over the emulator's token (the provider prefers an API key), so they are unset."""
_NAMES = {"api_url": "the emulator's URL", "region": "", "edge": ""}


def emulator_url(text: str | None = None) -> str:
    """The emulator's base URL, from a URL, a port, or nothing (where `python -m twilio_emulator` listens).

    Only a loopback URL: the emulator listens nowhere else, and its published token is sent nowhere else.
    Raises ConfigurationError saying what to give instead; it quotes the URL without its user info (`quote_url`).
    """
    if not text:
        return DEFAULT_URL
    url = f"http://{DEFAULT_HOST}:{text}" if text.isascii() and text.isdigit() else text
    host = _host(url)
    if host and not is_loopback(host):
        raise ConfigurationError(f"{quote_url(text)} is not a local emulator: the emulator listens on loopback only; "
                                 f"give its port, or a URL such as {DEFAULT_URL}")
    return Endpoints.resolve(url, names=_NAMES).base_url()


def _host(url: str) -> str | None:
    """The host of a URL, or None when none can be read (`Endpoints.resolve` then says what is wrong)."""
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


def emulator_settings(url: str = DEFAULT_URL) -> dict[str, str]:
    """The environment variables that point the provider at the emulator at `url` (a checked URL), by name."""
    return {SOURCES["api_url"].env_var: url, SOURCES["account_sid"].env_var: DEFAULT_ACCOUNT_SID,
            SOURCES["auth_token"].env_var: DEFAULT_AUTH_TOKEN}


def emulator_environ(url: str, environ: Mapping[str, str]) -> dict[str, str]:
    """`environ` pointed at the emulator: its settings set, and those that would win over them removed."""
    cleared = {SOURCES[name].env_var for name in _CLEARED}
    return {**{key: value for key, value in environ.items() if key not in cleared}, **emulator_settings(url)}


def export_lines(url: str = DEFAULT_URL) -> str:
    """Shell lines that point the provider (`pulumi up`, the CLI) at the emulator: `eval "$(…)"`, or copy them."""
    exports = "".join(f"export {name}={shlex.quote(value)}\n" for name, value in emulator_settings(url).items())
    return exports + f"unset {' '.join(SOURCES[name].env_var for name in _CLEARED)}\n"
