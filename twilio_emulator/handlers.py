"""Handlers: parse and check each request as Twilio does, call the backend, answer with the API's JSON.

One function per operation, named after it; `routes.py` maps method and path to them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from twilio_emulator.backends.addresses import AddressBackend
from twilio_emulator.backends.channels import ChannelBackend
from twilio_emulator.backends.flex_flows import FlexFlowBackend
from twilio_emulator.contract import operation, parse_params
from twilio_emulator.errors import invalid
from twilio_emulator.paging import page_of

__all__ = ["HANDLERS", "Answer", "Backends", "Request"]


@dataclass(frozen=True)
class Backends:
    """Every backend of the emulated account."""

    channels: ChannelBackend
    flex_flows: FlexFlowBackend
    addresses: AddressBackend


@dataclass(frozen=True)
class Request:
    """An API request, parsed: what a handler needs and nothing of HTTP."""

    base_url: str
    """Where the request was sent (scheme and Host): URLs in answers are built from it."""
    path_sid: str | None
    query: Mapping[str, Sequence[str]]
    form: Mapping[str, Sequence[str]]
    backends: Backends


@dataclass(frozen=True)
class Answer:
    status: int
    body: Mapping[str, Any] | None = None
    created: bool = field(default=False)
    """A create that made something: a `drop_after_create` fault may lose this answer. A create that
    hands back an existing resource made nothing, so it is never dropped: the fault stands for the one
    dangerous loss (a resource made whose SID the caller never learns), and its share stays a share
    of resources made however often a caller repeats a create."""


def _json_text(params: Mapping[str, Any], *names: str) -> None:
    """Twilio takes these string parameters only when they hold JSON."""
    for name in names:
        if name in params:
            try:
                json.loads(params[name])
            except ValueError:
                api_name = "".join(part.title() for part in name.split("_"))
                raise invalid(f"Invalid {api_name}: not valid JSON") from None


def _query(request: Request, operation_id: str) -> dict[str, Any]:
    """A list operation's query, checked, with Twilio's paging defaults."""
    return parse_params(operation_id, {"PageSize": ["50"], "Page": ["0"], **request.query}, "query")


def _page(request: Request, operation_id: str, items: Sequence[Any], paging: Mapping[str, Any],
          filters: dict[str, str]) -> Answer:
    spec = operation(operation_id)
    page = page_of(items, lambda item: item.seq, base_url=request.base_url, path=spec["path"],
                   key=spec["list_key"], page_size=paging["page_size"], page=paging["page"],
                   token=paging.get("page_token"), filters=filters)
    return Answer(200, {"meta": page.meta, spec["list_key"]: [item.to_json(request.base_url) for item in page.items]})


def create_channel(request: Request) -> Answer:
    params = parse_params("CreateChannel", request.form)
    _json_text(params, "pre_engagement_data", "task_attributes")
    channel, made = request.backends.channels.create_channel(**params)
    return Answer(201, channel.to_json(request.base_url), created=made)


def fetch_channel(request: Request) -> Answer:
    return Answer(200, request.backends.channels.fetch_channel(request.path_sid or "").to_json(request.base_url))


def list_channels(request: Request) -> Answer:
    return _page(request, "ListChannel", request.backends.channels.list_channels(), _query(request, "ListChannel"), {})


def delete_channel(request: Request) -> Answer:
    request.backends.channels.delete_channel(request.path_sid or "")
    return Answer(204)


_INTEGRATION_NEEDS = {"studio": ("flow_sid",), "external": ("url",), "task": ("workspace_sid", "workflow_sid")}
"""What each IntegrationType needs, from the spec's parameter descriptions ("Required when integrationType is
studio"); they also give Integration.RetryCount 0 to 3."""


def _flow_rules(params: Mapping[str, Any], integration: Mapping[str, Any]) -> None:
    """The Flex Flow rules the spec states in prose, on the flow as the request would leave it."""
    kind = params.get("integration_type")
    for key in _INTEGRATION_NEEDS.get(kind, ()) if kind else ():
        if integration.get(key) is None:
            api_name = "Integration." + "".join(part.title() for part in key.split("_"))
            raise invalid(f"Missing required parameter {api_name} when IntegrationType is {kind}")
    retries = params.get("integration", {}).get("retry_count")
    if retries is not None and not 0 <= retries <= 3:
        raise invalid(f"Invalid Integration.RetryCount: {retries} is not between 0 and 3")


def create_flex_flow(request: Request) -> Answer:
    params = parse_params("CreateFlexFlow", request.form)
    _flow_rules(params, params.get("integration", {}))
    flow = request.backends.flex_flows.create_flex_flow(**params)
    return Answer(201, flow.to_json(request.base_url), created=True)


def fetch_flex_flow(request: Request) -> Answer:
    return Answer(200, request.backends.flex_flows.fetch_flex_flow(request.path_sid or "").to_json(request.base_url))


def update_flex_flow(request: Request) -> Answer:
    changes = parse_params("UpdateFlexFlow", request.form)
    flows = request.backends.flex_flows
    current = flows.fetch_flex_flow(request.path_sid or "")
    _flow_rules(changes, {**current.integration, **changes.get("integration", {})})
    flow = flows.update_flex_flow(request.path_sid or "", **changes)
    return Answer(200, flow.to_json(request.base_url))


def list_flex_flows(request: Request) -> Answer:
    query = _query(request, "ListFlexFlow")
    name = query.get("friendly_name")
    return _page(request, "ListFlexFlow", request.backends.flex_flows.list_flex_flows(name), query,
                 {"FriendlyName": name} if name else {})


def delete_flex_flow(request: Request) -> Answer:
    request.backends.flex_flows.delete_flex_flow(request.path_sid or "")
    return Answer(204)


def _sid_or_address(request: Request) -> str:
    """The `{Sid}` of an address configuration's path: its SID, or its address (URL-encoded: `%2B15005550006`)."""
    return unquote(request.path_sid or "")


def create_configuration_address(request: Request) -> Answer:
    params = parse_params("CreateConfigurationAddress", request.form)
    config = request.backends.addresses.create_configuration_address(**params)
    return Answer(201, config.to_json(request.base_url), created=True)


def fetch_configuration_address(request: Request) -> Answer:
    config = request.backends.addresses.fetch_configuration_address(_sid_or_address(request))
    return Answer(200, config.to_json(request.base_url))


def update_configuration_address(request: Request) -> Answer:
    changes = parse_params("UpdateConfigurationAddress", request.form)
    config = request.backends.addresses.update_configuration_address(_sid_or_address(request), **changes)
    return Answer(200, config.to_json(request.base_url))


def list_configuration_addresses(request: Request) -> Answer:
    query = _query(request, "ListConfigurationAddress")
    kind = query.get("type")
    return _page(request, "ListConfigurationAddress", request.backends.addresses.list_configuration_addresses(kind),
                 query, {"Type": kind} if kind else {})


def delete_configuration_address(request: Request) -> Answer:
    request.backends.addresses.delete_configuration_address(_sid_or_address(request))
    return Answer(204)


HANDLERS: Mapping[str, Callable[[Request], Answer]] = {
    "CreateChannel": create_channel,
    "FetchChannel": fetch_channel,
    "ListChannel": list_channels,
    "DeleteChannel": delete_channel,
    "CreateFlexFlow": create_flex_flow,
    "FetchFlexFlow": fetch_flex_flow,
    "UpdateFlexFlow": update_flex_flow,
    "ListFlexFlow": list_flex_flows,
    "DeleteFlexFlow": delete_flex_flow,
    "CreateConfigurationAddress": create_configuration_address,
    "FetchConfigurationAddress": fetch_configuration_address,
    "UpdateConfigurationAddress": update_configuration_address,
    "ListConfigurationAddress": list_configuration_addresses,
    "DeleteConfigurationAddress": delete_configuration_address,
}
"""Each served operation (by its operationId in Twilio's spec) and its handler."""
