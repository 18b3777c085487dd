"""Stack files (`stacks/<stack>.yaml`): load, validate, and report every problem with its place.

The file is composed into YAML nodes (which keep line and column) and walked by hand; no YAML
object is ever constructed from a tag, anchors and aliases are refused (they cannot bomb a walk
that visits each node once), and every problem is collected before any is reported. Field rules
come from `fields.CHANNEL_FIELDS`, as does the JSON Schema editors use (`stackfile_schema.py`).
"""

from __future__ import annotations

import contextlib
import difflib
import gc
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from flex_provider.errors import FlexError
from flex_provider.fields import CHANNEL_FIELDS, CHANNEL_SID, FIELDS_BY_NAME, FieldKind, normalize, validate_value

__all__ = [
    "MAX_BYTES",
    "OPTION_KEYS",
    "ChannelDeclaration",
    "ChannelOptions",
    "Problem",
    "StackFile",
    "StackFileError",
    "check_stack_file",
    "iter_stack_files",
    "load_stack_file",
]

MAX_BYTES = 16 * 1024 * 1024
OPTION_KEYS: Mapping[str, str] = {
    "protect": "Refuse to delete or replace the channel until this is false.",
    "retain_on_delete": "Keep the channel in Twilio when it leaves the stack (or is replaced).",
    "import": "Adopt an existing channel by SID (CH…) instead of creating one.",
    "aliases": "Former names of this channel (or full URNs), so a rename is not a replace.",
}
TOP_KEYS = ("defaults", "channels")
CHANNEL_KEYS = (*FIELDS_BY_NAME, *OPTION_KEYS)
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_YAML_TAG = "tag:yaml.org,2002:"
_STR_TAG = _YAML_TAG + "str"
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


@dataclass(frozen=True)
class ChannelOptions:
    """Pulumi resource options of one channel."""

    protect: bool = False
    retain_on_delete: bool = False
    import_id: str | None = None
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChannelDeclaration:
    """One channel of a stack file: its logical name, normalized inputs and options."""

    name: str
    inputs: Mapping[str, Any]
    options: ChannelOptions
    line: int


@dataclass(frozen=True)
class StackFile:
    """A valid stack file."""

    path: str
    channels: tuple[ChannelDeclaration, ...]


class StackFileError(FlexError):
    """A stack file has problems; all of them are listed, in file order."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = tuple(_in_file_order(problems))
        count = f"{len(self.problems)} problem{'s' if len(self.problems) != 1 else ''}"
        super().__init__(f"{count} in stack file:\n" + "\n".join(f"  {p}" for p in self.problems))


def load_stack_file(path: str | Path, display: str | None = None) -> StackFile:
    """Load and validate a stack file; raise StackFileError listing every problem.

    `display` is how problems name the file (default: `path` as given).
    """
    stack, problems = check_stack_file(path, display)
    if problems or stack is None:
        raise StackFileError(problems)
    return stack


def check_stack_file(path: str | Path, display: str | None = None) -> tuple[StackFile | None, list[Problem]]:
    """Validate a stack file; return it (None when it has problems) and every problem, in file order."""
    checker = _Checker(display or str(path))
    with _collector_paused():
        stack = checker.run(Path(path))
    return (stack if not checker.problems else None), _in_file_order(checker.problems)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a file is parsed, then restore it.

    Composing a large file allocates hundreds of thousands of nodes, none of them garbage, and
    the collector would scan them again and again: for 10,000 channels, validation took 1.4 s
    with it running and 0.65 s without. The work is bounded by MAX_BYTES.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _in_file_order(problems: list[Problem]) -> list[Problem]:
    """By file, line and column; problems at one place keep the order they were found in."""
    return sorted(problems, key=lambda p: (p.path, p.line, p.column))


@dataclass
class _Value:
    """A field's value and the node it came from (the channel's or the defaults')."""

    value: Any
    node: Node


@dataclass
class _Checker:
    """One pass over one file; problems accumulate in `problems`."""

    display: str
    problems: list[Problem] = field(default_factory=list)
    _seen: set[int] = field(default_factory=set)
    _constructor: SafeConstructor = field(default_factory=SafeConstructor)
    _sources: dict[str, dict[str, _Value]] = field(default_factory=dict)

    def problem(self, node: Node | None, where: str, message: str, line: int = 1, column: int = 1) -> None:
        if node is not None:
            line, column = node.start_mark.line + 1, node.start_mark.column + 1
        self.problems.append(Problem(self.display, line, column, where, message))

    def run(self, path: Path) -> StackFile | None:
        root = self._compose(path)
        if root is None:
            return None
        top = self._mapping(root, "(file)", TOP_KEYS, "expected a mapping with `channels:` (and optional `defaults:`)")
        if top is None:
            return None
        if "channels" not in top:
            self.problem(root, "channels", "is required: a mapping from channel name to its fields")
            return None
        defaults, bad_defaults = self._fields(top["defaults"][1], "defaults") if "defaults" in top else ({}, set())
        if defaults is None:
            defaults, bad_defaults = {}, set(CHANNEL_KEYS)
        entries = self._mapping(top["channels"][1], "channels", None,
                                "must be a mapping from channel name to its fields")
        declarations = [self._channel(name, key_node, node, defaults, bad_defaults)
                        for name, (key_node, node) in (entries or {}).items()]
        self._cross_check()
        return StackFile(self.display, tuple(d for d in declarations if d is not None))

    def _compose(self, path: Path) -> Node | None:
        try:
            size = path.stat().st_size
            if size > MAX_BYTES:
                self.problem(None, "(file)", f"is {size / 2**20:.1f} MiB; stack files are limited to "
                                             f"{MAX_BYTES // 2**20} MiB")
                return None
            raw = path.read_bytes()
        except OSError as exc:
            self.problem(None, "(file)", f"cannot be read: {exc.strerror or exc}")
            return None
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw.count(b"\n", 0, exc.start) + 1
            column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
            self.problem(None, "(file)", f"is not UTF-8 text (byte 0x{raw[exc.start]:02x}); save it as UTF-8",
                         line, column)
            return None
        try:
            root = yaml.compose(text, Loader=_Loader)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            self.problem(None, "(yaml)", _yaml_message(exc, text, mark), line, column)
            return None
        except yaml.YAMLError as exc:
            self.problem(None, "(yaml)", f"invalid YAML: {exc}")
            return None
        if root is None:
            self.problem(None, "(file)", "is empty; expected a mapping with `channels:`")
        return root

    def _visit(self, node: Node, where: str) -> bool:
        """Refuse aliases (a node reached twice) and object-constructing tags."""
        if id(node) in self._seen:
            self.problem(node, where, "anchors and aliases are not supported; put shared values in `defaults:`")
            return False
        self._seen.add(id(node))
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
                self.problem(key_node, f"{prefix}{key}", f"is defined twice (first on line {first})")
                continue
            if known is not None and key not in known:
                self.problem(key_node, f"{prefix}{key}", _unknown_key(key, known))
                continue
            entries[key] = (key_node, value_node)
        return entries

    def _fields(self, node: Node, where: str) -> tuple[dict[str, _Value] | None, set[str]]:
        """Valid fields and options of a mapping (a channel or `defaults`) and the invalid keys.

        The values are None when the node is not a usable mapping (already reported).
        """
        entries = self._mapping(node, where, CHANNEL_KEYS, "must be a mapping of channel fields")
        if entries is None:
            return None, set()
        values: dict[str, _Value] = {}
        invalid: set[str] = set()
        for key, (_key_node, value_node) in entries.items():
            path = f"{where}.{key}"
            value = self._data(value_node, path, nested=_is_json_field(key) or key == "aliases")
            reason = None if value is _INVALID else (
                _option_problem(key, value) if key in OPTION_KEYS else _field_problem(key, value))
            if reason:
                self.problem(value_node, path, reason)
            if value is _INVALID or reason:
                invalid.add(key)
            else:
                values[key] = _Value(value, value_node)
        return values, invalid

    def _data(self, node: Node, where: str, nested: bool) -> Any:
        """Plain data of a node: scalars as YAML core types; lists and mappings only where `nested`."""
        if isinstance(node, MappingNode) and nested:
            entries = self._mapping(node, where, None, "must be a mapping")
            if entries is None:
                return _INVALID
            data = {key: self._data(value, f"{where}.{key}", nested=True) for key, (_k, value) in entries.items()}
            return _INVALID if any(v is _INVALID for v in data.values()) else data
        if not self._visit(node, where):
            return _INVALID
        if isinstance(node, ScalarNode):
            if node.tag == _STR_TAG:
                return node.value
            try:
                return self._constructor.yaml_constructors[node.tag](self._constructor, node)
            except (ConstructorError, ValueError) as exc:
                self.problem(node, where, f"is not a valid value: {exc}")
                return _INVALID
        if not nested:
            return _NESTED  # the field's own check names the type it wants
        items = [self._data(item, f"{where}[{i}]", nested=True) for i, item in enumerate(node.value)]
        return _INVALID if any(i is _INVALID for i in items) else items

    def _channel(self, name: str, key_node: Node, node: Node, defaults: dict[str, _Value], bad_defaults: set[str]
                 ) -> ChannelDeclaration | None:
        where = f"channels.{name}"
        before = len(self.problems)
        if not NAME_PATTERN.match(name):
            self.problem(key_node, where, "channel names become Pulumi resource names: start with a letter or "
                                          "digit, then letters, digits, '.', '_' or '-' (100 at most)")
        own, bad_own = self._fields(node, where)
        if own is None:
            return None
        merged = {**defaults, **own}
        self._sources[name] = merged
        for spec in CHANNEL_FIELDS:
            if spec.required and spec.name not in merged and spec.name not in bad_own | bad_defaults:
                self.problem(key_node, f"{where}.{spec.name}", "is required (set it on the channel or in `defaults:`)")
        if len(self.problems) > before or bad_defaults:
            return None
        inputs = {key: normalize(FIELDS_BY_NAME[key], v.value) for key, v in merged.items() if key in FIELDS_BY_NAME}
        inputs.setdefault("long_lived", True)
        options = {key: v.value for key, v in merged.items() if key in OPTION_KEYS}
        return ChannelDeclaration(name, MappingProxyType(inputs), ChannelOptions(
            protect=options.get("protect", False),
            retain_on_delete=options.get("retain_on_delete", False),
            import_id=options.get("import"),
            aliases=tuple(options.get("aliases", ())),
        ), key_node.start_mark.line + 1)

    def _cross_check(self) -> None:
        """Collisions the API would refuse or silently merge, among the valid values of every channel."""
        claims: dict[tuple[str, ...], str] = {}
        for name, values in self._sources.items():
            def value(key: str, merged: dict[str, _Value] = values) -> str | None:
                return merged[key].value if key in merged else None

            checks = [
                ("chat_unique_name", ("chat_unique_name", value("chat_unique_name")),
                 "'{v}' is already the unique name of channel '{other}'; unique names must differ within the account"),
                ("identity", ("user", value("flex_flow_sid"), value("identity")),
                 "channel '{other}' has the same flex_flow_sid and identity; Flex would hand back that channel "
                 "instead of creating a second one"),
                ("import", ("import", value("import")), "channel '{other}' already imports {v}"),
            ]
            for key, claim, message in checks:
                if None in claim:
                    continue
                if claim in claims:
                    self.problem(values[key].node, f"channels.{name}.{key}",
                                 message.format(v=claim[-1], other=claims[claim]))
                else:
                    claims[claim] = name


_INVALID = object()
"""A value already reported as a problem."""
_NESTED = object()
"""A list or mapping where a scalar belongs; the field's check says what it wants."""


def _is_json_field(key: str) -> bool:
    spec = FIELDS_BY_NAME.get(key)
    return spec is not None and spec.kind is FieldKind.JSON


def _field_problem(key: str, value: Any) -> str | None:
    spec = FIELDS_BY_NAME[key]
    if value is _NESTED:
        return f"must be {_WANTED[spec.kind]}, not a list or mapping"
    reason = validate_value(spec, value)
    if reason and spec.kind in (FieldKind.TEXT, FieldKind.SID) and value is not None and not isinstance(value, str):
        return f"{reason}; quote it to make it a string"
    return reason


_WANTED = {FieldKind.TEXT: "a string", FieldKind.SID: "a string", FieldKind.BOOL: "true or false",
           FieldKind.JSON: "a mapping or a JSON string"}


def _option_problem(key: str, value: Any) -> str | None:
    if key in ("protect", "retain_on_delete"):
        return None if isinstance(value, bool) else "must be true or false"
    if value is _NESTED:
        return "must be a string, not a list or mapping"
    if key == "import":
        return None if isinstance(value, str) and CHANNEL_SID.match(value) else (
            "must be the SID of an existing channel: 'CH' and 32 hex digits")
    if not (isinstance(value, list) and value and all(isinstance(a, str) and a for a in value)):
        return "must be a list of former channel names (or URNs)"
    return None


def _unknown_key(key: str, known: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'?" if close else f"known keys: {', '.join(known)}"
    return f"is not a known key; {hint}"


def _kind(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    if node.tag == _YAML_TAG + "null":
        return "an empty value"
    return f"the {node.tag.replace(_YAML_TAG, '')} {node.value!r}"


def _yaml_message(exc: yaml.MarkedYAMLError, text: str, mark: Any) -> str:
    if mark is not None and 0 <= mark.index < len(text) and text[mark.index] == "\t":
        return "a tab character; YAML indentation must use spaces"
    parts = [part for part in (exc.context, exc.problem) if part]
    return "invalid YAML: " + ", ".join(parts)


def iter_stack_files(directory: Path) -> Iterator[Path]:
    """The stack files of a directory, in name order."""
    yield from sorted(p for p in directory.glob("*.yaml") if p.is_file())
