"""The native `flex` provider on the real Pulumi engine: raw native resources, `pulumi import`, a detailed diff,
errors that read as messages, more calls at once than the dynamic host, and a stack-file program moving between
the front ends with nothing replaced.

The plugin is the console script this checkout installs into .venv (`pulumi-resource-flex`), found through the
project's `plugins.providers` (tests/real_engine.py points it at the checkout's .venv).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from pulumi import automation as auto

from tests.real_engine import ROOT, Project
from tests.support import FLOW, channel_inputs, make_client
from twilio_emulator import Emulator, Faults

pytestmark = pytest.mark.timeout(600)

EXAMPLE = ROOT / "examples" / "yaml-program" / "Pulumi.yaml"
RAW = yaml.safe_dump({key: value for key, value in yaml.safe_load(EXAMPLE.read_text()).items()
                      if key in ("resources", "outputs")})
"""The YAML example's resources and outputs (examples/yaml-program), run as the test's program."""


def test_a_yaml_program_of_native_resources_creates_them_and_keeps_the_token_as_ciphertext(
        tmp_path: Path, emulator: Emulator) -> None:
    stack = Project(tmp_path, emulator, yaml_program=RAW).stack("{}\n", native=True)
    run = stack.up()

    assert sorted(run.ops()) == [("create", "support-sms"), ("create", "web-chat"), ("create", "web-support")]
    flow = emulator.resources("flex_flows")[0]
    assert [r.form for r in emulator.requests("POST") if r.path == "/v1/FlexFlows"] == [{
        "FriendlyName": "Web chat", "ChatServiceSid": "IS00000000000000000000000000000001", "ChannelType": "web",
        "IntegrationType": "studio", "Integration.FlowSid": "FW00000000000000000000000000000001",
        "Integration.RetryCount": "2"}]
    channel_form = next(r.form for r in emulator.requests("POST") if r.path == "/v1/Channels")
    assert channel_form["FlexFlowSid"] == flow["sid"]
    assert channel_form["PreEngagementData"] == '{"friendlyName":"Web visitor"}'
    assert stack.outputs() == {"flow": flow["sid"], "channel": emulator.resources("channels")[0]["sid"],
                               "address": emulator.resources("addresses")[0]["sid"]}
    exported = json.dumps(stack.export())
    assert emulator.auth_token not in exported
    provider = next(r for r in stack.resources() if r["type"] == "pulumi:providers:flex")
    assert "ciphertext" in provider["inputs"]["authToken"]
    emulator.reset_stats()
    stack.preview(expect_no_changes=True)
    assert emulator.requests() == []



def test_pulumi_import_of_a_channel_fills_state_from_twilio_and_a_later_up_replaces_nothing(
        tmp_path: Path, emulator: Emulator) -> None:
    with make_client(emulator) as client:
        existing = client.create_channel(channel_inputs("made-by-hand")).sid
    project = Project(tmp_path, emulator, yaml_program="resources: {}\n")
    stack = project.stack("{}\n", native=True)
    emulator.reset_stats()

    project.cli("import", "flex:index:FlexChannel", "web", existing, "--yes", "--generate-code=false",
                "--stack", stack.name)

    state = stack.state_of("web")
    assert state["id"] == existing and state["outputs"]["flex_flow_sid"] == FLOW
    assert state["outputs"]["identity"] is None, "Twilio does not return a channel's identity: not known yet"
    assert {r.method for r in emulator.requests()} == {"GET"}, "an import reads (in its preview, then for real)"

    declared = f"""
resources:
  web:
    type: flex:index:FlexChannel
    properties: {{flex_flow_sid: {FLOW}, identity: made-by-hand, chat_user_friendly_name: Customer,
                 chat_friendly_name: Support chat}}
"""
    stack.refresh()
    assert stack.state_of("web")["outputs"]["identity"] is None, "a refresh cannot read it either: still not known"
    stack.project.program.joinpath("Pulumi.yaml").write_text(
        stack.project.program.joinpath("Pulumi.yaml").read_text().replace("resources: {}\n", declared))
    emulator.reset_stats()
    run = stack.up()
    assert run.ops() == [("update", "web")], "the declared values are recorded; nothing is replaced"
    assert emulator.requests() == [], "and nothing is sent"
    assert stack.state_of("web")["outputs"]["identity"] == "made-by-hand"
    stack.preview(expect_no_changes=True)


def test_preview_diff_shows_each_field_as_an_update_or_a_replace(tmp_path: Path, emulator: Emulator) -> None:
    project = Project(tmp_path, emulator, yaml_program=RAW)
    stack = project.stack("{}\n", native=True)
    stack.up()
    program = project.program / "Pulumi.yaml"
    program.write_text(program.read_text().replace("friendly_name: Web chat\n", "friendly_name: Web chat 2\n")
                       .replace("chat_friendly_name: Web support\n", "chat_friendly_name: Web help\n"))

    text = stack.preview(diff=True).text
    assert "~ flex:index:FlexFlow: (update)" in text and '~ friendly_name: "Web chat" => "Web chat 2"' in text
    assert "+-flex:index:FlexChannel: (replace)" in text
    assert '~ chat_friendly_name: "Web support" => "Web help"' in text


def test_an_error_reaches_the_user_as_its_message_without_a_traceback(tmp_path: Path, emulator: Emulator) -> None:
    stack = Project(tmp_path, emulator, yaml_program=RAW).stack("{}\n", native=True, token="not-the-token")
    with pytest.raises(auto.CommandError) as failed:
        stack.up()
    said = str(failed.value)
    assert f"POST {emulator.base_url}/v1/FlexFlows returned HTTP 401 (Twilio error 20003): Authenticate." in said
    assert "Traceback" not in said and 'File "' not in said


def test_the_native_provider_serves_more_calls_at_once_than_the_dynamic_hosts_four(
        tmp_path: Path, emulator: Emulator) -> None:
    emulator.set_faults(Faults(latency_ms=300))
    channels = "".join(f"  ch-{i:02}: {{identity: bot-{i:02}}}\n" for i in range(32))
    file = f"defaults: {{flex_flow_sid: {FLOW}, chat_user_friendly_name: V, chat_friendly_name: W}}\nchannels:\n"
    stack = Project(tmp_path, emulator).stack(file + channels, native=True, config={"flex:frontEnd": "native"})
    stack.up(parallel=64)
    assert len(emulator.resources("channels")) == 32
    assert emulator.stats()["connections"] > 8, "a connection per call in flight, past the dynamic host's 4"


STACK = f"""
flex_flows:
  web-chat: {{friendly_name: Web chat, chat_service_sid: IS00000000000000000000000000000001, channel_type: web}}
channels:
  web: {{flex_flow: web-chat, identity: web-bot, chat_user_friendly_name: Visitor, chat_friendly_name: Web}}
  billing: {{flex_flow_sid: {FLOW}, identity: billing, chat_user_friendly_name: C, chat_friendly_name: B}}
addresses:
  sms: {{type: sms, address: "+15005550006", friendly_name: SMS}}
"""


@pytest.mark.parametrize("first", ["dynamic", "native"])
def test_a_stack_file_stack_moves_between_the_front_ends_with_nothing_replaced_and_the_same_account(
        tmp_path: Path, emulator: Emulator, first: str) -> None:
    """The stack's settings are the dynamic front end's (`twilio:accountSid`, …), and the environment names
    another account: both front ends must use the stack's, whichever is on."""
    project = Project(tmp_path, emulator)
    project.env.update(TWILIO_ACCOUNT_SID="AC" + "9" * 32, TWILIO_AUTH_TOKEN="another-accounts-token")
    stack = project.stack(STACK, config={"flex:frontEnd": first})
    stack.up()
    made = {r["urn"].rsplit("::", 1)[1]: r["id"] for r in stack.resources()
            if r["type"].startswith(("pulumi-python:dynamic/", "flex:index:"))}
    assert len(made) == 4
    emulator.reset_stats()

    second = "native" if first == "dynamic" else "dynamic"
    for front_end in (second, first, second):
        stack.set_config({"flex:frontEnd": front_end})
        run = stack.up()
        assert {op for op, _ in run.ops()} <= {"update"}, f"to {front_end}: nothing replaced, created or deleted"
        stack.preview(expect_no_changes=True)
        types = {r["type"].split(":")[0] for r in stack.resources() if r.get("id") in made.values()}
        assert types == ({"flex"} if front_end == "native" else {"pulumi-python"})
    assert [r.method for r in emulator.requests()] == [], "moving sends Twilio nothing"
    stack.refresh()
    stack.destroy()
    assert {r.username for r in emulator.requests()} == {emulator.account_sid}, "always the stack's account"
    assert all(emulator.resources(section) == [] for section in ("flex_flows", "channels", "addresses"))


def test_an_explicit_flex_provider_reaches_a_second_account(tmp_path: Path, emulator: Emulator) -> None:
    with Emulator(account_sid="AC" + "2" * 32, auth_token="second-token") as other:
        program = f"""
resources:
  second:
    type: pulumi:providers:flex
    properties:
      accountSid: {other.account_sid}
      authToken:
        fn::secret: second-token
      apiUrl: {other.base_url}
  flow:
    type: flex:index:FlexFlow
    properties: {{friendly_name: Other, chat_service_sid: IS00000000000000000000000000000001, channel_type: web}}
    options: {{provider: "${{second}}"}}
"""
        stack = Project(tmp_path, emulator, yaml_program=program).stack("{}\n", native=True)
        stack.up()
        assert [f["friendly_name"] for f in other.resources("flex_flows")] == ["Other"]
        assert emulator.resources("flex_flows") == [], "the default account is untouched"
        assert "second-token" not in json.dumps(stack.export())
        stack.destroy()
        assert other.resources("flex_flows") == []


def test_get_of_a_missing_sid_is_a_clear_error_and_of_an_existing_one_reads_it(
        tmp_path: Path, emulator: Emulator) -> None:
    with make_client(emulator) as client:
        existing = client.create_channel(channel_inputs()).sid
    missing = "CH" + "1" * 32
    program = """  # noqa: UP031 - a YAML program, its ${…} not to be formatted
resources:
  adopted:
    type: flex:index:FlexChannel
    get: {id: %s}
outputs:
  flow: ${adopted.flex_flow_sid}
"""
    project = Project(tmp_path, emulator, yaml_program=program % existing)
    stack = project.stack("{}\n", native=True)
    stack.up()
    assert stack.outputs() == {"flow": FLOW}

    (project.program / "Pulumi.yaml").write_text((project.program / "Pulumi.yaml").read_text().replace(existing,
                                                                                                       missing))
    with pytest.raises(auto.CommandError) as failed:
        stack.up()
    assert f"FlexChannel.get: the account has no Flex chat channel {missing} (GET" in str(failed.value)
    assert "Traceback" not in str(failed.value)


def test_pulumi_import_in_the_python_project_prints_the_python_to_declare_it(tmp_path: Path,
                                                                           emulator: Emulator) -> None:
    with make_client(emulator) as client:
        flow = client.create_flex_flow({"friendly_name": "Made by hand", "chat_service_sid": "IS" + "1" * 32,
                                        "channel_type": "web"}).sid
    project = Project(tmp_path, emulator)
    stack = project.stack(STACK, native=True, config={"flex:frontEnd": "native"})

    done = project.cli("import", "flex:index:FlexFlow", "adopted", flow, "--yes", "--stack", stack.name)

    assert stack.state_of("adopted")["outputs"]["friendly_name"] == "Made by hand"
    assert "import pulumi_flex as flex" in done.stdout
    assert 'adopted = flex.FlexFlow("adopted",' in done.stdout and 'friendly_name="Made by hand"' in done.stdout


def test_replace_on_changes_works_through_the_native_providers_detailed_diff(tmp_path: Path,
                                                                          emulator: Emulator) -> None:
    """A field the API changes in place (a flow's name) replaces the flow when the program asks: the engine reads
    the provider's per-field diff, which Pulumi's dynamic host never gives (test_real_engine_library.py)."""
    program = """
resources:
  flow:
    type: flex:index:FlexFlow
    properties: {friendly_name: Web, chat_service_sid: IS00000000000000000000000000000001, channel_type: web}
    options: {replaceOnChanges: [friendly_name]}
"""
    project = Project(tmp_path, emulator, yaml_program=program)
    stack = project.stack("{}\n", native=True)
    stack.up()
    old = emulator.resources("flex_flows")[0]["sid"]
    settings = project.program / "Pulumi.yaml"
    settings.write_text(settings.read_text().replace("friendly_name: Web", "friendly_name: Web 2"))

    run = stack.up()
    assert run.ops() == [("create-replacement", "flow"), ("replace", "flow"), ("delete-replaced", "flow")]
    assert [f["friendly_name"] for f in emulator.resources("flex_flows")] == ["Web 2"]
    assert emulator.resources("flex_flows")[0]["sid"] != old
