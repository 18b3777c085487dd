"""Conversations address configurations: the client and emulator against the spec, the hosts of both APIs, the diff
rules, stack files, the program and the CLI (a configuration's life, drift and adoption are tests/test_scenarios.py's,
as every type's)."""

from __future__ import annotations

import io
import json
import textwrap
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import grpc
import jsonschema
import pulumi
import pytest
import requests
import yaml
from requests.adapters import HTTPAdapter

from flex_provider import AddressConfiguration
from flex_provider.client import Credentials, Endpoints, FlexClient
from flex_provider.declarations import ADDRESS
from flex_provider.errors import ConflictError, NotFoundError, TransportError
from flex_provider.provider import AddressConfigurationProvider
from flex_provider.stackfile import check_stack_file, load_stack_file
from tests import spec_contract
from tests.engine import Stack, goal, grpc_error_text
from tests.pulumi_mocks import run_program
from tests.support import FAST_RETRY, ROOT, emulator_env, http, run_cli
from twilio_emulator import Emulator
from twilio_emulator.routes import Router

CONTRACT = spec_contract.load_conversations_fixture()
SERVICE = "IS" + "1" * 32
STUDIO = "FW" + "2" * 32
SMS = "+15005550006"
TYPE_TOKEN = "pulumi-python:dynamic/conversations:AddressConfiguration"




ADDRESS_SCHEMA = spec_contract.json_schema(CONTRACT["configuration_address"])
LIST_SCHEMA = spec_contract.json_schema(CONTRACT["list_response"])


def sms_inputs(address: str = SMS, **extra: Any) -> dict[str, Any]:
    return {"type": "sms", "address": address, "friendly_name": "SMS support", "auto_creation": {
        "enabled": True, "type": "studio", "conversation_service_sid": SERVICE, "studio_flow_sid": STUDIO,
        "studio_retry_count": 1}, **extra}


# the API, through the client and raw HTTP


def test_address_operations_answer_as_the_spec_says(client: FlexClient, emulator: Emulator) -> None:
    created = client.create_configuration_address(sms_inputs(address_country="US", auto_creation={
        "enabled": True, "type": "webhook", "webhook_url": "https://hooks.example.com/c", "webhook_method": "post",
        "webhook_filters": ["onMessageAdded", "onParticipantAdded"]}))
    [post] = emulator.requests("POST")
    assert (post.path, post.form) == (ADDRESS.path, {
        "Type": "sms", "Address": SMS, "FriendlyName": "SMS support", "AddressCountry": "US",
        "AutoCreation.Enabled": "true", "AutoCreation.Type": "webhook",
        "AutoCreation.WebhookUrl": "https://hooks.example.com/c", "AutoCreation.WebhookMethod": "post",
        "AutoCreation.WebhookFilters": ["onMessageAdded", "onParticipantAdded"]})
    assert created.sid.startswith("IG") and created.url == f"{emulator.base_url}{ADDRESS.path}/{created.sid}"
    assert created.auto_creation["webhook_method"] == "post", "answered POST, stored as declared"

    raw = http(emulator).get(f"{emulator.base_url}{ADDRESS.path}/{created.sid}").json()
    jsonschema.validate(raw, ADDRESS_SCHEMA)
    assert raw["auto_creation"] == {"enabled": True, "type": "webhook", "webhook_url": "https://hooks.example.com/c",
                                    "webhook_method": "POST", "webhook_filters": ["onMessageAdded",
                                                                                  "onParticipantAdded"]}
    by_address = http(emulator).get(f"{emulator.base_url}{ADDRESS.path}/%2B15005550006")
    assert by_address.json() == raw, "the spec's {Sid} may be the address"

    updated = client.update_configuration_address(created.sid, {"friendly_name": "Renamed",
                                                                "auto_creation": {"webhook_method": "get"}})
    assert emulator.requests("POST")[-1].form == {"FriendlyName": "Renamed", "AutoCreation.WebhookMethod": "get"}
    assert (updated.friendly_name, updated.auto_creation["webhook_method"], updated.auto_creation["type"]) == (
        "Renamed", "get", "webhook")

    whatsapp = client.create_configuration_address({"type": "whatsapp", "address": f"whatsapp:{SMS}"})
    assert [a.sid for a in client.list_configuration_addresses()] == [created.sid, whatsapp.sid]
    assert [a.sid for a in client.list_configuration_addresses(type="whatsapp")] == [whatsapp.sid]
    listed = http(emulator).get(f"{emulator.base_url}{ADDRESS.path}", params={"Type": "sms", "PageSize": 50}).json()
    jsonschema.validate(listed, LIST_SCHEMA)
    assert listed["meta"]["key"] == "address_configurations"
    assert [a.sid for a in client.list(ADDRESS, page_size=1)] == [created.sid, whatsapp.sid], "two pages"

    client.delete_configuration_address(whatsapp.sid)
    with pytest.raises(NotFoundError):
        client.fetch_configuration_address(whatsapp.sid)
    assert http(emulator).delete(f"{emulator.base_url}{ADDRESS.path}/%2B15005550006").status_code == 204
    assert emulator.resources("addresses") == []


def test_every_answer_validates_against_the_spec_schema(emulator: Emulator) -> None:
    """Creates (with and without auto-creation), fetch, update and list: all are `configuration_address`s."""
    session, url = http(emulator), f"{emulator.base_url}{ADDRESS.path}"
    answers = [session.post(url, data={"Type": "email", "Address": "help@example.com"}),
               session.post(url, data={"Type": "sms", "Address": SMS, "AutoCreation.Enabled": "false",
                                       "AutoCreation.StudioRetryCount": "3", "AddressCountry": "CA"})]
    sid = answers[-1].json()["sid"]
    answers += [session.get(f"{url}/{sid}"), session.post(f"{url}/{sid}", data={"FriendlyName": "x"})]
    assert [a.status_code for a in answers] == [201, 201, 200, 200]
    for answer in answers:
        jsonschema.validate(answer.json(), ADDRESS_SCHEMA)
    assert answers[0].json()["auto_creation"] is None
    jsonschema.validate(session.get(url).json(), LIST_SCHEMA)
    assert CONTRACT["statuses"] == {"CreateConfigurationAddress": ["201"], "DeleteConfigurationAddress": ["204"],
                                    "FetchConfigurationAddress": ["200"], "ListConfigurationAddress": ["200"],
                                    "UpdateConfigurationAddress": ["200"]}


def test_the_emulator_allows_one_configuration_per_address(client: FlexClient, emulator: Emulator) -> None:
    first = client.create_configuration_address(sms_inputs())
    for second in (sms_inputs(friendly_name="Second"), sms_inputs(type="whatsapp")):
        with pytest.raises(ConflictError) as caught:
            client.create_configuration_address(second)
        assert (caught.value.status, caught.value.code, caught.value.message) == (
            409, 20409, f"An address configuration for {second['type']} address {SMS} already exists")
    assert [a["sid"] for a in emulator.resources("addresses")] == [first.sid], "one per address, whatever the type"


def test_the_emulator_refuses_what_the_spec_refuses(client: FlexClient, emulator: Emulator) -> None:
    session, url = http(emulator), f"{emulator.base_url}{ADDRESS.path}"
    answers = {
        "no address": session.post(url, data={"Type": "sms"}),
        "bad type": session.post(url, data={"Type": "fax", "Address": SMS}),
        "bad method": session.post(url, data={"Type": "sms", "Address": SMS, "AutoCreation.WebhookMethod": "PUT"}),
        "bad flow": session.post(url, data={"Type": "sms", "Address": SMS, "AutoCreation.StudioFlowSid": "FW1"}),
    }
    assert {case: (a.status_code, a.json()["message"]) for case, a in answers.items()} == {
        "no address": (400, "Missing required parameter Address in the post body"),
        "bad type": (400, "Invalid Type: 'fax' is not one of sms, whatsapp, messenger, gbm, email, rcs, apple, chat"),
        "bad method": (400, "Invalid AutoCreation.WebhookMethod: 'PUT' is not one of get, post"),
        "bad flow": (400, "Invalid AutoCreation.StudioFlowSid: 'FW1' does not match ^FW[0-9a-fA-F]{32}$"),
    }
    sid = client.create_configuration_address(sms_inputs()).sid
    ignored = session.post(f"{url}/{sid}", data={"Address": "+15550000000", "AddressCountry": "GB"})
    assert (ignored.json()["address"], ignored.json()["address_country"]) == (SMS, None), \
        "the update body has neither: Twilio ignores parameters an operation does not define"


def test_one_port_serves_every_operation_of_both_apis(emulator: Emulator) -> None:
    """Each served operation's method and path reach its own handler: no path of one API shadows another's."""
    router = Router(emulator.backends.values())
    assert {route.operation_id for route in router.routes} == set(spec_contract.load_emulator_contract())
    for route in router.routes:
        path = route.path.replace("{Sid}", "%2B15005550006")
        assert router.match(route.method, path) == (route, {"Sid": "%2B15005550006"} if "{Sid}" in route.path
                                                     else {}), route.operation_id


# the hosts of both APIs


class _TwilioHosts(HTTPAdapter):
    """DNS and TLS for a test: a request to any https:// host goes to a loopback server in plain HTTP instead.

    It records the URL the client asked for; everything else (the URL the client built, its checks, its
    error handling) runs as it does against Twilio.
    """

    def __init__(self, target: str) -> None:
        super().__init__()
        self.target = target
        self.asked: list[str] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        self.asked.append(request.url or "")
        parts = urlsplit(request.url or "")
        request.url = self.target + parts.path + (f"?{parts.query}" if parts.query else "")
        return super().send(request, **kwargs)


def _regional_client(emulator: Emulator, adapter: HTTPAdapter, **where: str) -> FlexClient:
    """A client in a Region and Edge whose requests `adapter` carries: the one seam is where a host name leads."""
    return FlexClient(Credentials.from_auth_token(emulator.account_sid, emulator.auth_token),
                      endpoints=Endpoints.resolve(**where), retry=FAST_RETRY, adapter=adapter)


@pytest.mark.parametrize(("where", "flex", "conversations"), [
    ({}, "flex-api.twilio.com", "conversations.twilio.com"),
    ({"region": "au1"}, "flex-api.au1.twilio.com", "conversations.au1.twilio.com"),
    ({"edge": "sydney"}, "flex-api.sydney.us1.twilio.com", "conversations.sydney.us1.twilio.com"),
    ({"region": "ie1", "edge": "dublin"}, "flex-api.dublin.ie1.twilio.com", "conversations.dublin.ie1.twilio.com"),
])
def test_each_api_is_called_at_its_own_host_in_the_region_and_edge(emulator: Emulator, where: dict[str, str],
                                                                   flex: str, conversations: str) -> None:
    hosts = _TwilioHosts(emulator.base_url)
    client = _regional_client(emulator, hosts, **where)
    address = client.create_configuration_address(sms_inputs())
    client.fetch_configuration_address(address.sid)
    list(client.list_configuration_addresses(type="sms"))
    client.create_flex_flow({"friendly_name": "Web", "chat_service_sid": SERVICE, "channel_type": "web"})
    list(client.list_channels())
    client.delete_configuration_address(address.sid)
    assert [(urlsplit(url).scheme, urlsplit(url).netloc, urlsplit(url).path.split("/")[2]) for url in hosts.asked] \
        == [("https", conversations, "Configuration")] * 3 + [("https", flex, "FlexFlows"), ("https", flex, "Channels"),
                                                             ("https", conversations, "Configuration")]


def test_a_page_link_is_followed_only_on_the_listed_apis_own_origin(emulator: Emulator) -> None:
    """Listing addresses in ie1, a link to the Flex host is off the origin; a link to the Conversations host is not."""
    conversations, flex = "https://conversations.ie1.twilio.com", "https://flex-api.ie1.twilio.com"
    asked: list[str] = []

    class Pages(HTTPAdapter):
        """Answers the first page with a link to `next_url`, then an empty last page."""

        next_url = ""

        def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
            asked.append(request.url or "")
            response = requests.Response()
            response.status_code, response.url = 200, request.url
            link = None if "Page=1" in (request.url or "") else self.next_url
            response.raw = io.BytesIO(json.dumps({"meta": {"next_page_url": link}, "address_configurations": []})
                                      .encode())
            return response

    pages = Pages()
    client = _regional_client(emulator, pages, region="ie1")
    pages.next_url = f"{conversations}{ADDRESS.path}?PageSize=50&Page=1"
    assert list(client.list_configuration_addresses()) == []
    assert [urlsplit(url).netloc for url in asked] == ["conversations.ie1.twilio.com"] * 2
    pages.next_url = f"{flex}{ADDRESS.path}?PageSize=50&Page=1"
    with pytest.raises(TransportError, match="page link points off the API's origin"):
        list(client.list_configuration_addresses())
    assert len(asked) == 3


# diff and check


def test_diff_updates_the_name_and_auto_creation_and_replaces_the_rest() -> None:
    provider = AddressConfigurationProvider()
    olds = {**sms_inputs(address_country="US"), "sid": "IG" + "0" * 32, "__provider": "serialized",
            "auto_creation": {**sms_inputs()["auto_creation"], "studio_retry_count": 1.0, "webhook_method": "POST"}}
    assert provider.diff("id", olds, sms_inputs()).changes is False, "unset fields keep the server's value"
    assert provider.diff("id", olds, sms_inputs(auto_creation={"webhook_method": "post"})).changes is False
    update = provider.diff("id", olds, sms_inputs(friendly_name="New", auto_creation={"studio_retry_count": 2}))
    assert (update.changes, update.replaces, update.delete_before_replace) == (True, [], False)
    moved = provider.diff("id", olds, sms_inputs("+15005550009"))
    assert (moved.replaces, moved.delete_before_replace) == (["address"], False), "the new one can exist beside it"
    country = provider.diff("id", olds, sms_inputs(address_country="CA"))
    assert (country.replaces, country.delete_before_replace) == (["address_country"], True), "one per address"
    retyped = provider.diff("id", olds, sms_inputs(type="whatsapp"))
    assert (retyped.replaces, retyped.delete_before_replace) == (["type"], True), "the same address: delete first"


def test_check_names_each_bad_value_and_nested_key() -> None:
    failures = AddressConfigurationProvider().check({}, {"type": "SMS", "auto_creation": {
        "webhook_method": "POST", "studio_flow_sid": "FW1", "colour": "red"}}).failures
    assert [(f.property, f.reason) for f in failures] == [
        ("type", "must be one of sms, whatsapp, messenger, gbm, email, rcs, apple, chat; not 'SMS'"),
        ("address", "is required"),
        ("auto_creation.colour", "is not a key of auto_creation; known: enabled, type, conversation_service_sid, "
                                 "webhook_url, webhook_method, webhook_filters, studio_flow_sid, studio_retry_count"),
        ("auto_creation.webhook_method", "must be one of get, post; not 'POST'"),
        ("auto_creation.studio_flow_sid", "must be an FW SID: 'FW' and 32 hex digits (pattern ^FW[0-9a-fA-F]{32}$); "
                                          "found 'FW' and 1 hex digit"),
    ]


# through the engine driver


def program(**extra: Any) -> list[Any]:
    return [goal(AddressConfiguration, "sms", **sms_inputs(**extra))]


def test_a_second_configuration_of_one_address_fails_its_create_with_twilios_conflict(
        stack: Stack, emulator: Emulator, client: FlexClient) -> None:
    """What the validator refuses in a stack file, a Python program can still declare: the API says no."""
    with pytest.raises(grpc.RpcError) as caught:
        stack.up([*program(), goal(AddressConfiguration, "again", **sms_inputs(friendly_name="Again"))])
    assert grpc_error_text(caught.value).splitlines()[-1] == (
        f"flex_provider.errors.ConflictError: POST {emulator.base_url}{ADDRESS.path} returned HTTP 409 (Twilio "
        f"error 20409): An address configuration for sms address {SMS} already exists. See "
        "https://www.twilio.com/docs/errors/20409")
    assert len(emulator.resources("addresses")) == 1


# stack files, the program and the CLI


ADDRESSES = textwrap.dedent(f"""\
    address_defaults:
      auto_creation:
        enabled: true
        type: studio
        studio_flow_sid: {STUDIO}
    addresses:
      sms-support:
        type: sms
        address: "{SMS}"
        friendly_name: SMS support
      web-chat:
        type: chat
        address: web-chat
        auto_creation:
          enabled: true
          type: webhook
          webhook_url: https://hooks.example.com/conversations
          webhook_method: post
          webhook_filters: [onMessageAdded, onParticipantAdded]
        protect: true
""")


def test_a_stack_file_of_addresses_only_is_valid_and_defaults_merge(tmp_path: Path) -> None:
    path = tmp_path / "stack.yaml"
    path.write_text(ADDRESSES)
    stack = load_stack_file(path)
    assert stack.summary() == "2 addresses"
    sms, web = stack.of(ADDRESS)
    assert dict(sms.inputs) == {"type": "sms", "address": SMS, "friendly_name": "SMS support",
                                "auto_creation": {"enabled": True, "type": "studio", "studio_flow_sid": STUDIO}}
    assert web.inputs["auto_creation"] == {"enabled": True, "type": "webhook", "webhook_method": "post",
                                           "webhook_url": "https://hooks.example.com/conversations",
                                           "webhook_filters": ["onMessageAdded", "onParticipantAdded"]}, \
        "a mapping given on the address replaces the defaults' whole"
    assert (web.options.protect, web.line) == (True, 11)


def test_two_configurations_of_one_address_are_refused_at_the_second(tmp_path: Path) -> None:
    path = tmp_path / "stack.yaml"
    path.write_text(ADDRESSES + (
        f'  again:\n    type: sms\n    address: "{SMS}"\n'
        f'  whatsapp:\n    type: whatsapp\n    address: "{SMS}"\n'
        "  bad:\n    type: SMS\n    address: ''\n    address_country: 44\n"
        "    auto_creation: {webhook_filters: onMessageAdded, conversation_service_sid: IS1}\n"))
    stack, problems = check_stack_file(path, "stacks/dev.yaml")
    assert stack is None
    assert [str(p) for p in problems] == [
        "stacks/dev.yaml:23:14: addresses.again.address: address 'sms-support' has the same address; Twilio allows "
        "one configuration per address, whatever its type (its fetch takes the address in place of the SID)",
        "stacks/dev.yaml:26:14: addresses.whatsapp.address: address 'sms-support' has the same address; Twilio "
        "allows one configuration per address, whatever its type (its fetch takes the address in place of the SID)",
        "stacks/dev.yaml:28:11: addresses.bad.type: must be one of sms, whatsapp, messenger, gbm, email, rcs, apple, "
        "chat; not 'SMS'",
        "stacks/dev.yaml:29:14: addresses.bad.address: must not be empty",
        "stacks/dev.yaml:30:22: addresses.bad.address_country: must be a string, not the number 44; quote it to make "
        "it a string",
        "stacks/dev.yaml:31:38: addresses.bad.auto_creation.webhook_filters: must be a list of strings, not the "
        "string 'onMessageAdded'",
        "stacks/dev.yaml:31:80: addresses.bad.auto_creation.conversation_service_sid: must be an IS SID: 'IS' and 32 "
        "hex digits (pattern ^IS[0-9a-fA-F]{32}$); found 'IS' and 1 hex digit",
    ]


def test_the_program_declares_addresses_beside_flows_and_channels(tmp_path: Path) -> None:
    path = tmp_path / "stack.yaml"
    legacy = {key: value for key, value in yaml.safe_load((ROOT / "stacks" / "dev.yaml").read_text()).items()
              if not key.startswith("address")}  # dev.yaml's flows and channels, these addresses beside them
    path.write_text(yaml.safe_dump(legacy) + ADDRESSES)
    run = run_program("dev", {"flex:stackFile": str(path)})
    assert sorted((r.name, r.type) for r in run.registrations if r.type == TYPE_TOKEN) == [
        ("sms-support", TYPE_TOKEN), ("web-chat", TYPE_TOKEN)]
    assert len(run.registrations) == 5
    # a name is per type: dev.yaml's flow is also called web-chat
    [web] = [r for r in run.registrations if (r.name, r.type) == ("web-chat", TYPE_TOKEN)]
    inputs = pulumi.runtime.rpc.deserialize_properties(web.object)
    assert inputs["auto_creation"]["webhook_filters"] == ["onMessageAdded", "onParticipantAdded"]
    assert web.protect is True
    assert "web-chat" in run.exports["flex_flows"] and "web-chat" in run.exports["addresses"]
    exported = run.exports["addresses"]["sms-support"]
    assert set(exported) == {"sid", "type", "address", "url"}
    assert exported["url"] == f"https://conversations.twilio.com{ADDRESS.path}/{exported['sid']}"


def test_a_python_program_takes_the_args_classes(tmp_path: Path) -> None:
    program_file = tmp_path / "__main__.py"
    program_file.write_text(
        "from flex_provider import AddressConfiguration, AddressConfigurationArgs, AutoCreationArgs\n"
        f"AddressConfiguration('sms', AddressConfigurationArgs(type='sms', address='{SMS}', auto_creation="
        f"AutoCreationArgs(enabled=True, type='studio', studio_flow_sid='{STUDIO}')))\n")
    run = run_program("dev", program=program_file)
    assert run.inputs("sms") == {"type": "sms", "address": SMS, "auto_creation": {
        "enabled": True, "type": "studio", "studio_flow_sid": STUDIO}}


def test_addresses_list_filters_by_type(emulator: Emulator, client: FlexClient) -> None:
    sms = client.create_configuration_address(sms_inputs())
    client.create_configuration_address({"type": "whatsapp", "address": f"whatsapp:{SMS}"})
    emulator.reset_stats()
    listed = run_cli("addresses", "list", "--type", "sms", env=emulator_env(emulator))
    assert listed.returncode == 0, listed.stderr
    header, *rows = listed.stdout.splitlines()
    assert header.split() == ["SID", "TYPE", "ADDRESS", "FRIENDLY_NAME", "DATE_CREATED"]
    assert [row.split()[:3] for row in rows] == [[sms.sid, "sms", SMS]]
    assert listed.stderr == "1 address\n"
    assert [r.path for r in emulator.requests()] == [f"{ADDRESS.path}?Type=sms&PageSize=50"]


def test_addresses_list_refuses_an_unknown_type_before_any_request(emulator: Emulator) -> None:
    listed = run_cli("addresses", "list", "--type", "fax", env=emulator_env(emulator))
    assert listed.returncode == 2
    assert listed.stderr.splitlines()[-1].endswith(
        "argument --type: 'fax' must be one of sms, whatsapp, messenger, gbm, email, rcs, apple, chat; not 'fax'")
    assert emulator.requests() == []
