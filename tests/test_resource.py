"""The resources as a program uses them: args or keyword arguments, defaults, get, typed outputs, the component."""

from __future__ import annotations

import dataclasses
import re
import sys
import typing
from pathlib import Path

import pulumi
import pytest

from flex_provider import FlexChannel, FlexChannelArgs, FlexFlow, FlexFlowArgs, FlexFlowIntegrationArgs
from flex_provider.declaration import ResourceType
from flex_provider.declarations import CHANNEL, RESOURCE_TYPES
from flex_provider.resource import DeclaredResource
from flex_provider.resource import resource_class as resource_class_of
from tests.engine import goal
from tests.pulumi_mocks import run_program
from tests.support import FLOW, ROOT, channel_inputs

FLOW_INPUTS = {"friendly_name": "Web", "chat_service_sid": "IS" + "1" * 32, "channel_type": "web"}


def program(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "__main__.py"
    path.write_text("import pulumi\nfrom flex_provider import FlexChannel, FlexStack, FlexFlow\n" + body)
    return path


@pytest.mark.parametrize("rtype", RESOURCE_TYPES, ids=[rtype.name for rtype in RESOURCE_TYPES])
def test_args_classes_are_exactly_the_declaration(rtype: ResourceType) -> None:
    """The typed args stay beside the declaration, by hand, for a program's type checker: equal to it, field by
    field, a mapping's keys included, required where the declaration requires."""
    assert rtype.args is not None
    args = dataclasses.fields(rtype.args)
    assert [f.name for f in args] == [*(spec.name for spec in rtype.fields), "import_sid"]
    for spec, arg in zip(rtype.fields, args, strict=False):
        assert (arg.default is dataclasses.MISSING) == spec.required, spec.name
    module = sys.modules[rtype.args.__module__]
    for spec in (spec for spec in rtype.fields if spec.fields):
        nested = getattr(module, rtype.args.__annotations__[spec.name].split(" | ")[0])  # `XArgs | Mapping… | None`
        assert [f.name for f in dataclasses.fields(nested)] == [sub.name for sub in spec.fields]
    resource_class: type[DeclaredResource] = resource_class_of(rtype)
    assert (resource_class.__name__, resource_class._args_type, resource_class._provider_type.rtype) == (
        rtype.name, rtype.args, rtype)


def test_keyword_arguments_and_args_give_the_same_registration_with_the_declared_defaults() -> None:
    by_keywords = FlexChannel.registration(**channel_inputs())
    by_args = FlexChannel.registration(FlexChannelArgs(**channel_inputs()))  # type: ignore[arg-type]
    assert by_keywords == by_args
    assert by_keywords["long_lived"] is True, "the default of declarations/channel.py, as a stack file gets it"
    integration = FlexFlow.registration(**FLOW_INPUTS, integration=FlexFlowIntegrationArgs(retry_count=2))
    assert integration["integration"] == {"retry_count": 2}


@pytest.mark.parametrize(("call", "message"), [
    (lambda: FlexChannel.registration(FlexChannelArgs(**channel_inputs()), identity="x"),  # type: ignore[arg-type]
     "FlexChannel() takes its inputs as args=FlexChannelArgs(…) or as keyword arguments, not both (got args and "
     "identity)"),
    (lambda: FlexChannel.registration(),
     "FlexChannel() is missing required inputs: flex_flow_sid, identity, chat_user_friendly_name, chat_friendly_name"),
    (lambda: FlexChannel.registration(**channel_inputs(), colour="red"),
     "FlexChannel() got unknown input colour; known: flex_flow_sid, identity, chat_user_friendly_name, "
     "chat_friendly_name, target, chat_unique_name, pre_engagement_data, task_sid, task_attributes, long_lived, "
     "import_sid"),
    (lambda: FlexChannel.registration(FlexFlowArgs(**FLOW_INPUTS)),  # type: ignore[arg-type]
     "FlexChannel() args must be a FlexChannelArgs, not FlexFlowArgs"),
    (lambda: FlexChannel.registration(**{**channel_inputs(), "chat_unqiue_name": "web-1"}),
     "FlexChannel() got unknown input chat_unqiue_name; did you mean 'chat_unique_name'?"),
    (lambda: FlexFlow.registration(**FLOW_INPUTS, intgration={}, colour="red"),
     "FlexFlow() got unknown inputs intgration (did you mean 'integration'?), colour; known: friendly_name, "
     "chat_service_sid, channel_type, contact_identity, enabled, integration_type, integration, long_lived, "
     "janitor_enabled, import_sid"),
])
def test_wrong_arguments_are_a_clear_type_error(call: typing.Callable[[], object], message: str) -> None:
    with pytest.raises(TypeError) as caught:
        call()
    assert str(caught.value) == message


def test_an_unknown_input_name_is_named_escaped() -> None:
    """A look-alike letter (Cyrillic `с`) named as typed reads as the input it imitates, and an escape sequence or
    newline in a name reached the terminal: names are shown as stack files show them."""
    with pytest.raises(TypeError) as caught:
        FlexChannel.registration(**channel_inputs(), **{"\u0441hat_unique_name": "web-1"})
    assert str(caught.value) == ("FlexChannel() got unknown input '\\u0441hat_unique_name'; did you mean "
                                 "'chat_unique_name'?")
    with pytest.raises(TypeError) as caught:
        FlexChannel.registration(FlexChannelArgs(**channel_inputs()), **{"x\x1b[2J\nforged": 1})  # type: ignore[arg-type]
    assert str(caught.value) == ("FlexChannel() takes its inputs as args=FlexChannelArgs(…) or as keyword arguments, "
                                 "not both (got args and 'x\\x1b[2J\\nforged')")
    refused = "FlexFlow '': integration.'flow_s\\u0456d\\x1b[2J' is not a key of integration; did you mean 'flow_sid'?"
    with pytest.raises(ValueError, match=re.escape(refused) + "$"):
        FlexFlow.registration(**{**FLOW_INPUTS, "integration": {"flow_s\u0456d\x1b[2J": f"FW{'1' * 32}"}})


def test_a_program_declares_with_keywords_an_output_as_input_and_get(tmp_path: Path) -> None:
    run = run_program("dev", program=program(tmp_path, f"""
flow = FlexFlow("web-chat", friendly_name="Web", chat_service_sid="IS{'1' * 32}", channel_type="web")
web = FlexChannel("web", flex_flow_sid=flow.id, identity="w", chat_user_friendly_name="u", chat_friendly_name="c")
old = FlexChannel.get("existing", "CH{'2' * 32}")
pulumi.export("existing", old.user_sid)
"""))
    assert [r.name for r in run.registrations] == ["web-chat", "web"]
    assert run.inputs("web")["flex_flow_sid"].startswith("FO"), "the flow's sid, from the mocks"
    assert run.inputs("web")["long_lived"] is True
    assert list(run.by_name()["web"].propertyDependencies["flex_flow_sid"].urns) == [run.urn("web-chat")]
    [read] = run.reads
    assert (read.id, read.name, read.type) == ("CH" + "2" * 32, "existing", CHANNEL.type_token)


def test_the_component_declares_a_stack_file_under_it_with_typed_children(tmp_path: Path) -> None:
    run = run_program("dev", program=program(tmp_path, f"""
support = FlexStack("support", path={str(ROOT / 'stacks' / 'prod.yaml')!r})
assert isinstance(support.channels["vip"], FlexChannel)
pulumi.export("vip", support.channels["vip"].sid)
pulumi.export("sections", sorted(support.outputs()))
"""))
    assert sorted(r.name for r in run.registrations) == ["billing", "vip", "web-support"]
    assert all(r.parent == run.component_urn for r in run.registrations)
    assert run.exports["vip"].startswith("CH")
    assert run.exports["sections"] == ["channels"]


def test_the_components_first_name_still_works() -> None:
    from flex_provider import FlexChannelStack, FlexStack

    assert FlexChannelStack is FlexStack


def test_the_component_refuses_a_bad_file_before_declaring_anything(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("channels:\n  web:\n    identity: 7\n")
    with pytest.raises(pulumi.RunError) as caught:
        run_program("dev", program=program(tmp_path, f"FlexStack('x', path={str(bad)!r})\n"))
    assert str(caught.value).splitlines()[0] == "4 problems in stack file:"


def test_a_python_declared_channel_sends_long_lived_as_a_stack_file_one_does(stack, emulator) -> None:
    """The default lives in the declaration; a channel from Python gets it as a YAML one does."""
    stack.up([goal(FlexChannel, "web", flex_flow_sid=FLOW, identity="w", chat_user_friendly_name="u",
                   chat_friendly_name="c")])
    [post] = emulator.requests("POST")
    assert post.form["LongLived"] == "true"


def test_moved_from_root_aliases_each_resource_to_its_name_at_the_root(tmp_path: Path) -> None:
    run = run_program("dev", program=program(tmp_path, f"""
FlexStack("support", path={str(ROOT / 'stacks' / 'prod.yaml')!r}, moved_from_root=True)
"""))
    aliases = {r.name: [(a.spec.name, a.spec.noParent) for a in r.aliases if not a.spec.type]
               for r in run.registrations}
    assert aliases == {"billing": [("", True)], "vip": [("", True)],
                       "web-support": [("", True), ("website", False), ("website", True)]}


def test_a_component_adds_no_alias_to_the_stacks_root_unless_asked(tmp_path: Path) -> None:
    """A component must not claim root resources of the same name: the move from the root is opt-in."""
    run = run_program("dev", program=program(tmp_path, f"""
FlexStack("support", path={str(ROOT / 'stacks' / 'prod.yaml')!r})
"""))
    assert [[(a.spec.name, a.spec.type, a.spec.noParent) for a in r.aliases] for r in run.registrations
            if r.name != "web-support"] == [[("", "flex:index:FlexChannel", False)]] * 2, "only the native type"
    [web] = [r for r in run.registrations if r.name == "web-support"]
    assert [(a.spec.name, a.spec.noParent) for a in web.aliases if not a.spec.type] == [("website", False)]


def test_a_mapping_json_cannot_hold_is_refused_at_once_naming_the_input() -> None:
    import datetime

    with pytest.raises(ValueError, match="holds a value JSON cannot") as caught:
        FlexChannel.registration(**channel_inputs(pre_engagement_data={"when": datetime.date(2026, 1, 1)}))
    assert str(caught.value) == ("FlexChannel '': pre_engagement_data holds a value JSON cannot: Object of type date "
                                 "is not JSON serializable")


@pytest.mark.parametrize(("call", "message"), [
    (lambda: FlexChannel.registration(**channel_inputs(flex_flow_sid="FO" + "1" * 31)),
     "FlexChannel '': flex_flow_sid must be an FO SID: 'FO' and 32 hex digits (pattern ^FO[0-9a-fA-F]{32}$); found "
     "'FO' and 31 hex digits"),
    (lambda: FlexChannel.registration(**channel_inputs(task_sid="WT1", long_lived="yes", import_sid="CH1")),
     "FlexChannel '': task_sid must be a WT SID: 'WT' and 32 hex digits (pattern ^WT[0-9a-fA-F]{32}$); found 'WT' "
     "and 1 hex digit; long_lived must be true or false, not the string 'yes'; import_sid must be the SID of an "
     "existing channel: 'CH' and 32 hex digits; found 'CH' and 1 hex digit"),
    (lambda: FlexFlow.registration(**FLOW_INPUTS, integration=FlexFlowIntegrationArgs(flow_sid="FW1")),
     "FlexFlow '': integration.flow_sid must be an FW SID: 'FW' and 32 hex digits (pattern ^FW[0-9a-fA-F]{32}$); "
     "found 'FW' and 1 hex digit"),
    (lambda: FlexFlow.registration(**FLOW_INPUTS, integration={"flow_sd": "FW" + "1" * 32}),
     "FlexFlow '': integration.flow_sd is not a key of integration; did you mean 'flow_sid'?"),
])
def test_a_known_bad_value_is_refused_at_construction(call: typing.Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=r"^Flex(Channel|Flow) '': ") as caught:
        call()
    assert str(caught.value) == message


def test_a_malformed_sid_stops_the_program_at_the_line_that_declares_it(tmp_path: Path) -> None:
    """Under Pulumi's mocks, as in `pulumi preview`: the program stops there, so nothing reaches the provider."""
    with pytest.raises(ValueError, match=r"^FlexChannel 'web': ") as caught:
        run_program("dev", program=program(tmp_path, f"""
FlexFlow("web-chat", friendly_name="Web", chat_service_sid="IS{'1' * 32}", channel_type="web")
FlexChannel("web", flex_flow_sid="FO123", identity="w", chat_user_friendly_name="u", chat_friendly_name="c")
"""))
    assert str(caught.value) == ("FlexChannel 'web': flex_flow_sid must be an FO SID: 'FO' and 32 hex digits (pattern "
                                 "^FO[0-9a-fA-F]{32}$); found 'FO' and 3 hex digits")
    [in_program] = [entry for entry in caught.traceback if entry.path == tmp_path / "__main__.py"]
    assert str(in_program.statement).startswith('FlexChannel("web", flex_flow_sid="FO123"')


def test_a_value_that_is_an_output_is_left_to_the_preview(tmp_path: Path) -> None:
    run = run_program("dev", program=program(tmp_path, """
flow_sid = pulumi.Output.from_input("not known until the flow exists")
FlexChannel("web", flex_flow_sid=flow_sid, identity="w", chat_user_friendly_name="u", chat_friendly_name="c")
"""))
    assert [r.name for r in run.registrations] == ["web"]
