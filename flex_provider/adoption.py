"""Adoption, the whole story in one place: `import: SID` takes an existing resource into the stack instead of
creating one.

Pulumi's own import fails for every dynamic provider (pulumi/pulumi#16175), so the SID travels as the
input `import_sid` (options.py) and each operation of the core plays one part:

1. check: the SID must be one of the resource's type. While the import line names the resource in state,
   a change of a field the API cannot change is refused (`check_import`): its replace would adopt the
   same resource again and then delete it, the only copy.
2. diff: an import naming another resource than the one in state (or one not known yet) is a replace
   that adopts the new one and deletes the old (`adopts_another`). A replace-only change found only
   against the live resource (a Console edit a refresh brought in) while the import still names it is
   answered as an update (`keeps_adopted`), because diff never fails: the engine diffs after every
   refresh, and an error there would stop the refresh.
3. update refuses that update (`refuse_readoption`) with the same words as check.
4. create adopts instead of POSTing to the collection (`adopt`): it fetches the resource, refuses one
   whose fixed fields differ from the declaration, and updates the fields that can change.
5. State keeps the import (`adopted`), so dropping the import line later is no change.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flex_provider.changes import differs, fixed_changes, update_body
from flex_provider.client import ApiObject, FlexClient
from flex_provider.declaration import ResourceType
from flex_provider.errors import AdoptionError, NotFoundError
from flex_provider.options import IMPORT_INPUT, OPTIONS_BY_KEY
from flex_provider.pulumi_workarounds import contains_unknown
from flex_provider.values import a_or_an, shown

__all__ = ["adopt", "adopted", "adopts_another", "check_import", "keeps_adopted", "refuse_readoption"]


def check_import(rtype: ResourceType, olds: Mapping[str, Any], news: Mapping[str, Any],
                 inputs: dict[str, Any]) -> str | None:
    """Check's part: why the import cannot stand, or None (then it joins the checked `inputs`, if given)."""
    sid = news.get(IMPORT_INPUT)
    if sid is None:
        return None
    reason = None if contains_unknown(sid) else OPTIONS_BY_KEY["import"].problem(sid, rtype)
    if reason:
        return reason
    inputs[IMPORT_INPUT] = sid
    fixed = fixed_changes(rtype, olds, inputs) if olds else []
    if olds.get(IMPORT_INPUT) == sid and fixed:
        return str(_readoption(rtype, sid, fixed))
    return None


def adopts_another(id_: str, news: Mapping[str, Any]) -> bool:
    """Diff's part: the import names another resource than the one in state (or one not known yet)."""
    sid = news.get(IMPORT_INPUT)
    return sid is not None and (contains_unknown(sid) or sid != id_)


def keeps_adopted(id_: str, news: Mapping[str, Any]) -> bool:
    """Diff's part: the import still names the resource in state."""
    return news.get(IMPORT_INPUT) == id_


def refuse_readoption(rtype: ResourceType, id_: str, olds: Mapping[str, Any], news: Mapping[str, Any]) -> None:
    """Update's part: refuse the replace-only change diff answered as an update (step 2)."""
    fixed = fixed_changes(rtype, olds, news)
    if keeps_adopted(id_, news) and fixed:
        raise _readoption(rtype, id_, fixed)


def adopt(rtype: ResourceType, client: Callable[[], FlexClient], sid: str, inputs: Mapping[str, Any]) -> ApiObject:
    """Create's part: the resource `sid` names, made to match `inputs` where it can be; no POST to the collection."""
    flex = client()
    parents = {spec.name: inputs.get(spec.name) for spec in rtype.path_fields}
    try:
        found = flex.fetch(rtype, sid, **parents)
    except NotFoundError as error:
        raise AdoptionError(
            f"cannot adopt {rtype.title} {sid}: the account has no such {rtype.noun}. Check the SID "
            f"(`python -m flex_provider {rtype.command} list`), or remove `import` to create a new {rtype.noun}."
        ) from error
    returned = [spec for spec in rtype.fields if spec.name in rtype.returned and spec.name in inputs]
    for spec in returned:
        actual = found.values.get(spec.name)
        if not spec.updatable and actual != inputs[spec.name]:
            theirs, ours = shown(str(actual)), shown(str(inputs[spec.name]))  # Twilio's and the file's: escaped
            raise AdoptionError(
                f"cannot adopt {rtype.title} {sid}: its {spec.name} is {theirs}, but the {rtype.noun} declares "
                f"{ours}, and {a_or_an(rtype.noun)}'s {spec.name} cannot change. Declare {spec.name}: {theirs} to "
                f"adopt it as it is, or import {a_or_an(rtype.noun)} of {ours} (`python -m flex_provider "
                f"{rtype.command} list` lists them)."
            )
    changes = {spec.name: inputs[spec.name]
               for spec in returned if differs(spec, found.values.get(spec.name), inputs[spec.name])}
    return flex.update(rtype, sid, update_body(rtype, changes, inputs), **parents) if changes else found


def adopted(props: Mapping[str, Any]) -> dict[str, Any]:
    """What state keeps of the import: the SID, once adopted."""
    return {IMPORT_INPUT: props[IMPORT_INPUT]} if props.get(IMPORT_INPUT) else {}


def _readoption(rtype: ResourceType, sid: str, fields: list[str]) -> AdoptionError:
    return AdoptionError(
        f"{rtype.title} {sid} was adopted with `import`, and a change of {', '.join(fields)} needs a new "
        f"{rtype.noun}: the replace would adopt {sid} again and then delete it. Remove the `import` line "
        f"first (the {rtype.noun} stays in the stack), then make the change.")
