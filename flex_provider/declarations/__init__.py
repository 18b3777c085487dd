"""Every resource flex-channels manages, each declared once and registered here, one line each.

The product is made from RESOURCE_TYPES: client operations, provider and resource classes, stack-file
sections, the schema, the CLI's list commands and the exports. A program declares them in dependency
order (`declaration.in_dependency_order`), so the order here is no rule; it is the order of sections
in messages and docs.
"""

from __future__ import annotations

from collections.abc import Mapping

from flex_provider.declaration import ResourceType
from flex_provider.declarations.address import ADDRESS
from flex_provider.declarations.channel import CHANNEL
from flex_provider.declarations.flex_flow import FLEX_FLOW

__all__ = ["ADDRESS", "BY_NAME", "CHANNEL", "FLEX_FLOW", "RESOURCE_TYPES"]

RESOURCE_TYPES: tuple[ResourceType, ...] = (FLEX_FLOW, CHANNEL, ADDRESS)
BY_NAME: Mapping[str, ResourceType] = {rtype.name: rtype for rtype in RESOURCE_TYPES}
