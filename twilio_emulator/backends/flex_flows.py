"""Flex Flows (`/v1/FlexFlows` of the Flex API): the backend and its model.

Assumed, as Twilio does not document it: an update changes only the parameters it sends, an
`Integration.*` parameter included (the other integration keys stay); `integration` is answered
as a mapping of snake_case keys (Twilio's example: `{"flow_sid": …, "retry_count": 1}`); a flow
with channels can be deleted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from twilio_emulator.account import new_sid, now
from twilio_emulator.backends.records import Records
from twilio_emulator.errors import invalid

__all__ = ["FlexFlow", "FlexFlowBackend"]

PATH = "/v1/FlexFlows"


@dataclass
class FlexFlow:
    """A Flex Flow as the emulator keeps it; `to_json` makes the API's `flex.v1.flex_flow`."""

    sid: str
    account_sid: str
    friendly_name: str
    chat_service_sid: str
    channel_type: str
    contact_identity: str | None
    enabled: bool
    integration_type: str | None
    integration: dict[str, Any] = field(default_factory=dict)
    long_lived: bool = False
    janitor_enabled: bool = False
    date_created: str = ""
    date_updated: str = ""
    seq: int = 0

    def to_json(self, base_url: str) -> dict[str, Any]:
        body = {key: value for key, value in asdict(self).items() if key != "seq"}
        return {**body, "integration": dict(self.integration) or None, "url": f"{base_url}{PATH}/{self.sid}"}


class FlexFlowBackend(Records[FlexFlow]):
    """The account's Flex Flows, in creation order."""

    section = "flex_flows"
    noun = "FlexFlow"
    path = PATH
    record_type = FlexFlow
    merged = "integration"

    def check(self, params: Mapping[str, Any], current: FlexFlow | None) -> None:
        """The rules the spec states in prose, on the flow as the request would leave it: what each IntegrationType
        needs ("Required when integrationType is studio"), and Integration.RetryCount from 0 to 3."""
        integration = {**(current.integration if current else {}), **params.get("integration", {})}
        kind = params.get("integration_type")
        for key in _INTEGRATION_NEEDS.get(kind, ()) if kind else ():
            if integration.get(key) is None:
                api_name = "Integration." + "".join(part.title() for part in key.split("_"))
                raise invalid(f"Missing required parameter {api_name} when IntegrationType is {kind}")
        retries = params.get("integration", {}).get("retry_count")
        if retries is not None and not 0 <= retries <= 3:
            raise invalid(f"Invalid Integration.RetryCount: {retries} is not between 0 and 3")

    def create(self, *, friendly_name: str, chat_service_sid: str, channel_type: str,
               contact_identity: str | None = None, enabled: bool | None = None,
               integration_type: str | None = None, integration: dict[str, Any] | None = None,
               long_lived: bool | None = None, janitor_enabled: bool | None = None) -> tuple[FlexFlow, bool]:
        """CreateFlexFlow. `enabled`, `long_lived` and `janitor_enabled` default to false, as Twilio documents;
        `integration_type` to `studio` (assumed: the spec never answers it null)."""
        with self.account.change() as on_undo:
            stamp = now()
            flow = FlexFlow(sid=new_sid("FO"), account_sid=self.account.account_sid, friendly_name=friendly_name,
                            chat_service_sid=chat_service_sid, channel_type=channel_type,
                            contact_identity=contact_identity, enabled=bool(enabled),
                            integration_type=integration_type or "studio", integration=dict(integration or {}),
                            long_lived=bool(long_lived), janitor_enabled=bool(janitor_enabled), date_created=stamp,
                            date_updated=stamp, seq=self.account.next_seq())
            self._add(flow, on_undo)
            return flow, True


_INTEGRATION_NEEDS = {"studio": ("flow_sid",), "external": ("url",), "task": ("workspace_sid", "workflow_sid")}
"""What each IntegrationType needs, from the spec's parameter descriptions."""
