"""`python -m flex_provider <section> list`: what the account holds, read with the provider's own settings.

For finding a resource to adopt (`import: CH…`), above all after a create whose answer was lost.
Settings come as the provider reads them: the stack's Pulumi config (from `Pulumi.<stack>.yaml`
when `--stack` is given; secret values there are encrypted, so secrets come from the
environment), then the `TWILIO_*` / `FLEX_*` environment variables.

The config file is read as `files.read_text` reads a stack file (a regular file, bounded, UTF-8)
and walked as a stream of YAML events, so nothing in it is built but the plain values of
`config:`: an alias is never expanded, nesting costs nothing, and an error names the line and
column but never quotes the file, whose lines may hold secrets. Every value from Twilio is
escaped in the table (`values.shown`), so a name cannot forge a row or reach the terminal.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, TextIO

import yaml
from yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    Event,
    MappingStartEvent,
    NodeEvent,
    ScalarEvent,
)
from yaml.nodes import ScalarNode
from yaml.reader import Reader, ReaderError

from flex_provider.client import ApiObject
from flex_provider.declaration import ResourceType
from flex_provider.errors import ConfigurationError
from flex_provider.files import FileRefusedError, place, read_text
from flex_provider.settings import SOURCES, ProviderSettings
from flex_provider.values import quote, shown

__all__ = ["MAX_CONFIG_BYTES", "list_resources", "stack_config"]

MAX_CONFIG_BYTES = 2**20
"""The largest `Pulumi.<stack>.yaml` read: a config of a few dozen settings is a few KiB."""
_NULL = "tag:yaml.org,2002:null"
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def stack_config(project_dir: Path, stack: str) -> dict[str, Any]:
    """The plain values of a stack's Pulumi config file; encrypted (`secure:`) values and the program's own lists and
    mappings are left out, and a provider setting written as a list or mapping is refused.

    Raises ConfigurationError naming the file, line and column; it never quotes the file's content.
    """
    name = shown(f"Pulumi.{stack}.yaml")
    try:
        text = read_text(project_dir / f"Pulumi.{stack}.yaml", MAX_CONFIG_BYTES, "Pulumi config file")
    except FileRefusedError as refused:
        hint = f"; is {quote(stack)} a stack of this project?" if refused.reason.startswith("cannot be read") else ""
        where = f"{name}:{refused.line}:{refused.column}" if refused.line else name
        raise ConfigurationError(f"{where}: {refused.reason}{hint}") from None
    try:
        return _config_values(text, name)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark else name
        said = ", ".join(part for part in (exc.context, exc.problem)  # the parser's words, never the file's
                         if part and not any(quote_mark in part for quote_mark in "'\""))
        said = f" ({said})" if said else ""
        raise ConfigurationError(f"{where}: is not valid YAML{said}; fix the file at that place (its text is not "
                                 "shown: it may hold a secret)") from None
    except ReaderError:
        found = Reader.NON_PRINTABLE.search(text)  # where the reader stopped, counted in characters
        if found is None:
            raise ConfigurationError(f"{name}: is not valid YAML") from None
        line, column = place(text, found.start())
        raise ConfigurationError(f"{name}:{line}:{column}: is not valid YAML (the character U+{ord(found.group()):04X} "
                                 "is not allowed in YAML text); remove it") from None


def _config_values(text: str, name: str) -> dict[str, Any]:
    """The scalar values of the top-level `config:` mapping, from YAML events: nothing else is built."""
    loader = _Loader(text)
    try:
        events = _events(loader)
        values: dict[str, Any] = {}
        root = next((event for event in events if isinstance(event, NodeEvent)), None)
        if isinstance(root, MappingStartEvent):
            for key in events:
                if isinstance(key, CollectionEndEvent):
                    break
                value = _after(key, events)
                if isinstance(key, ScalarEvent) and key.value == "config" and isinstance(value, MappingStartEvent):
                    values = _settings(loader, events, name)
                elif isinstance(value, CollectionStartEvent):
                    _skip_rest(events)
        for _event in events:  # the rest is parsed too, so a file Pulumi would refuse is refused here
            pass
        return values
    finally:
        loader.dispose()


def _events(loader: Any) -> Iterator[Event]:
    while loader.check_event():
        yield loader.get_event()


def _after(key: Event, events: Iterator[Event]) -> Event:
    """The first event of the value that follows a mapping key's events (a list or mapping as a key is skipped)."""
    if isinstance(key, CollectionStartEvent):
        _skip_rest(events)
    return next(events)


_PROVIDER_KEYS = frozenset(key for source in SOURCES.values() for key in (source.config_key, source.native_key))
"""The settings the provider reads from a stack's config (either namespace), which it takes as text only."""


def _settings(loader: Any, events: Iterator[Event], name: str) -> dict[str, Any]:
    """The entries of `config:`, up to its end: scalars by key; an encrypted value (`secure:`) is left out, as is a
    list or mapping of the program's own. A provider setting that is a list or mapping is refused: the provider
    refuses it, and leaving it out would list the environment's account or URL instead of the stack's."""
    values: dict[str, Any] = {}
    for key in events:
        if isinstance(key, CollectionEndEvent):
            break
        value = _after(key, events)
        where = f"{name}:{value.start_mark.line + 1}:{value.start_mark.column + 1}"
        if isinstance(value, AliasEvent):
            raise ConfigurationError(f"{where}: an alias (`*…`) is not read here; write the value out")
        if isinstance(value, CollectionStartEvent):
            first = next(events)
            if not isinstance(first, CollectionEndEvent):  # to the value's end, past a first entry's own collection
                _skip_rest(events, depth=2 if isinstance(first, CollectionStartEvent) else 1)
            secure = isinstance(value, MappingStartEvent) and isinstance(first, ScalarEvent) and first.value == "secure"
            if isinstance(key, ScalarEvent) and key.value in _PROVIDER_KEYS and not secure:
                raise ConfigurationError(f"{where}: {key.value} must be one value, not a list or mapping: the provider "
                                         f"refuses it too; write it out (`pulumi config set {key.value} …`)")
        elif isinstance(key, ScalarEvent) and isinstance(value, ScalarEvent):
            tag = value.tag or loader.resolve(ScalarNode, value.value, value.implicit)
            values[key.value] = None if tag == _NULL else value.value
    return values


def _skip_rest(events: Iterator[Event], depth: int = 1) -> None:
    """Skip to the end of the `depth` collections just opened, counting (not building) what is inside."""
    for event in events:
        if isinstance(event, CollectionStartEvent):
            depth += 1
        elif isinstance(event, CollectionEndEvent):
            depth -= 1
            if depth == 0:
                return


def list_resources(rtype: ResourceType, filters: Mapping[str, str], config: Mapping[str, Any], *,
                   as_json: bool = False, out: TextIO = sys.stdout, environ: Mapping[str, str] | None = None) -> int:
    """Print every resource of `rtype` that matches `filters` (by output name); returns how many.

    Settings come from `config`, then `environ` (default: this process's environment)."""
    settings = ProviderSettings.resolve(config.get, os.environ if environ is None else environ)
    with settings.client() as client:
        found = list(client.list(rtype, **filters))
    if as_json:
        json.dump([item.to_outputs() for item in found], out, indent=2)
        out.write("\n")
    else:
        _table(rtype, found, out)
    return len(found)


def _table(rtype: ResourceType, items: Iterable[ApiObject], out: TextIO) -> None:
    rows = [[_cell(item.values.get(column)) for column in rtype.columns] for item in items]
    header = [column.upper() for column in rtype.columns]
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]
    for row in (header, *rows):
        out.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() + "\n")


def _cell(value: Any) -> str:
    """A value from Twilio as a table cell: as is when printable ASCII, else escaped (a newline cannot forge a
    row, an escape sequence cannot reach the terminal, a look-alike letter shows as its code point)."""
    return shown(str(value)) if value not in (None, "") else ""
