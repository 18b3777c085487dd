"""The engine-step driver (tests/engine.py) sends the provider what the real Pulumi engine sends.

One lifecycle (create, a preview of a change, update in place, replace delete-first, refresh, destroy) runs
twice: through the Pulumi CLI with `PULUMI_DEBUG_GRPC`, which logs every gRPC request the engine makes, and
through the driver, which records its own. The provider requests of each resource are compared field by
field, in order, ignoring only what is random or local to a run (SIDs, dates, ports, seeds, the engine's own
addresses). The driver is kept for fast tests because this test holds it to the engine.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from google.protobuf.json_format import MessageToDict

from flex_provider.resource import AddressConfiguration, FlexChannel, FlexFlow
from tests import engine
from tests.real_engine import Project
from twilio_emulator import Emulator

pytestmark = pytest.mark.timeout(600)

FIRST = """
flex_flows:
  web-chat: {friendly_name: Web chat, chat_service_sid: IS00000000000000000000000000000001, channel_type: web}
channels:
  web: {flex_flow: web-chat, identity: web-bot, chat_user_friendly_name: Visitor, chat_friendly_name: Web}
addresses:
  sms: {type: sms, address: "+15005550006", friendly_name: SMS}
"""
SECOND = FIRST.replace("friendly_name: Web chat", "friendly_name: Web chat 2").replace(
    "chat_friendly_name: Web}", "chat_friendly_name: Web 2}").replace("friendly_name: SMS", "friendly_name: Texts")

IGNORED = {"randomSeed", "resourceStatusAddress", "resourceStatusToken", "engineAddress", "rootDirectory",
           "programDirectory", "mapperTarget", "loaderTarget", "resolverTarget"}
"""Fields random per run, or the engine's own addresses, which no provider request of ours depends on."""
LOCAL = [(re.compile(r"\b(AC|CH|FO|IG|US)[0-9a-f]{32}\b"), r"\1…"), (re.compile(r"http://127\.0\.0\.1:\d+"), "EMU"),
         (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"), "DATE"),
         (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "UUID")]


def normalized(value: Any) -> Any:
    """A request with what differs between two runs of the same lifecycle replaced by placeholders."""
    if isinstance(value, Mapping):
        return {key: normalized(item) for key, item in value.items() if key not in IGNORED}
    if isinstance(value, list):
        return [normalized(item) for item in value]
    if isinstance(value, str):
        if value.startswith("urn:pulumi:"):
            parts = value.split("::")
            return f"{parts[2].rsplit('$', 1)[-1]}::{parts[3]}"
        for pattern, placeholder in LOCAL:
            value = pattern.sub(placeholder, value)
    return value


def by_resource(calls: Iterator[tuple[str, dict[str, Any]]]) -> dict[str, list[tuple[str, Any]]]:
    """Each resource's (or provider's) requests in the order it received them; host-level calls under ''."""
    grouped: dict[str, list[tuple[str, Any]]] = {}
    for method, request in calls:
        grouped.setdefault(normalized(request.get("urn", "")), []).append((method, normalized(request)))
    return grouped


def engine_calls(log: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """The provider requests of a PULUMI_DEBUG_GRPC log: each call is logged twice (started, then finished)."""
    for line in log.read_text().splitlines():
        entry = json.loads(line)
        service, _, method = entry["method"].strip("/").partition("/")
        if (service == "pulumirpc.ResourceProvider" and "response" in entry) or entry.get("errors"):
            yield method, entry.get("request") or {}


def run_real(project: Project, log: Path) -> None:
    project.env["PULUMI_DEBUG_GRPC"] = str(log)
    stack = project.stack(FIRST)
    stack.auto.up(color="never")
    stack.write(SECOND)
    stack.auto.preview(color="never")
    stack.auto.up(color="never")
    stack.auto.refresh(color="never")
    stack.auto.destroy(color="never")


def run_driver(emulator: Emulator, log_dir: Path) -> list[tuple[str, dict[str, Any]]]:
    """The same lifecycle through the driver: a host per command, configured as that command configures it."""
    config = {"twilio:accountSid": emulator.account_sid, "flex:apiUrl": emulator.base_url,
              "twilio:authToken": engine.secret(emulator.auth_token)}
    sent: list[tuple[str, Any]] = []
    stack: engine.Stack | None = None
    commands = [("up", FIRST), ("preview", SECOND), ("up", SECOND), ("refresh", None), ("destroy", None)]
    for index, (command, text) in enumerate(commands):
        host = engine.ProviderHost(log_dir / str(index))
        try:
            host.configure(config, olds=config if index else None, program=command in ("up", "preview"))
            if stack is None:
                stack = engine.Stack(host)
            stack.host = host
            if text is None:
                getattr(stack, command)()
            else:
                second = text is SECOND
                getattr(stack, command)([
                    engine.goal(FlexFlow, "web-chat", friendly_name="Web chat 2" if second else "Web chat",
                                channel_type="web", chat_service_sid="IS00000000000000000000000000000001"),
                    engine.goal(FlexChannel, "web", flex_flow_sid=engine.Ref("web-chat"), identity="web-bot",
                                chat_user_friendly_name="Visitor", chat_friendly_name="Web 2" if second else "Web"),
                    engine.goal(AddressConfiguration, "sms", type="sms", address="+15005550006",
                                friendly_name="Texts" if second else "SMS"),
                ])
        finally:
            host.close()
            sent.extend(host.requests)
    return [(method, MessageToDict(request)) for method, request in sent]


def test_the_driver_sends_the_provider_what_the_real_engine_sends(
        tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, emulator: Emulator) -> None:
    # The log holds the token in plain text, as the engine sends it to Configure: keep it out of tmp_path, whose
    # files the suite checks for leaks, and delete it.
    log = tmp_path_factory.mktemp("grpc-log") / "grpc.jsonl"
    try:
        run_real(Project(tmp_path / "real", emulator), log)
        real = by_resource(engine_calls(log))
    finally:
        log.unlink(missing_ok=True)
    with Emulator(auth_token=emulator.auth_token) as second:
        driven = by_resource(iter(run_driver(second, tmp_path / "driver")))

    assert driven.keys() == real.keys()
    for resource, calls in real.items():
        assert driven[resource] == calls, f"the driver's requests to {resource or 'the host'} differ"

