"""A fourth resource, declared here in the test package only: a toy webhook nested under a Flex Flow.

It is made the way a real fourth resource would be, and nothing of the product knows it: one
declaration (with its args class), the provider and resource classes the product makes from it, and
one emulator backend with its contract. Its collection is nested (`/v1/FlexFlows/{FlexFlowSid}/Webhooks`,
as a TaskRouter queue lives under its workspace), and its API takes an update only with `Status`, as
Studio's does. The API is not Twilio's: it exists only in this file and in the emulator it is given to.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from flex_provider.declaration import Field, ListFilter, Reference, ResourceType
from flex_provider.kinds import Kind
from flex_provider.provider import provider_class
from flex_provider.resource import declare_resource
from twilio_emulator.account import new_sid, now
from twilio_emulator.backends import BACKENDS, Records

if TYPE_CHECKING:
    import pulumi

PATH = "/v1/FlexFlows/{FlexFlowSid}/Webhooks"


@dataclass(frozen=True)
class FlowWebhookArgs:
    """The inputs of a toy webhook, typed for a Python program."""

    flex_flow_sid: pulumi.Input[str]
    unique_name: pulumi.Input[str]
    url: pulumi.Input[str]
    method: pulumi.Input[str] | None = None
    status: pulumi.Input[str] | None = None
    import_sid: pulumi.Input[str] | None = None


TOY = ResourceType(
    name="FlowWebhook",
    module="flex",
    title="Flex Flow webhook",
    noun="webhook",
    api="flex-api",
    operation="FlowWebhook",
    path=PATH,
    list_key="webhooks",
    max_page_size=100,
    sid_prefix="WH",
    fields=(
        Field("flex_flow_sid", "FlexFlowSid", Kind.SID, "The Flex Flow it belongs to (its path).", required=True,
              sid_prefix="FO", reference=Reference("flex_flow", "flex_flows", "id")),
        Field("unique_name", "UniqueName", Kind.TEXT, "Its name, unique in its flow.", required=True),
        Field("url", "Url", Kind.URL, "Where its events go.", required=True, updatable=True),
        Field("method", "Method", Kind.CHOICE, "The HTTP method of its events.", choices=("get", "post"),
              updatable=True),
        Field("status", "Status", Kind.CHOICE, "Whether it sends events; every update must say it.",
              choices=("active", "inactive"), default="active", updatable=True, every_update=True),
    ),
    outputs=("sid", "account_sid", "flex_flow_sid", "unique_name", "url", "method", "status", "date_created",
             "date_updated"),
    exports=("sid", "url"),
    section="flow_webhooks",
    defaults_key="flow_webhook_defaults",
    columns=("sid", "unique_name", "url", "status"),
    list_filters=(ListFilter("--status", "status", "Status", "only webhooks of this status"),),
    args=FlowWebhookArgs,
)

FlowWebhookProvider = provider_class(TOY, __name__)
FlowWebhook = declare_resource(TOY, FlowWebhookProvider, __name__)


def _param(kind: str, **rule: Any) -> dict[str, Any]:
    return {"type": kind, **rule}


_FORM = {"Url": _param("string", format="uri"), "Method": _param("string", enum=["get", "post"])}
CONTRACT: dict[str, dict[str, Any]] = {
    "CreateFlowWebhook": {"method": "POST", "path": PATH, "api": "flex-api", "status": 201, "params": {
        "UniqueName": _param("string", required=True), **_FORM, "Url": _param("string", format="uri", required=True),
        "Status": _param("string", enum=["active", "inactive"])}},
    "FetchFlowWebhook": {"method": "GET", "path": f"{PATH}/{{Sid}}", "api": "flex-api", "status": 200, "params": {}},
    "UpdateFlowWebhook": {"method": "POST", "path": f"{PATH}/{{Sid}}", "api": "flex-api", "status": 200, "params": {
        **_FORM, "Status": _param("string", enum=["active", "inactive"], required=True)}},
    "ListFlowWebhook": {"method": "GET", "path": PATH, "api": "flex-api", "status": 200, "list_key": "webhooks",
                        "params": {"Status": _param("string"), "PageSize": _param("integer", minimum=1, maximum=100),
                                   "Page": _param("integer", minimum=0), "PageToken": _param("string")}},
    "DeleteFlowWebhook": {"method": "DELETE", "path": f"{PATH}/{{Sid}}", "api": "flex-api", "status": 204,
                          "params": {}},
}
"""The toy API, written as contract.json writes Twilio's operations (the update requires `Status`)."""


@dataclass
class Webhook:
    sid: str
    account_sid: str
    flex_flow_sid: str
    unique_name: str
    url: str
    method: str | None
    status: str
    date_created: str
    date_updated: str
    seq: int

    def to_json(self, base_url: str) -> dict[str, Any]:
        body = {key: value for key, value in asdict(self).items() if key != "seq"}
        return {**body, "self": f"{base_url}/v1/FlexFlows/{self.flex_flow_sid}/Webhooks/{self.sid}"}


class FlowWebhookBackend(Records[Webhook]):
    """The toy webhooks of every flow, in creation order."""

    section = "flow_webhooks"
    noun = "FlowWebhook"
    path = PATH
    record_type = Webhook
    references = {"flex_flow_sid": "flex_flows"}  # noqa: RUF012 - read only
    contract = CONTRACT

    def create(self, *, flex_flow_sid: str, unique_name: str, url: str, method: str | None = None,
               status: str | None = None) -> tuple[Webhook, bool]:
        with self.account.change() as on_undo:
            stamp = now()
            webhook = Webhook(new_sid("WH"), self.account.account_sid, flex_flow_sid, unique_name, url, method,
                              status or "active", stamp, stamp, self.account.next_seq())
            self._add(webhook, on_undo)
            return webhook, True


TOY_BACKENDS = (*BACKENDS, FlowWebhookBackend)
"""The emulator's backends with the toy's."""
