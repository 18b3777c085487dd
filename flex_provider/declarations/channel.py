"""The Flex chat channel, `/v1/Channels` of the Flex API: CreateChannel, FetchChannel, ListChannel, DeleteChannel.

The API has no update: every field replaces the channel when it changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flex_provider.declaration import Collision, Field, ListFilter, Reference, ResourceType
from flex_provider.kinds import Kind

if TYPE_CHECKING:
    import pulumi  # the args' types only: loading a declaration never loads Pulumi

__all__ = ["CHANNEL", "FlexChannelArgs"]


@dataclass(frozen=True)
class FlexChannelArgs:
    """The inputs of a Flex chat channel, typed for a Python program.

    `pre_engagement_data` and `task_attributes` take a mapping or a JSON string; both are
    stored as canonical JSON, so the same data never shows a diff. `import_sid` adopts an
    existing channel instead of creating one.
    """

    flex_flow_sid: pulumi.Input[str]
    identity: pulumi.Input[str]
    chat_user_friendly_name: pulumi.Input[str]
    chat_friendly_name: pulumi.Input[str]
    target: pulumi.Input[str] | None = None
    chat_unique_name: pulumi.Input[str] | None = None
    pre_engagement_data: pulumi.Input[str] | Mapping[str, Any] | None = None
    task_sid: pulumi.Input[str] | None = None
    task_attributes: pulumi.Input[str] | Mapping[str, Any] | None = None
    long_lived: pulumi.Input[bool] | None = None
    import_sid: pulumi.Input[str] | None = None


CHANNEL = ResourceType(
    name="FlexChannel",
    module="flex",
    title="Flex chat channel",
    noun="channel",
    api="flex-api",
    operation="Channel",
    path="/v1/Channels",
    list_key="flex_chat_channels",
    max_page_size=1000,
    sid_prefix="CH",
    fields=(
        Field("flex_flow_sid", "FlexFlowSid", Kind.SID, "SID of the Flex Flow the channel belongs to.",
              required=True, sid_prefix="FO", reference=Reference("flex_flow", "flex_flows", "id")),
        Field("identity", "Identity", Kind.TEXT, "Identity of the chat user the channel is created for.",
              required=True),
        Field("chat_user_friendly_name", "ChatUserFriendlyName", Kind.TEXT, "Friendly name of the chat participant.",
              required=True),
        Field("chat_friendly_name", "ChatFriendlyName", Kind.TEXT, "Friendly name of the chat channel.",
              required=True),
        Field("target", "Target", Kind.TEXT, "Target contact identity, for example the customer's phone number."),
        Field("chat_unique_name", "ChatUniqueName", Kind.TEXT, "Unique name of the chat channel within the account."),
        Field("pre_engagement_data", "PreEngagementData", Kind.JSON,
              "Pre-engagement data: a mapping or a JSON string."),
        Field("task_sid", "TaskSid", Kind.SID, "SID of an existing TaskRouter Task (task integrations only).",
              sid_prefix="WT"),
        Field("task_attributes", "TaskAttributes", Kind.JSON,
              "Attributes of the TaskRouter Task: a mapping or a JSON string."),
        Field("long_lived", "LongLived", Kind.BOOL, "Whether the channel is long-lived.", default=True),
    ),
    outputs=("sid", "account_sid", "flex_flow_sid", "user_sid", "task_sid", "url", "date_created", "date_updated"),
    output_descriptions={"user_sid": "The SID of the chat user the channel was made for."},
    exports=("sid", "user_sid", "task_sid", "url"),
    section="channels",
    hands_back_existing=True,
    defaults_key="defaults",
    columns=("sid", "flex_flow_sid", "user_sid", "date_created", "date_updated"),
    list_filters=(ListFilter("--flow", "flex_flow_sid", None, "only the channels of this Flex Flow (FO…)"),),
    collisions=(
        Collision(("chat_unique_name",),
                  "{value} is already the unique name of channel '{other}'; unique names must differ within the "
                  "account"),
        Collision(("flex_flow_sid", "identity"),
                  "channel '{other}' has the same flex_flow_sid and identity; Flex would hand back that channel "
                  "instead of creating a second one"),
    ),
    args=FlexChannelArgs,
)
