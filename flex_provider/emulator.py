"""A local emulator of the Flex chat channel API, faithful to twilio_flex_v1.json, on loopback only.

It is the embedded default for demos and the test double for every test. It imports nothing of
the client, so tests of one against the other check the real contract. Run it with
`python -m flex_provider.emulator --port 8765`.

Outside `/v1` it has an admin API for tests and benchmarks:
`GET /_emulator/stats` (requests, TCP connections, channels), `POST /_emulator/faults` (a JSON
object of `Faults` fields) and `POST /_emulator/reset` (forget channels, counters and faults).
"""

from __future__ import annotations

import argparse
import base64
import binascii
import contextlib
import json
import os
import re
import secrets
import socket
import sys
import tempfile
import threading
import time
from collections import Counter, deque
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from flex_provider.loopback import is_loopback

__all__ = [
    "DEFAULT_ACCOUNT_SID",
    "DEFAULT_AUTH_TOKEN",
    "ChannelBackend",
    "Emulator",
    "EmulatorError",
    "Faults",
    "RecordedRequest",
    "main",
]

DEFAULT_ACCOUNT_SID = "AC" + "0" * 32
DEFAULT_AUTH_TOKEN = "emulator-auth-token"  # noqa: S105 - the emulator's published test credential
_MORE_INFO = "https://www.twilio.com/docs/errors/{code}"
_REQUIRED = ("FlexFlowSid", "Identity", "ChatUserFriendlyName", "ChatFriendlyName")
_SID_PATTERNS = {"FlexFlowSid": re.compile(r"^FO[0-9a-fA-F]{32}$"), "TaskSid": re.compile(r"^WT[0-9a-fA-F]{32}$")}
_CHANNEL_PATH = re.compile(r"^/v1/Channels/(?P<sid>[^/]+)$")
_MAX_BODY = 1 << 20


class EmulatorError(Exception):
    """An API error as Twilio reports it: HTTP status plus a JSON body with a Twilio error code."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "more_info": _MORE_INFO.format(code=self.code),
                "status": self.status}


def _invalid(message: str) -> EmulatorError:
    return EmulatorError(400, 20001, message)


def _not_found(path: str) -> EmulatorError:
    return EmulatorError(404, 20404, f"The requested resource {path} was not found")


def _not_saved(exc: OSError) -> EmulatorError:
    """The data file could not be written: nothing changed, as a failed write must leave it."""
    return EmulatorError(500, 20500, f"The emulator could not save its data file ({exc.strerror or exc}); "
                                     "nothing was changed")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ChannelBackend:
    """The account's channels in memory, optionally persisted to a JSON file after every change.

    Each change is written to the file (atomically: temporary file, fsync, rename) before it is
    acknowledged, so a channel the emulator answered 201 for survives a SIGKILL.
    """

    def __init__(self, account_sid: str, data_file: Path | None = None) -> None:
        self.account_sid = account_sid
        self.base_url = ""
        self._data_file = data_file
        self._lock = threading.Lock()
        self._channels: dict[str, dict[str, Any]] = {}
        self._unique_names: dict[str, str] = {}
        self._seq: dict[str, int] = {}
        self._next_seq = 0
        if data_file:
            data_file.parent.mkdir(parents=True, exist_ok=True)
            for orphan in data_file.parent.glob(f".{data_file.name}.*"):
                orphan.unlink(missing_ok=True)  # a write cut short by a kill; the data file is intact
            if data_file.exists():
                self._load(data_file)

    def __len__(self) -> int:
        return len(self._channels)

    def create_channel(self, form: Mapping[str, str]) -> dict[str, Any]:
        for name in _REQUIRED:
            if not form.get(name):
                raise _invalid(f"Missing required parameter {name} in the post body")
        for name, pattern in _SID_PATTERNS.items():
            if name in form and not pattern.match(form[name]):
                raise _invalid(f"Invalid {name}: {form[name]!r} does not match {pattern.pattern}")
        long_lived = form.get("LongLived")
        if long_lived is not None and long_lived.lower() not in ("true", "false"):
            raise _invalid(f"Invalid LongLived: {long_lived!r} is not true or false")
        for name in ("PreEngagementData", "TaskAttributes"):
            if name in form:
                try:
                    json.loads(form[name])
                except ValueError:
                    raise _invalid(f"Invalid {name}: not valid JSON") from None
        unique_name = form.get("ChatUniqueName")
        with self._lock:
            if unique_name and unique_name in self._unique_names:
                raise EmulatorError(409, 50307, f"Channel with unique name '{unique_name}' already exists")
            sid = "CH" + secrets.token_hex(16)
            stamp = _now()
            channel = {
                "account_sid": self.account_sid,
                "flex_flow_sid": form["FlexFlowSid"],
                "sid": sid,
                "user_sid": "US" + secrets.token_hex(16),
                "task_sid": form.get("TaskSid"),
                "url": f"{self.base_url}/v1/Channels/{sid}",
                "date_created": stamp,
                "date_updated": stamp,
            }
            record = {"channel": channel, "unique_name": unique_name}
            self._insert(record)
            try:
                self._persist()
            except OSError as exc:
                self._remove(sid)
                raise _not_saved(exc) from exc
            return dict(channel)

    def fetch_channel(self, sid: str) -> dict[str, Any]:
        with self._lock:
            record = self._channels.get(sid)
            if record is None:
                raise _not_found(f"/v1/Channels/{sid}")
            return dict(record["channel"])

    def list_channels(self, page_size: int, page: int, page_token: str | None) -> tuple[list[dict[str, Any]], bool]:
        """One page after (`PA<seq>`) or before (`PB<seq>`) a token; returns the page and whether more follow."""
        with self._lock:
            ordered = sorted(self._channels.values(), key=lambda r: self._seq[r["channel"]["sid"]])
            seqs = [self._seq[r["channel"]["sid"]] for r in ordered]
            if page_token and page_token[:2] == "PB" and page_token[2:].isdigit():
                end = sum(1 for s in seqs if s < int(page_token[2:]))
                start = max(0, end - page_size)
            elif page_token and page_token[:2] == "PA" and page_token[2:].isdigit():
                start = sum(1 for s in seqs if s <= int(page_token[2:]))
            elif page_token:
                raise _invalid(f"Invalid PageToken: {page_token!r}")
            else:
                start = page * page_size
            chunk = ordered[start:start + page_size]
            return [dict(r["channel"]) for r in chunk], start + page_size < len(ordered)

    def sequence_of(self, sid: str) -> int:
        with self._lock:
            return self._seq[sid]

    def delete_channel(self, sid: str) -> None:
        with self._lock:
            if sid not in self._channels:
                raise _not_found(f"/v1/Channels/{sid}")
            seq = self._seq[sid]
            record = self._remove(sid)
            try:
                self._persist()
            except OSError as exc:
                self._insert(record, seq)
                raise _not_saved(exc) from exc

    def reset(self) -> None:
        with self._lock:
            self._channels.clear()
            self._unique_names.clear()
            self._seq.clear()
            self._persist()

    def _insert(self, record: dict[str, Any], seq: int | None = None) -> None:
        sid = record["channel"]["sid"]
        self._channels[sid] = record
        if seq is None:
            seq, self._next_seq = self._next_seq, self._next_seq + 1
        self._seq[sid] = seq
        if record["unique_name"]:
            self._unique_names[record["unique_name"]] = sid

    def _remove(self, sid: str) -> dict[str, Any]:
        record = self._channels.pop(sid)
        self._seq.pop(sid)
        if record["unique_name"]:
            self._unique_names.pop(record["unique_name"], None)
        return record

    def _load(self, path: Path) -> None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            records = data["channels"]
            for record in records:
                self._insert({"channel": dict(record["channel"]), "unique_name": record.get("unique_name")})
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise SystemExit(
                f"emulator: cannot read data file {path}: {exc}. Move it aside to start empty."
            ) from exc

    def _persist(self) -> None:
        if self._data_file is None:
            return
        records = sorted(self._channels.values(), key=lambda r: self._seq[r["channel"]["sid"]])
        payload = json.dumps({"version": 1, "channels": records}, indent=None).encode()
        directory = self._data_file.parent
        fd, tmp = tempfile.mkstemp(prefix=f".{self._data_file.name}.", dir=directory)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self._data_file)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


@dataclass
class Faults:
    """Faults to inject into `/v1` requests. Shares are exact over time, not random: a share of
    0.5 faults every second request, so tests can count on it."""

    latency_ms: float = 0.0
    rate_429: float = 0.0
    retry_after: int = 1
    rate_5xx: float = 0.0
    status_5xx: int = 503
    drop_after_create: float = 0.0
    methods: tuple[str, ...] = ("GET", "POST", "DELETE")


class _FaultInjector:
    """Decides, thread-safely, which requests get which fault."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.faults = Faults()
        self._debt: Counter[str] = Counter()

    def configure(self, faults: Faults) -> None:
        with self._lock:
            self.faults = faults
            self._debt.clear()

    def hit(self, kind: str, share: float) -> bool:
        """Error diffusion: accumulate the share, fire when the debt reaches one.

        The debt starts at one half (round to nearest), so a share of 0.5 faults the first request.
        """
        if share <= 0:
            return False
        with self._lock:
            self._debt[kind] = self._debt.get(kind, 0.5) + share
            if self._debt[kind] >= 1.0 - 1e-9:
                self._debt[kind] -= 1.0
                return True
            return False


@dataclass(frozen=True)
class RecordedRequest:
    """A `/v1` request as the emulator received it; the Basic password is never kept."""

    method: str
    path: str
    form: Mapping[str, str]
    username: str
    user_agent: str


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], backend: ChannelBackend, credentials: Mapping[str, str]) -> None:
        self.backend = backend
        self.credentials = dict(credentials)
        self.injector = _FaultInjector()
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
            return {
                "requests": sum(self.requests.values()),
                "requests_by_method": dict(self.requests),
                "connections": self.connections,
                "channels": len(self.backend),
            }

    def reset_stats(self) -> None:
        with self.stats_lock:
            self.requests.clear()
            self.connections = 0
            self.recorded.clear()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    server_version = "flex-emulator"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        """Quiet by default: a request log would drown test and benchmark output."""

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        path = urlsplit(self.path).path
        body = self._read_body()
        if body is None:
            return
        if path.startswith("/_emulator/"):
            self._admin(method, path, body)
            return
        self._record(method, body)
        try:
            if self._inject_faults(method):
                return
            self._authenticate()
            self._route(method, path, body)
        except EmulatorError as error:
            self._send_json(error.status, error.body())

    def _record(self, method: str, body: bytes) -> None:
        form: dict[str, str] = {}
        if body and method == "POST":
            form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()}
        request = RecordedRequest(method, self.path, form, _basic_user(self.headers.get("Authorization", "")),
                                  self.headers.get("User-Agent", ""))
        with self.server.stats_lock:
            self.server.requests[method] += 1
            self.server.recorded.append(request)

    def _read_body(self) -> bytes | None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > _MAX_BODY:
            self._send_json(413, EmulatorError(413, 20001, "Request body too large").body(), close=True)
            return None
        return self.rfile.read(length) if length else b""

    def _inject_faults(self, method: str) -> bool:
        injector = self.server.injector
        faults = injector.faults
        if method not in faults.methods:
            return False
        if faults.latency_ms:
            time.sleep(faults.latency_ms / 1000)
        if injector.hit("429", faults.rate_429):
            error = EmulatorError(429, 20429, "Too many requests")
            self._send_json(429, error.body(), headers={"Retry-After": str(faults.retry_after)})
            return True
        if injector.hit("5xx", faults.rate_5xx):
            status = faults.status_5xx
            self._send_json(status, EmulatorError(status, 20500, HTTPStatus(status).phrase).body())
            return True
        return False

    def _authenticate(self) -> None:
        user, password = _basic_credentials(self.headers.get("Authorization", ""))
        expected = self.server.credentials.get(user)
        if expected is None or not secrets.compare_digest(expected.encode(), password.encode()):
            raise EmulatorError(401, 20003, "Authenticate")

    def _route(self, method: str, path: str, body: bytes) -> None:
        backend = self.server.backend
        if path == "/v1/Channels":
            if method == "POST":
                form = self._form(body)
                channel = backend.create_channel(form)
                if self.server.injector.hit("drop", self.server.injector.faults.drop_after_create):
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self._send_json(201, channel)
            elif method == "GET":
                self._send_json(200, self._list_page())
            else:
                raise EmulatorError(405, 20004, "Method not allowed")
            return
        match = _CHANNEL_PATH.match(path)
        if match is None:
            raise _not_found(path)
        sid = match["sid"]
        if method == "GET":
            self._send_json(200, backend.fetch_channel(sid))
        elif method == "DELETE":
            backend.delete_channel(sid)
            self._send(204, b"", {})
        else:
            raise EmulatorError(405, 20004, "Method not allowed")

    def _form(self, body: bytes) -> dict[str, str]:
        content_type = self.headers.get("Content-Type", "").split(";")[0].strip()
        if content_type != "application/x-www-form-urlencoded":
            raise _invalid(f"Content-Type must be application/x-www-form-urlencoded, not {content_type!r}")
        try:
            parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
        except UnicodeDecodeError:
            raise _invalid("The post body is not UTF-8") from None
        return {key: values[0] for key, values in parsed.items()}

    def _list_page(self) -> dict[str, Any]:
        query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
        try:
            page_size = int(query.get("PageSize", "50"))
            page = int(query.get("Page", "0"))
        except ValueError:
            raise _invalid("PageSize and Page must be integers") from None
        if not 1 <= page_size <= 1000:
            raise _invalid(f"Invalid PageSize: {page_size} is not between 1 and 1000")
        if page < 0:
            raise _invalid(f"Invalid Page: {page} is negative")
        backend = self.server.backend
        token = query.get("PageToken")
        items, more = backend.list_channels(page_size, page, token)
        base = f"{backend.base_url}/v1/Channels?PageSize={page_size}"
        url = f"{base}&Page={page}" + (f"&PageToken={token}" if token else "")
        next_url = prev_url = None
        if items and more:
            next_url = f"{base}&Page={page + 1}&PageToken=PA{backend.sequence_of(items[-1]['sid'])}"
        if items and page > 0:
            prev_url = f"{base}&Page={page - 1}&PageToken=PB{backend.sequence_of(items[0]['sid'])}"
        meta = {"page": page, "page_size": page_size, "first_page_url": f"{base}&Page=0",
                "previous_page_url": prev_url, "url": url, "next_page_url": next_url, "key": "flex_chat_channels"}
        return {"meta": meta, "flex_chat_channels": items}

    def _admin(self, method: str, path: str, body: bytes) -> None:
        server = self.server
        if method == "GET" and path == "/_emulator/stats":
            self._send_json(200, server.stats())
        elif method == "POST" and path == "/_emulator/faults":
            try:
                faults = _faults_from_json(json.loads(body or b"{}"))
            except (ValueError, TypeError) as exc:
                self._send_json(400, {"message": f"bad faults: {exc}"})
                return
            server.injector.configure(faults)
            self._send_json(200, asdict(faults))
        elif method == "POST" and path == "/_emulator/reset":
            server.backend.reset()
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
        self.wfile.write(payload)


def _basic_credentials(header: str) -> tuple[str, str]:
    scheme, _, encoded = header.partition(" ")
    if scheme != "Basic":
        return "", ""
    try:
        user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return "", ""
    return user, password


def _basic_user(header: str) -> str:
    return _basic_credentials(header)[0]


def _faults_from_json(data: Any) -> Faults:
    if not isinstance(data, dict):
        raise TypeError("expected a JSON object")
    known = {f.name for f in fields(Faults)}
    unknown = set(data) - known
    if unknown:
        raise TypeError(f"unknown fields {sorted(unknown)}; known: {sorted(known)}")
    if "methods" in data:
        data = {**data, "methods": tuple(data["methods"])}
    return Faults(**data)


class Emulator:
    """The emulator in a background thread of this process: what tests and `make up` start.

    Binds to loopback only; port 0 picks a free port. `base_url` is set once it listens.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        account_sid: str = DEFAULT_ACCOUNT_SID,
        auth_token: str = DEFAULT_AUTH_TOKEN,
        api_key: str | None = None,
        api_secret: str | None = None,
        data_file: Path | None = None,
        faults: Faults | None = None,
    ) -> None:
        if not is_loopback(host):
            raise ValueError(f"the emulator listens on loopback only, not on {host!r}")
        credentials = {account_sid: auth_token}
        if api_key and api_secret:
            credentials[api_key] = api_secret
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.backend = ChannelBackend(account_sid, data_file)
        self._server = _Server((host, port), self.backend, credentials)
        bound_host, bound_port = self._server.server_address[:2]
        url_host = f"[{bound_host}]" if ":" in str(bound_host) else bound_host
        self.base_url = f"http://{url_host}:{bound_port}"
        self.backend.base_url = self.base_url
        if faults:
            self._server.injector.configure(faults)
        self._thread: threading.Thread | None = None

    def start(self) -> Emulator:
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="flex-emulator",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def set_faults(self, faults: Faults) -> None:
        self._server.injector.configure(faults)

    def stats(self) -> dict[str, Any]:
        return self._server.stats()

    def reset_stats(self) -> None:
        self._server.reset_stats()

    def requests(self, method: str | None = None) -> list[RecordedRequest]:
        """The `/v1` requests received since start or the last reset, oldest first."""
        with self._server.stats_lock:
            return [r for r in self._server.recorded if method is None or r.method == method]

    def channels(self) -> Iterator[dict[str, Any]]:
        """Every channel the emulator holds, for tests to assert on."""
        items, _ = self.backend.list_channels(page_size=10**9, page=0, page_token=None)
        return iter(items)


def main(argv: list[str] | None = None) -> int:
    """Start the emulator and serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m flex_provider.emulator", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 picks a free one)")
    parser.add_argument("--data", type=Path, help="JSON file that keeps channels across restarts")
    parser.add_argument("--account-sid", default=DEFAULT_ACCOUNT_SID)
    parser.add_argument("--auth-token", default=DEFAULT_AUTH_TOKEN)
    parser.add_argument("--api-key", help="also accept this API Key SID …")
    parser.add_argument("--api-secret", help="… with this API Key secret")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="added latency per /v1 request")
    parser.add_argument("--rate-429", type=float, default=0.0, help="share of /v1 requests answered 429")
    parser.add_argument("--rate-5xx", type=float, default=0.0, help="share of /v1 requests answered 503")
    parser.add_argument("--drop-after-create", type=float, default=0.0,
                        help="share of creates whose connection is dropped after the channel is made")
    args = parser.parse_args(argv)
    faults = Faults(latency_ms=args.latency_ms, rate_429=args.rate_429, rate_5xx=args.rate_5xx,
                    drop_after_create=args.drop_after_create)
    try:
        emulator = Emulator(args.host, args.port, account_sid=args.account_sid, auth_token=args.auth_token,
                            api_key=args.api_key, api_secret=args.api_secret, data_file=args.data, faults=faults)
    except (ValueError, OSError) as exc:
        print(f"emulator: cannot start: {exc}", file=sys.stderr)
        return 2
    print(f"Flex API emulator listening on {emulator.base_url}", flush=True)
    print(f"  test credentials: account SID {emulator.account_sid}, auth token {emulator.auth_token}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        emulator.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
