"""The lifecycle every declared resource goes through, written once and run for each type: a whole life, drift,
adoption, and adoption refused.

Each scenario reads what to do from the declaration (which field changes in place, which replaces,
which collisions make a replace delete first) and takes valid values from tests/support.py, so a
new declaration runs through all of them with nothing written here; the toy resource of tests/toy.py
(nested, with an update that needs its `Status`) runs with the real ones. Steps go through the
engine-step driver and the real dynamic host, and assert the requests the emulator received.
"""

from __future__ import annotations

from typing import Any

import grpc
import pytest

from flex_provider.client import FlexClient
from flex_provider.declaration import ResourceType
from flex_provider.declarations import RESOURCE_TYPES
from flex_provider.resource import resource_class
from flex_provider.values import a_or_an
from tests.engine import Goal, Stack, goal, grpc_error_text
from tests.support import (
    calls,
    example,
    fixed_field,
    ids,
    in_place_field,
    shape,
    update_form,
    value,
    with_parents,
)
from tests.toy import TOY, TOY_BACKENDS
from twilio_emulator import Emulator

TYPES = (*RESOURCE_TYPES, TOY)
EVERY_TYPE = pytest.mark.parametrize("rtype", TYPES, ids=[rtype.name for rtype in TYPES])
pytestmark = pytest.mark.emulator(backends=TOY_BACKENDS)


def declared(rtype: ResourceType, name: str = "one", **inputs: Any) -> Goal:
    return goal(resource_class(rtype), name, **inputs)


def inputs_for(rtype: ResourceType, client: FlexClient, emulator: Emulator, n: int = 1) -> dict[str, Any]:
    """The nth example of `rtype`, its parents (if nested) made first; the emulator's log starts after them."""
    inputs = with_parents(rtype, client, TYPES, example(rtype, n), n)
    emulator.reset_stats()
    return inputs


def collection(rtype: ResourceType, inputs: dict[str, Any]) -> str:
    return shape(rtype.collection_path(inputs))


def deletes_first(rtype: ResourceType, inputs: dict[str, Any], replaced: str) -> bool:
    """Whether a replace of `replaced` must delete the old resource first: the new one would collide with it."""
    return any(all(inputs.get(key) is not None for key in collision.keys) and replaced not in collision.keys
               for collision in rtype.collisions)


def stored(rtype: ResourceType, inputs: dict[str, Any]) -> dict[str, Any]:
    """The inputs the API answers with, in the form state keeps them."""
    return {name: rtype.by_name[name].stored(inputs[name]) for name in rtype.returned if name in inputs}


def update_form_values(rtype: ResourceType, changes: dict[str, Any], inputs: dict[str, Any]) -> dict[str, Any]:
    """A Console edit as the client sends it: the changes, and the declared value of what the API wants in every
    update, unless the edit changes it."""
    every = {spec.name: inputs[spec.name] for spec in rtype.fields if spec.every_update and spec.name in inputs}
    return {**every, **changes}


@EVERY_TYPE
def test_a_resource_through_its_whole_life(rtype: ResourceType, stack: Stack, emulator: Emulator,
                                           client: FlexClient) -> None:
    inputs = inputs_for(rtype, client, emulator)
    path = collection(rtype, inputs)

    # create: one POST to the collection; state holds what the API answered
    assert stack.up([declared(rtype, **inputs)]) == [("create", "one")]
    assert calls(emulator) == [f"POST {path}"]
    [first] = stack.state.values()
    assert rtype.sid_regex.fullmatch(first.id) and first.outputs["sid"] == first.id
    assert {name: first.outputs[name] for name in stored(rtype, inputs)} == stored(rtype, inputs)

    # the same program again: no request
    emulator.reset_stats()
    assert stack.up([declared(rtype, **inputs)]) == [("same", "one")]
    assert calls(emulator) == []

    # a field the API can change: one POST to the resource, with that field (and any the API wants every time)
    spec = in_place_field(rtype)
    if spec is not None:
        emulator.reset_stats()
        inputs = {**inputs, spec.name: value(spec, 2)}
        assert stack.up([declared(rtype, **inputs)]) == [("update", "one")]
        assert calls(emulator) == [f"POST {path}/…"]
        assert emulator.requests()[0].form == update_form(rtype, {spec.name: inputs[spec.name]}, inputs)
        assert ids(stack) == {"one": first.id}

    # a field it cannot change: a new resource and the old one deleted, first when the two would collide
    fixed = fixed_field(rtype)
    emulator.reset_stats()
    inputs = {**inputs, fixed.name: value(fixed, 3)}
    first_delete = deletes_first(rtype, inputs, fixed.name)
    assert stack.up([declared(rtype, **inputs)]) == (
        [("replace-delete-first", "one")] if first_delete else
        [("replace-create-first", "one"), ("delete-replaced", "one")])
    assert calls(emulator) == ([f"DELETE {path}/…", f"POST {path}"] if first_delete else
                               [f"POST {path}", f"DELETE {path}/…"])
    second = ids(stack)["one"]
    assert second != first.id
    assert [found["sid"] for found in emulator.resources(rtype.section)] == [second]

    # destroy
    emulator.reset_stats()
    assert stack.destroy() == [("delete", "one")]
    assert calls(emulator) == [f"DELETE {path}/…"]
    assert emulator.resources(rtype.section) == []
    assert stack.state == {}


@EVERY_TYPE
def test_drift_is_seen_on_refresh_and_undone_on_up(rtype: ResourceType, stack: Stack, emulator: Emulator,
                                                   client: FlexClient) -> None:
    inputs = inputs_for(rtype, client, emulator)
    path = collection(rtype, inputs)
    parents = {spec.name: inputs[spec.name] for spec in rtype.path_fields}
    stack.up([declared(rtype, **inputs)])
    [state] = stack.state.values()

    # each field the API can change, changed in the Console: refresh records it, up puts the declared value back
    for spec in (spec for spec in rtype.fields if spec.updatable and spec.name in rtype.returned):
        drift = value(spec.fields[0], 2) if spec.fields else value(spec, 2)
        edit = {spec.fields[0].name: drift} if spec.fields else drift
        client.update(rtype, state.id, update_form_values(rtype, {spec.name: edit}, inputs), **parents)
        emulator.reset_stats()
        assert stack.refresh() == [("read", "one")], spec.name
        assert calls(emulator) == [f"GET {path}/…"]
        [refreshed] = stack.state.values()
        expected = {**rtype.by_name[spec.name].stored(inputs[spec.name]), **edit} if spec.fields else drift
        assert refreshed.outputs[spec.name] == expected, spec.name
        emulator.reset_stats()
        assert stack.up([declared(rtype, **inputs)]) == [("update", "one")], spec.name
        assert [r.form for r in emulator.requests("POST")] == [update_form(rtype, {spec.name: inputs[spec.name]},
                                                                           inputs)], spec.name
        assert client.fetch(rtype, state.id, **parents).values[spec.name] == stored(rtype, inputs)[spec.name]

    # deleted in the Console: refresh drops it, up creates it again
    client.delete(rtype, state.id, **parents)
    emulator.reset_stats()
    assert stack.refresh() == [("gone", "one")]
    assert stack.up([declared(rtype, **inputs)]) == [("create", "one")]
    assert calls(emulator) == [f"GET {path}/…", f"POST {path}"]
    assert ids(stack)["one"] != state.id


@EVERY_TYPE
def test_adopting_makes_no_create_and_updates_only_what_differs(rtype: ResourceType, stack: Stack,
                                                                 emulator: Emulator, client: FlexClient) -> None:
    inputs = inputs_for(rtype, client, emulator)
    path = collection(rtype, inputs)
    spec = in_place_field(rtype)
    made_by_hand = {**inputs, spec.name: value(spec, 2)} if spec else inputs
    by_hand = client.create(rtype, made_by_hand)
    emulator.reset_stats()

    assert stack.up([declared(rtype, import_sid=by_hand.sid, **inputs)]) == [("create", "one")]
    assert calls(emulator) == [f"GET {path}/…", *([f"POST {path}/…"] if spec else [])]
    if spec:
        assert emulator.requests("POST")[0].form == update_form(rtype, {spec.name: inputs[spec.name]}, inputs)
    assert ids(stack) == {"one": by_hand.sid}
    assert [found["sid"] for found in emulator.resources(rtype.section)] == [by_hand.sid], "no second one"

    emulator.reset_stats()
    assert stack.up([declared(rtype, **inputs)]) == [("same", "one")], "dropping the import line is no change"
    assert calls(emulator) == []


@EVERY_TYPE
def test_adopting_a_missing_one_or_one_that_cannot_match_is_refused(rtype: ResourceType, stack: Stack,
                                                                     emulator: Emulator, client: FlexClient) -> None:
    inputs = inputs_for(rtype, client, emulator)
    path, command, noun = collection(rtype, inputs), f"python -m flex_provider {rtype.command} list", rtype.noun

    missing = f"{rtype.sid_prefix}{'9' * 32}"
    with pytest.raises(grpc.RpcError) as caught:
        stack.up([declared(rtype, import_sid=missing, **inputs)])
    assert grpc_error_text(caught.value).splitlines()[-1] == (
        f"flex_provider.errors.AdoptionError: cannot adopt {rtype.title} {missing}: the account has no such {noun}. "
        f"Check the SID (`{command}`), or remove `import` to create a new {noun}.")
    assert calls(emulator) == [f"GET {path}/…"]

    fixed = fixed_field(rtype)
    other = rtype.by_name[fixed.name].stored(value(fixed, 2))
    want = rtype.by_name[fixed.name].stored(inputs[fixed.name])
    elsewhere = client.create(rtype, {**inputs, fixed.name: other})
    emulator.reset_stats()
    with pytest.raises(grpc.RpcError) as caught:
        stack.up([declared(rtype, import_sid=elsewhere.sid, **inputs)])
    assert grpc_error_text(caught.value).splitlines()[-1] == (
        f"flex_provider.errors.AdoptionError: cannot adopt {rtype.title} {elsewhere.sid}: its {fixed.name} is "
        f"{other}, but the {noun} declares {want}, and {a_or_an(noun)}'s {fixed.name} cannot change. Declare "
        f"{fixed.name}: {other} to adopt it as it is, or import {a_or_an(noun)} of {want} (`{command}` lists them).")
    assert calls(emulator) == [f"GET {path}/…"]
    assert stack.state == {}
    assert [found["sid"] for found in emulator.resources(rtype.section)] == [elsewhere.sid]
