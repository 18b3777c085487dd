"""Tests of this program's channels under Pulumi's mocks: no Pulumi engine, no Twilio, no credentials.

Run them with pytest, from this directory: `python -m pytest` (it prints `3 passed`). Run as
`python test_chat_channels.py`, this file hands itself to pytest, so it never "passes" silently.

Each test returns an Output from a function decorated with `@pulumi.runtime.test`, which waits for it:
an `assert` inside an `apply` that nothing waits for never runs, and such a test passes without having
checked anything.
"""

from __future__ import annotations

import hashlib
import json
import sys
from typing import Any

import pulumi
import pytest
from chat_channels import declare_channels

from flex_provider import FlexChannel

FLOW = "FO" + "0" * 31 + "1"


class TwilioMocks(pulumi.runtime.Mocks):
    """Stands in for the engine and Twilio: each resource is created with its inputs and a SID made from its name."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        sid = "CH" + hashlib.sha256(args.name.encode()).hexdigest()[:32]
        return sid, {**args.inputs, "sid": sid}

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


pulumi.runtime.set_mocks(TwilioMocks(), project="flex-channels-example", stack="test", preview=False)


@pytest.fixture(scope="module")
def channels() -> dict[str, FlexChannel]:
    """The program's channels, declared once the mocks are set (declaring them at import would be too soon)."""
    return declare_channels(FLOW)


@pulumi.runtime.test
def test_both_channels_are_on_the_flow_given(channels: dict[str, FlexChannel]) -> pulumi.Output[None]:
    def check(flow_sids: list[str]) -> None:
        assert flow_sids == [FLOW, FLOW]

    return pulumi.Output.all(*(channel.flex_flow_sid for channel in channels.values())).apply(check)


@pulumi.runtime.test
def test_the_follow_up_channel_names_the_web_channel(channels: dict[str, FlexChannel]) -> pulumi.Output[None]:
    def check(args: list[Any]) -> None:
        web_sid, task_attributes = args
        assert web_sid.startswith("CH")
        assert json.loads(task_attributes) == {"follows_up": web_sid}

    return pulumi.Output.all(channels["web"].sid, channels["follow_up"].task_attributes).apply(check)


def test_a_malformed_flow_sid_stops_the_program_where_it_is_declared() -> None:
    with pytest.raises(ValueError, match=r"^FlexChannel 'web': flex_flow_sid must be an FO SID") as caught:
        declare_channels("FO123")
    assert str(caught.value).endswith("found 'FO' and 3 hex digits")


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, *sys.argv[1:]]))
