"""Flex Flows (`/v1/FlexFlows` of the Flex API): the backend and its model.

Assumed, as Twilio does not document it: an update changes only the parameters it sends, an
`Integration.*` parameter included (the other integration keys stay); `integration` is answered
as a mapping of snake_case keys (Twilio's example: `{"flow_sid": …, "retry_count": 1}`); a flow
with channels can be deleted.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from twilio_emulator.account import new_sid, now
from twilio_emulator.backends.records import Records

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
    path = PATH
    record_type = FlexFlow

    def create_flex_flow(self, *, friendly_name: str, chat_service_sid: str, channel_type: str,
                         contact_identity: str | None = None, enabled: bool | None = None,
                         integration_type: str | None = None, integration: dict[str, Any] | None = None,
                         long_lived: bool | None = None, janitor_enabled: bool | None = None) -> FlexFlow:
        """CreateFlexFlow. `enabled`, `long_lived` and `janitor_enabled` default to false, as Twilio documents;
        `integration_type` to `studio` (assumed: the spec never answers it null)."""
        with self._account.change() as on_undo:
            stamp = now()
            flow = FlexFlow(sid=new_sid("FO"), account_sid=self._account.account_sid, friendly_name=friendly_name,
                            chat_service_sid=chat_service_sid, channel_type=channel_type,
                            contact_identity=contact_identity, enabled=bool(enabled),
                            integration_type=integration_type or "studio", integration=dict(integration or {}),
                            long_lived=bool(long_lived), janitor_enabled=bool(janitor_enabled), date_created=stamp,
                            date_updated=stamp, seq=self._account.next_seq())
            self._add(flow, on_undo)
            return flow

    def fetch_flex_flow(self, sid: str) -> FlexFlow:
        return self._get(sid)

    def update_flex_flow(self, sid: str, **changes: Any) -> FlexFlow:
        """UpdateFlexFlow: the parameters sent change; `integration` keys merge into the current ones."""
        with self._account.change() as on_undo:
            return self._update(self._get(sid), changes, "integration", on_undo)

    def list_flex_flows(self, friendly_name: str | None = None) -> list[FlexFlow]:
        return [f for f in self._all() if friendly_name is None or f.friendly_name == friendly_name]

    def delete_flex_flow(self, sid: str) -> None:
        with self._account.change() as on_undo:
            self._remove(self._get(sid).sid, on_undo)
