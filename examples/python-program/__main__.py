"""A Pulumi program of your own that uses flex-channels as a library: two Flex chat channels, declared in Python.

    pulumi config set flexFlowSid FO…
    pulumi config set twilio:accountSid AC…
    pulumi config set --secret twilio:authToken …
    pulumi up
"""

import pulumi
from chat_channels import declare_channels

config = pulumi.Config()
channels = declare_channels(config.require("flexFlowSid"))

for name, channel in channels.items():
    pulumi.export(name, channel.sid)
