"""The native provider's Python SDK and its plugin from source, on the real Pulumi engine.

sdk/python is what `pulumi package gen-sdk` makes of the plugin's schema (the real CLI, asking the plugin
for it over gRPC): regenerated here and compared file by file, so it never drifts from the declarations.
"""

from __future__ import annotations

import filecmp
from pathlib import Path

import pytest

from tests.real_engine import ROOT, Project
from tests.support import FLOW
from twilio_emulator import Emulator

pytestmark = pytest.mark.timeout(600)

TYPED = f"""
import pulumi
from pulumi_flex import FlexChannel, FlexChannelArgs, FlexFlow, FlexFlowIntegrationArgs

flow = FlexFlow("flow", friendly_name="Typed", chat_service_sid="IS{'1' * 32}", channel_type="web",
                integration_type="studio", integration=FlexFlowIntegrationArgs(flow_sid="FW{'1' * 32}"))
channel = FlexChannel("web", FlexChannelArgs(flex_flow_sid=flow.id, identity="typed-bot",
                                             chat_user_friendly_name="Visitor", chat_friendly_name="Web"))
pulumi.export("flow", flow.sid)
pulumi.export("channel", channel.sid)
"""


def differences(left: Path, right: Path) -> list[str]:
    """Files that differ or exist on one side only, recursively, as paths relative to `left`."""
    found: list[str] = []

    def walk(compared: filecmp.dircmp[str], prefix: str) -> None:
        found.extend(f"{prefix}{name}" for name in compared.left_only + compared.right_only + compared.diff_files)
        for name, sub in compared.subdirs.items():
            walk(sub, f"{prefix}{name}/")

    walk(filecmp.dircmp(left, right, ignore=["__pycache__", "pulumi_flex.egg-info"]), "")
    return found


def test_the_shipped_sdk_is_what_gen_sdk_makes_of_the_plugins_schema(tmp_path: Path, emulator: Emulator) -> None:
    project = Project(tmp_path, emulator)
    project.cli("package", "gen-sdk", str(ROOT / ".venv" / "bin" / "pulumi-resource-flex"), "--language", "python",
                "--out", str(tmp_path / "sdk"))
    assert differences(ROOT / "sdk" / "python", tmp_path / "sdk" / "python") == []


def test_a_program_of_the_typed_sdk_creates_its_resources(tmp_path: Path, emulator: Emulator) -> None:
    stack = Project(tmp_path, emulator, TYPED).stack("{}\n", native=True)
    run = stack.up()
    assert sorted(run.ops()) == [("create", "flow"), ("create", "web")]
    flow = emulator.resources("flex_flows")[0]
    assert flow["integration"]["flow_sid"] == "FW" + "1" * 32
    assert stack.outputs() == {"flow": flow["sid"], "channel": emulator.resources("channels")[0]["sid"]}
    assert emulator.resources("channels")[0]["flex_flow_sid"] == flow["sid"]


def test_the_plugin_runs_from_source_through_its_pulumiplugin_yaml(tmp_path: Path, emulator: Emulator) -> None:
    program = f"""
resources:
  web:
    type: flex:index:FlexChannel
    properties: {{flex_flow_sid: {FLOW}, identity: from-source, chat_user_friendly_name: V, chat_friendly_name: W}}
"""
    project = Project(tmp_path, emulator, yaml_program=program)
    settings = project.program / "Pulumi.yaml"
    settings.write_text(settings.read_text().replace(str(ROOT / ".venv" / "bin"), str(ROOT / "plugin")))
    project.stack("{}\n", native=True).up()
    assert [c["flex_flow_sid"] for c in emulator.resources("channels")] == [FLOW]
