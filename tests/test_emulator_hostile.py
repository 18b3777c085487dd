"""The emulator under hostile input and faults: every one gets a clear answer, and nothing is lost or leaked.

Malformed HTTP is sent over raw sockets, the command line is run as a subprocess (its stdout and
stderr going to one log file, as `make up` writes .emulator/emulator.log), everything else over
real HTTP with requests.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.client import HTTPResponse, RemoteDisconnected
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from tests.support import CHANNEL_FORM, ROOT, http
from twilio_emulator import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, Emulator, Faults

CLI = (sys.executable, "-m", "twilio_emulator")
USAGE_ERROR = "python -m twilio_emulator: error: "


# --- helpers ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def _address(emulator: Emulator | str) -> tuple[str, int]:
    parts = urlsplit(emulator if isinstance(emulator, str) else emulator.base_url)
    assert parts.hostname is not None and parts.port is not None
    return parts.hostname, parts.port


def _raw(emulator: Emulator, data: bytes, *, half_close: bool = False) -> Answer:
    """Send bytes exactly as given and read one answer; a hang or an empty reply fails the test."""
    with socket.create_connection(_address(emulator), timeout=5) as conn:
        conn.sendall(data)
        if half_close:
            conn.shutdown(socket.SHUT_WR)
        response = HTTPResponse(conn)
        try:
            response.begin()
            return Answer(response.status, dict(response.getheaders()), response.read())
        except TimeoutError:
            pytest.fail("no answer within 5 s")
        except RemoteDisconnected:
            pytest.fail("the emulator closed the connection without an answer")


def _basic(emulator: Emulator) -> bytes:
    return b"Basic " + base64.b64encode(f"{emulator.account_sid}:{emulator.auth_token}".encode())


def _post(emulator: Emulator, headers: bytes, body: bytes = b"") -> bytes:
    """An authenticated POST /v1/Channels request with the given extra header lines."""
    return (b"POST /v1/Channels HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: " + _basic(emulator) + b"\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n" + headers + b"\r\n" + body)


def _form_bytes(**changes: str) -> bytes:
    return "&".join(f"{key}={value}" for key, value in {**CHANNEL_FORM, **changes}.items()).encode()


def _twilio_error(status: int, message: str, code: int = 20001) -> dict[str, Any]:
    return {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status}


def _serves_normally(emulator: Emulator) -> None:
    session = http(emulator)
    assert session.get(f"{emulator.base_url}/v1/Channels", timeout=5).status_code == 200
    created = session.post(f"{emulator.base_url}/v1/Channels", data={**CHANNEL_FORM, "Identity": "after"}, timeout=5)
    assert created.status_code == 201


def _refused(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the command line with arguments it must refuse at once."""
    try:
        return subprocess.run([*CLI, *args], cwd=ROOT, capture_output=True, text=True, timeout=20)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the emulator started with {args} instead of refusing them")


@dataclass
class Running:
    """An emulator started from the command line."""

    process: subprocess.Popen[bytes]
    log: Path
    base_url: str

    def output(self) -> str:
        return self.log.read_text()


@contextmanager
def _running(tmp_path: Path, *args: str, log_name: str = "emulator.log") -> Iterator[Running]:
    """The command-line emulator, its stdout and stderr to one log file; stopped with Ctrl-C if still running."""
    log = tmp_path / log_name
    with log.open("wb") as out:
        process = subprocess.Popen([*CLI, "--port", "0", *args], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while "test credentials:" not in log.read_text():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the emulator did not start: {log.read_text()}")
            time.sleep(0.05)
        found = re.search(r"listening on (\S+)", log.read_text())
        assert found is not None
        yield Running(process, log, found[1])
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        process.wait(timeout=10)


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.fixture
def read_only_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder this process cannot write to: by its mode, or as root (whom modes do not stop) by `chattr +i`."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    as_root = os.geteuid() == 0
    if as_root:
        chattr = shutil.which("chattr")
        if chattr is None or subprocess.run([chattr, "+i", str(folder)], capture_output=True).returncode != 0:
            pytest.skip("running as root, whom a folder's mode does not stop, and `chattr +i` is not possible here")
    else:
        folder.chmod(0o500)
    try:
        try:
            (folder / "probe").touch()
        except OSError:
            yield folder
        else:
            pytest.skip("this system lets the tests write to a read-only folder")
    finally:
        if as_root:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        else:
            folder.chmod(0o700)


# --- 1. the start-up banner --------------------------------------------------------------------------------------


def test_banner_shows_the_default_token_which_is_published(tmp_path: Path) -> None:
    with _running(tmp_path) as emulator:
        assert emulator.output().splitlines()[1].strip() == (
            f"test credentials: account SID {DEFAULT_ACCOUNT_SID}, auth token {DEFAULT_AUTH_TOKEN}")


def test_a_token_given_with_auth_token_is_never_printed(tmp_path: Path, auth_token: str) -> None:
    data = tmp_path / "d.json"
    with _running(tmp_path, "--auth-token", auth_token, "--data", str(data)) as emulator:
        assert emulator.output().splitlines()[1].strip() == (
            f"test credentials: account SID {DEFAULT_ACCOUNT_SID}, auth token (as given with --auth-token)")
        url = f"{emulator.base_url}/v1/Channels"
        created = requests.post(url, data=CHANNEL_FORM, auth=(DEFAULT_ACCOUNT_SID, auth_token), timeout=5)
        assert created.status_code == 201
        assert requests.get(url, auth=(DEFAULT_ACCOUNT_SID, auth_token + "x"), timeout=5).status_code == 401
    assert emulator.process.returncode == 0
    assert auth_token not in emulator.output()
    assert len(json.loads(data.read_text())["channels"]) == 1


# --- 2. fault settings ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("body", "message"), [
    (b'{"latency_ms": "abc"}', "latency_ms must be a number, not 'abc'"),
    (b'{"status_5xx": 999}', "status_5xx must be an HTTP status from 500 to 599, not 999"),
    (b'{"rate_429": "x"}', "rate_429 must be a number, not 'x'"),
    (b'{"latency_ms": NaN}', "latency_ms must be a number, not nan"),
    (b'{"retry_after": -1}', "retry_after must be whole seconds from 0 to 3600, not -1"),
    (b'{"methods": "GET"}', "methods must be a list of GET, POST, DELETE, not 'GET'"),
    (b'{"methods": [["GET"]]}', "methods must be a list of GET, POST, DELETE, not (['GET'],)"),
    (b"[1]", "expected a JSON object"),
])
def test_admin_refuses_faults_that_would_break_the_emulator(emulator: Emulator, body: bytes, message: str) -> None:
    answer = requests.post(f"{emulator.base_url}/_emulator/faults", data=body, timeout=5)
    assert (answer.status_code, answer.json()) == (400, {"message": f"bad faults: {message}"})
    _serves_normally(emulator)


@pytest.mark.parametrize(("args", "message"), [
    (("--latency-ms", "-5"), "argument --latency-ms: latency_ms must be from 0 to 600000, not -5.0"),
    (("--latency-ms", "nan"), "argument --latency-ms: latency_ms must be a number, not nan"),
    (("--rate-429", "2"), "argument --rate-429: rate_429 must be a share from 0 to 1, not 2.0"),
    (("--rate-5xx", "-1"), "argument --rate-5xx: rate_5xx must be a share from 0 to 1, not -1.0"),
    (("--drop-after-create", "x"), "argument --drop-after-create: 'x' is not a number"),
])
def test_command_line_refuses_fault_values(args: tuple[str, ...], message: str) -> None:
    result = _refused("--port", "0", *args)
    assert result.returncode == 2
    assert result.stderr.startswith("usage: python -m twilio_emulator")
    assert result.stderr.splitlines()[-1] == USAGE_ERROR + message
    assert result.stdout == ""


@pytest.mark.parametrize(("args", "message"), [
    (("--bogus", "\x1b[2Jx\nforged"), "unrecognized arguments: --bogus \\x1b[2Jx\\nforged"),
    (("--rate-429", "0.\u0441"), "argument --rate-429: '0.\\u0441' is not a number"),
])
def test_command_line_echoes_what_it_refuses_escaped(args: tuple[str, ...], message: str) -> None:
    """argparse echoes an unrecognized argument raw (an escape sequence reaches the log or terminal, a newline forges
    a line) and a refused value with `repr`, which leaves a look-alike letter as it was typed."""
    result = _refused("--port", "0", *args)
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == USAGE_ERROR + message
    assert result.stderr.isascii() and "\x1b" not in result.stderr
    assert result.stdout == ""


# --- 3. malformed HTTP, ports, hosts, methods, authentication ----------------------------------------------------


@pytest.mark.parametrize("length", [b"abc", b"-1", b"1e3", b"0x10"])
def test_content_length_that_is_not_a_number_of_bytes_is_400(emulator: Emulator, length: bytes) -> None:
    answer = _raw(emulator, _post(emulator, b"Content-Length: " + length + b"\r\n"))
    assert (answer.status, answer.headers["Connection"]) == (400, "close")
    assert answer.json() == _twilio_error(400, f"Content-Length {length.decode()!r} is not a number of bytes")
    assert emulator.requests() == []


def test_content_lengths_that_disagree_are_400(emulator: Emulator) -> None:
    answer = _raw(emulator, _post(emulator, b"Content-Length: 0\r\nContent-Length: 10\r\n", b"FlexFlow=x"))
    assert answer.status == 400
    assert answer.json() == _twilio_error(
        400, "Content-Length is given more than once, with different values ['0', '10']")
    assert emulator.requests() == []


def test_chunked_body_is_411(emulator: Emulator) -> None:
    body = _form_bytes()
    answer = _raw(emulator, _post(emulator, b"Transfer-Encoding: chunked\r\n",
                                  b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)))
    assert answer.status == 411
    assert answer.json() == _twilio_error(411, "Send the body with a Content-Length, not Transfer-Encoding")
    assert emulator.resources("channels") == []


def test_body_cut_short_of_its_content_length_creates_nothing(emulator: Emulator) -> None:
    body = _form_bytes()
    answer = _raw(emulator, _post(emulator, b"Content-Length: %d\r\n" % (len(body) + 10), body), half_close=True)
    assert answer.status == 400
    assert answer.json() == _twilio_error(
        400, f"The body ended after {len(body)} of the {len(body) + 10} bytes its Content-Length gives")
    assert emulator.resources("channels") == []


@pytest.mark.parametrize("port", ["70000", "-1", "http"])
def test_port_outside_0_to_65535_is_a_usage_error(port: str) -> None:
    result = _refused("--port", port)
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        f"{USAGE_ERROR}argument --port: {port!r} is not a TCP port (0 to 65535; 0 picks a free one)")
    assert "Traceback" not in result.stderr


@pytest.mark.skipif(not _ipv6_loopback(), reason="this machine cannot bind the IPv6 loopback address ::1")
def test_ipv6_loopback_is_served(tmp_path: Path) -> None:
    with _running(tmp_path, "--host", "::1") as emulator:
        assert emulator.base_url.startswith("http://[::1]:")
        answer = requests.post(f"{emulator.base_url}/v1/Channels", data=CHANNEL_FORM,
                               auth=(DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN), timeout=5)
        assert answer.status_code == 201
        assert answer.json()["url"].startswith(f"{emulator.base_url}/v1/Channels/CH")


@pytest.mark.parametrize(("method", "path", "allow"), [
    ("HEAD", "/v1/Channels", "GET, POST"),
    ("PUT", "/v1/Channels", "GET, POST"),
    ("PATCH", "/v1/Channels/CH" + "0" * 32, "DELETE, GET"),
    ("OPTIONS", "/v1/Channels/CH" + "0" * 32, "DELETE, GET"),
    ("FOO", "/v1/Channels", "GET, POST"),
])
def test_method_the_api_lacks_is_json_405_with_allow(emulator: Emulator, method: str, path: str, allow: str) -> None:
    answer = http(emulator).request(method, f"{emulator.base_url}{path}", timeout=5)
    assert (answer.status_code, answer.headers["Allow"]) == (405, allow)
    assert answer.headers["Content-Type"] == "application/json"
    if method != "HEAD":
        assert answer.json() == _twilio_error(405, f"Method {method} not allowed on {path}", code=20004)


def test_401_says_how_to_authenticate(emulator: Emulator) -> None:
    answer = requests.get(f"{emulator.base_url}/v1/Channels", timeout=5)
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"] == 'Basic realm="Twilio API"'
    assert answer.json() == _twilio_error(401, "Authenticate", code=20003)


@pytest.mark.parametrize(("request_bytes", "status", "message"), [
    (b"GARBAGE\r\n\r\n", 400, "Bad request syntax ('GARBAGE')"),
    (b"GET /v1/Channels HTTP/2.0\r\n\r\n", 505, "Invalid HTTP version (2.0)"),
    (b"GET /v1/Channels HTTP/1.1\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(101)) + b"\r\n", 431,
     "Too many headers"),
    (b"GET /v1/Channels HTTP/1.1\r\nX: " + b"a" * 70_000 + b"\r\n\r\n", 431, "Line too long"),
    (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n", 414, "Request-URI Too Long"),
])
def test_malformed_http_gets_a_status_line_and_twilio_json(emulator: Emulator, request_bytes: bytes, status: int,
                                                           message: str) -> None:
    answer = _raw(emulator, request_bytes)
    assert (answer.status, answer.headers["Content-Type"]) == (status, "application/json")
    assert answer.json() == _twilio_error(status, message)
    _serves_normally(emulator)


# --- more of the same class: form and query encodings, admin routes, browsers, dropped clients, signals -----------


@pytest.mark.parametrize("body", [_form_bytes(Identity="%FF"), _form_bytes().replace(b"=c1", b"=caf\xe9")])
def test_form_that_is_not_utf8_creates_nothing(emulator: Emulator, body: bytes) -> None:
    answer = _raw(emulator, _post(emulator, b"Content-Length: %d\r\n" % len(body), body))
    assert answer.status == 400
    assert answer.json() == _twilio_error(400, "The post body is not UTF-8")
    assert emulator.resources("channels") == []


@pytest.mark.parametrize(("query", "message"), [
    ("PageToken=garbage", "Invalid PageToken: 'garbage'"),
    ("PageToken=PB-1", "Invalid PageToken: 'PB-1'"),
    ("PageToken=%FF", "Invalid PageToken: '\ufffd'"),
    ("Page=-1", "Invalid Page: -1 is not at least 0"),
    ("Page=99999999999999999999", "Invalid Page: '99999999999999999999' is not an integer"),
    ("PageSize=%FF", "Invalid PageSize: '\ufffd' is not an integer"),
])
def test_bad_paging_query_is_400(emulator: Emulator, query: str, message: str) -> None:
    answer = http(emulator).get(f"{emulator.base_url}/v1/Channels?{query}", timeout=5)
    assert (answer.status_code, answer.json()) == (400, _twilio_error(400, message))


def test_unknown_admin_route_is_404(emulator: Emulator) -> None:
    for method, path in (("GET", "/_emulator/nope"), ("GET", "/_emulator/faults"), ("DELETE", "/_emulator/reset")):
        answer = requests.request(method, f"{emulator.base_url}{path}", timeout=5)
        assert (answer.status_code, answer.json()) == (404, {"message": f"no admin route {method} {path}"})


def test_web_pages_cannot_drive_the_emulator(emulator: Emulator) -> None:
    """A page's POST reaches loopback (CORS hides only the answer): it must not reset the data, nor create."""
    session = http(emulator)
    kept = session.post(f"{emulator.base_url}/v1/Channels", data=CHANNEL_FORM, timeout=5).json()["sid"]
    port = _address(emulator)[1]
    for headers, message in (
        ({"Origin": "https://evil.example"},
         "The emulator does not take requests from web pages (this one has an Origin header)"),
        ({"Host": f"evil.example:{port}"},  # DNS rebinding: the page's own name, resolved to 127.0.0.1
         f"Host 'evil.example:{port}' is not a loopback address; the emulator answers only requests sent to loopback"),
    ):
        for method, path in (("POST", "/_emulator/reset"), ("POST", "/_emulator/faults"), ("POST", "/v1/Channels")):
            answer = session.request(method, f"{emulator.base_url}{path}", headers=headers, data=CHANNEL_FORM,
                                     timeout=5)
            assert (answer.status_code, answer.json()) == (403, _twilio_error(403, message, code=20403))
    assert [c["sid"] for c in emulator.resources("channels")] == [kept]
    for host in (f"localhost:{port}", f"LocalHost:{port}", f"127.0.0.1:{port}", f"127.9.9.9:{port}"):
        assert session.get(f"{emulator.base_url}/v1/Channels", headers={"Host": host}, timeout=5).status_code == 200


@pytest.mark.parametrize("host", [b"localhost:@evil.example", b"127.0.0.1:80/x?y#", b"[::1]evil.example",
                                  b"127.0.0.1:8765\x1b[2J", b"127.0.0.1:99999", b"127.0.0.1, evil",
                                  b"l\xd0\xbecalhost"])
def test_a_host_header_that_is_no_host_and_port_is_400(emulator: Emulator, host: bytes) -> None:
    """Answers' URLs are built from the Host header, whose name alone was checked: `localhost:@evil.example` passed
    as localhost and made every `url` and page link of the answer point at evil.example (a URL's user info ends at
    the '@'). RFC 9112 section 3.2: a Host that is not a host and port is a 400."""
    answer = _raw(emulator, _post(emulator, b"Content-Length: 0\r\n").replace(b"Host: 127.0.0.1", b"Host: " + host))
    assert (answer.status, answer.headers["Connection"]) == (400, "close")
    assert answer.json() == _twilio_error(400, f"Host {host.decode('latin-1')!a} is not a host and port")
    assert emulator.requests() == []


def test_two_host_headers_are_400(emulator: Emulator) -> None:
    answer = _raw(emulator, _post(emulator, b"Host: evil.example\r\nContent-Length: 0\r\n"))
    assert answer.status == 400
    assert answer.json() == _twilio_error(400, "Host is given more than once")
    assert emulator.requests() == []


def test_client_that_resets_mid_request_leaves_no_traceback(tmp_path: Path) -> None:
    with _running(tmp_path) as emulator:
        for _ in range(3):
            with socket.create_connection(_address(emulator.base_url), timeout=5) as conn:
                conn.sendall(b"POST /v1/Channels HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\nFlex")
                time.sleep(0.1)  # the emulator is now waiting for the rest of the body
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close = reset
        answer = requests.get(f"{emulator.base_url}/v1/Channels", auth=(DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN),
                              timeout=5)
        assert answer.status_code == 200
    assert "Traceback" not in emulator.output()


def test_sigterm_stops_as_cleanly_as_ctrl_c(tmp_path: Path) -> None:
    data = tmp_path / "d.json"
    with _running(tmp_path, "--data", str(data)) as emulator:
        created = requests.post(f"{emulator.base_url}/v1/Channels", data=CHANNEL_FORM,
                                auth=(DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN), timeout=5).json()["sid"]
        emulator.process.terminate()
        assert emulator.process.wait(timeout=10) == 0
    assert "Traceback" not in emulator.output()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.json", "emulator.log"], "the lock file was left"
    with Emulator(data_file=data) as again:
        assert [c["sid"] for c in again.resources("channels")] == [created]


# --- 4. the data file ----------------------------------------------------------------------------------------------


def test_second_emulator_on_the_same_data_file_refuses_to_start(tmp_path: Path) -> None:
    data = tmp_path / "d.json"
    with _running(tmp_path, "--data", str(data)) as first:
        auth = (DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN)
        sid = requests.post(f"{first.base_url}/v1/Channels", data=CHANNEL_FORM, auth=auth, timeout=5).json()["sid"]
        second = _refused("--port", "0", "--data", str(data))
        assert (second.returncode, second.stdout) == (2, "")
        assert second.stderr == (f"emulator: cannot start: data file {data} is in use by another emulator; stop that "
                                 "one, or give this one another --data file\n")
        assert [c["sid"] for c in requests.get(f"{first.base_url}/v1/Channels", auth=auth, timeout=5)
                .json()["flex_chat_channels"]] == [sid]
    assert [c["sid"] for c in json.loads(data.read_text())["channels"]] == [sid]


def test_lock_left_by_a_killed_emulator_does_not_block_the_next(tmp_path: Path) -> None:
    data = tmp_path / "d.json"
    with _running(tmp_path, "--data", str(data)) as first:
        sid = requests.post(f"{first.base_url}/v1/Channels", data=CHANNEL_FORM,
                            auth=(DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN), timeout=5).json()["sid"]
        first.process.kill()
        first.process.wait(timeout=10)
    with _running(tmp_path, "--data", str(data), log_name="second.log") as second:
        answer = requests.get(f"{second.base_url}/v1/Channels/{sid}", auth=(DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN),
                              timeout=5)
        assert answer.status_code == 200


def test_unwritable_data_folder_is_refused_at_start(read_only_folder: Path) -> None:
    data = read_only_folder / "channels.json"
    result = _refused("--port", "0", "--data", str(data))
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (f"emulator: cannot start: cannot write data file {data}: its folder {read_only_folder} "
                             "is not writable; choose a data file in a folder you can write\n")


def test_help_says_reset_empties_the_data_file_without_asking() -> None:
    result = subprocess.run([*CLI, "--help"], cwd=ROOT, capture_output=True, text=True, timeout=20, check=True)
    assert ("POST /_emulator/reset forget every resource, counter and fault; with --data this also empties the data "
            "file, without asking") in " ".join(result.stdout.split())


def test_data_file_name_with_glob_characters_removes_no_other_file(tmp_path: Path) -> None:
    other = tmp_path / ".cx.json.keep"
    other.write_text("someone else's")
    with Emulator(data_file=tmp_path / "c*.json") as emulator:
        assert http(emulator).post(f"{emulator.base_url}/v1/Channels", data=CHANNEL_FORM, timeout=5).status_code == 201
    assert other.read_text() == "someone else's"


# --- 5. a create for a Flex Flow and identity that already have a channel --------------------------------------


def test_create_for_a_flow_and_identity_with_a_channel_answers_that_channel(emulator: Emulator) -> None:
    """ASSUMED Twilio behaviour (see docs/development.md): the existing channel, 201, whatever else the create says."""
    session = http(emulator)
    url = f"{emulator.base_url}/v1/Channels"
    first = session.post(url, data=CHANNEL_FORM, timeout=5)
    other = session.post(url, data={**CHANNEL_FORM, "Identity": "someone-else", "ChatUniqueName": "taken"}, timeout=5)
    again = session.post(url, data={**CHANNEL_FORM, "ChatFriendlyName": "Renamed", "ChatUniqueName": "taken",
                                 "TaskSid": "WT" + "c" * 32}, timeout=5)
    assert (first.status_code, other.status_code, again.status_code) == (201, 201, 201)
    assert again.json() == first.json()
    other_flow = session.post(url, data={**CHANNEL_FORM, "FlexFlowSid": "FO" + "b" * 32}, timeout=5).json()
    assert [c["sid"] for c in emulator.resources("channels")] == [first.json()["sid"], other.json()["sid"],
                                                                    other_flow["sid"]]
    assert session.delete(f"{url}/{first.json()['sid']}", timeout=5).status_code == 204
    assert session.post(url, data=CHANNEL_FORM, timeout=5).json()["sid"] not in (first.json()["sid"], other_flow["sid"])


def test_create_answering_an_existing_channel_is_never_dropped(emulator: Emulator) -> None:
    """`drop_after_create` loses answers of creates that made a channel; a repeat made nothing, and tells the SID."""
    session = http(emulator)
    emulator.set_faults(Faults(drop_after_create=1.0))
    with pytest.raises(requests.ConnectionError):
        session.post(f"{emulator.base_url}/v1/Channels", data=CHANNEL_FORM, timeout=5)
    [made] = emulator.resources("channels")
    again = session.post(f"{emulator.base_url}/v1/Channels", data=CHANNEL_FORM, timeout=5)
    assert (again.status_code, again.json()["sid"]) == (201, made["sid"])
    assert len(emulator.resources("channels")) == 1


def test_existing_channel_for_a_flow_and_identity_is_found_after_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "d.json"
    with Emulator(data_file=data) as first:
        sid = http(first).post(f"{first.base_url}/v1/Channels", data=CHANNEL_FORM, timeout=5).json()["sid"]
    with Emulator(data_file=data) as second:
        assert http(second).post(f"{second.base_url}/v1/Channels", data=CHANNEL_FORM, timeout=5).json()["sid"] == sid
        assert len(list(second.resources("channels"))) == 1


def test_delete_that_cannot_be_saved_puts_the_channel_back_in_its_place(tmp_path: Path) -> None:
    data = tmp_path / "data" / "channels.json"
    with Emulator(data_file=data) as emulator:
        session = http(emulator)
        sids = [session.post(f"{emulator.base_url}/v1/Channels", data={**CHANNEL_FORM, "Identity": f"c{i}"}, timeout=5)
                .json()["sid"] for i in range(3)]
        moved = data.parent.rename(tmp_path / "moved")  # writes now fail, whoever runs the test
        try:
            assert session.delete(f"{emulator.base_url}/v1/Channels/{sids[1]}", timeout=5).status_code == 500
        finally:
            moved.rename(data.parent)
        assert [c["sid"] for c in emulator.resources("channels")] == sids
        page = session.get(f"{emulator.base_url}/v1/Channels", params={"PageSize": 2}, timeout=5).json()
        assert [c["sid"] for c in page["flex_chat_channels"]] == sids[:2]
        rest = session.get(page["meta"]["next_page_url"], timeout=5).json()
        assert [c["sid"] for c in rest["flex_chat_channels"]] == sids[2:]
