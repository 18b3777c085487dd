"""Stack files a careful attacker writes: one owner per Twilio object, values that must not pass, messages that
cannot mislead. Each test states the right behaviour; every case failed before the fix it names."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

import flex_provider
from flex_provider.stackfile import check_stack_file
from flex_provider.stackfile_schema import SCHEMA_FILE

FLOW = "FO" + "2" * 32
FLOW_UPPER = "FO" + "A" * 32
FLOW_LOWER = "FO" + "a" * 32
SERVICE = "IS" + "1" * 32
CHANNEL_UPPER = "CH" + "B" * 32
CHANNEL_LOWER = "CH" + "b" * 32


def problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "stack.yaml"
    path.write_text(text)
    stack, found = check_stack_file(path, "stacks/dev.yaml")
    assert (stack is None) == bool(found)
    return [str(p) for p in found]


IMPORTED_FLOW = f"""\
flex_flows:
  web-chat:
    friendly_name: Web
    chat_service_sid: {SERVICE}
    channel_type: web
    import: {FLOW}
"""
SAME_OWNER = ("channel 'web' has the same flex_flow_sid and identity; Flex would hand back that channel instead of "
              "creating a second one")


# --- 1. one owner per Twilio object: the duplicate check compares resolved values ---------------------------------


@pytest.mark.parametrize(("text", "where"), [
    (IMPORTED_FLOW + f"""\
defaults: {{chat_user_friendly_name: V, chat_friendly_name: S}}
channels:
  web: {{flex_flow: web-chat, identity: bot}}
  web2: {{flex_flow_sid: {FLOW}, identity: bot}}
""", "10:71: channels.web2.identity"),
    (IMPORTED_FLOW + f"""\
defaults: {{flex_flow: web-chat, chat_user_friendly_name: V, chat_friendly_name: S}}
channels:
  web: {{identity: bot}}
  web2: {{flex_flow_sid: {FLOW}, identity: bot}}
""", "10:71: channels.web2.identity"),
    (IMPORTED_FLOW + f"""\
defaults: {{flex_flow_sid: {FLOW}, chat_user_friendly_name: V, chat_friendly_name: S}}
channels:
  web: {{identity: bot}}
  web2: {{flex_flow: web-chat, identity: bot}}
""", "10:41: channels.web2.identity"),
])
def test_a_reference_to_an_adopted_flow_is_compared_as_its_sid(tmp_path: Path, text: str, where: str) -> None:
    """`flex_flow: web-chat` and `flex_flow_sid: FO…2` are one flow when web-chat adopts FO…2: two channels with
    one identity under it would both be answered with one channel."""
    assert problems(tmp_path, text) == [f"stacks/dev.yaml:{where}: {SAME_OWNER}"]


def test_sids_that_differ_only_in_the_case_of_their_hex_digits_are_one_object(tmp_path: Path) -> None:
    assert problems(tmp_path, f"""\
defaults: {{chat_user_friendly_name: V, chat_friendly_name: S}}
channels:
  web: {{flex_flow_sid: {FLOW_LOWER}, identity: bot, import: {CHANNEL_LOWER}}}
  web2: {{flex_flow_sid: {FLOW_UPPER}, identity: bot, import: {CHANNEL_UPPER}}}
""") == [
        f"stacks/dev.yaml:4:71: channels.web2.identity: {SAME_OWNER}",
        f"stacks/dev.yaml:4:84: channels.web2.import: channel 'web' already imports {CHANNEL_LOWER!r}",
    ]


def test_one_former_name_belongs_to_one_resource(tmp_path: Path) -> None:
    """Two aliases of one name would move one former resource's state to two; an alias that is another declared
    resource's name would take over that resource's state."""
    assert problems(tmp_path, f"""\
defaults: {{flex_flow_sid: {FLOW}, chat_user_friendly_name: V, chat_friendly_name: S}}
channels:
  web: {{identity: a, aliases: [old-web]}}
  web2: {{identity: b, aliases: [old-web]}}
  web3: {{identity: c, aliases: [web]}}
  web4: {{identity: d, aliases: [web4]}}
""") == [
        "stacks/dev.yaml:4:32: channels.web2.aliases: channel 'web' already has the alias 'old-web'; a former "
        "name belongs to one channel",
        "stacks/dev.yaml:5:32: channels.web3.aliases: 'web' is the name of a channel this file declares; an alias "
        "is a former name",
        "stacks/dev.yaml:6:32: channels.web4.aliases: 'web4' is the name of a channel this file declares; an alias "
        "is a former name",
    ]


# --- 7. values that pass validation but should not -----------------------------------------------------------------


def test_control_characters_written_as_yaml_escapes_are_refused_like_raw_ones(tmp_path: Path) -> None:
    assert problems(tmp_path, f"""\
flex_flows:
  web-chat: {{friendly_name: "Web\\x07", chat_service_sid: {SERVICE}, channel_type: web}}
addresses:
  sms: {{type: sms, address: "+1500\\u0085", auto_creation: {{webhook_filters: ["onMessageAdded\\e"]}}}}
channels:
  web:
    flex_flow: web-chat
    identity: "bot\\0evil"
    chat_user_friendly_name: "x\\e[2J"
    chat_friendly_name: "tab\\tand newline\\n are text"
""") == [
        "stacks/dev.yaml:2:29: flex_flows.web-chat.friendly_name: holds the control character U+0007; remove it",
        "stacks/dev.yaml:4:29: addresses.sms.address: holds the control character U+0085; remove it",
        "stacks/dev.yaml:4:77: addresses.sms.auto_creation.webhook_filters: holds the control character U+001B; "
        "remove it",
        "stacks/dev.yaml:8:15: channels.web.identity: holds the control character U+0000; remove it",
        "stacks/dev.yaml:9:30: channels.web.chat_user_friendly_name: holds the control character U+001B; remove it",
    ]


@pytest.mark.parametrize("url", ["javascript:alert(1)", "file:///etc/passwd", "not a url", "https://", "ftp://x.y/z"])
def test_a_webhook_url_must_be_an_absolute_http_url(tmp_path: Path, url: str) -> None:
    assert problems(tmp_path, f"""\
addresses:
  sms:
    type: sms
    address: "+15005550006"
    auto_creation: {{enabled: true, type: webhook, webhook_url: "{url}"}}
""") == [f"stacks/dev.yaml:5:64: addresses.sms.auto_creation.webhook_url: must be an absolute http(s) URL, not "
         f"{url!r}"]


@pytest.mark.parametrize("country", ["USA", "us", "\U0001f1fa\U0001f1f8", "U1", "Us"])
def test_an_address_country_must_be_an_iso_alpha_2_code(tmp_path: Path, country: str) -> None:
    shown = ascii(country)
    assert problems(tmp_path, f"""\
addresses:
  short:
    type: sms
    address: "12345"
    address_country: "{country}"
""") == [f"stacks/dev.yaml:5:22: addresses.short.address_country: must be an ISO 3166-1 alpha-2 country code, two "
         f"capital letters such as US, not {shown}"]


@pytest.mark.parametrize(("auto_creation", "missing", "kind"), [
    ("{enabled: true, type: webhook, webhook_method: post}", "webhook_url", "webhook"),
    ("{enabled: true, type: studio, studio_retry_count: 1}", "studio_flow_sid", "studio"),
])
def test_an_auto_creation_lacking_what_its_type_needs_is_located_at_the_type(tmp_path: Path, auto_creation: str,
                                                                              missing: str, kind: str) -> None:
    """As a flow's integration_type needs its keys (Twilio's spec: `webhook_url` "for type webhook",
    `studio_flow_sid` "for type studio")."""
    assert problems(tmp_path, f"""\
addresses:
  sms:
    type: sms
    address: "+15005550006"
    auto_creation: {auto_creation}
""") == [f"stacks/dev.yaml:5:42: addresses.sms.auto_creation.{missing}: is required when auto_creation.type is "
         f"{kind}"]


def test_options_that_name_one_resource_are_refused_in_defaults(tmp_path: Path) -> None:
    """`aliases` in defaults gives every resource of the section one former name; `import`, one SID."""
    assert problems(tmp_path, f"""\
flex_flow_defaults: {{chat_service_sid: {SERVICE}, channel_type: web, import: {FLOW}}}
flex_flows:
  web-chat: {{friendly_name: Web}}
defaults:
  flex_flow_sid: {FLOW}
  chat_user_friendly_name: V
  chat_friendly_name: S
  aliases: [old]
  protect: true
channels:
  web: {{identity: bot}}
""") == [
        "stacks/dev.yaml:1:95: flex_flow_defaults.import: names one flow; set it on that flow, not in "
        "`flex_flow_defaults:`",
        "stacks/dev.yaml:8:3: defaults.aliases: names one channel; set it on that channel, not in `defaults:`",
    ]


def test_defaults_may_not_give_both_a_flow_and_a_flow_sid(tmp_path: Path) -> None:
    """Reported once, at the defaults, and not again for each channel (here the flow's name is also wrong)."""
    assert problems(tmp_path, f"""\
flex_flows:
  web-chat: {{friendly_name: Web, chat_service_sid: {SERVICE}, channel_type: web}}
defaults:
  flex_flow: web-chats
  flex_flow_sid: {FLOW}
  chat_user_friendly_name: V
  chat_friendly_name: S
channels:
  web: {{identity: bot}}
  web2: {{identity: bot2}}
""") == ["stacks/dev.yaml:4:14: defaults.flex_flow: give flex_flow or flex_flow_sid, not both"]


# --- 8. messages that cannot mislead ------------------------------------------------------------------------------


def test_a_look_alike_letter_is_shown_as_its_code_point(tmp_path: Path) -> None:
    """Cyrillic `с` (U+0441) and `і` (U+0456) look like Latin c and i: the message must not look like what was
    typed is right."""
    assert problems(tmp_path, f"""\
flex_flows:
  web-chat: {{friendly_name: Web, chat_service_sid: {SERVICE}, channel_type: web}}
defaults: {{chat_user_friendly_name: V, chat_friendly_name: S}}
channels:
  web:
    flex_flow: web-\u0441hat
    \u0456dentity: bot
""") == [
        "stacks/dev.yaml:6:16: channels.web.flex_flow: names no flow of this file: 'web-\\u0441hat' (declared: "
        "web-chat)",
        "stacks/dev.yaml:7:5: channels.web.'\\u0456dentity': is not a known key; did you mean 'identity'?",
        "stacks/dev.yaml:7:5: channels.web.identity: is required (set it on the channel or in `defaults:`)",
    ]


def test_declared_names_are_never_echoed_raw(tmp_path: Path) -> None:
    found = problems(tmp_path, f"""\
flex_flows:
  "web\\e[2J": {{friendly_name: Web, chat_service_sid: {SERVICE}, channel_type: web}}
defaults: {{chat_user_friendly_name: V, chat_friendly_name: S}}
channels:
  web: {{flex_flow: nope, identity: bot}}
""")
    assert found == [
        "stacks/dev.yaml:2:3: flex_flows.'web\\x1b[2J': flow names become Pulumi resource names: start with a letter "
        "or digit, then letters, digits, '.', '_' or '-' (100 at most)",
        "stacks/dev.yaml:5:20: channels.web.flex_flow: names no flow of this file: 'nope' (declared: "
        "'web\\x1b[2J')",
    ]
    assert all(line.isprintable() and line.isascii() for line in found)


def test_a_value_that_needs_escaping_is_quoted_once(tmp_path: Path) -> None:
    assert problems(tmp_path, f"""\
defaults: {{flex_flow_sid: {FLOW}, chat_user_friendly_name: V, chat_friendly_name: S}}
channels:
  b: {{identity: b, chat_unique_name: "same\\u2028line"}}
  c: {{identity: c, chat_unique_name: "same\\u2028line"}}
""") == ["stacks/dev.yaml:4:38: channels.c.chat_unique_name: 'same\\u2028line' is already the unique name of channel "
         "'b'; unique names must differ within the account"]


def test_the_shipped_schema_refuses_what_the_validator_now_refuses() -> None:
    """Editors check as the validator does: one-resource options in defaults, a country that is not alpha-2."""
    schema = json.loads((Path(flex_provider.__file__).with_name(SCHEMA_FILE)).read_text())
    validator = jsonschema.Draft202012Validator(schema)
    for document in ({"defaults": {"aliases": ["old"]}, "channels": {}},
                     {"flex_flow_defaults": {"import": FLOW}, "flex_flows": {}},
                     {"addresses": {"short": {"type": "sms", "address": "12345", "address_country": "USA"}}}):
        assert not validator.is_valid(document), document
    assert validator.is_valid({"defaults": {"protect": True}, "addresses": {
        "short": {"type": "sms", "address": "12345", "address_country": "US"}}})


def test_a_whole_number_too_long_to_read_says_so(tmp_path: Path) -> None:
    """It said '… use sys.set_int_max_str_digits() to increase the limit', advice for Python programmers."""
    assert problems(tmp_path, f"""\
flex_flows:
  web: {{friendly_name: Web, chat_service_sid: {SERVICE}, channel_type: web, integration: {{timeout: {'9' * 5000}}}}}
""") == ["stacks/dev.yaml:2:125: flex_flows.web.integration.timeout: is a whole number too long to read (4,300 digits "
         "at most)"]


def test_webhook_filters_are_the_events_the_spec_lists(tmp_path: Path) -> None:
    """Twilio's spec: "Values can be any of the following: `onMessageAdded`, …"; a typo passed and was sent."""
    assert problems(tmp_path, """\
addresses:
  sms:
    type: sms
    address: "+15005550006"
    auto_creation: {webhook_filters: [onMessageAdded, onMessageAded]}
""") == ["stacks/dev.yaml:5:38: addresses.sms.auto_creation.webhook_filters: must hold only onMessageAdded, "
         "onMessageUpdated, onMessageRemoved, onConversationUpdated, onConversationStateUpdated, "
         "onConversationRemoved, onParticipantAdded, onParticipantUpdated, onParticipantRemoved, onDeliveryUpdated; "
         "not 'onMessageAded'"]
