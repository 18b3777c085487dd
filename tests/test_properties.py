"""Property-based tests: no input crashes the stack-file validator or the form encoding, and every
accepted input round-trips: YAML → channel inputs → form body → what the emulator received."""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flex_provider.client import Credentials, FlexClient
from flex_provider.declarations import CHANNEL
from flex_provider.kinds import Kind
from flex_provider.stackfile import check_stack_file
from flex_provider.values import canonical_json
from tests.support import FAST_RETRY
from twilio_emulator import Emulator

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
FIELD_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("\t\n\r"), max_size=40)
"""What a text field accepts: no control character but tab and line breaks (JSON data may hold any)."""
REQUIRED_TEXT = FIELD_TEXT.filter(lambda s: s.strip() != "")
JSON_SCALARS = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | TEXT | st.floats(
    allow_nan=False, allow_infinity=False)
JSON_DATA = st.recursive(JSON_SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
    TEXT, inner, max_size=4), max_leaves=12)


def _sid(prefix: str) -> st.SearchStrategy[str]:
    return st.text("0123456789abcdefABCDEF", min_size=32, max_size=32).map(lambda digits: prefix + digits)


def _value(kind: Kind, required: bool, pattern: str | None) -> st.SearchStrategy[Any]:
    if kind is Kind.BOOL:
        return st.booleans()
    if kind is Kind.JSON:
        return st.dictionaries(TEXT, JSON_DATA, max_size=4) | st.dictionaries(TEXT, JSON_DATA, max_size=4).map(
            json.dumps)
    if pattern:
        return _sid(pattern[1:3])
    return REQUIRED_TEXT if required else FIELD_TEXT


@st.composite
def channels(draw: st.DrawFn) -> dict[str, Any]:
    values = {}
    for spec in CHANNEL.fields:
        if spec.required or draw(st.booleans()):
            values[spec.name] = draw(_value(spec.kind, spec.required, spec.pattern))
    return values


def _check_text(text: str | bytes) -> list[str]:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "stack.yaml"
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8", errors="surrogatepass")
        _, problems = check_stack_file(path)
    return [str(p) for p in problems]


@settings(max_examples=300, deadline=None)
@given(st.text() | st.binary())
def test_validator_never_crashes_on_arbitrary_text(text: str | bytes) -> None:
    _check_text(text)


PROBLEM_SHAPE = re.compile(r"^.+:\d+:\d+: .+: .+$", re.S)
YAML_TREES = st.recursive(JSON_SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
    TEXT | st.sampled_from(["channels", "defaults", *(f.name for f in CHANNEL.fields)]), inner, max_size=5),
    max_leaves=25)


@settings(max_examples=300, deadline=None)
@given(YAML_TREES)
def test_validator_never_crashes_on_arbitrary_yaml(tree: Any) -> None:
    for problem in _check_text(yaml.safe_dump(tree, allow_unicode=True)):
        assert PROBLEM_SHAPE.match(problem), problem


@settings(max_examples=200, deadline=None)
@given(channels())
def test_accepted_channels_round_trip_through_yaml(channel: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "stack.yaml"
        # Escaped, not raw: PyYAML's emitter writes NEL/LS/PS raw inside scalars, where YAML itself
        # reads them as line breaks (found by this test with '0\x85').
        path.write_text(yaml.safe_dump({"channels": {"c": channel}}, allow_unicode=False))
        stack, problems = check_stack_file(path)
    assert problems == []
    assert stack is not None
    expected = {name: next(f for f in CHANNEL.fields if f.name == name).stored(value)
                for name, value in channel.items()}
    expected.setdefault("long_lived", True)
    assert dict(stack.of(CHANNEL)[0].inputs) == expected


@settings(max_examples=300, deadline=None)
@given(channels())
def test_form_encoding_round_trips(channel: dict[str, Any]) -> None:
    form = CHANNEL.to_form(channel)
    assert set(form) == {f.api_name for f in CHANNEL.fields if f.name in channel}
    decoded = {k: v[0] for k, v in parse_qs(urlencode(form), keep_blank_values=True).items()}
    assert decoded == form


@settings(max_examples=300, deadline=None)
@given(JSON_DATA)
def test_canonical_json_is_stable_and_lossless(data: Any) -> None:
    text = canonical_json(data)
    assert json.loads(text) == data
    assert canonical_json(json.loads(text)) == text


@pytest.fixture(scope="module")
def shared_emulator() -> Iterator[Emulator]:
    with Emulator() as emu:
        yield emu


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(channels())
def test_what_the_emulator_receives_is_what_was_declared(shared_emulator: Emulator, channel: dict[str, Any]) -> None:
    credentials = Credentials.from_auth_token(shared_emulator.account_sid, shared_emulator.auth_token)
    with FlexClient(credentials, base_url=shared_emulator.base_url, retry=FAST_RETRY) as flex:
        created = flex.create_channel(channel)
        assert shared_emulator.requests("POST")[-1].form == CHANNEL.to_form(channel)
        flex.delete_channel(created.sid)
