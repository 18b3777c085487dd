"""A provider's settings and HTTP client in one process: resolved when the engine configures the provider, the
client built on first use, nothing kept anywhere else.

Both front ends hold one: the dynamic provider per provider class (its object pickles to nothing, so
this lives only in the host process), a native provider per configured provider.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

from flex_provider.client import FlexClient
from flex_provider.errors import FlexError
from flex_provider.settings import ProviderSettings

__all__ = ["Connection"]


class Connection:
    """Settings from configuration, then the environment; one client, shared by every call at once."""

    def __init__(self, *, native: bool = False, pool_size: int | None = None) -> None:
        """`native`: settings under the native provider's own keys (settings.py); `pool_size`: connections per API
        host, as many as the calls the front end serves at once."""
        self._native = native
        self._pool_size = pool_size
        self._lock = threading.Lock()
        self._settings: ProviderSettings | None = None
        self._error: FlexError | None = None
        self._client: FlexClient | None = None

    def configure(self, config_get: Callable[[str], Any]) -> None:
        """Resolve settings from the configuration (`config_get(key)`), then the environment.

        A problem is kept, not raised: preview (check and diff) needs no credentials, and the
        first operation that does reports it.
        """
        try:
            self._settings = ProviderSettings.resolve(config_get, os.environ, native=self._native)
        except FlexError as error:
            self._error = error

    def client(self) -> FlexClient:
        """The one client, built on first use; every call the front end serves at once shares it."""
        with self._lock:
            if self._client is None:
                if self._error is not None:
                    raise type(self._error)(str(self._error))  # a fresh one: each waiting call raises its own
                settings = self._settings or ProviderSettings.resolve(lambda _key: None, os.environ,
                                                                      native=self._native)
                self._client = settings.client(self._pool_size)
            return self._client
