"""The Flex chat channels this program declares, in a module of their own so that a test can declare them under
Pulumi's mocks (test_chat_channels.py) without running the whole program."""

from __future__ import annotations

import pulumi

from flex_provider import FlexChannel


def declare_channels(flex_flow_sid: pulumi.Input[str]) -> dict[str, FlexChannel]:
    """Two channels on one Flex Flow; the second names the first in its task attributes."""
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
    return {"web": web, "follow_up": follow_up}
