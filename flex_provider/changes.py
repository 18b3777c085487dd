"""What a program asks to change: the one comparison of stored state and new inputs that diff, update and adoption
share.

State keeps inputs in stored form (declaration.py), and the API's answers are taken into the same form,
so equal data compares equal whatever form it was given in; an input left unset that the API returns
keeps the server's value and is no change.

A resource read into state by `pulumi import` (a read with the id alone) holds, for each input the API
does not return (a channel's identity and names), a null: not known (`unread`). Its declared value is
recorded by the next update, which sends it nowhere; a replace for it would delete what was imported.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flex_provider.declaration import Field, ResourceType
from flex_provider.pulumi_workarounds import contains_unknown

__all__ = ["changed", "differs", "fixed_changes", "inputs_of", "unread", "update_body"]


def inputs_of(rtype: ResourceType, props: Mapping[str, Any]) -> dict[str, Any]:
    """The declared inputs in `props` in stored form; outputs, options and anything else are left out."""
    return {spec.name: _stored(spec, props[spec.name]) for spec in rtype.fields if props.get(spec.name) is not None}


def changed(rtype: ResourceType, spec: Field, olds: Mapping[str, Any], news: Mapping[str, Any]) -> bool:
    """Whether the program asks `spec` to be other than state has it; a value not known yet may be a change."""
    new = news.get(spec.name)
    if new is None and spec.name in rtype.returned:
        return False
    if contains_unknown(new):
        return True
    old = olds.get(spec.name)
    return differs(spec, None if old is None else _stored(spec, spec.from_api(old)),
                   None if new is None else _stored(spec, new))


def unread(rtype: ResourceType, spec: Field, olds: Mapping[str, Any]) -> bool:
    """Whether state cannot know `spec`: an input the API does not return, left null by an import's read."""
    return spec.name in olds and olds[spec.name] is None and spec.name not in rtype.returned


def fixed_changes(rtype: ResourceType, olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[str]:
    """The changed fields the API cannot change in place: each needs a new resource (an unread one only its
    value recorded)."""
    return [spec.name for spec in rtype.fields
            if not spec.updatable and not unread(rtype, spec, olds) and changed(rtype, spec, olds, news)]


def differs(spec: Field, old: Any, new: Any) -> bool:
    """Whether `new` asks for something `old` is not; a mapping's keys left unset keep the server's value."""
    return spec.kind.differs(old, new, contains_unknown)


def update_body(rtype: ResourceType, changes: Mapping[str, Any], inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The fields an update sends: the changes, and those the API wants in every update (`Field.every_update`)."""
    return {**changes, **{spec.name: inputs[spec.name] for spec in rtype.fields
                          if spec.every_update and inputs.get(spec.name) is not None}}


def _stored(spec: Field, value: Any) -> Any:
    """A value in the form state keeps; an invalid one as given, for check or the API to refuse."""
    return spec.stored(value) if not spec.problems(value) else value
