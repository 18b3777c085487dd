"""The client against hostile answers: what Twilio (or whatever answers in its place) says is escaped in every
message, a SID that is no SID of the resource is refused, and no answer can hang or exhaust the client."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler

import pytest

from flex_provider.client import MAX_ANSWER_BYTES, Credentials, FlexClient, Timeouts
from flex_provider.errors import ConflictError, OutcomeUnknownError, TransportError
from tests.support import answering, channel_inputs
from twilio_emulator import Emulator

FORGED = "x\x1b[2J\n::error::forged"
ESCAPED = "x\\x1b[2J\\n::error::forged"


@contextlib.contextmanager
def _answering(write: Callable[[BaseHTTPRequestHandler], None]) -> Iterator[FlexClient]:
    """A client of a loopback server whose every answer `write` makes."""
    with answering(write) as base_url, FlexClient(Credentials.from_auth_token("AC" + "0" * 32, "t"),
                                                  base_url=base_url, timeouts=Timeouts(2.0, 5.0)) as flex:
        yield flex


def _body(handler: BaseHTTPRequestHandler, body: bytes, status: int = 200) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def _plain(text: str) -> bool:
    """One line, no control character: what an answer put in a message cannot act on a terminal."""
    return text.isprintable() and "\x1b" not in text


def test_what_twilio_says_in_an_error_is_escaped(client: FlexClient) -> None:
    """Twilio's 409 echoes the unique name it refused: a newline and an escape sequence in it would forge a line
    of Pulumi's output and reach the terminal."""
    client.create_channel(channel_inputs("a", chat_unique_name=FORGED))
    with pytest.raises(ConflictError) as caught:
        client.create_channel(channel_inputs("b", chat_unique_name=FORGED))
    assert _plain(str(caught.value))
    assert ESCAPED in str(caught.value)
    assert caught.value.message == f"Channel with unique name '{FORGED}' already exists", "kept as Twilio said it"


def test_a_sid_that_is_no_sid_of_the_resource_is_refused(client: FlexClient, emulator: Emulator) -> None:
    """Users copy `import:` SIDs from `list`; state keeps ids: neither may take what Twilio's pattern does not."""
    made = client.create_flex_flow({"friendly_name": "Web", "chat_service_sid": "IS" + "1" * 32,
                                    "channel_type": "web"})
    emulator.backends["flex_flows"].fetch(made.sid).sid = "FO\u0430" + made.sid[3:]
    with pytest.raises(TransportError) as caught:
        list(client.list_flex_flows())
    assert str(caught.value) == (
        f"GET {emulator.base_url}/v1/FlexFlows?PageSize=1000 failed: the answer's flow 'sid' is not a FO SID ('FO' "
        f"and 32 hex digits): 'FO\\u0430{made.sid[3:]}'")


def test_a_created_sid_that_is_no_sid_leaves_the_outcome_unknown(client: FlexClient, emulator: Emulator) -> None:
    channel = client.create_channel(channel_inputs("a"))
    emulator.backends["channels"].fetch(channel.sid).sid = channel.sid + "\n"
    with pytest.raises(OutcomeUnknownError) as caught:
        client.create_channel(channel_inputs("a"))
    assert _plain(str(caught.value))
    assert f"the answer's channel 'sid' is not a CH SID ('CH' and 32 hex digits): '{channel.sid}\\n'" in str(
        caught.value)


@pytest.mark.parametrize(("link", "message"), [
    ('"http://ev\\u001bil:1/v1/Channels"', "GET 'http://ev\\x1bil:1/...' failed: page link points off the API's "
                                             "origin"),
    ('"http://[ev\\u001bil:1/v1/Channels"', "page link 'http://[ev\\x1bil:1/v1/Channels' is not a URL"),
    ("7", "page link '7' is not a URL"),
])
def test_a_page_link_off_the_origin_or_no_url_is_named_escaped(link: str, message: str) -> None:
    """A '[' that opens no IPv6 address made urlsplit raise ValueError, a number made it raise TypeError."""
    def answer(handler: BaseHTTPRequestHandler) -> None:
        _body(handler, b'{"flex_chat_channels": [], "meta": {"next_page_url": ' + link.encode() + b"}}")

    with _answering(answer) as flex, pytest.raises(TransportError) as caught:
        list(flex.list_channels())
    assert str(caught.value).endswith(message)
    assert _plain(str(caught.value))


def test_an_answer_nested_too_deeply_is_an_error_not_a_crash() -> None:
    def answer(handler: BaseHTTPRequestHandler) -> None:
        _body(handler, b'{"flex_chat_channels": ' + b"[" * 200_000 + b"]" * 200_000 + b"}")

    with _answering(answer) as flex, pytest.raises(TransportError) as caught:
        list(flex.list_channels())
    assert str(caught.value).endswith("failed: HTTP 200 with a body that is not JSON")


def test_an_endless_answer_is_cut_off() -> None:
    """An answer that never ends (or claims gigabytes) is read up to MAX_ANSWER_BYTES, then refused."""
    def answer(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", str(10 * 2**30))
        handler.end_headers()
        with contextlib.suppress(OSError):
            while True:
                handler.wfile.write(b" " * 65536)

    with _answering(answer) as flex, pytest.raises(TransportError) as caught:
        list(flex.list_channels())
    assert str(caught.value).endswith(f"failed: the answer is over {MAX_ANSWER_BYTES:,} bytes; no Twilio answer is "
                                      "that long")
