"""Every resource flex-channels manages, each declared once; order is the order of declaration in a program."""

from __future__ import annotations

from collections.abc import Mapping

from flex_provider.declaration import ResourceType
from flex_provider.declarations.address import ADDRESS
from flex_provider.declarations.channel import CHANNEL
from flex_provider.declarations.flex_flow import FLEX_FLOW

__all__ = ["ADDRESS", "BY_NAME", "BY_SECTION", "CHANNEL", "FLEX_FLOW", "RESOURCE_TYPES"]

RESOURCE_TYPES: tuple[ResourceType, ...] = (FLEX_FLOW, CHANNEL, ADDRESS)
BY_NAME: Mapping[str, ResourceType] = {rtype.name: rtype for rtype in RESOURCE_TYPES}
BY_SECTION: Mapping[str, ResourceType] = {rtype.section: rtype for rtype in RESOURCE_TYPES}
