"""A YAML file read safely into nodes that keep their place, and walked with every problem collected where it is.

The file is composed into YAML nodes (which keep line and column) and walked by hand; no YAML
object is ever constructed from a tag, an alias is refused where it is used and never expanded
(so it cannot bomb the walk), nesting is bounded, and only a regular file of MAX_BYTES at most is
read (files.py). What the file must hold is the stack file's business (stackfile.py).
"""

from __future__ import annotations

import contextlib
import gc
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    ScalarEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import CollectionNode, MappingNode, Node, ScalarNode, SequenceNode
from yaml.reader import Reader

from flex_provider.files import FileRefusedError, place, read_text
from flex_provider.values import MAX_JSON_DEPTH, TOO_DEEP, closest, quote, shown

__all__ = ["INVALID", "MAX_BYTES", "NESTED", "Problem", "YamlReader", "collector_paused", "in_file_order"]

MAX_BYTES = 16 * 1024 * 1024
_YAML_TAG = "tag:yaml.org,2002:"
_STR_TAG = _YAML_TAG + "str"
_MERGE_TAG = _YAML_TAG + "merge"
_ALIASES = "anchors and aliases are not supported; put shared values in `defaults:`"
_ALLOWED_TAGS = {_YAML_TAG + t for t in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")}
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Problem:
    """One problem, where it is: prints as `path:line:column: field: message` (1-based)."""

    path: str
    line: int
    column: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.field}: {self.message}"


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a file is parsed, then restore it.

    Composing a large file allocates hundreds of thousands of nodes, none of them garbage, and
    the collector would scan them again and again for nothing (BENCHMARKS.md measures what it
    costs). The work is bounded by MAX_BYTES.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def in_file_order(problems: list[Problem]) -> list[Problem]:
    """By file, line and column; problems at one place keep the order they were found in."""
    return sorted(problems, key=lambda p: (p.path, p.line, p.column))


@dataclass
class YamlReader:
    """One pass over one file; problems accumulate in `problems`."""

    display: str
    problems: list[Problem] = field(default_factory=list)
    _constructor: SafeConstructor = field(default_factory=SafeConstructor)
    typos: dict[int, dict[str, Node]] = field(default_factory=dict)
    """For each mapping node (by id) with unknown keys: the known key each resembles, and the misspelt key's node,
    so that what a misspelling leaves unset can be reported where it stands."""

    def problem(self, node: Node | None, where: str, message: str, line: int = 1, column: int = 1) -> None:
        if node is not None:
            line, column = node.start_mark.line + 1, node.start_mark.column + 1
        self.problems.append(Problem(self.display, line, column, where, message))

    def _compose(self, path: Path, empty: str) -> Node | None:
        """The file's root node, or None once a problem is reported (`empty` is the message for an empty file)."""
        try:
            text = read_text(path, MAX_BYTES, "stack file")
        except FileRefusedError as refused:
            self.problem(None, "(file)", refused.reason, refused.line or 1, refused.column or 1)
            return None
        unprintable = Reader.NON_PRINTABLE.search(text)
        if unprintable:
            index = unprintable.start()
            self.problem(None, "(yaml)", f"invalid YAML: the character U+{ord(unprintable.group()):04X} is not "
                                         "allowed in YAML text; remove it", *place(text, index))
            return None
        try:
            root = _compose_document(text)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            self.problem(None, "(yaml)", _yaml_message(exc, text, mark), line, column)
            return None
        except yaml.YAMLError as exc:
            self.problem(None, "(yaml)", f"invalid YAML: {exc}")
            return None
        if root is None:
            self.problem(None, "(file)", empty)
        return root

    def _visit(self, node: Node, where: str) -> bool:
        """Refuse aliases (and merge keys, which take one) and object-constructing tags."""
        if isinstance(node, _AliasNode) or node.tag == _MERGE_TAG:
            self.problem(node, where, _ALIASES)
            return False
        if node.tag not in _ALLOWED_TAGS:
            self.problem(node, where, f"the YAML tag {node.tag.replace(_YAML_TAG, '!!')} is not allowed; "
                                      "only plain strings, numbers, booleans, mappings and lists")
            return False
        return True

    def _mapping(self, node: Node, where: str, known: tuple[str, ...] | None, expected: str
                 ) -> dict[str, tuple[Node, Node]] | None:
        """A mapping node's entries by key; reports duplicates, non-string and (if `known`) unknown keys."""
        if not self._visit(node, where):
            return None
        if not isinstance(node, MappingNode):
            self.problem(node, where, f"{expected}, not {_kind(node)}")
            return None
        entries: dict[str, tuple[Node, Node]] = {}
        prefix = "" if where == "(file)" else f"{where}."
        for key_node, value_node in node.value:
            if not self._visit(key_node, where):
                continue
            if not isinstance(key_node, ScalarNode) or key_node.tag != _STR_TAG:
                self.problem(key_node, where, f"keys must be plain strings, not {_kind(key_node)}")
                continue
            key = key_node.value
            if key in entries:
                first = entries[key][0].start_mark.line + 1
                self.problem(key_node, f"{prefix}{shown(key)}", f"is defined twice (first on line {first})")
                continue
            if known is not None and key not in known:
                close = closest(key, known)
                if close is not None:
                    self.typos.setdefault(id(node), {}).setdefault(close, key_node)
                self.problem(key_node, f"{prefix}{shown(key)}", _unknown_key(key, known, close))
                continue
            entries[key] = (key_node, value_node)
        return entries

    def _data(self, node: Node, where: str, nested: bool, json: bool = False, depth: int = 0, top: str = "") -> Any:
        """Plain data of a node: scalars as YAML core types; lists and mappings only where `nested`.

        Lists and mappings nest MAX_JSON_DEPTH deep at most, so no file can exhaust the stack; the
        problem is reported where the limit is crossed, named by the field (`top`, set by the
        recursion). In a JSON field (`json`), a `.nan` or `.inf` is refused where it stands.
        """
        top = top or where
        if isinstance(node, CollectionNode) and nested and depth == MAX_JSON_DEPTH:
            self.problem(node, top, TOO_DEEP)
            return INVALID
        if isinstance(node, MappingNode) and nested:
            entries = self._mapping(node, where, None, "must be a mapping")
            if entries is None:
                return INVALID
            data = {key: self._data(value, f"{where}.{shown(key)}", True, json, depth + 1, top)
                    for key, (_k, value) in entries.items()}
            return INVALID if any(v is INVALID for v in data.values()) else data
        if not self._visit(node, where):
            return INVALID
        if isinstance(node, ScalarNode):
            if node.tag == _STR_TAG:
                return node.value
            try:
                value = self._constructor.yaml_constructors[node.tag](self._constructor, node)
            except (ConstructorError, ValueError) as exc:
                too_long = isinstance(exc, ValueError) and node.tag == _YAML_TAG + "int"  # int() reads 4,300 digits
                self.problem(node, where, "is a whole number too long to read (4,300 digits at most)" if too_long
                             else f"is not a valid value: {exc}")
                return INVALID
            if json and isinstance(value, float) and not math.isfinite(value):
                self.problem(node, where, f"is not a JSON number: {quote(node.value, 40)} (JSON has no NaN or "
                                          "infinity)")
                return INVALID
            return value
        if not nested:
            return NESTED  # the field's own check names the type it wants
        items = [self._data(item, f"{where}[{i}]", True, json, depth + 1, top) for i, item in enumerate(node.value)]
        return INVALID if any(i is INVALID for i in items) else items


INVALID = object()
"""A value already reported as a problem."""
NESTED = object()
"""A list or mapping where a scalar belongs; the field's check says what it wants."""


def _unknown_key(key: str, known: tuple[str, ...], close: str | None) -> str:
    hint = f"did you mean '{close}'?" if close else f"known keys: {', '.join(known)}"
    return f"is not a known key; {hint}"


def _kind(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    if node.tag == _YAML_TAG + "null":
        return "an empty value"
    return f"the {node.tag.replace(_YAML_TAG, '')} {quote(node.value, 40)}"


def _yaml_message(exc: yaml.MarkedYAMLError, text: str, mark: Any) -> str:
    if mark is not None and 0 <= mark.index < len(text) and text[mark.index] == "\t":
        return "a tab character; YAML indentation must use spaces"
    parts = [part for part in (exc.context, exc.problem) if part]
    return "invalid YAML: " + ", ".join(parts)


class _AliasNode(ScalarNode):
    """An alias (`*name`) at the place it is used; the walk refuses it there, and nothing ever expands it."""

    id = "alias"


def _compose_document(text: str) -> Node | None:
    """The one YAML document of `text` as nodes, or None for an empty stream.

    PyYAML's own composer makes an alias the very node its anchor names, so a problem could only be
    reported at the anchor. This one leaves each alias as an `_AliasNode` where it stands, and keeps
    its own stack (any depth). It runs in Python, so a file that cannot hold an anchor or an alias
    (no `&`, no `*`) goes to libyaml's composer instead, which is faster (BENCHMARKS.md).
    """
    if "&" not in text and "*" not in text:
        return yaml.compose(text, Loader=_Loader)
    loader = _Loader(text)
    try:
        loader.get_event()  # StreamStartEvent
        if loader.check_event(StreamEndEvent):
            return None
        loader.get_event()  # DocumentStartEvent
        root = _compose_node(loader)
        loader.get_event()  # DocumentEndEvent
        if not loader.check_event(StreamEndEvent):
            raise ComposerError("expected a single document in the stream", root.start_mark,
                                "but found another document", loader.get_event().start_mark)
        return root
    finally:
        loader.dispose()


def _compose_node(loader: Any) -> Node:
    """The node whose events come next, built with an explicit stack of the collections still open."""
    next_event, resolve = loader.get_event, loader.resolve
    open_nodes: list[CollectionNode] = []
    keys: list[Node | None] = []
    while True:
        event = next_event()
        if isinstance(event, ScalarEvent):
            tag = event.tag if event.tag not in (None, "!") else resolve(ScalarNode, event.value, event.implicit)
            node: Node = ScalarNode(tag, event.value, event.start_mark, event.end_mark, style=event.style)
        elif isinstance(event, CollectionEndEvent):
            node = open_nodes.pop()
            keys.pop()
            node.end_mark = event.end_mark
        elif isinstance(event, AliasEvent):
            node = _AliasNode("", event.anchor, event.start_mark, event.end_mark)
        else:  # a SequenceStartEvent or MappingStartEvent: the parser sends nothing else inside a document
            kind = SequenceNode if isinstance(event, SequenceStartEvent) else MappingNode
            tag = event.tag if event.tag not in (None, "!") else resolve(kind, None, event.implicit)
            open_nodes.append(kind(tag, [], event.start_mark, None, flow_style=event.flow_style))
            keys.append(None)
            continue
        if not open_nodes:
            return node
        parent = open_nodes[-1]
        if isinstance(parent, SequenceNode):
            parent.value.append(node)
        elif keys[-1] is None:
            keys[-1] = node
        else:
            parent.value.append((keys[-1], node))
            keys[-1] = None
