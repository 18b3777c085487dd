"""The options every resource takes beside its fields, in one table: stack files, the schema and docs read it.

`protect`, `retain_on_delete` and `aliases` become Pulumi resource options. `import` does not:
Pulumi's `import_` fails for every dynamic provider (pulumi/pulumi#16175), so an adopted SID is
the resource input `import_sid`, and the provider's create adopts instead of creating.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flex_provider.declaration import ResourceType
from flex_provider.values import describe, sid_found

__all__ = ["IMPORT_INPUT", "OPTIONS", "OPTIONS_BY_KEY", "Option", "Options"]

IMPORT_INPUT = "import_sid"
"""The input that carries `import`: the SID of an existing resource to adopt in create."""


@dataclass(frozen=True)
class Option:
    """One option: its stack-file key, the type it takes, and what it means (`{noun}`, `{prefix}` filled in)."""

    key: str
    kind: str
    meaning: str
    one_resource: bool = False
    """It names one resource (its SID, its former names), so a section's defaults may not give it: every
    resource of the section would claim the same."""

    def describe(self, rtype: ResourceType) -> str:
        return self.meaning.format(noun=rtype.noun, prefix=rtype.sid_prefix)

    def problem(self, value: Any, rtype: ResourceType) -> str | None:
        """Why `value` is not acceptable for this option on a resource of `rtype`, or None."""
        if self.kind == "boolean":
            return None if isinstance(value, bool) else "must be true or false"
        if self.kind == "sid":
            if isinstance(value, str) and rtype.sid_regex.fullmatch(value):
                return None
            if isinstance(value, list | tuple | Mapping):
                return "must be a string, not a list or mapping"
            if not isinstance(value, str):
                return (f"must be the SID of an existing {rtype.noun} ('{rtype.sid_prefix}' and 32 hex digits), not "
                        f"{describe(value)}")
            return (f"must be the SID of an existing {rtype.noun}: '{rtype.sid_prefix}' and 32 hex digits; "
                    f"{sid_found(rtype.sid_prefix, value)}")
        if not (isinstance(value, list) and value and all(isinstance(a, str) and a.strip() for a in value)):
            return f"must be a list of former {rtype.noun} names (or URNs)"
        if not all(a.isprintable() and a.strip() == a for a in value):
            return "must be names without control characters or leading or trailing spaces"
        return None


OPTIONS: tuple[Option, ...] = (
    Option("protect", "boolean", "Refuse to delete or replace the {noun} until this is false."),
    Option("retain_on_delete", "boolean", "Keep the {noun} in Twilio when it leaves the stack (or is replaced)."),
    Option("import", "sid", "Adopt an existing {noun} by SID ({prefix}…) instead of creating one.", one_resource=True),
    Option("aliases", "names", "Former names of this {noun} (or full URNs), so a rename is not a replace.",
           one_resource=True),
)
OPTIONS_BY_KEY: Mapping[str, Option] = {option.key: option for option in OPTIONS}


@dataclass(frozen=True)
class Options:
    """The options of one declared resource, with the defaults an unset option means."""

    protect: bool = False
    retain_on_delete: bool = False
    import_id: str | None = None
    aliases: tuple[str, ...] = ()

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> Options:
        """From valid option values by stack-file key."""
        return cls(
            protect=values.get("protect", False),
            retain_on_delete=values.get("retain_on_delete", False),
            import_id=values.get("import"),
            aliases=tuple(values.get("aliases", ())),
        )
