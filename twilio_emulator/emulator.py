"""The emulator in a background thread of this process: what tests, benchmarks and `make up` start."""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from twilio_emulator.account import Account
from twilio_emulator.backends import BACKENDS, Records
from twilio_emulator.faults import Faults
from twilio_emulator.routes import Router
from twilio_emulator.server import RecordedRequest, Server
from twilio_emulator.store import FileStore

__all__ = ["DEFAULT_ACCOUNT_SID", "DEFAULT_AUTH_TOKEN", "DEFAULT_HOST", "DEFAULT_PORT", "DEFAULT_URL", "Emulator"]

# The emulator's published test account and where its command line listens by default: the one place
# these live. `python -m flex_provider emulator-env` prints them as the variables the provider reads, for
# scripts and shells; `python -m flex_provider channels list --emulator` uses them.
DEFAULT_ACCOUNT_SID = "AC" + "0" * 32
DEFAULT_AUTH_TOKEN = "emulator-auth-token"  # noqa: S105 - the emulator's published test credential
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
DEFAULT_URL = f"http://{DEFAULT_HOST}:{DEFAULT_PORT}"


def _binds_to_loopback_only(host: str) -> bool:
    """Whether every address `host` stands for is a loopback one: what a server may bind without exposing
    the test credentials to the network. A name is resolved, as the bind will resolve it."""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)}
    except OSError:
        return False
    return bool(addresses) and all(ipaddress.ip_address(address.split("%")[0]).is_loopback for address in addresses)


class Emulator:
    """A local stand-in for the Twilio APIs flex-channels uses, bound to loopback only.

    One port serves every API (Flex and Conversations; their paths do not clash), so one
    `flex:apiUrl` points the provider at all of them. It serves every operation the contract gives
    each of `backends` (by default every registered one, `backends.BACKENDS`).

    Port 0 picks a free port; `base_url` is set once it listens. With `data_file`, everything
    it holds survives restarts (and the file is locked against a second emulator). With
    `require_flows`, a create must name records the emulator holds (a channel's Flex Flow), as on Twilio.
    """

    def __init__(
        self,
        host: str = DEFAULT_HOST,
        port: int = 0,
        *,
        account_sid: str = DEFAULT_ACCOUNT_SID,
        auth_token: str = DEFAULT_AUTH_TOKEN,
        api_key: str | None = None,
        api_secret: str | None = None,
        data_file: Path | None = None,
        faults: Faults | None = None,
        require_flows: bool = False,
        backends: Sequence[type[Records[Any]]] = BACKENDS,
    ) -> None:
        if not _binds_to_loopback_only(host):
            raise ValueError(f"the emulator listens on loopback only, not on {host!a}")
        if not 0 <= port <= 65535:
            raise ValueError(f"port {port} is not a TCP port (0 to 65535; 0 picks a free one)")
        credentials = {account_sid: auth_token}
        if api_key and api_secret:
            credentials[api_key] = api_secret
        self.account_sid = account_sid
        self.auth_token = auth_token
        self._store = FileStore(data_file) if data_file else None
        try:
            self.account = Account(account_sid, self._store, require_references=require_flows)
            self.backends: dict[str, Records[Any]] = {backend.section: backend(self.account) for backend in backends}
            self.account.load()
            self._server = Server((host, port), Router(self.backends.values()), credentials, self.account.reset,
                                  self.account.counts)
        except BaseException:
            if self._store:
                self._store.close()
            raise
        bound_host, bound_port = self._server.server_address[:2]
        url_host = f"[{bound_host}]" if ":" in str(bound_host) else bound_host
        self.base_url = f"http://{url_host}:{bound_port}"
        if faults:
            self._server.injector.configure(faults)
        self._thread: threading.Thread | None = None

    def start(self) -> Emulator:
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="twilio-emulator",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self.close()

    def close(self) -> None:
        """Release the port and the data file; for an emulator that is not serving (`stop` ends one that is)."""
        self._server.server_close()
        if self._store:
            self._store.close()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted; then release the data file."""
        try:
            self._server.serve_forever()
        finally:
            self._server.server_close()
            if self._store:
                self._store.close()

    def rotate_auth_token(self, auth_token: str) -> None:
        """Replace the account's Auth Token, as promoting a secondary token in Twilio's Console does: the old
        token stops working at once, and requests must use the new one."""
        self._server.credentials[self.account_sid] = auth_token
        self.auth_token = auth_token

    def set_faults(self, faults: Faults) -> None:
        self._server.injector.configure(faults)

    def stats(self) -> dict[str, Any]:
        return self._server.stats()

    def reset_stats(self) -> None:
        self._server.reset_stats()

    def requests(self, method: str | None = None) -> list[RecordedRequest]:
        """The API requests received since start or the last reset, oldest first."""
        with self._server.stats_lock:
            return [r for r in self._server.recorded if method is None or r.method == method]

    def resources(self, section: str) -> list[dict[str, Any]]:
        """Every resource of one backend (`channels`, `flex_flows`, …), as the API shows it, for tests to assert on."""
        return [record.to_json(self.base_url) for record in self.backends[section].list()]
