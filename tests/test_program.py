"""`__main__.py` under Pulumi's mocks: what it declares for each stack, and how it refuses bad files."""

from __future__ import annotations

from pathlib import Path

import pulumi
import pytest

from tests.pulumi_mocks import ProgramRun, run_program

TYPE = "pulumi-python:dynamic/flex:FlexChannel"
FLOW_TYPE = "pulumi-python:dynamic/flex:FlexFlow"
ADDRESS_TYPE = "pulumi-python:dynamic/conversations:AddressConfiguration"


def test_dev_stack_declares_its_flow_then_the_channels_that_name_it_and_an_address_beside_them() -> None:
    run = run_program("dev")
    # The mock monitor registers on a thread pool, so only dependencies order registrations: the flow before
    # its channels.
    legacy = [(r.name, r.type) for r in run.registrations if r.type != ADDRESS_TYPE]
    assert legacy[0] == ("web-chat", FLOW_TYPE)
    assert sorted(legacy[1:]) == [("billing", TYPE), ("web-support", TYPE)]
    assert [(r.name, r.type) for r in run.registrations if r.type == ADDRESS_TYPE] == [("support-sms", ADDRESS_TYPE)]
    assert run.inputs("support-sms") == {
        "type": "sms", "address": "+15550100001", "friendly_name": "Dev support SMS",
        "auto_creation": {"enabled": True, "type": "studio", "studio_flow_sid": "FW00000000000000000000000000000002"}}
    assert run.inputs("web-chat") == {
        "friendly_name": "Dev web chat", "chat_service_sid": "IS00000000000000000000000000000001",
        "channel_type": "web", "integration_type": "studio", "enabled": True,
        "integration": {"flow_sid": "FW00000000000000000000000000000001"}}
    flow_sid = run.exports["flex_flows"]["web-chat"]["sid"]
    assert flow_sid.startswith("FO")
    for channel in ("web-support", "billing"):
        assert run.inputs(channel)["flex_flow_sid"] == flow_sid
        request = run.by_name()[channel]
        assert list(request.propertyDependencies["flex_flow_sid"].urns) == [run.urn("web-chat")]
    assert run.inputs("web-support") == {
        "flex_flow_sid": flow_sid, "identity": "web-support-bot",
        "chat_user_friendly_name": "Web visitor", "chat_friendly_name": "Web support",
        "chat_unique_name": "dev-web-support", "long_lived": True,
        "pre_engagement_data": '{"friendlyName":"Web visitor","question":"How can we help?"}',
    }
    assert run.inputs("billing")["task_attributes"] == '{"priority":2,"team":"billing"}'
    assert run.inputs("billing")["target"] == "+15005550006"
    web = run.exports["channels"]["web-support"]
    assert set(web) == {"sid", "user_sid", "task_sid", "url"}
    assert web["sid"].startswith("CH")
    assert web["url"].endswith(web["sid"])


def test_prod_stack_passes_protect_retain_import_and_aliases() -> None:
    run = run_program("prod")
    by_name = run.by_name()
    assert all(r.protect for r in run.registrations)
    assert [(a.spec.name, a.spec.type, a.spec.noParent) for a in by_name["web-support"].aliases] == [
        ("", "flex:index:FlexChannel", False), ("website", "", False)], "its native type, then its former name"
    [component] = run.components
    assert (component.type, component.name) == ("flex-channels:index:FlexChannelStack", "stack-file")
    assert all(r.parent == run.component_urn for r in run.registrations)
    assert by_name["vip"].retainOnDelete is True
    assert run.inputs("vip")["import_sid"] == "CH00000000000000000000000000000003"
    assert "import_sid" not in run.inputs("billing")
    assert by_name["billing"].retainOnDelete is False
    assert [r.importId for r in run.registrations] == ["", "", ""], "import_ fails for dynamic providers (#16175)"


def test_every_example_stack_runs() -> None:
    counts = {stack: len(run_program(stack).registrations) for stack in ("dev", "staging", "prod")}
    assert counts == {"dev": 4, "staging": 3, "prod": 3}


def test_serialized_provider_is_small_and_plain_in_every_registration() -> None:
    run = run_program("staging")
    for request in run.registrations:
        provider = pulumi.runtime.rpc.deserialize_properties(request.object)["__provider"]
        assert isinstance(provider, str), "it would be stored as a secret"
        assert len(provider) <= 200


def test_stack_file_config_overrides_the_stack_name() -> None:
    run = run_program("anything", {"flex:stackFile": "stacks/staging.yaml"})
    assert sorted(r.name for r in run.registrations) == ["billing", "vip", "web-support"]


def test_a_bad_stack_file_stops_the_run_before_any_resource(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("channels:\n  web:\n    identity: 7\n    flex_flow_sid: FO1\n")
    registrations: list[object] = []
    with pytest.raises(pulumi.RunError) as caught:
        registrations = run_program("dev", {"flex:stackFile": str(bad)}).registrations
    assert str(caught.value).splitlines() == [
        "4 problems in stack file:",
        f"  {bad}:2:3: channels.web.chat_user_friendly_name: is required (set it on the channel or in `defaults:`)",
        f"  {bad}:2:3: channels.web.chat_friendly_name: is required (set it on the channel or in `defaults:`)",
        f"  {bad}:3:15: channels.web.identity: must be a string, not the number 7; quote it to make it a string",
        f"  {bad}:4:20: channels.web.flex_flow_sid: must be an FO SID: 'FO' and 32 hex digits "
        "(pattern ^FO[0-9a-fA-F]{32}$); found 'FO' and 1 hex digit",
    ]
    assert registrations == []


def test_json_python_parses_but_json_has_not_stops_the_run_cleanly(tmp_path: Path) -> None:
    """`load_stack_file` raised ValueError and RecursionError out of the program for these."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"defaults:\n  flex_flow_sid: FO{'1' * 32}\n  chat_user_friendly_name: U\n  chat_friendly_name: C\n"
                   "channels:\n  a:\n    identity: a\n    pre_engagement_data: '{\"x\": NaN}'\n"
                   "  b:\n    identity: b\n    task_attributes: '" + "[" * 100_000 + "]" * 100_000 + "'\n"
                   "  c:\n    identity: c\n    task_attributes: {x: .inf}\n")
    with pytest.raises(pulumi.RunError) as caught:
        run_program("dev", {"flex:stackFile": str(bad)})
    assert str(caught.value).splitlines() == [
        "3 problems in stack file:",
        f"  {bad}:8:26: channels.a.pre_engagement_data: is not valid JSON: NaN is not a JSON number",
        f"  {bad}:11:22: channels.b.task_attributes: is not valid JSON: nests 100000 levels deep; at most 64 are "
        "allowed",
        f"  {bad}:14:26: channels.c.task_attributes.x: is not a JSON number: '.inf' (JSON has no NaN or infinity)",
    ]


def test_a_python_program_gets_a_clear_error_for_a_mapping_that_is_not_json(tmp_path: Path) -> None:
    """NaN, or nesting deep enough to crash Pulumi's serializer, are refused before anything is registered."""
    program = tmp_path / "__main__.py"
    for value, reason in (("{'a': float('nan')}", "holds NaN or an infinity, which JSON has no number for"),
                          ("deep", "nests too deeply; at most 64 levels are allowed")):
        program.write_text(
            "from flex_provider import FlexChannel\n"
            "deep = {}\n"
            "for _ in range(100_000):\n"
            "    deep = {'a': deep}\n"
            "FlexChannel('c', flex_flow_sid='FO' + '1' * 32, identity='i', chat_user_friendly_name='u',"
            f" chat_friendly_name='c', pre_engagement_data={value})\n"
        )
        with pytest.raises(ValueError, match=r"^FlexChannel 'c': pre_engagement_data ") as caught:
            run_program("dev", program=program)
        assert str(caught.value) == f"FlexChannel 'c': pre_engagement_data {reason}"


def test_a_stack_without_a_file_says_how_to_make_one() -> None:
    with pytest.raises(pulumi.RunError) as caught:
        run_program("qa")
    assert str(caught.value) == (
        "no stack file for stack 'qa': stacks/qa.yaml does not exist. Create it (stacks/dev.yaml is a worked "
        "example) or point `pulumi config set flex:stackFile <path>` at another file.")




def test_mappings_become_canonical_json_before_they_cross_grpc(tmp_path: Path) -> None:
    """A mapping sent as-is would arrive with every number a double (protobuf Struct)."""
    program = tmp_path / "__main__.py"
    program.write_text(
        "from flex_provider import FlexChannel, FlexChannelArgs\n"
        "FlexChannel('c', FlexChannelArgs(flex_flow_sid='FO' + '1' * 32, identity='i', chat_user_friendly_name='u',"
        " chat_friendly_name='c', pre_engagement_data={'n': 2, 'a': [1.5, True]}))\n"
    )
    run: ProgramRun = run_program("dev", program=program)
    assert run.inputs("c")["pre_engagement_data"] == '{"a":[1.5,true],"n":2}'


def test_more_channels_than_pulumi_can_pickle_providers_for(tmp_path: Path) -> None:
    """pulumi.dynamic.Resource re-pickles per resource and fails near 985 (RecursionError); we pickle once."""
    stack = tmp_path / "big.yaml"
    channels = "".join(f"  c{i}:\n    identity: id{i}\n" for i in range(1200))
    stack.write_text(f"defaults:\n  flex_flow_sid: FO{'1' * 32}\n  chat_user_friendly_name: U\n"
                     f"  chat_friendly_name: C\nchannels:\n{channels}")
    run = run_program("dev", {"flex:stackFile": str(stack)})
    assert len(run.registrations) == 1200
    assert len(run.exports["channels"]) == 1200


def test_provider_value_is_the_one_pulumi_dynamic_resource_would_store() -> None:
    from flex_provider.provider import FlexChannelProvider
    from tests.engine import provider_as_resource_stores_it

    run = run_program("staging")
    values = {pulumi.runtime.rpc.deserialize_properties(r.object)["__provider"] for r in run.registrations}
    assert values == {provider_as_resource_stores_it(FlexChannelProvider())}
