"""A stack file's whole life on the real Pulumi engine: up, preview, changes, drift, adoption, options, destroy.

Each test runs the project's program through the Pulumi CLI (tests/real_engine.py) against the test's emulator and
asserts what the engine did (its steps, in its order), what the emulator received and what the state holds.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pulumi import automation as auto

from tests.real_engine import Project
from tests.support import make_client
from twilio_emulator import Emulator

pytestmark = pytest.mark.timeout(600)

FLOW = """
flex_flows:
  web-chat:
    friendly_name: Web chat
    chat_service_sid: IS00000000000000000000000000000001
    channel_type: web
    integration_type: studio
    integration: {flow_sid: FW00000000000000000000000000000001}
"""
CHANNELS = """
defaults:
  flex_flow: web-chat
channels:
  web:
    identity: web-bot
    chat_user_friendly_name: Visitor
    chat_friendly_name: Web
  billing:
    identity: billing-bot
    chat_user_friendly_name: Customer
    chat_friendly_name: Billing
    chat_unique_name: billing
"""
ADDRESSES = """
addresses:
  sms:
    type: sms
    address: "+15005550006"
    friendly_name: SMS
"""
STACK = FLOW + CHANNELS + ADDRESSES


@pytest.fixture
def project(tmp_path: Path, emulator: Emulator) -> Project:
    return Project(tmp_path, emulator)


def requests(emulator: Emulator) -> list[tuple[str, str, dict[str, list[str]]]]:
    """The API requests the emulator received since its last reset: method, path with SIDs kept, form body."""
    return [(r.method, r.path, r.form) for r in emulator.requests()]


def paths(emulator: Emulator, method: str) -> list[str]:
    return [r.path for r in emulator.requests(method)]


def sids(emulator: Emulator) -> dict[str, set[str]]:
    return {"flows": {f["sid"] for f in emulator.resources("flex_flows")},
            "channels": {c["sid"] for c in emulator.resources("channels")},
            "addresses": {a["sid"] for a in emulator.resources("addresses")}}


def test_up_creates_everything_a_preview_then_expects_no_changes_and_destroy_empties_the_account(
        project: Project, emulator: Emulator) -> None:
    stack = project.stack(STACK)
    run = stack.up()

    assert sorted(run.ops()) == [("create", "billing"), ("create", "sms"), ("create", "web"), ("create", "web-chat")]
    assert sorted(paths(emulator, "POST")) == ["/v1/Channels", "/v1/Channels", "/v1/Configuration/Addresses",
                                               "/v1/FlexFlows"]
    flow = emulator.resources("flex_flows")[0]
    assert {c["flex_flow_sid"] for c in emulator.resources("channels")} == {flow["sid"]}, (
        "channels name their flow's SID")
    outputs = stack.outputs()
    assert outputs["flex_flows"]["web-chat"] == {"sid": flow["sid"], "friendly_name": "Web chat",
                                                 "channel_type": "web"}
    assert {out["sid"] for out in outputs["channels"].values()} == sids(emulator)["channels"]
    assert outputs["addresses"]["sms"]["sid"] in sids(emulator)["addresses"]
    assert {r["id"] for r in stack.resources() if r["type"].startswith("pulumi-python:dynamic/")} == set().union(
        *sids(emulator).values()), "each resource's id is its SID"

    emulator.reset_stats()
    stack.preview(expect_no_changes=True)
    assert requests(emulator) == [], "a preview after an up reads and writes nothing"

    run = stack.destroy()
    assert sorted(run.ops()) == [("delete", "billing"), ("delete", "sms"), ("delete", "web"), ("delete", "web-chat")]
    assert sids(emulator) == {"flows": set(), "channels": set(), "addresses": set()}
    assert stack.resources() == [] or all(not r["type"].startswith("pulumi-python:") for r in stack.resources())


def test_each_change_is_the_update_or_replace_the_declaration_says_in_the_engines_order(
        project: Project, emulator: Emulator) -> None:
    stack = project.stack(STACK)
    stack.up()
    before = stack.outputs()
    emulator.reset_stats()

    stack.write(STACK.replace("friendly_name: Web chat", "friendly_name: Web chat 2")   # flow: in place
                .replace("identity: web-bot", "identity: web-bot-2")                      # channel: new identity
                .replace("chat_friendly_name: Billing", "chat_friendly_name: Billing 2")  # channel: same identity
                .replace("friendly_name: SMS", "friendly_name: Texts"))                   # address: in place
    run = stack.up()

    assert sorted(run.ops("web-chat", "sms")) == [("update", "sms"), ("update", "web-chat")]
    # A new identity cannot collide with the old channel: the new one is made first, the old deleted last.
    assert run.ops("web") == [("create-replacement", "web"), ("replace", "web"), ("delete-replaced", "web")]
    # The same flow, identity and unique name would make Flex hand back the old channel: delete it first.
    assert run.ops("billing") == [("delete-replaced", "billing"), ("replace", "billing"),
                                  ("create-replacement", "billing")]
    flow_sid = before["flex_flows"]["web-chat"]["sid"]
    address_sid = before["addresses"]["sms"]["sid"]
    posts = [(path, form) for method, path, form in requests(emulator) if method == "POST"]
    assert (f"/v1/FlexFlows/{flow_sid}", {"FriendlyName": "Web chat 2"}) in posts, "only the changed field is sent"
    assert (f"/v1/Configuration/Addresses/{address_sid}", {"FriendlyName": "Texts"}) in posts
    assert sorted(paths(emulator, "DELETE")) == sorted(
        f"/v1/Channels/{before['channels'][name]['sid']}" for name in ("web", "billing"))
    after = stack.outputs()
    assert after["flex_flows"]["web-chat"]["sid"] == flow_sid and after["addresses"]["sms"]["sid"] == address_sid
    assert after["channels"]["web"]["sid"] != before["channels"]["web"]["sid"]
    stack.preview(expect_no_changes=True)

    # A new chat service replaces the flow, and with it the channels that name it: the new flow first, then its
    # channels; the old channels are deleted before the old flow (dependents first).
    emulator.reset_stats()
    stack.write(STACK.replace("IS00000000000000000000000000000001", "IS00000000000000000000000000000002"))
    run = stack.up()
    assert run.ops("web-chat")[0] == ("create-replacement", "web-chat")
    made = [path for method, path, _ in requests(emulator) if method == "POST"]
    assert made.index("/v1/FlexFlows") < made.index("/v1/Channels")
    deleted = paths(emulator, "DELETE")
    assert deleted[-1] == f"/v1/FlexFlows/{flow_sid}" and len(deleted) == 3
    new_flow = stack.outputs()["flex_flows"]["web-chat"]["sid"]
    assert {c["flex_flow_sid"] for c in emulator.resources("channels")} == {new_flow} != {flow_sid}


def test_a_resource_deleted_outside_pulumi_is_recreated_and_drift_in_a_flow_is_undone(
        project: Project, emulator: Emulator) -> None:
    stack = project.stack(STACK)
    stack.up()
    outputs = stack.outputs()
    flow_sid, web_sid = outputs["flex_flows"]["web-chat"]["sid"], outputs["channels"]["web"]["sid"]
    with make_client(emulator) as client:
        client.delete_channel(web_sid)
        client.update_flex_flow(flow_sid, {"friendly_name": "Changed in the Console", "enabled": False})

    stack.refresh()
    assert "web" not in {r["urn"].rsplit("::", 1)[1] for r in stack.resources()}, "refresh drops the deleted channel"
    assert stack.state_of("web-chat")["outputs"]["friendly_name"] == "Changed in the Console"

    emulator.reset_stats()
    run = stack.up()
    assert sorted(run.ops()) == [("create", "web"), ("update", "web-chat")]
    # The declared name is put back; `enabled`, which the file leaves unset, keeps the Console's value.
    posts = [(path, form) for method, path, form in requests(emulator) if method == "POST"]
    assert (f"/v1/FlexFlows/{flow_sid}", {"FriendlyName": "Web chat"}) in posts
    assert [path for path, _ in posts].count("/v1/Channels") == 1
    stack.preview(expect_no_changes=True)


def test_import_adopts_an_existing_channel_and_dropping_the_line_later_changes_nothing(
        project: Project, emulator: Emulator) -> None:
    with make_client(emulator) as client:
        existing = client.create_channel({"flex_flow_sid": "FO" + "1" * 32, "identity": "made-by-hand",
                                          "chat_user_friendly_name": "Visitor", "chat_friendly_name": "Web"}).sid
    adopted = f"""
channels:
  web:
    flex_flow_sid: {"FO" + "1" * 32}
    identity: made-by-hand
    chat_user_friendly_name: Visitor
    chat_friendly_name: Web
    import: {existing}
"""
    stack = project.stack(adopted)
    emulator.reset_stats()
    run = stack.up()

    assert run.ops() == [("create", "web")]
    assert [method for method, _, _ in requests(emulator)] == ["GET"], "adopting fetches; it creates nothing"
    assert stack.state_of("web")["id"] == existing

    stack.write(adopted.replace(f"    import: {existing}\n", ""))
    emulator.reset_stats()
    stack.preview(expect_no_changes=True)
    assert stack.up().ops() == []
    assert requests(emulator) == []
    assert stack.state_of("web")["id"] == existing


def test_alias_renames_without_replacing_protect_blocks_destroy_and_retain_on_delete_keeps_the_channel(
        project: Project, emulator: Emulator) -> None:
    stack = project.stack(FLOW + CHANNELS)
    stack.up()
    web_sid = stack.outputs()["channels"]["web"]["sid"]
    billing_sid = stack.outputs()["channels"]["billing"]["sid"]

    renamed = (FLOW + CHANNELS).replace("  web:\n", "  website:\n    aliases: [web]\n    protect: true\n").replace(
        "chat_unique_name: billing\n", "chat_unique_name: billing\n    retain_on_delete: true\n")
    stack.write(renamed)
    emulator.reset_stats()
    assert stack.up().ops() == []
    assert requests(emulator) == [], "a rename with its alias is no replace"
    assert stack.state_of("website")["id"] == web_sid and stack.state_of("website")["protect"] is True

    with pytest.raises(auto.CommandError, match="protected"):
        stack.destroy()
    assert web_sid in sids(emulator)["channels"]

    # Unprotecting and changing in one `up` is allowed: the engine checks protection of the old resource only
    # when the new one is protected too.
    stack.write(renamed.replace("    protect: true\n", "").replace("chat_friendly_name: Web", "chat_friendly_name: W2"))
    assert stack.up().ops("website") == [("delete-replaced", "website"), ("replace", "website"),
                                         ("create-replacement", "website")]
    website_sid = stack.outputs()["channels"]["website"]["sid"]

    stack.write(FLOW + "\ndefaults: {flex_flow: web-chat}\nchannels: {}\n")
    emulator.reset_stats()
    run = stack.up()
    assert sorted(run.ops()) == [("delete", "billing"), ("delete", "website")]
    assert billing_sid in sids(emulator)["channels"], "retain_on_delete leaves the channel in Twilio"
    assert paths(emulator, "DELETE") == [f"/v1/Channels/{website_sid}"]


def test_the_token_reaches_config_and_state_only_as_ciphertext(project: Project, emulator: Emulator,
                                                              tmp_path: Path) -> None:
    stack = project.stack(STACK, config={"flex:hosts": "2"})
    stack.up()

    exported = json.dumps(stack.export())
    assert emulator.auth_token not in exported
    providers = [r for r in stack.resources() if r["type"].startswith("pulumi:providers:")]
    assert providers and all("ciphertext" in r["inputs"]["twilio:authToken"] for r in providers)
    config_file = (project.program / "Pulumi.dev.yaml").read_text()
    assert "secure: v1:" in config_file and emulator.auth_token not in config_file
    state_files = [p for p in (tmp_path / "state").rglob("*") if p.is_file()]
    assert state_files and not [p for p in state_files if emulator.auth_token.encode() in p.read_bytes()]
