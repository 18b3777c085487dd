"""The Conversations address configuration, `/v1/Configuration/Addresses` of the Conversations API: Create, Fetch,
Update, List and DeleteConfigurationAddress.

It says which address (an SMS number, a WhatsApp sender, a web chat address…) starts conversations
automatically, and where they go. `type`, `address` and `address_country` are not in the update
body of Twilio's spec (Twilio's Terraform provider makes them ForceNew too), so changing one
replaces the configuration; the rest changes in place. Twilio allows one configuration per address:
a replace that keeps the type and address (an `address_country` change) deletes the old one first.

Where the spec says a rule in prose only, it is declared as said: an `auto_creation` of type
`webhook` needs its `webhook_url`, one of type `studio` its `studio_flow_sid` ("for type …"), and
`address_country` is "an ISO 3166-1 alpha-2 country code", and each of `webhook_filters` is one of the events
the spec lists ("values can be any of the following"). ASSUMED where the spec is silent (docs/development.md,
Assumed Twilio behaviour): the webhook URL is an absolute http(s) URL, as every URL Twilio calls is
(the spec gives it no `format`), and the country code is written in capitals, as ISO 3166 writes it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flex_provider.declaration import Collision, Field, ListFilter, ResourceType, Shape
from flex_provider.kinds import Kind

if TYPE_CHECKING:
    import pulumi  # the args' types only: loading a declaration never loads Pulumi

__all__ = ["ADDRESS", "AddressConfigurationArgs", "AutoCreationArgs"]


@dataclass(frozen=True)
class AutoCreationArgs:
    """Whether inbound messages to an address start a conversation, and where it goes."""

    enabled: pulumi.Input[bool] | None = None
    type: pulumi.Input[str] | None = None
    conversation_service_sid: pulumi.Input[str] | None = None
    webhook_url: pulumi.Input[str] | None = None
    webhook_method: pulumi.Input[str] | None = None
    webhook_filters: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None
    studio_flow_sid: pulumi.Input[str] | None = None
    studio_retry_count: pulumi.Input[int] | None = None


@dataclass(frozen=True)
class AddressConfigurationArgs:
    """The inputs of a Conversations address configuration, typed for a Python program. `auto_creation` takes
    the args class or a mapping."""

    type: pulumi.Input[str]
    address: pulumi.Input[str]
    friendly_name: pulumi.Input[str] | None = None
    address_country: pulumi.Input[str] | None = None
    auto_creation: AutoCreationArgs | Mapping[str, Any] | None = None
    import_sid: pulumi.Input[str] | None = None


ADDRESS = ResourceType(
    name="AddressConfiguration",
    module="conversations",
    title="address configuration",
    noun="address",
    api="conversations",
    operation="ConfigurationAddress",
    path="/v1/Configuration/Addresses",
    list_key="address_configurations",
    max_page_size=50,
    sid_prefix="IG",
    fields=(
        Field("type", "Type", Kind.CHOICE, "The kind of address.", required=True,
              choices=("sms", "whatsapp", "messenger", "gbm", "email", "rcs", "apple", "chat")),
        Field("address", "Address", Kind.TEXT,
              "The address: a phone number (+15005550006), a WhatsApp address (whatsapp:+15005550006)…",
              required=True),
        Field("friendly_name", "FriendlyName", Kind.TEXT, "Name of the configuration (256 characters at most).",
              updatable=True, max_length=256),
        Field("address_country", "AddressCountry", Kind.TEXT,
              "ISO 3166-1 alpha-2 country code of the address (short codes only).",
              shape=Shape("[A-Z]{2}", "an ISO 3166-1 alpha-2 country code, two capital letters such as US")),
        Field("auto_creation", "AutoCreation", Kind.OBJECT,
              "Whether inbound messages to the address start a conversation, and where it goes.", updatable=True,
              fields=(
                  Field("enabled", "AutoCreation.Enabled", Kind.BOOL, "Start a conversation on an inbound message.",
                        updatable=True),
                  Field("type", "AutoCreation.Type", Kind.CHOICE,
                        "Where a new conversation goes: a webhook, a Studio flow, or neither (default).",
                        choices=("webhook", "studio", "default"), updatable=True,
                        requires={"webhook": ("auto_creation.webhook_url",),
                                  "studio": ("auto_creation.studio_flow_sid",)}),
                  Field("conversation_service_sid", "AutoCreation.ConversationServiceSid", Kind.SID,
                        "Conversation Service of new conversations (default: the account's default service).",
                        sid_prefix="IS", updatable=True),
                  Field("webhook_url", "AutoCreation.WebhookUrl", Kind.URL,
                        "Webhook URL, absolute http(s) (type webhook).", updatable=True),
                  Field("webhook_method", "AutoCreation.WebhookMethod", Kind.CHOICE,
                        "HTTP method of the webhook (type webhook).", choices=("get", "post"), updatable=True),
                  Field("webhook_filters", "AutoCreation.WebhookFilters", Kind.TEXT_LIST,
                        "Conversation events sent to the webhook (type webhook), e.g. onMessageAdded.",
                        updatable=True, item_choices=(
                            "onMessageAdded", "onMessageUpdated", "onMessageRemoved", "onConversationUpdated",
                            "onConversationStateUpdated", "onConversationRemoved", "onParticipantAdded",
                            "onParticipantUpdated", "onParticipantRemoved", "onDeliveryUpdated")),
                  Field("studio_flow_sid", "AutoCreation.StudioFlowSid", Kind.SID, "Studio Flow (type studio).",
                        sid_prefix="FW", updatable=True),
                  Field("studio_retry_count", "AutoCreation.StudioRetryCount", Kind.INT,
                        "Retries of the Studio webhook (type studio).", updatable=True),
              )),
    ),
    outputs=("sid", "account_sid", "type", "address", "friendly_name", "auto_creation", "date_created",
             "date_updated", "url", "address_country"),
    exports=("sid", "type", "address", "url"),
    section="addresses",
    defaults_key="address_defaults",
    columns=("sid", "type", "address", "friendly_name", "date_created"),
    list_filters=(ListFilter("--type", "type", "Type", "only configurations of this type (sms, whatsapp, …)"),),
    collisions=(
        Collision(("address",),
                  "address '{other}' has the same address; Twilio allows one configuration per address, whatever "
                  "its type (its fetch takes the address in place of the SID)"),
    ),
    args=AddressConfigurationArgs,
)
