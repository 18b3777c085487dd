"""A fourth resource declared in the test package only (tests/toy.py) goes through every layer with no product code
written for it: the stack file and its JSON Schema, the program, the provider in the real dynamic host, the client,
the CLI and the emulator.

The toy is nested (its collection lives under a Flex Flow, as a TaskRouter queue lives under its
workspace) and its API takes an update only with `Status` (as Studio's does), both declared, not
coded. Its type comes first in the types it is read with, though it names flows: the order of
types and sections is no rule. The lifecycle scenarios (tests/test_scenarios.py) run it too.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import jsonschema
import pulumi
import pytest
import yaml

from flex_provider.__main__ import main
from flex_provider.client import FlexClient
from flex_provider.declaration import Link
from flex_provider.declarations import FLEX_FLOW, RESOURCE_TYPES
from flex_provider.errors import InvalidIdError
from flex_provider.resource import resource_class
from flex_provider.stackfile import StackFile, check_stack_file, load_stack_file
from flex_provider.stackfile_schema import build_schema
from tests.engine import Goal, Ref, Stack, goal
from tests.pulumi_mocks import run_program
from tests.support import calls, http
from tests.toy import TOY, TOY_BACKENDS
from twilio_emulator import Emulator

TYPES = (TOY, *RESOURCE_TYPES)
SERVICE = "IS" + "1" * 32
STACK_FILE = textwrap.dedent(f"""\
    flow_webhook_defaults:
      method: post
    flow_webhooks:
      audit:
        flex_flow: web
        unique_name: audit
        url: https://hooks.example.com/audit
    flex_flow_defaults:
      chat_service_sid: {SERVICE}
      channel_type: web
    flex_flows:
      web:
        friendly_name: Web
""")
pytestmark = pytest.mark.emulator(backends=TOY_BACKENDS)


@pytest.fixture
def stack_file(tmp_path: Path) -> Path:
    path = tmp_path / "stack.yaml"
    path.write_text(STACK_FILE)
    return path


def goals(stack_file: StackFile, **changes: Any) -> list[Goal]:
    """What the program registers for each declaration, a reference as the referenced resource's id."""
    return [goal(resource_class(d.rtype), d.name, **{
        key: Ref(value.name, value.output) if isinstance(value, Link) else value
        for key, value in {**d.inputs, **changes.get(d.name, {})}.items()}) for d in stack_file.resources]


def test_the_stack_file_declares_it_under_its_flow_and_the_schema_agrees(stack_file: Path, tmp_path: Path) -> None:
    loaded = load_stack_file(stack_file, types=TYPES)
    assert [(d.rtype, d.name) for d in loaded.resources] == [(FLEX_FLOW, "web"), (TOY, "audit")], \
        "declared after the flow it names, though its type and section come first"
    [webhook] = loaded.of(TOY)
    assert dict(webhook.inputs) == {"flex_flow_sid": Link("flex_flows", "web", "id"), "unique_name": "audit",
                                    "url": "https://hooks.example.com/audit", "method": "post", "status": "active"}
    assert loaded.summary() == "1 webhook, 1 flow"
    schema = jsonschema.Draft202012Validator(build_schema(TYPES))
    assert list(schema.iter_errors(yaml.safe_load(STACK_FILE))) == []

    bad = tmp_path / "bad.yaml"
    bad.write_text(STACK_FILE.replace("flex_flow: web", "flex_flow: mobile").replace(
        "unique_name: audit", "unique_name: audit\n    status: paused"))
    assert [str(p) for p in check_stack_file(bad, "stack.yaml", TYPES)[1]] == [
        "stack.yaml:5:16: flow_webhooks.audit.flex_flow: names no flow of this file: 'mobile' (declared: web)",
        "stack.yaml:7:13: flow_webhooks.audit.status: must be one of active, inactive; not 'paused'",
    ]
    assert [error.message for error in schema.iter_errors(yaml.safe_load(bad.read_text()))] == [
        "'paused' is not one of ['active', 'inactive']"]
    assert [str(p) for p in check_stack_file(stack_file, "stack.yaml")[1]] == [
        "stack.yaml:1:1: flow_webhook_defaults: is not a known key; did you mean 'flex_flow_defaults'?",
        "stack.yaml:3:1: flow_webhooks: is not a known key; known keys: flex_flow_defaults, flex_flows, defaults, "
        "channels, address_defaults, addresses",
    ], "the product's own types know nothing of it"


def test_a_program_declares_it_as_a_child_of_the_stack_naming_its_flow(stack_file: Path, tmp_path: Path) -> None:
    program = tmp_path / "__main__.py"
    program.write_text("import pulumi\nfrom flex_provider import RESOURCE_TYPES, FlexStack\nfrom tests.toy import TOY\n"
                       f"stack = FlexStack('s', {str(stack_file)!r}, types=(TOY, *RESOURCE_TYPES))\n"
                       "pulumi.export('webhooks', stack.outputs()['flow_webhooks'])\n")
    run = run_program("dev", program=program)
    assert [(r.name, r.type) for r in run.registrations] == [
        ("web", FLEX_FLOW.type_token), ("audit", "pulumi-python:dynamic/flex:FlowWebhook")]
    assert list(run.by_name()["audit"].propertyDependencies["flex_flow_sid"].urns) == [run.urn("web")]
    assert run.inputs("audit")["flex_flow_sid"].startswith("FO"), "the flow's SID, from the mocks"
    assert set(run.exports["webhooks"]["audit"]) == {"sid", "url"}
    assert pulumi.runtime.rpc.deserialize_properties(run.by_name()["audit"].object)["status"] == "active"


def test_it_lives_under_its_flow_through_the_provider_the_client_and_the_emulator(
        stack_file: Path, stack: Stack, emulator: Emulator, client: FlexClient) -> None:
    loaded = load_stack_file(stack_file, types=TYPES)
    assert stack.up(goals(loaded)) == [("create", "web"), ("create", "audit")]
    assert calls(emulator) == ["POST /v1/FlexFlows", "POST /v1/FlexFlows/…/Webhooks"]
    flow, webhook = (state.id for state in stack.state.values())
    assert emulator.requests()[1].path == f"/v1/FlexFlows/{flow}/Webhooks"

    # an update sends the one change and the Status the API wants in every update
    emulator.reset_stats()
    assert stack.up(goals(loaded, audit={"url": "https://hooks.example.com/v2"}))[1] == ("update", "audit")
    assert [(r.path, r.form) for r in emulator.requests()] == [
        (f"/v1/FlexFlows/{flow}/Webhooks/{webhook}", {"Url": "https://hooks.example.com/v2", "Status": "active"})]
    without_status = http(emulator).post(f"{emulator.base_url}/v1/FlexFlows/{flow}/Webhooks/{webhook}",
                                         data={"Url": "https://hooks.example.com/v3"})
    assert (without_status.status_code, without_status.json()["message"]) == (
        400, "Missing required parameter Status in the post body"), "the API needs it: the declaration says so"

    # the client reaches it under its flow only
    assert [found.sid for found in client.list(TOY, flex_flow_sid=flow)] == [webhook]
    assert client.fetch(TOY, webhook, flex_flow_sid=flow).values["url"] == "https://hooks.example.com/v2"
    emulator.reset_stats()
    with pytest.raises(InvalidIdError, match=r"^a Flex Flow webhook lives under its flex_flow_sid, which must be a "
                                             r"FO SID \('FO' and 32 hex digits\), not null$"):
        client.fetch(TOY, webhook)
    assert emulator.requests() == []
    other = client.create(FLEX_FLOW, {"friendly_name": "Other", "chat_service_sid": SERVICE, "channel_type": "web"})
    for parent in (other.sid, "FO" + "9" * 32):
        answer = http(emulator).get(f"{emulator.base_url}/v1/FlexFlows/{parent}/Webhooks/{webhook}")
        assert (answer.status_code, answer.json()["code"]) == (404, 20404), "not under another flow, nor none"

    # destroy: the webhook before its flow
    emulator.reset_stats()
    assert stack.destroy() == [("delete", "audit"), ("delete", "web")]
    assert calls(emulator) == ["DELETE /v1/FlexFlows/…/Webhooks/…", "DELETE /v1/FlexFlows/…"]


def test_the_cli_lists_it_under_the_flow_it_is_given(emulator: Emulator, client: FlexClient,
                                                     capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    flow = client.create(FLEX_FLOW, {"friendly_name": "Web", "chat_service_sid": SERVICE, "channel_type": "web"})
    made = [client.create(TOY, {"flex_flow_sid": flow.sid, "unique_name": name, "status": status,
                                "url": f"https://hooks.example.com/{name}"})
            for name, status in (("a", "active"), ("b", "inactive"))]
    for name, value in {"TWILIO_ACCOUNT_SID": emulator.account_sid, "TWILIO_AUTH_TOKEN": emulator.auth_token,
                        "FLEX_API_URL": emulator.base_url}.items():
        monkeypatch.setenv(name, value)
    emulator.reset_stats()
    assert main(["flow-webhooks", "list", "--flex-flow-sid", flow.sid, "--status", "active", "--json"],
                types=TYPES) == 0
    out, err = capsys.readouterr()
    assert [found["sid"] for found in json.loads(out)] == [made[0].sid]
    assert err == "", "with --json, no count"
    assert [r.path for r in emulator.requests()] == [f"/v1/FlexFlows/{flow.sid}/Webhooks?Status=active&PageSize=100"]
    with pytest.raises(SystemExit):
        main(["flow-webhooks", "list"], types=TYPES)
    assert "the following arguments are required: --flex-flow-sid" in capsys.readouterr().err
