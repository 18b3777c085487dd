"""What each kind of field means, in one place: the values it accepts, the form state keeps, how the API sends and
takes it, and how the JSON Schema types it.

A field (declaration.py) names its kind, and every layer asks the kind rather than testing which kind it
is: the provider's check and diff, the form body, the stack-file loader, the schema and the program's
resources all read the rules below, so a value one path accepts is never refused by another.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from flex_provider.values import (
    EXACT_INTEGER,
    a_or_an,
    canonical_json,
    control_character,
    describe,
    is_url,
    load_json,
    quote,
    shown,
    sid_found,
    suggestion,
)

if TYPE_CHECKING:
    from flex_provider.declaration import Field

__all__ = ["SCHEMA_END", "Kind", "Problems"]

Problems = list[tuple[str, str]]
"""Why a value is not acceptable, as (key path inside the field, reason); empty when it is."""

SCHEMA_END = r"(?![\s\S])"
"""End of text in both regex dialects a schema meets: ECMA-262 (editors) and Python's `re` (the
jsonschema library), whose `$` also matches before a final newline. `\\Z` is not ECMA-262."""


class Kind(ABC):
    """How a field is typed in YAML and Python, checked, stored, compared and encoded in the form body.

    The kinds are `Kind.TEXT`, `SID`, `CHOICE`, `URL`, `BOOL`, `INT`, `JSON`, `TEXT_LIST` and `OBJECT`.
    """

    TEXT: ClassVar[Kind]
    SID: ClassVar[Kind]
    CHOICE: ClassVar[Kind]
    URL: ClassVar[Kind]
    BOOL: ClassVar[Kind]
    INT: ClassVar[Kind]
    JSON: ClassVar[Kind]
    TEXT_LIST: ClassVar[Kind]
    OBJECT: ClassVar[Kind]

    def __init__(self, name: str, wanted: str, api_type: str = "string") -> None:
        self.name = name
        self.wanted = wanted
        """What a value of this kind must be, as error messages say it."""
        self.api_type = api_type
        """The type Twilio's spec gives a form parameter of this kind."""

    quotable: ClassVar[bool] = False
    """A YAML scalar that is not a string (a number, a boolean) is refused with the advice to quote it."""
    takes_collections: ClassVar[bool] = False
    """Lists and mappings from a stack file reach the check (which says what it wants)."""
    json_text: ClassVar[bool] = False
    """The value is JSON text: a mapping given for it is encoded, and a stack file's NaN is refused where it stands."""

    def __repr__(self) -> str:
        return f"Kind.{self.name}"

    @abstractmethod
    def problems(self, spec: Field, value: Any) -> Problems:
        """Why `value` is not acceptable for `spec`; empty when it is."""

    def checked(self, spec: Field, value: Any) -> tuple[Problems, Any]:
        """The value's problems and, when there are none, its stored form, in one pass."""
        found = self.problems(spec, value)
        return found, (None if found else self.stored(spec, value))

    def stored(self, spec: Field, value: Any) -> Any:
        """A valid value in the one form state keeps, so equal data never shows a diff."""
        return value

    def from_api(self, spec: Field, value: Any) -> Any:
        """A value the API returned (not None) in the form this field stores."""
        return value

    def differs(self, old: Any, new: Any, unknown: Callable[[Any], bool]) -> bool:
        """Whether `new` asks for something `old` is not; `unknown(value)` says a value is not known yet."""
        return bool(old != new)

    def form_items(self, spec: Field, value: Any) -> Iterator[tuple[str, str | list[str]]]:
        """The form parameters of a valid value."""
        yield spec.api_name, str(self.stored(spec, value))

    @abstractmethod
    def json_schema(self, spec: Field, described: Callable[[Field], dict[str, Any]]) -> dict[str, Any]:
        """The JSON Schema keywords of the type; `described(sub)` is the whole schema of a mapping's key."""

    @abstractmethod
    def pulumi_type(self, spec: Field, object_type: Callable[[Field], str]) -> dict[str, Any]:
        """The Pulumi package schema's type of the field (native provider); `object_type(spec)` is the token of
        a mapping field's object type."""


class _Scalar(Kind):
    """A kind whose value is one thing, with one reason at most why it is not acceptable."""

    def problems(self, spec: Field, value: Any) -> Problems:
        reason = self.problem(spec, value)
        return [("", reason)] if reason else []

    @abstractmethod
    def problem(self, spec: Field, value: Any) -> str | None:
        """Why `value` is not acceptable for `spec`, or None."""


class _String(_Scalar):
    """A string, with whichever of the field's rules it has: no control character, not empty, a length, a SID
    pattern, a choice, a URL, a shape."""

    quotable = True

    def __init__(self, name: str, *, url: bool = False, case_insensitive_answer: bool = False) -> None:
        super().__init__(name, "a string")
        self._url = url
        self._case_insensitive_answer = case_insensitive_answer

    def problem(self, spec: Field, value: Any) -> str | None:
        if not isinstance(value, str):
            return f"must be a string, not {describe(value)}"
        hidden = control_character(value)
        if hidden:
            return hidden
        if spec.required and not value.strip():
            return "must not be empty"
        if spec.max_length is not None and len(value) > spec.max_length:
            return f"must be {spec.max_length} characters at most, not {len(value)}"
        if spec.regex and not spec.regex.fullmatch(value):
            return (f"must be {a_or_an(f'{spec.sid_prefix} SID')}: '{spec.sid_prefix}' and 32 hex digits (pattern "
                    f"{spec.pattern}); {sid_found(spec.sid_prefix or '', value)}")
        if spec.choices and value not in spec.choices:
            return f"must be one of {', '.join(spec.choices)}; not {quote(value, 40)}"
        if self._url and not is_url(value):
            return f"must be an absolute http(s) URL, not {quote(value)}"
        if spec.shape and not re.fullmatch(spec.shape.pattern, value):
            return f"must be {spec.shape.wanted}, not {quote(value)}"
        return None

    def from_api(self, spec: Field, value: Any) -> Any:
        """Twilio answers some enums in another case than it takes them (`POST` for `post`)."""
        if self._case_insensitive_answer and isinstance(value, str):
            return next((choice for choice in spec.choices if choice.lower() == value.lower()), value)
        return value

    def json_schema(self, spec: Field, described: Callable[[Field], dict[str, Any]]) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "string"}
        if spec.pattern:
            schema.update(pattern=spec.pattern + SCHEMA_END, minLength=34, maxLength=34)
        if spec.choices:
            schema["enum"] = list(spec.choices)
        if spec.shape:
            schema["pattern"] = "^" + spec.shape.pattern + SCHEMA_END
        if self._url:
            schema["format"] = "uri"
        return schema

    def pulumi_type(self, spec: Field, object_type: Callable[[Field], str]) -> dict[str, Any]:
        return {"type": "string"}


class _Bool(_Scalar):
    def problem(self, spec: Field, value: Any) -> str | None:
        return None if isinstance(value, bool) else f"must be true or false, not {describe(value)}"

    def form_items(self, spec: Field, value: Any) -> Iterator[tuple[str, str | list[str]]]:
        yield spec.api_name, "true" if value else "false"

    def json_schema(self, spec: Field, described: Callable[[Field], dict[str, Any]]) -> dict[str, Any]:
        return {"type": "boolean"}

    def pulumi_type(self, spec: Field, object_type: Callable[[Field], str]) -> dict[str, Any]:
        return {"type": "boolean"}


class _Int(_Scalar):
    def problem(self, spec: Field, value: Any) -> str | None:
        whole = ((isinstance(value, int) and not isinstance(value, bool))
                 or (isinstance(value, float) and value.is_integer()))  # float(int) overflows past 1e308
        if not whole:
            return f"must be a whole number, not {describe(value)}"
        low, high = spec.bounds or (-EXACT_INTEGER, EXACT_INTEGER)
        if not low <= value <= high:
            return f"must be from {low} to {high}, not {describe(value)}"
        return None

    def stored(self, spec: Field, value: Any) -> Any:
        return int(value)

    def from_api(self, spec: Field, value: Any) -> Any:
        """A number that crossed JSON or protobuf as a double."""
        return int(value) if isinstance(value, float) and value.is_integer() else value

    def json_schema(self, spec: Field, described: Callable[[Field], dict[str, Any]]) -> dict[str, Any]:
        return {"type": "integer"}

    def pulumi_type(self, spec: Field, object_type: Callable[[Field], str]) -> dict[str, Any]:
        return {"type": "integer"}


class _Json(_Scalar):
    """JSON data, given as a mapping or as JSON text, kept as canonical JSON text."""

    takes_collections = True
    json_text = True

    def problem(self, spec: Field, value: Any) -> str | None:
        return _json_checked(value)[0]

    def checked(self, spec: Field, value: Any) -> tuple[Problems, Any]:
        """Checking already encodes the value: each is encoded once, not twice."""
        reason, stored = _json_checked(value)
        return ([("", reason)] if reason else []), stored

    def stored(self, spec: Field, value: Any) -> Any:
        return canonical_json(value if isinstance(value, Mapping) else load_json(value))

    def json_schema(self, spec: Field, described: Callable[[Field], dict[str, Any]]) -> dict[str, Any]:
        return {"type": ["object", "string"]}

    def pulumi_type(self, spec: Field, object_type: Callable[[Field], str]) -> dict[str, Any]:
        """A mapping or JSON text, as everywhere: Pulumi's `Any`."""
        return {"$ref": "pulumi.json#/Any"}


class _TextList(_Scalar):
    """A list of strings, each without a control character and one of `Field.item_choices` where the spec lists
    them; the form repeats its parameter once per item."""

    takes_collections = True

    def problem(self, spec: Field, value: Any) -> str | None:
        if not (isinstance(value, list | tuple) and all(isinstance(item, str) for item in value)):
            return f"must be a list of strings, not {describe(value)}"
        hidden = next((reason for reason in map(control_character, value) if reason), None)
        unknown = next((item for item in value if spec.item_choices and item not in spec.item_choices), None)
        if hidden is None and unknown is not None:
            return f"must hold only {', '.join(spec.item_choices)}; not {quote(unknown, 40)}"
        return hidden

    def stored(self, spec: Field, value: Any) -> Any:
        return list(value)

    def form_items(self, spec: Field, value: Any) -> Iterator[tuple[str, str | list[str]]]:
        yield spec.api_name, list(value)

    def json_schema(self, spec: Field, described: Callable[[Field], dict[str, Any]]) -> dict[str, Any]:
        return {"type": "array", "items": {"type": "string", **({"enum": list(spec.item_choices)}
                                                                if spec.item_choices else {})}}

    def pulumi_type(self, spec: Field, object_type: Callable[[Field], str]) -> dict[str, Any]:
        return {"type": "array", "items": {"type": "string"}}


class _Object(Kind):
    """A mapping of the field's own keys (`Field.fields`), each a field of its own, spread into the form body.

    A mapping may carry keys we do not manage in an API answer; those are dropped. A key left unset
    keeps the server's value, so it is no change.
    """

    def problems(self, spec: Field, value: Any) -> Problems:
        if not isinstance(value, Mapping):
            return [("", f"must be a mapping with keys {', '.join(spec.by_name)}, not {describe(value)}")]
        found: Problems = []
        for key in value:
            if key not in spec.by_name:
                found.append((shown(str(key)), f"is not a key of {spec.name}; {suggestion(str(key), spec.by_name)}"))
        for sub in spec.fields:
            item = value.get(sub.name)
            if item is not None:
                found.extend((f"{sub.name}.{where}" if where else sub.name, reason)
                             for where, reason in sub.problems(item))
        return found

    def stored(self, spec: Field, value: Any) -> Any:
        return {sub.name: sub.stored(value[sub.name]) for sub in spec.fields if value.get(sub.name) is not None}

    def from_api(self, spec: Field, value: Any) -> Any:
        if not isinstance(value, Mapping):
            return value
        return {sub.name: sub.from_api(value[sub.name]) for sub in spec.fields if value.get(sub.name) is not None}

    def differs(self, old: Any, new: Any, unknown: Callable[[Any], bool]) -> bool:
        if isinstance(old, Mapping) and isinstance(new, Mapping):
            return any(unknown(new[key]) or old.get(key) != new[key] for key in new)
        return bool(old != new)

    def form_items(self, spec: Field, value: Any) -> Iterator[tuple[str, str | list[str]]]:
        for sub in spec.fields:
            if value.get(sub.name) is not None:
                yield from sub.form_items(value[sub.name])

    def json_schema(self, spec: Field, described: Callable[[Field], dict[str, Any]]) -> dict[str, Any]:
        return {"type": "object", "additionalProperties": False,
                "properties": {sub.name: described(sub) for sub in spec.fields}}

    def pulumi_type(self, spec: Field, object_type: Callable[[Field], str]) -> dict[str, Any]:
        return {"$ref": f"#/types/{object_type(spec)}"}


def _json_checked(value: Any) -> tuple[str | None, str | None]:
    """Why a JSON field's value is not acceptable, or its canonical text."""
    if isinstance(value, Mapping):
        try:
            return None, canonical_json(value)
        except ValueError as exc:
            return str(exc), None
        except TypeError as exc:
            return f"cannot be encoded as JSON: {exc}", None
    if not isinstance(value, str):
        return f"must be a mapping or a JSON string, not {describe(value)}", None
    try:
        return None, canonical_json(load_json(value))
    except ValueError as exc:
        return f"is not valid JSON: {exc}", None


Kind.TEXT = _String("TEXT")
Kind.SID = _String("SID")
Kind.CHOICE = _String("CHOICE", case_insensitive_answer=True)
Kind.URL = _String("URL", url=True)
Kind.BOOL = _Bool("BOOL", "true or false", "boolean")
Kind.INT = _Int("INT", "a whole number", "integer")
Kind.JSON = _Json("JSON", "a mapping or a JSON string")
Kind.TEXT_LIST = _TextList("TEXT_LIST", "a list of strings", "array")
Kind.OBJECT = _Object("OBJECT", "a mapping", "object")
