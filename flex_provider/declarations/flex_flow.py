"""The Flex Flow, `/v1/FlexFlows` of the Flex API: Create, Fetch, Update, List and DeleteFlexFlow.

Which integration keys each integration type needs, and the bounds of `retry_count`, are the
spec's (its parameter descriptions). Twilio's spec lets an update change every field, and Twilio's
Terraform provider updates every one
in place. flex-channels replaces a flow only for `chat_service_sid`: a flow's channels live in its
chat service, so moving the flow to another service would leave them behind in the old one; a new
flow, with its channels created again under it, is what the change means.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flex_provider.declaration import Field, ListFilter, ResourceType
from flex_provider.kinds import Kind

if TYPE_CHECKING:
    import pulumi  # the args' types only: loading a declaration never loads Pulumi

__all__ = ["FLEX_FLOW", "FlexFlowArgs", "FlexFlowIntegrationArgs"]


@dataclass(frozen=True)
class FlexFlowIntegrationArgs:
    """Where a Flex Flow's inbound messages go: the keys its integration type uses."""

    flow_sid: pulumi.Input[str] | None = None
    url: pulumi.Input[str] | None = None
    workspace_sid: pulumi.Input[str] | None = None
    workflow_sid: pulumi.Input[str] | None = None
    channel: pulumi.Input[str] | None = None
    timeout: pulumi.Input[int] | None = None
    priority: pulumi.Input[int] | None = None
    creation_on_message: pulumi.Input[bool] | None = None
    retry_count: pulumi.Input[int] | None = None


@dataclass(frozen=True)
class FlexFlowArgs:
    """The inputs of a Flex Flow, typed for a Python program. `integration` takes the args class or a mapping."""

    friendly_name: pulumi.Input[str]
    chat_service_sid: pulumi.Input[str]
    channel_type: pulumi.Input[str]
    contact_identity: pulumi.Input[str] | None = None
    enabled: pulumi.Input[bool] | None = None
    integration_type: pulumi.Input[str] | None = None
    integration: FlexFlowIntegrationArgs | Mapping[str, Any] | None = None
    long_lived: pulumi.Input[bool] | None = None
    janitor_enabled: pulumi.Input[bool] | None = None
    import_sid: pulumi.Input[str] | None = None


FLEX_FLOW = ResourceType(
    name="FlexFlow",
    module="flex",
    title="Flex Flow",
    noun="flow",
    api="flex-api",
    operation="FlexFlow",
    path="/v1/FlexFlows",
    list_key="flex_flows",
    max_page_size=1000,
    sid_prefix="FO",
    fields=(
        Field("friendly_name", "FriendlyName", Kind.TEXT, "Name of the Flex Flow.", required=True, updatable=True),
        Field("chat_service_sid", "ChatServiceSid", Kind.SID, "SID of the chat service its channels live in.",
              required=True, sid_prefix="IS"),
        Field("channel_type", "ChannelType", Kind.CHOICE, "The channel type the flow serves.", required=True,
              choices=("web", "sms", "facebook", "whatsapp", "line", "custom"), updatable=True),
        Field("contact_identity", "ContactIdentity", Kind.TEXT,
              "The channel contact's identity, for example a phone number for SMS.", updatable=True),
        Field("enabled", "Enabled", Kind.BOOL, "Whether the flow is enabled.", updatable=True),
        Field("integration_type", "IntegrationType", Kind.CHOICE, "What handles inbound messages.",
              choices=("studio", "external", "task"), updatable=True,
              requires={"studio": ("integration.flow_sid",), "external": ("integration.url",),
                        "task": ("integration.workspace_sid", "integration.workflow_sid")}),
        Field("integration", "Integration", Kind.OBJECT, "Where inbound messages go, by integration type.",
              updatable=True, fields=(
                  Field("flow_sid", "Integration.FlowSid", Kind.SID, "Studio Flow (studio integrations).",
                        sid_prefix="FW", updatable=True),
                  Field("url", "Integration.Url", Kind.URL, "External webhook URL (external integrations).",
                        updatable=True),
                  Field("workspace_sid", "Integration.WorkspaceSid", Kind.SID, "TaskRouter Workspace (task).",
                        sid_prefix="WS", updatable=True),
                  Field("workflow_sid", "Integration.WorkflowSid", Kind.SID, "TaskRouter Workflow (task).",
                        sid_prefix="WW", updatable=True),
                  Field("channel", "Integration.Channel", Kind.TEXT, "TaskRouter task channel (task).",
                        updatable=True),
                  Field("timeout", "Integration.Timeout", Kind.INT, "Task timeout in seconds (task).",
                        updatable=True),
                  Field("priority", "Integration.Priority", Kind.INT, "Task priority (task).", updatable=True),
                  Field("creation_on_message", "Integration.CreationOnMessage", Kind.BOOL,
                        "Create the task on the first message, not on channel creation (task).", updatable=True),
                  Field("retry_count", "Integration.RetryCount", Kind.INT, "Webhook retries (studio, external).",
                        updatable=True, bounds=(0, 3)),
              )),
        Field("long_lived", "LongLived", Kind.BOOL, "Keep chat channels active for later interactions.",
              updatable=True),
        Field("janitor_enabled", "JanitorEnabled", Kind.BOOL, "Let the janitor close inactive channels.",
              updatable=True),
    ),
    outputs=("sid", "account_sid", "friendly_name", "chat_service_sid", "channel_type", "contact_identity", "enabled",
             "integration_type", "integration", "long_lived", "janitor_enabled", "url", "date_created",
             "date_updated"),
    exports=("sid", "friendly_name", "channel_type"),
    section="flex_flows",
    defaults_key="flex_flow_defaults",
    columns=("sid", "friendly_name", "channel_type", "integration_type", "date_created"),
    list_filters=(ListFilter("--friendly-name", "friendly_name", "FriendlyName", "only flows with this name"),),
    args=FlexFlowArgs,
)
