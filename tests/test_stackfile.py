"""Stack files: the examples load; every bad file gets every problem, exactly, with its place."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import jsonschema
import pytest
import yaml

from flex_provider.declaration import Link
from flex_provider.declarations import CHANNEL, FLEX_FLOW
from flex_provider.options import Options
from flex_provider.stackfile import (
    MAX_BYTES,
    StackFileError,
    check_stack_file,
    iter_stack_files,
    load_stack_file,
)
from flex_provider.stackfile_schema import SCHEMA_FILE, build_schema
from tests.support import ROOT

FLOW = "FO" + "1" * 32


def problems(tmp_path: Path, text: str | bytes) -> list[str]:
    path = tmp_path / "stack.yaml"
    if isinstance(text, str):
        path.write_text(text)
    else:
        path.write_bytes(text)
    stack, found = check_stack_file(path, "stacks/dev.yaml")
    assert (stack is None) == bool(found)
    return [str(p) for p in found]


def test_example_stacks_load() -> None:
    files = list(iter_stack_files(ROOT / "stacks"))
    assert [f.name for f in files] == ["dev.yaml", "prod.yaml", "staging.yaml"]
    prod = load_stack_file(ROOT / "stacks" / "prod.yaml")
    vip = {c.name: c for c in prod.of(CHANNEL)}["vip"]
    assert vip.options == Options(protect=True, retain_on_delete=True, import_id="CH00000000000000000000000000000003")
    assert vip.inputs["long_lived"] is True


def test_a_channel_names_its_flow_and_its_own_sid_wins_over_the_defaults_name(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(textwrap.dedent(f"""\
        flex_flow_defaults:
          chat_service_sid: IS{'1' * 32}
          channel_type: web
        flex_flows:
          web-chat: {{friendly_name: Web, integration: {{flow_sid: FW{'2' * 32}, retry_count: 2}}}}
        defaults: {{flex_flow: web-chat, chat_user_friendly_name: V, chat_friendly_name: S}}
        channels:
          a: {{identity: a}}
          b: {{identity: b, flex_flow_sid: {FLOW}}}
    """))
    stack = load_stack_file(path)
    [flow] = stack.of(FLEX_FLOW)
    assert dict(flow.inputs) == {"friendly_name": "Web", "chat_service_sid": "IS" + "1" * 32, "channel_type": "web",
                                 "integration": {"flow_sid": "FW" + "2" * 32, "retry_count": 2}}
    channels = {c.name: c.inputs["flex_flow_sid"] for c in stack.of(CHANNEL)}
    assert channels == {"a": Link("flex_flows", "web-chat", "id"), "b": FLOW}
    assert stack.summary() == "1 flow, 2 channels"


def test_defaults_merge_and_channel_values_win(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(textwrap.dedent(f"""\
        defaults:
          flex_flow_sid: {FLOW}
          chat_user_friendly_name: Visitor
          long_lived: false
          protect: true
        channels:
          a:
            identity: a
            chat_friendly_name: A
            long_lived: true
            task_attributes: {{b: [1, 2.5], a: {{x: null}}}}
          b:
            identity: b
            chat_friendly_name: B
            protect: false
            aliases: [old-b, "urn:pulumi:dev::flex-channels::pulumi-python:dynamic/flex:FlexChannel::bee"]
    """))
    channels = {c.name: c for c in load_stack_file(path).of(CHANNEL)}
    assert dict(channels["a"].inputs) == {"flex_flow_sid": FLOW, "chat_user_friendly_name": "Visitor",
                                          "identity": "a", "chat_friendly_name": "A", "long_lived": True,
                                          "task_attributes": '{"a":{"x":null},"b":[1,2.5]}'}
    assert channels["a"].options.protect is True
    assert channels["b"].inputs["long_lived"] is False
    assert channels["b"].options.protect is False
    assert channels["b"].options.aliases[0] == "old-b"
    assert (channels["a"].line, channels["b"].line) == (7, 12)


CH_A = "CH" + "a" * 32
BAD_FILES = {
    "unknown keys with suggestions": (f"""\
defualts: {{}}
channels:
  web:
    flex_flow_sid: {FLOW}
    identity: bot
    chat_user_friendly_name: Visitor
    chat_friendly_name: Support
    chat_unqiue_name: x
    colour: blue
""", [
        "stacks/dev.yaml:1:1: defualts: is not a known key; did you mean 'defaults'?",
        "stacks/dev.yaml:8:5: channels.web.chat_unqiue_name: is not a known key; did you mean 'chat_unique_name'?",
        "stacks/dev.yaml:9:5: channels.web.colour: is not a known key; known keys: flex_flow_sid, flex_flow, identity, "
        "chat_user_friendly_name, chat_friendly_name, target, chat_unique_name, pre_engagement_data, task_sid, "
        "task_attributes, long_lived, protect, retain_on_delete, import, aliases",
    ]),
    "wrong types": (f"""\
channels:
  web:
    flex_flow_sid: {FLOW}
    identity: 12345
    chat_user_friendly_name: yes
    chat_friendly_name: [a, b]
    long_lived: "true"
    protect: 1
    pre_engagement_data: 3
    aliases: web-old
""", [
        "stacks/dev.yaml:4:15: channels.web.identity: must be a string, not the number 12345; quote it to make it "
        "a string",
        "stacks/dev.yaml:5:30: channels.web.chat_user_friendly_name: must be a string, not the boolean true; "
        "quote it to make it a string",
        "stacks/dev.yaml:6:25: channels.web.chat_friendly_name: must be a string, not a list or mapping",
        "stacks/dev.yaml:7:17: channels.web.long_lived: must be true or false, not the string 'true'",
        "stacks/dev.yaml:8:14: channels.web.protect: must be true or false",
        "stacks/dev.yaml:9:26: channels.web.pre_engagement_data: must be a mapping or a JSON string, not the number 3",
        "stacks/dev.yaml:10:14: channels.web.aliases: must be a list of former channel names (or URNs)",
    ]),
    "required fields missing after defaults": ("""\
defaults:
  chat_user_friendly_name: Visitor
channels:
  web:
    identity: bot
""", [
        "stacks/dev.yaml:4:3: channels.web.flex_flow_sid: is required (set it or flex_flow on the channel or in "
        "`defaults:`)",
        "stacks/dev.yaml:4:3: channels.web.chat_friendly_name: is required (set it on the channel or in `defaults:`)",
    ]),
    "SIDs and JSON": (f"""\
defaults:
  chat_user_friendly_name: Visitor
  chat_friendly_name: Support
channels:
  web:
    flex_flow_sid: {FLOW}
    identity: bot
    task_sid: WT123
    task_attributes: '{{"a": }}'
    import: CHxyz
  mobile:
    flex_flow_sid: FOzz
    identity: app
""", [
        "stacks/dev.yaml:8:15: channels.web.task_sid: must be a WT SID: 'WT' and 32 hex digits "
        "(pattern ^WT[0-9a-fA-F]{32}$); found 'WT' and 3 hex digits",
        "stacks/dev.yaml:9:22: channels.web.task_attributes: is not valid JSON: Expecting value: line 1 column 7 "
        "(char 6)",
        "stacks/dev.yaml:10:13: channels.web.import: must be the SID of an existing channel: 'CH' and 32 hex digits; "
        "found 'CH' and 3 characters, 0 of them hex digits",
        "stacks/dev.yaml:12:20: channels.mobile.flex_flow_sid: must be an FO SID: 'FO' and 32 hex digits "
        "(pattern ^FO[0-9a-fA-F]{32}$); found 'FO' and 2 characters, 0 of them hex digits",
    ]),
    "duplicates within the file": (f"""\
defaults:
  flex_flow_sid: {FLOW}
  chat_user_friendly_name: Visitor
  chat_friendly_name: Support
channels:
  web:
    identity: bot
    chat_unique_name: support
    import: {CH_A}
  web:
    identity: other
  mobile:
    identity: bot
    chat_unique_name: support
    import: {CH_A}
""", [
        "stacks/dev.yaml:10:3: channels.web: is defined twice (first on line 6)",
        "stacks/dev.yaml:13:15: channels.mobile.identity: channel 'web' has the same flex_flow_sid and identity; "
        "Flex would hand back that channel instead of creating a second one",
        "stacks/dev.yaml:14:23: channels.mobile.chat_unique_name: 'support' is already the unique name of channel "
        "'web'; unique names must differ within the account",
        f"stacks/dev.yaml:15:13: channels.mobile.import: channel 'web' already imports {CH_A!r}",
    ]),
    "bad channel names": (f"""\
defaults:
  flex_flow_sid: {FLOW}
  chat_user_friendly_name: Visitor
  chat_friendly_name: Support
channels:
  "web support":
    identity: a
  42:
    identity: b
""", [
        "stacks/dev.yaml:6:3: channels.web support: channel names become Pulumi resource names: start with a "
        "letter or digit, then letters, digits, '.', '_' or '-' (100 at most)",
        "stacks/dev.yaml:8:3: channels: keys must be plain strings, not the int '42'",
    ]),
    "no resources": ("defaults: {}\n", [
        "stacks/dev.yaml:1:1: (file): declares no resources: add a section (`flex_flows:`, `channels:`, "
        "`addresses:`)"]),
    "a list where a mapping belongs": ("channels:\n  - web\n", [
        "stacks/dev.yaml:2:3: channels: must be a mapping from channel name to its fields, not a list"]),
    "a list at the top": ("- channels\n", [
        "stacks/dev.yaml:1:1: (file): expected a mapping of sections (`flex_flows:`, `channels:`, `addresses:`, each "
        "with optional defaults), not a list"]),
    "channel given as a string": ("channels:\n  web: yes\n", [
        "stacks/dev.yaml:2:8: channels.web: must be a mapping of channel fields, not the bool 'yes'"]),
    "empty file": ("# nothing here\n", [
        "stacks/dev.yaml:1:1: (file): is empty; expected a mapping of sections (`flex_flows:`, `channels:`, "
        "`addresses:`)"]),
    "tabs": ("channels:\n\tweb: {}\n", [
        "stacks/dev.yaml:2:1: (yaml): a tab character; YAML indentation must use spaces"]),
    "syntax error": ("channels:\n  web: {identity: [}\n", [
        "stacks/dev.yaml:2:20: (yaml): invalid YAML: while parsing a flow node, did not find expected node content"]),
    "two documents": ("channels: {}\n---\nchannels: {}\n", [
        "stacks/dev.yaml:2:1: (yaml): invalid YAML: expected a single document in the stream, but found another "
        "document"]),
    "object-constructing tags": (f"""\
channels:
  web:
    flex_flow_sid: {FLOW}
    identity: !!python/object/apply:os.system ["echo pwned"]
    chat_user_friendly_name: Visitor
    chat_friendly_name: Support
""", ["stacks/dev.yaml:4:15: channels.web.identity: the YAML tag !!python/object/apply:os.system is not "
          "allowed; only plain strings, numbers, booleans, mappings and lists"]),
    "flows and references": (f"""\
flex_flows:
  web-chat:
    friendly_name: Web
    chat_service_sid: IS{'1' * 32}
    channel_type: fax
    integration: {{flow_sid: FW1, colour: red, timeout: 1.5}}
defaults:
  chat_user_friendly_name: V
  chat_friendly_name: S
channels:
  a:
    identity: a
    flex_flow: nope
  b:
    identity: b
    flex_flow: web-chat
    flex_flow_sid: {FLOW}
  c:
    identity: c
  d:
    identity: d
    flex_flow: [web-chat]
""", [
        "stacks/dev.yaml:5:19: flex_flows.web-chat.channel_type: must be one of web, sms, facebook, whatsapp, line, "
        "custom; not 'fax'",
        "stacks/dev.yaml:6:29: flex_flows.web-chat.integration.flow_sid: must be an FW SID: 'FW' and 32 hex digits "
        "(pattern ^FW[0-9a-fA-F]{32}$); found 'FW' and 1 hex digit",
        "stacks/dev.yaml:6:34: flex_flows.web-chat.integration.colour: is not a known key; known keys: flow_sid, url, "
        "workspace_sid, workflow_sid, channel, timeout, priority, creation_on_message, retry_count",
        "stacks/dev.yaml:6:56: flex_flows.web-chat.integration.timeout: must be a whole number, not the number 1.5",
        "stacks/dev.yaml:13:16: channels.a.flex_flow: names no flow of this file: 'nope' (declared: web-chat)",
        "stacks/dev.yaml:16:16: channels.b.flex_flow: give flex_flow or flex_flow_sid, not both",
        "stacks/dev.yaml:18:3: channels.c.flex_flow_sid: is required (set it or flex_flow on the channel or in "
        "`defaults:`)",
        "stacks/dev.yaml:22:16: channels.d.flex_flow: must be the name of a flow in `flex_flows:` (or give "
        "flex_flow_sid instead)",
    ]),
    "one flow per channel name and identity, by reference too": (f"""\
flex_flow_defaults:
  chat_service_sid: IS{'1' * 32}
  channel_type: web
flex_flows:
  web-chat:
    friendly_name: Web
defaults:
  flex_flow: web-chat
  chat_user_friendly_name: V
  chat_friendly_name: S
channels:
  a:
    identity: a
  b:
    identity: a
""", ["stacks/dev.yaml:15:15: channels.b.identity: channel 'a' has the same flex_flow_sid and identity; Flex would "
      "hand back that channel instead of creating a second one"]),
    "a problem in the defaults is reported once, at its line, naming whom it holds for": (f"""\
flex_flow_defaults:
  chat_service_sid: IS{'1' * 32}
  integration_type: studio
flex_flows:
  a:
    friendly_name: A
    channel_type: web
  b:
    friendly_name: B
    channel_type: web
  c:
    friendly_name: C
    channel_type: web
    integration: {{flow_sid: FW{'1' * 32}}}
defaults:
  flex_flow: nope
  chat_unique_name: same
  chat_user_friendly_name: V
  chat_friendly_name: S
channels:
  web:
    identity: web
  mobile:
    identity: m
  kiosk:
    identity: k
""", [
        "stacks/dev.yaml:3:21: flex_flow_defaults.integration.flow_sid: is required when integration_type is studio "
        "(for 2 flows: a, b)",
        "stacks/dev.yaml:16:14: defaults.flex_flow: names no flow of this file: 'nope' (declared: a, b, c) (for 3 "
        "channels: web, mobile, kiosk)",
        "stacks/dev.yaml:17:21: defaults.chat_unique_name: 'same' is already the unique name of channel 'web'; unique "
        "names must differ within the account (for 2 channels: mobile, kiosk)",
    ]),
    "a misspelt key: the cause first, then what it causes, at the misspelling": (f"""\
channels:
  web:
    flex_flow_sid: {FLOW}
    identty: web
    chat_user_friendly_name: V
    chat_friendly_name: S
""", [
        "stacks/dev.yaml:4:5: channels.web.identty: is not a known key; did you mean 'identity'?",
        "stacks/dev.yaml:4:5: channels.web.identity: is required (set it on the channel or in `defaults:`)",
    ]),
    "a misspelt key in the defaults: the cause, then what it causes, once": (f"""\
channels:
  web:
    identity: web
  mobile:
    identity: m
    chat_user_friendly_name: Own
defaults:
  flex_flow_sid: {FLOW}
  chat_user_friendly_nam: V
  chat_friendly_name: S
""", [
        "stacks/dev.yaml:9:3: defaults.chat_user_friendly_nam: is not a known key; did you mean "
        "'chat_user_friendly_name'?",
        "stacks/dev.yaml:9:3: defaults.chat_user_friendly_name: is required (set it on the channel or in "
        "`defaults:`) (for 1 channel: web)",
    ]),
    "a misspelt defaults section: the cause, then what it causes, once": (f"""\
channels:
  web:
    identity: web
  mobile:
    identity: m
defualts:
  flex_flow_sid: {FLOW}
  chat_user_friendly_name: V
  chat_friendly_name: S
""", [
        "stacks/dev.yaml:6:1: defualts: is not a known key; did you mean 'defaults'?",
        "stacks/dev.yaml:6:1: defaults.flex_flow_sid: is required (set it or flex_flow on the channel or in "
        "`defaults:`) (for 2 channels: web, mobile)",
        "stacks/dev.yaml:6:1: defaults.chat_user_friendly_name: is required (set it on the channel or in "
        "`defaults:`) (for 2 channels: web, mobile)",
        "stacks/dev.yaml:6:1: defaults.chat_friendly_name: is required (set it on the channel or in `defaults:`) "
        "(for 2 channels: web, mobile)",
    ]),
    "a misspelt integration key: the cause, then what it causes": (f"""\
flex_flow_defaults:
  chat_service_sid: IS{'1' * 32}
  channel_type: web
  integration:
    flow_sd: FW{'1' * 32}
flex_flows:
  web:
    friendly_name: Web
    integration_type: studio
  sms:
    friendly_name: SMS
    integration_type: studio
    integration:
      flow_sd: FW{'1' * 32}
""", [
        "stacks/dev.yaml:5:5: flex_flow_defaults.integration.flow_sd: is not a known key; did you mean 'flow_sid'?",
        "stacks/dev.yaml:5:5: flex_flow_defaults.integration.flow_sid: is required when integration_type is studio "
        "(for 1 flow: web)",
        "stacks/dev.yaml:14:7: flex_flows.sms.integration.flow_sd: is not a known key; did you mean 'flow_sid'?",
    ]),
    "anchors and aliases": (f"""\
channels:
  web: &base
    flex_flow_sid: {FLOW}
    identity: bot
    chat_user_friendly_name: Visitor
    chat_friendly_name: Support
  mobile: *base
""", ["stacks/dev.yaml:7:11: channels.mobile: anchors and aliases are not supported; put shared values in "
          "`defaults:`"]),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_file_reports_every_problem_exactly(tmp_path: Path, case: str) -> None:
    text, expected = BAD_FILES[case]
    assert problems(tmp_path, text) == expected


def test_load_raises_one_error_listing_all_problems(tmp_path: Path) -> None:
    path = tmp_path / "dev.yaml"
    path.write_text("channels:\n  web:\n    identity: 1\n")
    with pytest.raises(StackFileError) as caught:
        load_stack_file(path, "stacks/dev.yaml")
    assert str(caught.value).splitlines()[0] == "4 problems in stack file:"
    assert len(caught.value.problems) == 4


def test_non_utf8_bytes_are_located(tmp_path: Path) -> None:
    assert problems(tmp_path, b"channels:\n  web:\n    identity: caf\xe9\n") == [
        "stacks/dev.yaml:3:18: (file): is not UTF-8 text (byte 0xe9); save it as UTF-8"]


def test_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    """Nine levels of nine aliases would be 387 million values if anything expanded them."""
    lines = ["      a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"      a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    bomb = (f"channels:\n  web:\n    flex_flow_sid: {FLOW}\n    identity: bot\n    chat_user_friendly_name: V\n"
            "    chat_friendly_name: S\n    pre_engagement_data:\n" + "\n".join(lines) + "\n")
    started = time.monotonic()
    found = problems(tmp_path, bomb)
    assert time.monotonic() - started < 5, "the walk expanded the aliases"
    assert found[0] == ("stacks/dev.yaml:9:16: channels.web.pre_engagement_data.a1[0]: anchors and aliases are "
                        "not supported; put shared values in `defaults:`")


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "stack.yaml"
    with path.open("wb") as handle:
        handle.truncate(MAX_BYTES + 1)
    assert [str(p) for p in check_stack_file(path, "big.yaml")[1]] == [
        "big.yaml:1:1: (file): is 16,777,217 bytes; stack files are limited to 16,777,216 bytes (16 MiB)"]


def test_deep_nesting_is_an_error_not_a_crash(tmp_path: Path) -> None:
    found = problems(tmp_path, "channels: " + "[" * 5000 + "]" * 5000 + "\n")
    assert found == ["stacks/dev.yaml:1:1010: (yaml): invalid YAML: while increasing flow level, exceeded maximum "
                     "nesting depth"]


def test_shipped_schema_is_the_built_one() -> None:
    shipped = json.loads((ROOT / "flex_provider" / SCHEMA_FILE).read_text())
    assert shipped == build_schema()


def test_schema_and_validator_agree_on_the_examples_and_the_bad_corpus(tmp_path: Path) -> None:
    validator = jsonschema.Draft202012Validator(build_schema())
    for path in iter_stack_files(ROOT / "stacks"):
        assert list(validator.iter_errors(yaml.safe_load(path.read_text()))) == [], path
    schema_catches = ["unknown keys with suggestions", "wrong types", "SIDs and JSON", "bad channel names",
                      "flows and references",
                      "no resources", "a list where a mapping belongs", "a list at the top",
                      "channel given as a string"]
    for case in schema_catches:
        data = yaml.safe_load(BAD_FILES[case][0])
        assert list(validator.iter_errors(data)), case


def test_validate_command_exit_codes(tmp_path: Path) -> None:
    ok = subprocess.run([sys.executable, "-m", "flex_provider", "validate"], cwd=ROOT, capture_output=True, text=True)
    assert ok.returncode == 0
    assert ok.stdout.splitlines() == ["stacks/dev.yaml: 1 flow, 2 channels, 1 address, valid",
                                      "stacks/prod.yaml: 3 channels, valid", "stacks/staging.yaml: 3 channels, valid"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("channels:\n  web:\n    identity: [x]\n")
    failed = subprocess.run([sys.executable, "-m", "flex_provider", "validate", str(bad)], cwd=ROOT,
                            capture_output=True, text=True)
    assert failed.returncode == 1
    assert failed.stdout.splitlines()[0] == f"{bad}:2:3: channels.web.flex_flow_sid: is required (set it or " \
                                            "flex_flow on the channel or in `defaults:`)"
    assert failed.stderr == "validate: 1 of 1 stack files have problems\n"
    assert "Traceback" not in failed.stdout + failed.stderr


CHANNEL_HEAD = f"""\
channels:
  web:
    flex_flow_sid: {FLOW}
    identity: bot
    chat_user_friendly_name: Visitor
    chat_friendly_name: Support
"""


@pytest.mark.parametrize(("value", "message"), [
    ('{"a": NaN}', "is not valid JSON: NaN is not a JSON number"),
    ('{"a": -Infinity}', "is not valid JSON: -Infinity is not a JSON number"),
    ('{"a": 1e400}', "is not valid JSON: the number 1e400 is too large for JSON"),
    ("[" * 100_000 + "]" * 100_000, "is not valid JSON: nests 100000 levels deep; at most 64 are allowed"),
])
def test_json_strings_python_takes_but_json_does_not_are_located_problems(tmp_path: Path, value: str,
                                                                          message: str) -> None:
    assert problems(tmp_path, CHANNEL_HEAD + f"    pre_engagement_data: '{value}'\n") == [
        f"stacks/dev.yaml:7:26: channels.web.pre_engagement_data: {message}"]


def test_nan_and_infinity_in_a_yaml_mapping_are_refused_where_they_are(tmp_path: Path) -> None:
    text = CHANNEL_HEAD + "    pre_engagement_data: {a: .nan}\n    task_attributes:\n      b: [1, -.inf]\n"
    assert problems(tmp_path, text) == [
        "stacks/dev.yaml:7:30: channels.web.pre_engagement_data.a: is not a JSON number: '.nan' (JSON has no NaN or "
        "infinity)",
        "stacks/dev.yaml:9:14: channels.web.task_attributes.b[1]: is not a JSON number: '-.inf' (JSON has no NaN or "
        "infinity)",
    ]


@pytest.mark.parametrize("levels", [65, 900])
def test_deep_block_nesting_is_refused_at_the_level_too_deep(tmp_path: Path, levels: int) -> None:
    """900 levels is within libyaml's limit of 1000, and more than a recursive walk survives."""
    nested = "".join("  " * (depth + 3) + "k:\n" for depth in range(levels)) + "  " * (levels + 3) + "v\n"
    assert problems(tmp_path, CHANNEL_HEAD + "    pre_engagement_data:\n" + nested) == [
        "stacks/dev.yaml:72:135: channels.web.pre_engagement_data: nests too deeply; at most 64 levels are allowed"]


def test_deep_flow_nesting_in_an_option_is_refused(tmp_path: Path) -> None:
    assert problems(tmp_path, CHANNEL_HEAD + "    aliases: " + "[" * 900 + "]" * 900 + "\n") == [
        "stacks/dev.yaml:7:78: channels.web.aliases: nests too deeply; at most 64 levels are allowed"]


def test_a_trailing_newline_passes_no_sid_or_name_check(tmp_path: Path) -> None:
    """Python's `$` matches before a final newline; every pattern here must match the whole value."""
    text = f"""\
defaults:
  chat_user_friendly_name: Visitor
  chat_friendly_name: Support
channels:
  web:
    flex_flow_sid: "{FLOW}\\n"
    identity: a
    task_sid: "WT{"a" * 32}\\n"
    import: "CH{"b" * 32}\\n"
  "mobile\\n":
    flex_flow_sid: {FLOW}
    identity: b
"""
    assert problems(tmp_path, text) == [
        "stacks/dev.yaml:6:20: channels.web.flex_flow_sid: must be an FO SID: 'FO' and 32 hex digits "
        "(pattern ^FO[0-9a-fA-F]{32}$); found 'FO' and 33 characters, 32 of them hex digits",
        "stacks/dev.yaml:8:15: channels.web.task_sid: must be a WT SID: 'WT' and 32 hex digits "
        "(pattern ^WT[0-9a-fA-F]{32}$); found 'WT' and 33 characters, 32 of them hex digits",
        "stacks/dev.yaml:9:13: channels.web.import: must be the SID of an existing channel: 'CH' and 32 hex digits; "
        "found 'CH' and 33 characters, 32 of them hex digits",
        "stacks/dev.yaml:10:3: channels.'mobile\\n': channel names become Pulumi resource names: start with a letter "
        "or digit, then letters, digits, '.', '_' or '-' (100 at most)",
    ]


def test_the_shipped_schema_refuses_a_trailing_newline_too() -> None:
    validator = jsonschema.Draft202012Validator(json.loads((ROOT / "flex_provider" / SCHEMA_FILE).read_text()))
    good = {"flex_flow_sid": FLOW, "identity": "a", "chat_user_friendly_name": "V", "chat_friendly_name": "S",
            "task_sid": "WT" + "a" * 32, "import": "CH" + "b" * 32}
    assert list(validator.iter_errors({"channels": {"web": good}})) == []
    for key in ("flex_flow_sid", "task_sid", "import"):
        bad = {"channels": {"web": {**good, key: good[key] + "\n"}}}
        assert {e.path[-1] for e in validator.iter_errors(bad)} == {key}, key
    assert [list(e.schema_path) for e in validator.iter_errors({"channels": {"web\n": good}})] == [
        ["properties", "channels", "propertyNames", "pattern"]]


def test_a_merge_key_gets_the_anchors_and_aliases_message(tmp_path: Path) -> None:
    text = f"""\
shared: &d
  flex_flow_sid: {FLOW}
channels:
  web:
    <<: *d
    identity: a
    chat_user_friendly_name: Visitor
    chat_friendly_name: Support
"""
    assert problems(tmp_path, text) == [
        "stacks/dev.yaml:1:1: shared: is not a known key; known keys: flex_flow_defaults, flex_flows, defaults, "
        "channels, address_defaults, addresses",
        "stacks/dev.yaml:4:3: channels.web.flex_flow_sid: is required (set it or flex_flow on the channel or in "
        "`defaults:`)",
        "stacks/dev.yaml:5:5: channels.web: anchors and aliases are not supported; put shared values in `defaults:`"]


def test_an_alias_is_reported_where_it_is_used_not_at_its_anchor(tmp_path: Path) -> None:
    text = CHANNEL_HEAD + "    target: &t hello\n  mobile:\n    identity: app\n    target: *t\n    identity: *t\n"
    assert problems(tmp_path, text)[-2:] == [
        "stacks/dev.yaml:10:13: channels.mobile.target: anchors and aliases are not supported; put shared values "
        "in `defaults:`",
        "stacks/dev.yaml:11:5: channels.mobile.identity: is defined twice (first on line 9)",
    ]


def test_a_control_character_is_reported_at_its_line_and_column(tmp_path: Path) -> None:
    assert problems(tmp_path, CHANNEL_HEAD + "    target: ab\0c\n") == [
        "stacks/dev.yaml:7:15: (yaml): invalid YAML: the character U+0000 is not allowed in YAML text; remove it"]
    assert problems(tmp_path, "channels:\n  web:\n    identity: \x1b[31mred\n") == [
        "stacks/dev.yaml:3:15: (yaml): invalid YAML: the character U+001B is not allowed in YAML text; remove it"]


def test_names_and_values_are_echoed_escaped_and_bounded(tmp_path: Path) -> None:
    """A key or value is echoed so it can be found, but never raw: no forged output lines, no megabytes."""
    long_key = "k" * 1000
    text = f"""\
defaults:
  flex_flow_sid: {FLOW}
  chat_user_friendly_name: Visitor
  chat_friendly_name: Support
channels:
  "a\\n::error::forged":
    identity: a
    {long_key}: 1
  b:
    identity: b
    chat_unique_name: "same\\u2028line"
  c:
    identity: c
    chat_unique_name: "same\\u2028line"
  d: {"x" * 5000}
"""
    found = problems(tmp_path, text)
    assert found == [
        "stacks/dev.yaml:6:3: channels.'a\\n::error::forged': channel names become Pulumi resource names: start with "
        "a letter or digit, then letters, digits, '.', '_' or '-' (100 at most)",
        f"stacks/dev.yaml:8:5: channels.'a\\n::error::forged'.{'k' * 100!r}…: is not a known key; known keys: "
        "flex_flow_sid, flex_flow, identity, chat_user_friendly_name, chat_friendly_name, target, chat_unique_name, "
        "pre_engagement_data, task_sid, task_attributes, long_lived, protect, retain_on_delete, import, aliases",
        "stacks/dev.yaml:14:23: channels.c.chat_unique_name: 'same\\u2028line' is already the unique name of "
        "channel 'b'; unique names must differ within the account",
        f"stacks/dev.yaml:15:6: channels.d: must be a mapping of channel fields, not the str {'x' * 40!r}…",
    ]
    assert all(line.isprintable() for line in found)


def test_validate_says_one_channel_not_one_channels(tmp_path: Path) -> None:
    one = tmp_path / "one.yaml"
    one.write_text(CHANNEL_HEAD)
    done = subprocess.run([sys.executable, "-m", "flex_provider", "validate", str(one)], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.stdout == f"{one}: 1 channel, valid\n"


def test_validate_refuses_a_named_pipe_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "stack.yaml"
    os.mkfifo(fifo)
    done = subprocess.run([sys.executable, "-m", "flex_provider", "validate", str(fifo), str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        f"{fifo}:1:1: (file): is a named pipe, not a regular file; give the path of a stack file",
        f"{tmp_path}:1:1: (file): is a directory, not a regular file; give the path of a stack file",
    ]


def test_hostile_json_gets_a_clean_error_from_validate_not_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(CHANNEL_HEAD + "    pre_engagement_data: '{\"a\": NaN}'\n    task_attributes: '"
                   + "[" * 100_000 + "]" * 100_000 + "'\n")
    done = subprocess.run([sys.executable, "-m", "flex_provider", "validate", str(bad)], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        f"{bad}:7:26: channels.web.pre_engagement_data: is not valid JSON: NaN is not a JSON number",
        f"{bad}:8:22: channels.web.task_attributes: is not valid JSON: nests 100000 levels deep; at most 64 are "
        "allowed",
    ]
    assert done.stderr == "validate: 1 of 1 stack files have problems\n"


def test_aliases_must_be_printable_names(tmp_path: Path) -> None:
    text = CHANNEL_HEAD + '    aliases: [old-web, "old\\nweb", " old-web"]\n'
    assert problems(tmp_path, text) == [
        "stacks/dev.yaml:7:14: channels.web.aliases: must be names without control characters or leading or "
        "trailing spaces"]


def test_a_flow_lacking_what_its_integration_type_needs_is_located_at_the_type(tmp_path: Path) -> None:
    assert problems(tmp_path, f"""\
flex_flows:
  web:
    friendly_name: Web
    chat_service_sid: IS{'1' * 32}
    channel_type: web
    integration_type: external
    integration: {{retry_count: 1}}
""") == ["stacks/dev.yaml:6:23: flex_flows.web.integration.url: is required when integration_type is external"]
