"""A Pulumi program of your own that uses flex-channels as a library: two Flex chat channels, declared in Python.

    pulumi config set flexFlowSid FO…
    pulumi config set twilio:accountSid AC…
    pulumi config set --secret twilio:authToken …
    pulumi up
"""

import pulumi

from flex_provider import FlexChannel

config = pulumi.Config()
flex_flow_sid = config.require("flexFlowSid")

web = FlexChannel(
    "web",
    flex_flow_sid=flex_flow_sid,
    identity="web-visitor",
    chat_user_friendly_name="Website visitor",
    chat_friendly_name="Website chat",
    pre_engagement_data={"source": "website"},
)

# An output of one resource as the input of another: Pulumi creates `web` first, then this channel
# with web's real SID in its task attributes.
follow_up = FlexChannel(
    "follow-up",
    flex_flow_sid=flex_flow_sid,
    identity="web-visitor-follow-up",
    chat_user_friendly_name="Website visitor",
    chat_friendly_name="Follow-up chat",
    task_attributes={"follows_up": web.sid},
)

pulumi.export("web", web.sid)
pulumi.export("follow_up", follow_up.sid)
