"""The library in programs of one's own, on the real Pulumi engine: `get`, `pulumi import`, and resource options.

Each test writes a small Pulumi program that uses `flex_provider` directly, runs it through the Pulumi CLI
(tests/real_engine.py) against the test's emulator, and asserts what the engine did and what the emulator received.
These are the engine behaviours an engine-step driver cannot show: they happen inside the engine.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pulumi import automation as auto

from tests.real_engine import Project, RealStack
from tests.support import FLOW, channel_inputs, make_client
from twilio_emulator import Emulator

pytestmark = pytest.mark.timeout(600)

GET = """
import pulumi
from flex_provider import FlexChannel

channel = FlexChannel.get("adopted", pulumi.Config().require("sid"))
pulumi.export("flex_flow_sid", channel.flex_flow_sid)
"""

FLOW_AND_CHANNEL = """
import pulumi
from flex_provider import FlexChannel, FlexFlow

config = pulumi.Config()
flow = FlexFlow("flow", friendly_name=config.get("flow_name") or "Web", channel_type="web",
                chat_service_sid=config.require("service"),
                opts=pulumi.ResourceOptions(delete_before_replace=config.get_bool("dbr"),
                                            replace_on_changes=config.get_object("replace_on_changes")))
channel = FlexChannel("channel", flex_flow_sid=flow.id, identity=config.get("identity") or "web-bot",
                      chat_user_friendly_name="Visitor", chat_friendly_name=config.get("channel_name") or "Web",
                      opts=pulumi.ResourceOptions(ignore_changes=config.get_object("ignore_changes")))
pulumi.export("flow", flow.sid)
pulumi.export("channel", channel.sid)
"""

SECRET_INPUT = f"""
import pulumi
from flex_provider import FlexChannel

FlexChannel("channel", flex_flow_sid="{FLOW}", identity=pulumi.Output.secret("identity-kept-secret"),
            chat_user_friendly_name="Visitor", chat_friendly_name="Web")
"""

SERVICE = "IS" + "1" * 32


def library_stack(tmp_path: Path, emulator: Emulator, program: str, **config: str) -> RealStack:
    settings = {f"flex-channels:{key}": value for key, value in config.items()}
    return Project(tmp_path, emulator, program).stack("{}\n", config=settings)


def test_get_reads_an_existing_channel_and_a_missing_sid_is_an_error_not_empty_outputs(
        tmp_path: Path, emulator: Emulator) -> None:
    with make_client(emulator) as client:
        existing = client.create_channel(channel_inputs()).sid
    stack = library_stack(tmp_path, emulator, GET, sid=existing)
    assert stack.up().ops() == [("read", "adopted")]
    assert stack.outputs()["flex_flow_sid"] == FLOW

    missing = "CH" + "1" * 32
    stack.set_config({"flex-channels:sid": missing})
    emulator.reset_stats()
    with pytest.raises(auto.CommandError) as failed:
        stack.up()
    assert (f"FlexChannel.get: the account has no Flex chat channel {missing} (GET {emulator.base_url}/v1/Channels/"
            f"{missing} returned HTTP 404") in str(failed.value)
    assert ("Check the SID given to `get` or `pulumi import`: `python -m flex_provider channels list` lists "
            "them.") in str(failed.value)
    assert emulator.requests("POST") == [] and emulator.requests("DELETE") == []


def test_pulumi_import_still_fails_in_pulumis_dynamic_host(tmp_path: Path, emulator: Emulator) -> None:
    """`pulumi import` sends Read with the id alone; the dynamic host looks for `__provider` in it and fails before
    any provider code runs (pulumi/pulumi#16175). When this fails, upstream fixed it: let `import:` use it."""
    with make_client(emulator) as client:
        existing = client.create_channel(channel_inputs()).sid
    project = Project(tmp_path, emulator)
    project.stack("channels: {}\n")
    emulator.reset_stats()
    done = project.cli("import", "pulumi-python:dynamic/flex:FlexChannel", "adopted", existing, "--yes",
                       "--stack", "dev", check=False)
    assert done.returncode != 0
    assert "KeyError: '__provider'" in done.stdout + done.stderr
    assert emulator.requests() == [], "it fails before our provider sends anything"


def test_delete_before_replace_on_a_flow_deletes_its_channel_first_and_makes_both_again(
        tmp_path: Path, emulator: Emulator) -> None:
    stack = library_stack(tmp_path, emulator, FLOW_AND_CHANNEL, service=SERVICE, dbr="true")
    stack.up()
    old = stack.outputs()
    emulator.reset_stats()

    stack.set_config({"flex-channels:service": "IS" + "2" * 32})
    run = stack.up()

    # The engine replaces the flow delete-first, so its dependent goes first (the channel's Diff sees the flow's
    # id unknown, which is a replace) and is made again after it.
    assert [(r.method, r.path) for r in emulator.requests() if r.method != "GET"] == [
        ("DELETE", f"/v1/Channels/{old['channel']}"), ("DELETE", f"/v1/FlexFlows/{old['flow']}"),
        ("POST", "/v1/FlexFlows"), ("POST", "/v1/Channels")]
    assert {op for op, _ in run.ops()} == {"delete-replaced", "replace", "create-replacement"}
    new = stack.outputs()
    assert emulator.resources("channels")[0]["flex_flow_sid"] == new["flow"] != old["flow"]


def test_ignore_changes_keeps_the_channel_and_replace_on_changes_does_nothing_through_the_dynamic_host(
        tmp_path: Path, emulator: Emulator) -> None:
    stack = library_stack(tmp_path, emulator, FLOW_AND_CHANNEL, service=SERVICE,
                          ignore_changes='["chat_friendly_name"]', replace_on_changes='["friendly_name"]')
    stack.up()
    old = stack.outputs()
    emulator.reset_stats()

    stack.set_config({"flex-channels:channel_name": "Renamed", "flex-channels:flow_name": "Renamed"})
    run = stack.up()

    # ignoreChanges is the engine's: the channel's Diff sees its old name, so nothing happens to it.
    # replaceOnChanges needs the provider's detailed diff, which Pulumi's dynamic host never returns: the flow is
    # updated in place, silently. (The native `flex` provider returns one.)
    assert run.ops() == [("update", "flow")]
    assert [(r.method, r.path, r.form) for r in emulator.requests() if r.method != "GET"] == [
        ("POST", f"/v1/FlexFlows/{old['flow']}", {"FriendlyName": "Renamed"})]
    assert stack.outputs() == old


def test_target_changes_only_the_targeted_resource(tmp_path: Path, emulator: Emulator) -> None:
    two = f"""
defaults: {{flex_flow_sid: {FLOW}, chat_user_friendly_name: Visitor}}
channels:
  web: {{identity: web-bot, chat_friendly_name: Web}}
  sms: {{identity: sms-bot, chat_friendly_name: SMS}}
"""
    stack = Project(tmp_path, emulator).stack(two)
    stack.up()
    web_urn = next(r["urn"] for r in stack.resources() if r["urn"].endswith("::web"))
    emulator.reset_stats()

    stack.write(two.replace("identity: web-bot", "identity: web-2").replace("identity: sms-bot", "identity: sms-2"))
    run = stack.up(target=[web_urn])

    assert {name for _, name in run.ops()} == {"web"}
    assert [r.form.get("Identity") for r in emulator.requests("POST")] == ["web-2"]
    assert stack.preview().ops() == [("create-replacement", "sms"), ("replace", "sms"), ("delete-replaced", "sms")]


def test_a_secret_input_is_ciphertext_in_the_state_inputs_and_outputs(tmp_path: Path, emulator: Emulator) -> None:
    stack = library_stack(tmp_path, emulator, SECRET_INPUT)
    stack.up()

    assert emulator.requests("POST")[0].form["Identity"] == "identity-kept-secret", "Twilio gets the value"
    state = stack.state_of("channel")
    assert "ciphertext" in state["inputs"]["identity"] and "ciphertext" in state["outputs"]["identity"]
    assert "identity-kept-secret" not in json.dumps(stack.export())
    assert not [p for p in (tmp_path / "state").rglob("*") if p.is_file() and b"identity-kept-secret" in p.read_bytes()]
