"""Stack files (`stacks/<stack>.yaml`): load, validate, and report every problem with its place.

The file is read safely into YAML nodes that keep their place (yamlfile.py), and every problem is
collected before any is reported. Field rules come from the declarations (`declarations/`), as does
the JSON Schema editors use (`stackfile_schema.py`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any

from yaml.nodes import MappingNode, Node

from flex_provider.declaration import Field, Link, ResourceType, first_problem, in_dependency_order
from flex_provider.declarations import RESOURCE_TYPES
from flex_provider.errors import FlexError
from flex_provider.options import OPTIONS_BY_KEY, Options
from flex_provider.values import a_or_an, counted, quote, shown
from flex_provider.yamlfile import INVALID, MAX_BYTES, NESTED, Problem, YamlReader, collector_paused, in_file_order

__all__ = [
    "MAX_BYTES",
    "NAME_PATTERN",
    "Declaration",
    "Problem",
    "StackFile",
    "StackFileError",
    "check_stack_file",
    "iter_stack_files",
    "load_stack_file",
]

NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
"""A resource's logical name; matched with `fullmatch` (no `^…$`: Python's `$` lets a final newline through)."""


@dataclass(frozen=True)
class Declaration:
    """One resource of a stack file: its type, logical name, inputs (stored form, defaults applied) and options."""

    rtype: ResourceType
    name: str
    inputs: Mapping[str, Any]
    options: Options
    line: int


@dataclass(frozen=True)
class StackFile:
    """A valid stack file: its resources, in the order a program declares them (`types` in dependency order),
    then file order."""

    path: str
    resources: tuple[Declaration, ...]
    types: tuple[ResourceType, ...] = RESOURCE_TYPES
    """The resource types it was read with."""

    def of(self, rtype: ResourceType) -> tuple[Declaration, ...]:
        """The declared resources of one type."""
        return tuple(d for d in self.resources if d.rtype is rtype)

    def summary(self) -> str:
        """How many resources of each type it declares: `1 flow, 2 channels`."""
        return ", ".join(counted(len(self.of(rtype)), rtype.noun) for rtype in self.types
                         if self.of(rtype)) or "no resources"


class StackFileError(FlexError):
    """A stack file has problems; all of them are listed, in file order."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = tuple(in_file_order(problems))
        count = f"{len(self.problems)} problem{'s' if len(self.problems) != 1 else ''}"
        super().__init__(f"{count} in stack file:\n" + "\n".join(f"  {p}" for p in self.problems))


def load_stack_file(path: str | Path, display: str | None = None,
                    types: Sequence[ResourceType] = RESOURCE_TYPES) -> StackFile:
    """Load and validate a stack file; raise StackFileError listing every problem.

    `display` is how problems name the file (default: `path` as given, quoted if it is not printable);
    `types` are the resource types it may declare, a section each (by default every declared one).
    """
    stack, problems = check_stack_file(path, display, types)
    if problems or stack is None:
        raise StackFileError(problems)
    return stack


def check_stack_file(path: str | Path, display: str | None = None,
                     types: Sequence[ResourceType] = RESOURCE_TYPES) -> tuple[StackFile | None, list[Problem]]:
    """Validate a stack file; return it (None when it has problems) and every problem, in file order."""
    checker = _Checker(display or shown(str(path)), types=tuple(types))
    with collector_paused():
        stack = checker.run(Path(path))
    return (stack if not checker.problems else None), in_file_order(checker.problems)


@dataclass
class _Value:
    """A field's value and the node it came from (the resource's or, when `shared`, the section defaults')."""

    value: Any
    node: Node
    shared: bool = False


@dataclass
class _Shared:
    """A problem at a place in a section's defaults, and every resource it holds for: reported once, there."""

    node: Node
    where: str
    message: str
    rtype: ResourceType
    names: list[str] = field(default_factory=list)

    def message_for_all(self) -> str:
        shown_names = ", ".join(shown(name) for name in self.names[:_NAMES_SHOWN])
        more = ", …" if len(self.names) > _NAMES_SHOWN else ""
        return f"{self.message} (for {counted(len(self.names), self.rtype.noun)}: {shown_names}{more})"


_NAMES_SHOWN = 10


@dataclass
class _Defaults:
    """A section's defaults as its resources see them: valid values, invalid keys, and where a misspelt key
    (here, or `defaults:` itself misspelt at the top) stands for the field it was meant to be."""

    values: dict[str, _Value]
    invalid: set[str]
    typos: dict[str, Node]


@dataclass
class _Checker(YamlReader):
    """One pass over one stack file; problems accumulate in `problems`.

    It reads in two passes, so that the order of sections is no rule: first the names every section
    declares, then each resource, whose references may name a resource of any section.
    """

    types: tuple[ResourceType, ...] = RESOURCE_TYPES
    _sources: dict[ResourceType, dict[str, dict[str, _Value]]] = field(default_factory=dict)
    _names: dict[str, set[str]] = field(default_factory=dict)
    """The logical names each section declares, for references to them."""
    _shared: dict[tuple[int, str, str], _Shared] = field(default_factory=dict)
    reported: int = 0
    """Problems found so far, those of the defaults that are reported once at the end among them."""

    def problem(self, node: Node | None, where: str, message: str, line: int = 1, column: int = 1) -> None:
        """Report a problem now, and count it: a declaration with any is not built (`reported`)."""
        super().problem(node, where, message, line, column)
        self.reported += 1

    def resource_problem(self, rtype: ResourceType, name: str, node: Node, shared: bool, path: str,
                         message: str) -> None:
        """A problem of one resource's field `path`, at `node`. When the node is in the section's defaults
        (`shared`), every resource it holds for is named in one problem there, reported by `report_shared`."""
        if not shared:
            self.problem(node, f"{rtype.section}.{shown(name)}.{path}", message)
            return
        found = self._shared.setdefault((id(node), path, message),
                                        _Shared(node, f"{rtype.defaults_key}.{path}", message, rtype))
        found.names.append(name)
        self.reported += 1

    def report_shared(self) -> None:
        for found in self._shared.values():
            self.problem(found.node, found.where, found.message_for_all())

    def run(self, path: Path) -> StackFile | None:
        sections = ", ".join(f"`{rtype.section}:`" for rtype in self.types)
        root = self._compose(path, f"is empty; expected a mapping of sections ({sections})")
        if root is None:
            return None
        known = tuple(key for rtype in self.types for key in (rtype.defaults_key, rtype.section))
        top = self._mapping(root, "(file)", known, f"expected a mapping of sections ({sections}, each with "
                                                   "optional defaults)")
        if top is None:
            return None
        if not any(rtype.section in top for rtype in self.types):
            self.problem(root, "(file)", f"declares no resources: add a section ({sections})")
            return None
        ordered = in_dependency_order(self.types)
        entries = {rtype: self._mapping(top[rtype.section][1], rtype.section, None,
                                        f"must be a mapping from {rtype.noun} name to its fields") or {}
                   for rtype in ordered if rtype.section in top}
        self._names = {rtype.section: set(found) for rtype, found in entries.items()}
        declarations = [declaration for rtype, found in entries.items()
                        for declaration in self._section(rtype, top, found, self.typos.get(id(root), {}))]
        for rtype in ordered:
            self._cross_check(rtype)
        self.report_shared()
        return StackFile(self.display, tuple(d for d in declarations if d is not None), self.types)

    @cached_property
    def _by_section(self) -> Mapping[str, ResourceType]:
        return {rtype.section: rtype for rtype in self.types}

    def _section(self, rtype: ResourceType, top: dict[str, tuple[Node, Node]], entries: dict[str, tuple[Node, Node]],
                 top_typos: dict[str, Node]) -> list[Declaration | None]:
        """The declarations of one section, each merged over the section's defaults."""
        values: dict[str, _Value] | None = {}
        invalid: set[str] = set()
        typos: dict[str, Node] = {}
        if rtype.defaults_key in top:
            node = top[rtype.defaults_key][1]
            values, invalid = self._fields(rtype, node, rtype.defaults_key)
            typos = self.typos.get(id(node), {})
        elif rtype.defaults_key in top_typos:
            typos = dict.fromkeys(_keys(rtype), top_typos[rtype.defaults_key])
        if values is None:
            values, invalid = {}, set(_keys(rtype))
        for spec in _references(rtype).values():
            assert spec.reference is not None
            if spec.name in values and spec.reference.key in values:
                self.problem(values[spec.reference.key].node, f"{rtype.defaults_key}.{spec.reference.key}",
                             f"give {spec.reference.key} or {spec.name}, not both")
                invalid |= {spec.name, spec.reference.key}
                for form in (spec.name, spec.reference.key):  # reported once here, not again for each resource
                    del values[form]
        for value in values.values():
            value.shared = True
        defaults = _Defaults(values, invalid, typos)
        self._sources[rtype] = {}
        return [self._declaration(rtype, name, key_node, node, defaults)
                for name, (key_node, node) in entries.items()]

    def _fields(self, rtype: ResourceType, node: Node, where: str) -> tuple[dict[str, _Value] | None, set[str]]:
        """Valid fields and options of a mapping (a resource or its section's defaults) and the invalid keys.

        The values are None when the node is not a usable mapping (already reported).
        """
        entries = self._mapping(node, where, _keys(rtype), f"must be a mapping of {rtype.noun} fields")
        if entries is None:
            return None, set()
        values: dict[str, _Value] = {}
        invalid: set[str] = set()
        references = _references(rtype)
        for key, (key_node, value_node) in entries.items():
            spec = rtype.by_name.get(key)
            if where == rtype.defaults_key and key in OPTIONS_BY_KEY and OPTIONS_BY_KEY[key].one_resource:
                self.problem(key_node, f"{where}.{key}", f"names one {rtype.noun}; set it on that {rtype.noun}, not in "
                                                         f"`{where}:`")
                value = INVALID
            elif spec:
                value = self._field(spec, value_node, f"{where}.{key}")
            elif key in references:
                value = self._reference(references[key], value_node, f"{where}.{key}")
            else:
                value = self._option(rtype, key, value_node, f"{where}.{key}")
            if value is INVALID:
                invalid.add(key)
            else:
                values[key] = _Value(value, value_node)
        return values, invalid

    def _field(self, spec: Field, node: Node, where: str) -> Any:
        """A field's value, or INVALID once its problems are reported; a mapping field's keys each at their place."""
        if spec.fields:
            entries = self._mapping(node, where, tuple(spec.by_name),
                                    f"must be a mapping with keys {', '.join(spec.by_name)}")
            if entries is None:
                return INVALID
            data = {key: self._field(spec.by_name[key], value_node, f"{where}.{key}")
                    for key, (_key_node, value_node) in entries.items()}
            return INVALID if any(v is INVALID for v in data.values()) else data
        value = self._data(node, where, nested=spec.kind.takes_collections, json=spec.kind.json_text)
        if value is INVALID:
            return INVALID
        reason, stored = _field_checked(spec, value)
        if reason:
            self.problem(node, where, reason)
            return INVALID
        return stored

    def _reference(self, spec: Field, node: Node, where: str) -> Any:
        value = self._data(node, where, nested=False)
        if value is INVALID:
            return INVALID
        assert spec.reference is not None
        if not isinstance(value, str) or not value.strip():
            target = self._by_section[spec.reference.section]
            self.problem(node, where, f"must be the name of a {target.noun} in `{target.section}:` (or give "
                                      f"{spec.name} instead)")
            return INVALID
        return value

    def _option(self, rtype: ResourceType, key: str, node: Node, where: str) -> Any:
        value = self._data(node, where, nested=key == "aliases")
        if value is INVALID:
            return INVALID
        reason = OPTIONS_BY_KEY[key].problem(_NESTED_AS_LIST if value is NESTED else value, rtype)
        if reason:
            self.problem(node, where, reason)
            return INVALID
        return value

    def _declaration(self, rtype: ResourceType, name: str, key_node: Node, node: Node,
                     defaults: _Defaults) -> Declaration | None:
        where = f"{rtype.section}.{shown(name)}"
        before = self.reported
        if not NAME_PATTERN.fullmatch(name):
            self.problem(key_node, where, f"{rtype.noun} names become Pulumi resource names: start with a letter or "
                                          "digit, then letters, digits, '.', '_' or '-' (100 at most)")
        own, bad_own = self._fields(rtype, node, where)
        if own is None:
            return None
        merged = {**{key: value for key, value in defaults.values.items() if key not in bad_own}, **own}
        for spec in _references(rtype).values():
            self._settle_reference(rtype, name, spec, own, merged)
        self._sources[rtype][name] = merged
        own_typos = self.typos.get(id(node), {})
        for spec in rtype.fields:
            forms = (spec.name, *((spec.reference.key,) if spec.reference else ()))
            if spec.required and not set(forms) & (set(merged) | bad_own | defaults.invalid):
                # Reported where a misspelt key meant it, after the "did you mean" there: the cause, then this.
                mine = next((own_typos[form] for form in forms if form in own_typos), None)
                theirs = next((defaults.typos[form] for form in forms if form in defaults.typos), None)
                either = f"it or {spec.reference.key}" if spec.reference else "it"
                self.resource_problem(rtype, name, mine or theirs or key_node, mine is None and theirs is not None,
                                      spec.name, f"is required (set {either} on the {rtype.noun} or in "
                                                 f"`{rtype.defaults_key}:`)")
        if self.reported > before or defaults.invalid:
            return None
        inputs = rtype.with_defaults({
            **{key: v.value for key, v in merged.items() if key in rtype.by_name},
            **{spec.name: Link(spec.reference.section, merged[key].value, spec.reference.output)
               for key, spec in _references(rtype).items() if key in merged and spec.reference}})
        missing = rtype.requirement_problems(inputs)
        for path, trigger, reason in missing:
            top, _, key = path.partition(".")
            holder = merged.get(top)
            typo = self.typos.get(id(holder.node), {}).get(key) if holder is not None else None
            chosen, _, chosen_key = trigger.partition(".")
            if typo is not None:
                self.resource_problem(rtype, name, typo, holder.shared, path, reason)
            elif chosen in merged:
                source = merged[chosen]
                at = _value_node(source.node, chosen_key) if chosen_key else source.node
                self.resource_problem(rtype, name, at, source.shared, path, reason)
            else:
                self.resource_problem(rtype, name, key_node, False, path, reason)
        if missing:
            return None
        options = Options.from_values({key: v.value for key, v in merged.items() if key in OPTIONS_BY_KEY})
        return Declaration(rtype, name, MappingProxyType(inputs), options, key_node.start_mark.line + 1)

    def _settle_reference(self, rtype: ResourceType, name: str, spec: Field, own: dict[str, _Value],
                          merged: dict[str, _Value]) -> None:
        """One of the field and its reference key: the resource's own wins over its defaults', never both."""
        assert spec.reference is not None
        forms = (spec.name, spec.reference.key)
        if all(form in own for form in forms):
            self.problem(own[spec.reference.key].node, f"{rtype.section}.{shown(name)}.{spec.reference.key}",
                         f"give {spec.reference.key} or {spec.name}, not both")
        elif any(form in own for form in forms):
            for form in forms:
                if form not in own:
                    merged.pop(form, None)
        named = merged.get(spec.reference.key)
        declared = self._names.get(spec.reference.section, set())
        if named is not None and named.value not in declared:
            target = self._by_section[spec.reference.section]
            known = (f"declared: {', '.join(shown(declared_name) for declared_name in sorted(declared))}"
                     if declared else f"`{target.section}:` declares none")
            self.resource_problem(rtype, name, named.node, named.shared, spec.reference.key,
                                  f"names no {target.noun} of this file: {quote(named.value)} ({known})")

    def _cross_check(self, rtype: ResourceType) -> None:
        """Collisions the API would refuse or silently merge, among the valid values of every declaration.

        Values compare resolved: a reference to a flow that adopts a SID is that SID, so a channel naming
        the flow and one giving its SID are seen to share it; SIDs compare without regard to the case of
        their hex digits (one object either way; docs/development.md, Assumed Twilio behaviour).
        """
        claims: dict[tuple[Any, ...], tuple[str, Any]] = {}
        checks = [*((c.keys, c.reason) for c in rtype.collisions),
                  (("import",), f"{rtype.noun} '{{other}}' already imports {{value}}")]
        for name, values in self._sources.get(rtype, {}).items():
            for keys, reason in checks:
                resolved = [self._resolved(rtype, values, key) for key in keys]
                if None in resolved:
                    continue
                claim = (keys, *(_compared(rtype, key, value) for key, value in zip(keys, resolved, strict=True)))
                if claim in claims:
                    other, value = claims[claim]
                    at = keys[-1]
                    self.resource_problem(rtype, name, values[at].node, values[at].shared, at,
                                          reason.format(value=quote(str(value)), other=shown(other)))
                else:
                    claims[claim] = (name, resolved[-1])
        self._check_aliases(rtype)

    def _resolved(self, rtype: ResourceType, values: dict[str, _Value], key: str) -> Any:
        """A value as a collision compares it: a field named through a reference is that resource's id when
        the file knows it (the resource adopts a SID), else the reference itself."""
        if key in values:
            return values[key].value
        spec = rtype.by_name.get(key)
        if spec is None or spec.reference is None or spec.reference.key not in values:
            return None
        target = values[spec.reference.key].value
        adopted = self._sources.get(self._by_section[spec.reference.section], {}).get(target, {}).get("import")
        if adopted is not None and spec.reference.output in ("id", "sid"):
            return adopted.value
        return Link(spec.reference.section, target, spec.reference.output)

    def _check_aliases(self, rtype: ResourceType) -> None:
        """One former name belongs to one resource, and is no name the file declares now: Pulumi would move one
        former resource's state to two resources, or another declared resource's state to this one."""
        declared = self._names.get(rtype.section, set())
        owners: dict[str, str] = {}
        for name, values in self._sources.get(rtype, {}).items():
            aliases = values.get("aliases")
            for alias in aliases.value if aliases else ():
                where = f"{rtype.section}.{shown(name)}.aliases"
                if alias in declared:
                    self.problem(aliases.node, where, f"{quote(alias)} is the name of {a_or_an(rtype.noun)} this file "
                                                      "declares; an alias is a former name")
                elif alias in owners:
                    self.problem(aliases.node, where, f"{rtype.noun} '{shown(owners[alias])}' already has the alias "
                                                      f"{quote(alias)}; a former name belongs to one {rtype.noun}")
                else:
                    owners[alias] = name


_NESTED_AS_LIST = ["(a list or mapping)"]
"""What an option check is given for a nested value where a scalar belongs: a list, so it says what it wants."""


def _keys(rtype: ResourceType) -> tuple[str, ...]:
    """The keys a resource of `rtype` (or its section's defaults) may have: its fields (each followed by the
    key that can name another resource instead), then the options."""
    fields = [key for spec in rtype.fields for key in (spec.name, *((spec.reference.key,) if spec.reference else ()))]
    return (*fields, *OPTIONS_BY_KEY)


def _references(rtype: ResourceType) -> dict[str, Field]:
    """The fields that can be given by naming another resource, by the key that names it."""
    return {spec.reference.key: spec for spec in rtype.fields if spec.reference}


def _compared(rtype: ResourceType, key: str, value: Any) -> Any:
    """A resolved value in the form collisions compare: a SID with its hex digits in one case."""
    spec = rtype.by_name.get(key)
    if isinstance(value, str) and (key == "import" or (spec is not None and spec.sid_prefix)):
        return value.lower()
    return value


def _value_node(node: Node, key: str) -> Node:
    """The node of one key's value in a mapping node (the node itself when it has no such key)."""
    if isinstance(node, MappingNode):
        return next((value for key_node, value in node.value if key_node.value == key), node)
    return node


def _field_checked(spec: Field, value: Any) -> tuple[str | None, Any]:
    """A scalar field's problem, or its stored form: values of a loaded stack file are kept stored."""
    if value is NESTED:
        return f"must be {spec.kind.wanted}, not a list or mapping", None
    problems, stored = spec.checked(value)
    reason = first_problem(problems)
    if reason and spec.kind.quotable and value is not None and not isinstance(value, str):
        return f"{reason}; quote it to make it a string", None
    return reason, stored


def iter_stack_files(directory: Path) -> Iterator[Path]:
    """The stack files of a directory, in name order: every `*.yaml` but folders, so one that is no regular file
    (a named pipe, a link to a device) is refused by name rather than passed over."""
    yield from sorted(p for p in directory.glob("*.yaml") if not p.is_dir())
