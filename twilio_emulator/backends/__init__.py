"""One backend per Twilio resource, registered here, one line each: the emulator serves every operation the contract
gives each of them, in this order."""

from __future__ import annotations

from twilio_emulator.backends.addresses import AddressBackend
from twilio_emulator.backends.channels import ChannelBackend
from twilio_emulator.backends.flex_flows import FlexFlowBackend
from twilio_emulator.backends.records import Records

__all__ = ["BACKENDS", "Records"]

BACKENDS: tuple[type[Records], ...] = (FlexFlowBackend, ChannelBackend, AddressBackend)
