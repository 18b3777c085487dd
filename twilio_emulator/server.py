"""The HTTP edge: read and answer requests, check credentials, inject faults, count and record; plus the admin API.

Everything Twilio-specific happens behind the router (`routes.py`); this module only speaks HTTP/1.1 with
keep-alive, and turns every `TwilioError` (and every malformed request) into Twilio's JSON error.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import re
import secrets
import socket
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from twilio_emulator.errors import TwilioError, invalid
from twilio_emulator.faults import FaultInjector, Faults
from twilio_emulator.handlers import Request
from twilio_emulator.routes import Router

__all__ = ["RecordedRequest", "Server"]

MAX_BODY = 1 << 20
_ADMIN = "/_emulator/"


def _names_this_machine(host: str) -> bool:
    """Whether a Host header can only mean this machine: `localhost` or an address literal.

    The server binds loopback only, so any address that reached it is loopback; a DNS name is
    what a rebinding attack uses, and is refused.
    """
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return host == "localhost"
    return True


@dataclass(frozen=True)
class RecordedRequest:
    """An API request as the emulator received it; the Basic password is never kept. A form parameter sent more
    than once (a list, such as `AutoCreation.WebhookFilters`) is kept as the list of its values."""

    method: str
    path: str
    form: Mapping[str, str | list[str]]
    username: str
    user_agent: str


class Server(ThreadingHTTPServer):
    """The emulator's HTTP server: one thread per connection, the account's state shared by all."""

    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = socket.SOMAXCONN
    """Connections the kernel completes before the server accepts them: as many as the system allows, as a
    service's edge does. socketserver's default of 5 dropped the handshakes of a burst of new connections
    (a provider opening 64 at once), which clients then retried a second later."""

    def __init__(self, address: tuple[str, int], router: Router, credentials: Mapping[str, str],
                 reset: Any, counts: Any) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.router = router
        self.credentials = dict(credentials)
        self.reset_account = reset
        self.counts = counts
        self.injector = FaultInjector()
        self.stats_lock = threading.Lock()
        self.requests: Counter[str] = Counter()
        self.connections = 0
        self.recorded: deque[RecordedRequest] = deque(maxlen=10_000)
        super().__init__(address, _Handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        conn, addr = super().get_request()
        with self.stats_lock:
            self.connections += 1
        return conn, addr

    def stats(self) -> dict[str, Any]:
        with self.stats_lock:
            return {"requests": sum(self.requests.values()), "requests_by_method": dict(self.requests),
                    "connections": self.connections, **self.counts()}

    def reset_stats(self) -> None:
        with self.stats_lock:
            self.requests.clear()
            self.connections = 0
            self.recorded.clear()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that goes away mid-request is not the emulator's error: no traceback for it in the log."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Server
    server_version = "twilio-emulator"
    disable_nagle_algorithm = True
    default_request_version = "HTTP/1.1"
    """Not HTTP/0.9, whose answers have no status line: even a request line that cannot be parsed gets one."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        """Quiet by default: a request log would drown test and benchmark output."""

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Errors the HTTP layer finds (a bad request line, too many headers) in Twilio's JSON, not HTML.

        A method with no `do_` handler (HEAD, PUT, FOO…) is dispatched like any other, so the route
        table answers it: 405 with the path's `Allow`, or 404.
        """
        if code == HTTPStatus.NOT_IMPLEMENTED and self.command:
            self._dispatch(self.command)
            return
        error = TwilioError(code, 20001, message or HTTPStatus(code).phrase)
        self._send_json(error.status, error.body(), close=True)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        try:
            self._refuse_browsers()
            body = self._read_body()
        except TwilioError as error:
            self._send_json(error.status, error.body(), headers=error.headers, close=True)
            return
        path = urlsplit(self.path).path
        if path.startswith(_ADMIN):
            self._admin(method, path, body)
            return
        self._record(method, body)
        try:
            if self._inject_faults(method):
                return
            self._authenticate()
            self._answer(method, path, body)
        except TwilioError as error:
            self._send_json(error.status, error.body(), headers=error.headers)

    def _refuse_browsers(self) -> None:
        """Refuse what only a web page would send, so no site the developer visits can drive the emulator.

        Browsers send any site's POST to loopback (CORS hides only the answer), so without this a page
        could reset the emulator and empty its data file. A browser marks such a request with `Origin`;
        and a `Host` that is a DNS name other than localhost is a page that rebound that name to 127.0.0.1.
        """
        if "Origin" in self.headers:
            raise TwilioError(403, 20403, "The emulator does not take requests from web pages (this one has an "
                                          "Origin header)")
        hosts = self.headers.get_all("Host") or []
        if len(hosts) > 1:
            raise invalid("Host is given more than once")
        if not _names_this_machine(_host_name(hosts[0] if hosts else None)):
            raise TwilioError(403, 20403, f"Host {hosts[0][:100]!a} is not a loopback address; "
                                          "the emulator answers only requests sent to loopback")

    def _read_body(self) -> bytes:
        """The request's body, by one Content-Length that is a number within bounds; anything else is refused.

        A body shorter than its Content-Length (the client stopped sending) is refused too: a request
        cut short must change nothing.
        """
        if self.headers.get("Transfer-Encoding"):
            raise TwilioError(411, 20001, "Send the body with a Content-Length, not Transfer-Encoding")
        given = set(self.headers.get_all("Content-Length") or ["0"])
        if len(given) > 1:
            raise invalid(f"Content-Length is given more than once, with different values {sorted(given)}")
        text = given.pop()
        if not text.isascii() or not text.isdigit():
            raise invalid(f"Content-Length {text[:20]!r} is not a number of bytes")
        if len(text) > len(str(MAX_BODY)) or int(text) > MAX_BODY:  # int() refuses over 4,300 digits
            raise TwilioError(413, 20001, "Request body too large")
        length = int(text)
        body = self.rfile.read(length) if length else b""
        if len(body) < length:
            raise invalid(f"The body ended after {len(body)} of the {length} bytes its Content-Length gives")
        return body

    def _record(self, method: str, body: bytes) -> None:
        form: dict[str, str | list[str]] = {}
        if body and method == "POST":
            form = {k: v[0] if len(v) == 1 else v
                    for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()}
        request = RecordedRequest(method, self.path, form, _basic_credentials(self.headers.get("Authorization", ""))[0],
                                  self.headers.get("User-Agent", ""))
        with self.server.stats_lock:
            self.server.requests[method] += 1
            self.server.recorded.append(request)

    def _inject_faults(self, method: str) -> bool:
        injector = self.server.injector
        faults = injector.faults
        if method not in faults.methods:
            return False
        if faults.latency_ms:
            time.sleep(faults.latency_ms / 1000)
        if injector.hit("429", faults.rate_429):
            error = TwilioError(429, 20429, "Too many requests", headers={"Retry-After": str(faults.retry_after)})
            self._send_json(429, error.body(), headers=error.headers)
            return True
        if injector.hit("5xx", faults.rate_5xx):
            status = faults.status_5xx
            self._send_json(status, TwilioError(status, 20500, HTTPStatus(status).phrase).body())
            return True
        return False

    def _authenticate(self) -> None:
        user, password = _basic_credentials(self.headers.get("Authorization", ""))
        expected = self.server.credentials.get(user)
        if expected is None or not secrets.compare_digest(expected.encode(), password.encode()):
            raise TwilioError(401, 20003, "Authenticate", headers={"WWW-Authenticate": 'Basic realm="Twilio API"'})

    def _answer(self, method: str, path: str, body: bytes) -> None:
        route, path_params = self.server.router.match(method, path)
        query = parse_qs(urlsplit(self.path).query, keep_blank_values=True)
        request = Request(base_url=f"http://{self.headers.get('Host') or self._own_host()}", path=path,
                          path_params=path_params, query=query, form=self._form(body) if method == "POST" else {})
        answer = route.handler(request)
        injector = self.server.injector
        if answer.created and injector.hit("drop", injector.faults.drop_after_create):
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if answer.body is None:
            self._send(answer.status, b"", {})
        else:
            self._send_json(answer.status, answer.body)

    def _own_host(self) -> str:
        host, port = self.server.server_address[:2]
        return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"

    def _form(self, body: bytes) -> dict[str, list[str]]:
        content_type = self.headers.get("Content-Type", "").split(";")[0].strip()
        if body and content_type != "application/x-www-form-urlencoded":
            raise invalid(f"Content-Type must be application/x-www-form-urlencoded, not {content_type!r}")
        try:
            return parse_qs(body.decode("utf-8"), keep_blank_values=True, errors="strict")
        except UnicodeDecodeError:
            raise invalid("The post body is not UTF-8") from None

    def _admin(self, method: str, path: str, body: bytes) -> None:
        server = self.server
        if method == "GET" and path == "/_emulator/stats":
            self._send_json(200, server.stats())
        elif method == "POST" and path == "/_emulator/faults":
            try:
                faults = Faults.from_json(json.loads(body or b"{}"))
            except RecursionError:  # JSON nested deeper than the parser's stack
                self._send_json(400, {"message": "bad faults: nested too deeply"})
                return
            except (ValueError, TypeError) as exc:
                self._send_json(400, {"message": f"bad faults: {exc}"})
                return
            server.injector.configure(faults)
            self._send_json(200, faults.to_json())
        elif method == "POST" and path == "/_emulator/reset":
            try:
                server.reset_account()
            except TwilioError as error:
                self._send_json(error.status, error.body())
                return
            server.injector.configure(Faults())
            server.reset_stats()
            self._send_json(200, server.stats())
        else:
            self._send_json(404, {"message": f"no admin route {method} {path}"})

    def _send_json(self, status: int, body: Mapping[str, Any], headers: Mapping[str, str] | None = None,
                   close: bool = False) -> None:
        self._send(status, json.dumps(body).encode(), {"Content-Type": "application/json", **(headers or {})}, close)

    def _send(self, status: int, payload: bytes, headers: Mapping[str, str], close: bool = False) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)


_HOST = re.compile(r"(?:\[(?P<address>[0-9A-Fa-f:.]+)\]|(?P<name>[A-Za-z0-9.-]+))(?::(?P<port>[0-9]{1,5}))?")
"""A Host header: a name or IPv4 address, or an IPv6 address in brackets, and an optional port (RFC 9110 section 7.2).
Answers' URLs are built from it, so nothing else may ride along: `localhost:@evil.example` made them point there."""


def _host_name(host: str | None) -> str:
    """The name or address in a Host header, without the port; no header means a loopback client. A header that is
    not a host and optional port is a 400, as RFC 9112 section 3.2 says, quoting it escaped."""
    if not host:
        return "localhost"
    found = _HOST.fullmatch(host)
    if found is None or int(found["port"] or 0) > 65535:
        raise invalid(f"Host {host[:100]!a} is not a host and port")
    return (found["address"] or found["name"]).lower()


def _basic_credentials(header: str) -> tuple[str, str]:
    scheme, _, encoded = header.partition(" ")
    if scheme != "Basic":
        return "", ""
    try:
        user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return "", ""
    return user, password
