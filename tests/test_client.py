"""The Flex API client against the emulator over real HTTP: operations, errors, retries, keep-alive."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from flex_provider.client import Credentials, Endpoints, FlexClient, RetryPolicy, Timeouts, resolve_base_url
from flex_provider.errors import (
    ApiError,
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitedError,
    TransportError,
    ValidationError,
)
from flex_provider.version import __version__
from tests.support import FAST_RETRY, FLOW, channel_inputs, closed_port, make_client
from twilio_emulator import Emulator, Faults

MISSING = "CH" + "0" * 32


@contextlib.contextmanager
def _serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """A one-off loopback server that misbehaves as `handler` says; yields its base URL."""
    server = HTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


def test_create_sends_api_names_form_encoded_and_returns_the_channel(client: FlexClient, emulator: Emulator) -> None:
    channel = client.create_channel(channel_inputs(
        target="+15551234567", chat_unique_name="web-1", pre_engagement_data={"b": 1, "a": "é"},
        task_attributes='{"z": 1,  "y": [1, 2]}', long_lived=True,
    ))
    [request] = emulator.requests("POST")
    assert request.path == "/v1/Channels"
    assert request.form == {
        "FlexFlowSid": FLOW, "Identity": "customer-1", "ChatUserFriendlyName": "Customer",
        "ChatFriendlyName": "Support chat", "Target": "+15551234567", "ChatUniqueName": "web-1",
        "PreEngagementData": '{"a":"é","b":1}', "TaskAttributes": '{"y":[1,2],"z":1}', "LongLived": "true",
    }
    assert channel.sid.startswith("CH") and len(channel.sid) == 34
    assert channel.flex_flow_sid == FLOW
    assert channel.account_sid == emulator.account_sid
    assert channel.url == f"{emulator.base_url}/v1/Channels/{channel.sid}"


def test_unset_optional_fields_are_not_sent_and_false_is_false(client: FlexClient, emulator: Emulator) -> None:
    client.create_channel(channel_inputs(long_lived=False, target=None))
    [request] = emulator.requests("POST")
    assert set(request.form) == {"FlexFlowSid", "Identity", "ChatUserFriendlyName", "ChatFriendlyName", "LongLived"}
    assert request.form["LongLived"] == "false"


def test_fetch_returns_what_create_returned(client: FlexClient) -> None:
    created = client.create_channel(channel_inputs())
    assert client.fetch_channel(created.sid) == created


def test_list_follows_next_page_url_through_every_page(client: FlexClient, emulator: Emulator) -> None:
    created = {client.create_channel(channel_inputs(f"c{i}")).sid for i in range(25)}
    listed = [channel.sid for channel in client.list_channels(page_size=10)]
    assert sorted(listed) == sorted(created)
    pages = [r.path for r in emulator.requests("GET")]
    assert len(pages) == 3
    assert pages[0] == "/v1/Channels?PageSize=10"
    assert "PageToken=" in pages[1] and "Page=1" in pages[1] and "Page=2" in pages[2]


def test_delete_removes_the_channel(client: FlexClient) -> None:
    channel = client.create_channel(channel_inputs())
    client.delete_channel(channel.sid)
    with pytest.raises(NotFoundError) as caught:
        client.fetch_channel(channel.sid)
    assert caught.value.status == 404
    assert caught.value.code == 20404
    assert caught.value.more_info == "https://www.twilio.com/docs/errors/20404"


def test_wrong_token_is_an_authentication_error_that_never_shows_the_token(emulator: Emulator) -> None:
    with make_client(emulator, token="wrong-token-value") as flex, pytest.raises(AuthenticationError) as caught:
        flex.fetch_channel(MISSING)
    error = caught.value
    assert (error.status, error.code, error.message) == (401, 20003, "Authenticate")
    assert str(error) == (f"GET {emulator.base_url}/v1/Channels/{MISSING} returned HTTP 401 (Twilio error 20003): "
                          "Authenticate. See https://www.twilio.com/docs/errors/20003 Check that the Account SID and "
                          "the token (or API key and secret) belong to one account and are current. `pulumi refresh`, "
                          "`pulumi destroy` and `--refresh` use the provider settings saved by the last `pulumi up`: "
                          "after rotating a token, add `--run-program` to them (or run `pulumi up` first).")
    assert "wrong-token-value" not in repr(error) + str(error)


def test_bad_input_is_a_validation_error_with_twilio_code(client: FlexClient, emulator: Emulator) -> None:
    with pytest.raises(ValidationError) as caught:
        client.create_channel(channel_inputs(flex_flow_sid="FO123"))
    assert caught.value.code == 20001
    assert caught.value.message.startswith("Invalid FlexFlowSid")
    assert emulator.resources("channels") == []


def test_duplicate_unique_name_is_a_conflict(client: FlexClient) -> None:
    client.create_channel(channel_inputs("a", chat_unique_name="same"))
    with pytest.raises(ConflictError) as caught:
        client.create_channel(channel_inputs("b", chat_unique_name="same"))
    assert caught.value.status == 409
    assert caught.value.message == "Channel with unique name 'same' already exists"


def test_post_under_429_is_retried_until_it_succeeds_once(client: FlexClient, emulator: Emulator) -> None:
    emulator.set_faults(Faults(rate_429=0.5, retry_after=0, methods=("POST",)))
    for i in range(10):
        client.create_channel(channel_inputs(f"c{i}"))
    assert len(emulator.resources("channels")) == 10
    assert len(emulator.requests("POST")) == 20


def test_429_that_never_ends_surfaces_as_rate_limited(emulator: Emulator) -> None:
    emulator.set_faults(Faults(rate_429=1.0, retry_after=0))
    policy = RetryPolicy(attempts=3, backoff_factor=0, jitter=0, max_retry_after=0)
    with make_client(emulator, retry=policy) as flex, pytest.raises(RateLimitedError) as caught:
        flex.create_channel(channel_inputs())
    assert (caught.value.status, caught.value.code) == (429, 20429)
    assert len(emulator.requests("POST")) == 4
    assert emulator.resources("channels") == []


def test_post_whose_connection_drops_after_create_is_not_retried(client: FlexClient, emulator: Emulator) -> None:
    emulator.set_faults(Faults(drop_after_create=1.0))
    with pytest.raises(OutcomeUnknownError) as caught:
        client.create_channel(channel_inputs())
    assert "The channel may have been created" in str(caught.value)
    assert "import: CH…" in str(caught.value)
    assert len(emulator.requests("POST")) == 1
    assert len(emulator.resources("channels")) == 1


def test_post_answered_503_is_not_retried(client: FlexClient, emulator: Emulator) -> None:
    emulator.set_faults(Faults(rate_5xx=1.0, methods=("POST",)))
    with pytest.raises(ApiError) as caught:
        client.create_channel(channel_inputs())
    assert caught.value.status == 503
    assert len(emulator.requests("POST")) == 1


def test_get_and_delete_are_retried_through_5xx_bursts(client: FlexClient, emulator: Emulator) -> None:
    channel = client.create_channel(channel_inputs())
    emulator.set_faults(Faults(rate_5xx=0.75, methods=("GET", "DELETE")))
    assert client.fetch_channel(channel.sid).sid == channel.sid
    client.delete_channel(channel.sid)
    assert emulator.resources("channels") == []
    # One 5xx schedule for both methods: GET gets two 503s then 200, DELETE three then 204.
    assert (len(emulator.requests("GET")), len(emulator.requests("DELETE"))) == (3, 4)


def test_refused_connection_is_a_transport_error_not_an_unknown_outcome() -> None:
    credentials = Credentials.from_auth_token("AC" + "0" * 32, "unused")
    policy = RetryPolicy(attempts=1, backoff_factor=0, jitter=0)
    flex = FlexClient(credentials, base_url="http://127.0.0.1:9", retry=policy)
    with pytest.raises(TransportError) as caught:
        flex.create_channel(channel_inputs())
    assert type(caught.value) is TransportError
    assert "could not connect" in str(caught.value)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_refused_loopback_connection_is_not_retried(method: str, caplog: pytest.LogCaptureFixture) -> None:
    """Nothing listens on this machine's port: the full retry policy (6 retries) is not spent on it."""
    port = closed_port()
    flex = FlexClient(Credentials.from_auth_token("AC" + "0" * 32, "unused"), base_url=f"http://127.0.0.1:{port}",
                      retry=RetryPolicy(attempts=6))
    with pytest.raises(TransportError) as caught:
        flex.fetch_channel(MISSING) if method == "GET" else flex.create_channel(channel_inputs())
    assert type(caught.value) is TransportError
    assert caught.value.reason == (f"could not connect: nothing is listening on 127.0.0.1:{port} (connection refused); "
                                   "start the emulator there (`make emulator` or `python -m twilio_emulator`), or "
                                   "correct the URL")
    assert [record.getMessage() for record in caplog.records if "retrying" in record.getMessage()] == []


def test_each_retry_is_logged_with_its_count(client: FlexClient, emulator: Emulator,
                                             caplog: pytest.LogCaptureFixture) -> None:
    made = client.create_channel(channel_inputs())
    emulator.set_faults(Faults(rate_5xx=0.75, methods=("GET",)))
    client.fetch_channel(made.sid)
    host = emulator.base_url.removeprefix("http://").rsplit(":", 1)[0]
    assert [(r.name, r.levelname, r.getMessage()) for r in caplog.records] == [
        ("flex_provider.client", "WARNING", f"retrying GET /v1/Channels/{made.sid} at {host} (retry {n} of 6): "
                                            "HTTP 503") for n in (1, 2)]


def test_hung_server_fails_at_the_read_timeout(emulator: Emulator) -> None:
    emulator.set_faults(Faults(latency_ms=3000))
    policy = RetryPolicy(attempts=1, backoff_factor=0, jitter=0)
    started = time.monotonic()
    flex = make_client(emulator, read_timeout=0.2, retry=policy)
    with pytest.raises(OutcomeUnknownError, match="no answer before the read timeout"):
        flex.create_channel(channel_inputs())
    with pytest.raises(TransportError, match="no answer before the read timeout"):
        flex.fetch_channel(MISSING)
    assert time.monotonic() - started < 3.0, "the client waited for the server instead of timing out"
    assert len(emulator.requests("POST")) == 1


def test_sequential_calls_share_one_connection(client: FlexClient, emulator: Emulator) -> None:
    emulator.reset_stats()
    channel = client.create_channel(channel_inputs())
    for _ in range(20):
        client.fetch_channel(channel.sid)
    assert emulator.stats()["connections"] == 1
    assert emulator.stats()["requests"] == 21


def test_user_agent_names_the_project_and_version(client: FlexClient, emulator: Emulator) -> None:
    list(client.list_channels())
    [request] = emulator.requests()
    assert request.user_agent.startswith(f"flex-channels/{__version__} ")


def test_api_key_and_secret_authenticate_for_the_account(auth_token: str) -> None:
    key = "SK" + "1" * 32
    with Emulator(auth_token=auth_token, api_key=key, api_secret="key-secret") as emu:
        credentials = Credentials.from_api_key(emu.account_sid, key, "key-secret")
        with FlexClient(credentials, base_url=emu.base_url, retry=FAST_RETRY) as flex:
            flex.create_channel(channel_inputs())
        assert [r.username for r in emu.requests()] == [key]


def test_credentials_repr_hides_the_secret() -> None:
    credentials = Credentials.from_auth_token("AC" + "0" * 32, "very-secret")
    assert "very-secret" not in repr(credentials)


def test_fetch_with_a_malformed_sid_sends_nothing(client: FlexClient, emulator: Emulator) -> None:
    with pytest.raises(ValueError, match=r"'\.\./x' is not a Flex chat channel SID"):
        client.fetch_channel("../x")
    assert emulator.requests() == []


@pytest.mark.parametrize(("args", "expected"), [
    ({}, "https://flex-api.twilio.com"),
    ({"region": "au1"}, "https://flex-api.au1.twilio.com"),
    ({"edge": "sydney"}, "https://flex-api.sydney.us1.twilio.com"),
    ({"region": "au1", "edge": "sydney"}, "https://flex-api.sydney.au1.twilio.com"),
    ({"api_url": "http://127.0.0.1:8765/", "region": "au1"}, "http://127.0.0.1:8765"),
    ({"api_url": "http://localhost:8765"}, "http://localhost:8765"),
    ({"api_url": "http://[::1]:8765"}, "http://[::1]:8765"),
])
def test_base_url_resolution(args: dict[str, str], expected: str) -> None:
    assert resolve_base_url(**args) == expected


@pytest.mark.parametrize(("args", "flex", "conversations"), [
    ({}, "https://flex-api.twilio.com", "https://conversations.twilio.com"),
    ({"region": "au1"}, "https://flex-api.au1.twilio.com", "https://conversations.au1.twilio.com"),
    ({"edge": "sydney"}, "https://flex-api.sydney.us1.twilio.com", "https://conversations.sydney.us1.twilio.com"),
    ({"region": "ie1", "edge": "dublin"}, "https://flex-api.dublin.ie1.twilio.com",
     "https://conversations.dublin.ie1.twilio.com"),
    ({"api_url": "http://127.0.0.1:8765/", "region": "au1", "edge": "sydney"}, "http://127.0.0.1:8765",
     "http://127.0.0.1:8765"),
])
def test_each_api_has_its_own_host_and_an_explicit_url_serves_every_api(args: dict[str, str], flex: str,
                                                                          conversations: str) -> None:
    """Twilio's SDKs build `{product}.{edge}.{region}.twilio.com`; the emulator serves both APIs on one URL."""
    endpoints = Endpoints.resolve(**args)
    assert (endpoints.base_url("flex-api"), endpoints.base_url("conversations")) == (flex, conversations)
    assert resolve_base_url(**args, api="conversations") == conversations
    client = FlexClient(Credentials.from_auth_token("AC" + "0" * 32, "t"), endpoints=endpoints)
    assert client.base_url == flex


def test_a_client_takes_one_url_or_resolved_endpoints_not_both() -> None:
    with pytest.raises(TypeError, match=r"^FlexClient\(\) takes base_url or endpoints, not both$"):
        FlexClient(Credentials.from_auth_token("AC" + "0" * 32, "t"), base_url="http://127.0.0.1:1",
                   endpoints=Endpoints())


@pytest.mark.parametrize(("url", "message"), [
    ("http://flex.example.com", "uses plain http to a non-loopback host"),
    ("http://10.0.0.5:8080", "uses plain http to a non-loopback host"),
    ("ftp://flex.example.com", r"is not an absolute http\(s\) URL"),
    ("https://user:pw@flex.example.com", "must be a scheme, host and port only"),
    ("https://flex.example.com/v1", "must be a scheme, host and port only"),
])
def test_unsafe_or_malformed_base_urls_are_refused(url: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message) as caught:
        resolve_base_url(url)
    assert "pw" not in str(caught.value)


def test_a_page_link_to_another_origin_is_not_followed() -> None:
    """A next_page_url elsewhere would send our credentials there: the client stops instead."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            body = json.dumps({"meta": {"next_page_url": "http://127.0.0.2:1/v1/Channels?Page=1"},
                               "flex_chat_channels": []}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    with _serving(Handler) as base_url:
        flex = FlexClient(Credentials.from_auth_token("AC" + "0" * 32, "t"), base_url=base_url, timeouts=Timeouts())
        with pytest.raises(TransportError, match="page link points off the API's origin"):
            list(flex.list_channels())
    assert len(seen) == 1


def test_retrying_stops_at_the_time_budget(emulator: Emulator) -> None:
    emulator.set_faults(Faults(rate_5xx=1.0, status_5xx=503))
    policy = RetryPolicy(attempts=50, backoff_factor=0.05, backoff_max=0.1, jitter=0.0, max_elapsed=0.3)
    started = time.monotonic()
    with make_client(emulator, retry=policy) as flex, pytest.raises(ApiError) as caught:
        flex.fetch_channel(MISSING)
    assert caught.value.status == 503
    assert len(emulator.requests("GET")) < 10, "the count bound, not the time budget, stopped it"
    assert time.monotonic() - started < 5.0


def test_a_redirect_is_not_followed() -> None:
    """Following one could carry our Basic credentials to another host."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            self.send_response(302)
            self.send_header("Location", "http://127.0.0.2:1/steal")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    with _serving(Handler) as base_url:
        flex = FlexClient(Credentials.from_auth_token("AC" + "0" * 32, "t"), base_url=base_url, retry=FAST_RETRY)
        with pytest.raises(ApiError) as caught:
            flex.fetch_channel(MISSING)
    assert caught.value.status == 302
    assert seen == [f"/v1/Channels/{MISSING}"]


def test_a_base_url_error_names_the_parameter_and_hides_the_user_info() -> None:
    with pytest.raises(ConfigurationError) as caught:
        FlexClient(Credentials.from_auth_token("AC" + "0" * 32, "t"), base_url="http://127.0.0.1:99999")
    assert str(caught.value) == "base_url 'http://127.0.0.1:99999' has no valid port: give one from 1 to 65535, or none"
    with pytest.raises(ConfigurationError) as caught:
        resolve_base_url(region="evil.example#")
    assert str(caught.value) == ("region must be a Twilio Region such as au1 or ie1 (lowercase letters, digits and "
                                 "hyphens), not 'evil.example#'")


@pytest.mark.parametrize("base_url", ["http://127.0.0.1:99999", "https://a..b"])
def test_a_request_refused_before_it_was_sent_is_never_an_unknown_outcome(base_url: str) -> None:
    """requests raises InvalidURL (bad port) or urllib3's LocationParseError (empty label) before connecting."""
    # Endpoints' constructor takes the URL unchecked (Endpoints.resolve refuses both): the transport must still be right
    flex = FlexClient(Credentials.from_auth_token("AC" + "0" * 32, "t"), endpoints=Endpoints(base_url),
                      retry=FAST_RETRY)
    with pytest.raises(TransportError) as caught:
        flex.create_channel(channel_inputs())
    assert type(caught.value) is TransportError
    assert str(caught.value).startswith(f"POST {base_url}/v1/Channels failed: not sent, the URL is not valid: ")


def test_get_answered_502_every_time_is_an_api_error_after_its_retries(client: FlexClient,
                                                                      emulator: Emulator) -> None:
    """Only a POST's outcome is unknown after a gateway's 502; a read is retried, then reported as answered."""
    emulator.set_faults(Faults(rate_5xx=1.0, status_5xx=502, methods=("GET",)))
    with pytest.raises(ApiError) as caught:
        client.fetch_channel(MISSING)
    assert (caught.value.status, caught.value.code) == (502, 20500)
    assert len(emulator.requests("GET")) == 7
