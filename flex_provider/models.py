"""What the client returns: a resource as the API answered it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flex_provider.declaration import ResourceType

__all__ = ["ApiObject"]


@dataclass(frozen=True)
class ApiObject:
    """A resource as the API returned it: its declared outputs by name, also readable as attributes."""

    rtype: ResourceType = field(repr=False, compare=False)
    values: Mapping[str, Any]
    answered_at: datetime | None = field(default=None, repr=False, compare=False)
    """When Twilio answered, by Twilio's clock (the HTTP Date header), so it compares with `date_created`."""

    @property
    def sid(self) -> str:
        return self.values["sid"]

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name in ("rtype", "values"):
            raise AttributeError(name)
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(f"{self.rtype.name} has no output {name!r}") from None

    def to_outputs(self) -> dict[str, Any]:
        """The resource's outputs, as Pulumi state keeps them."""
        return dict(self.values)
