"""Value rules shared by every resource: what a field of each kind accepts, and the one form it is stored in.

A value is checked the same way wherever it comes from (a stack file, a Python program, the
provider's Check), so a value one path accepts is never refused by another.
"""

from __future__ import annotations

import difflib
import json
import math
import re
import string
from collections.abc import Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "EXACT_INTEGER",
    "MAX_JSON_DEPTH",
    "TOO_DEEP",
    "a_or_an",
    "canonical_json",
    "closest",
    "control_character",
    "counted",
    "depth_of",
    "describe",
    "escaped",
    "integral",
    "is_url",
    "load_json",
    "plural",
    "quote",
    "shown",
    "sid_found",
    "suggestion",
]

EXACT_INTEGER = 2**53
"""The largest whole number a field takes where the spec gives no bound: a program's number crosses Pulumi's gRPC
as a double, exact only up to this, and JSON parsers elsewhere keep no more."""
MAX_JSON_DEPTH = 64
"""How deeply a JSON field may nest; deeper data is refused before Python's recursion limit is near."""
TOO_DEEP = f"nests too deeply; at most {MAX_JSON_DEPTH} levels are allowed"


def canonical_json(value: Any) -> str:
    """Serialize JSON data so equal data always gives equal text (sorted keys, no spaces).

    Integral floats are written as integers: a mapping that crossed Pulumi's gRPC boundary has
    only doubles (protobuf Struct), and `2.0` must encode as the `2` the user wrote. Data nested
    over MAX_JSON_DEPTH (which would exhaust the stack), NaN and infinities are refused with a
    ValueError saying so; a value JSON has no type for, with a TypeError.
    """
    if depth_of(value) > MAX_JSON_DEPTH:
        raise ValueError(TOO_DEEP)
    try:
        return json.dumps(integral(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                          allow_nan=False)
    except ValueError:
        if any(isinstance(item, int) and item.bit_length() > _WRITABLE_BITS for item in nested(value)):
            raise ValueError("holds a whole number too long to write (Python writes 4,300 digits at most)") from None
        raise ValueError("holds NaN or an infinity, which JSON has no number for") from None


_WRITABLE_BITS = 14_000
"""Whole numbers of more bits have over 4,214 digits, near the 4,300 Python's int-to-text conversion allows."""


def integral(value: Any) -> Any:
    """`value` with every integral float made an int, at any depth."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, Mapping):
        return {key: integral(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [integral(item) for item in value]
    return value


def load_json(text: str) -> Any:
    """Parse JSON text strictly; raise ValueError saying why it is not acceptable.

    Python's parser takes `NaN`, `Infinity` and numbers like `1e400` (which become infinite
    floats), and overflows the stack on deep nesting; none of these are JSON Twilio accepts.
    """
    depth = _nesting(text)
    if depth > MAX_JSON_DEPTH:
        raise ValueError(f"nests {depth} levels deep; at most {MAX_JSON_DEPTH} are allowed")
    return json.loads(text, parse_constant=_not_a_number, parse_float=_finite)


def _nesting(text: str) -> int:
    """The deepest bracket nesting of JSON text, counted outside strings, without parsing it."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _not_a_number(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"the number {text} is too large for JSON")
    return number


def nested(value: Any) -> Iterator[Any]:
    """`value` and every value inside its lists and mappings, walked without recursion (any depth)."""
    stack = [value]
    while stack:
        item = stack.pop()
        yield item
        if isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)


def depth_of(value: Any) -> int:
    """How deeply lists and mappings nest in `value`, without recursing."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, Mapping | list | tuple):
            depth += 1
            deepest = max(deepest, depth)
            if depth > MAX_JSON_DEPTH:
                return depth
            stack.extend((child, depth) for child in (item.values() if isinstance(item, Mapping) else item))
    return deepest


def is_url(value: str) -> bool:
    """An absolute http(s) URL with a host, as Twilio's `format: uri` parameters take."""
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and not re.search(r"\s", value)


def describe(value: Any) -> str:
    """A value as error messages name it: its type, and a short form of it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int) and value.bit_length() > 64:
        return f"a whole number of {value.bit_length()} bits"  # text of over 4,300 digits raises ValueError
    if isinstance(value, int | float):
        return f"the number {integral(value)}"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, str):
        return f"the string {quote(value, 40)}"
    return f"a {type(value).__name__}"


def sid_found(prefix: str, value: str) -> str:
    """What a string that is not a SID of `prefix` holds, for the end of a message: "found 'FO' and 31 hex digits".

    The count saves the user counting 32 characters by eye to find the one missing, doubled or not hex.
    """
    if not value:
        return "found an empty string"
    head, rest = value[:len(prefix)], value[len(prefix):]
    digits = sum(char in string.hexdigits for char in rest)
    if digits == len(rest):
        return f"found {quote(head, 10)} and {counted(digits, 'hex digit')}"
    hex_ones = "a hex digit" if digits == 1 else "hex digits"
    return f"found {quote(head, 10)} and {counted(len(rest), 'character')}, {digits} of them {hex_ones}"


def closest(name: str, known: Iterable[str]) -> str | None:
    """The known name that `name` looks like a misspelling of, if any: what "did you mean" suggests."""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return close[0] if close else None


def suggestion(name: str, known: Iterable[str]) -> str:
    """What an unknown name is told: the known one it resembles, else every known one."""
    names = list(known)
    close = closest(name, names)
    return f"did you mean '{close}'?" if close else f"known: {', '.join(names)}"


def a_or_an(noun: str) -> str:
    """A noun with its indefinite article, as messages name one resource: 'a channel', 'an address'.

    An initialism is read letter by letter, so its article follows the first letter's name:
    'an IS SID', 'an FO SID', 'a WT SID'.
    """
    first_word = noun.split(" ", 1)[0]
    if first_word.isupper() and len(first_word) > 1:
        return f"{'an' if first_word[0] in _VOWEL_SOUNDING_LETTERS else 'a'} {noun}"
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


_VOWEL_SOUNDING_LETTERS = "AEFHILMNORSX"
"""Letters whose names start with a vowel sound: 'eff', 'aitch', 'ell', 'em', 'en', 'ar', 'ess', 'ex' and the vowels."""


def counted(count: int, noun: str) -> str:
    """A count and its noun, plural when it is not one: '1 flow', '2 channels', '3 addresses'."""
    return f"{count} {noun if count == 1 else plural(noun)}"


def plural(noun: str) -> str:
    """The plural of a noun as our names take it: 'channels', 'addresses'."""
    return f"{noun}{'es' if noun.endswith(('s', 'x', 'ch', 'sh')) else 's'}"


def quote(text: str, limit: int = 60) -> str:
    """Text from a user, a file or Twilio as a message or table quotes it: escaped and cut.

    Messages echo what they were given so it can be found, but a value may be megabytes long or
    carry newlines and escape sequences that would forge lines of output. Every character that is
    not printable ASCII is written as its code point (`'web-\\u0441hat'`), so a look-alike letter
    (Cyrillic `с` for Latin `c`) or a hidden one never passes for what it imitates.
    """
    return ascii(text[:limit]) + ("…" if len(text) > limit else "")


def escaped(text: str) -> str:
    """A message that holds what a user typed, as a terminal may receive it: every character that is not printable
    ASCII written as its code point, as `quote` writes it (`\\x1b`, `\\n`, `\\u0441`), and nothing else changed.

    For messages another library makes (argparse's), where the typed part cannot be told from the rest. The '…'
    that `quote` puts where it cut a value short stays: it is neither a control character nor a letter's look-alike.
    """
    return "".join(char if " " <= char <= "~" or char == "…" else ascii(char)[1:-1] for char in text)


def shown(text: str, limit: int = 100) -> str:
    """A name (a key, a file, a table cell) as a message shows it: as is when short, printable ASCII, not blank
    and without edge spaces; else as `quote` does."""
    if len(text) <= limit and text.isascii() and text.isprintable() and text.strip() == text and text:
        return text
    return quote(text, limit)


_CONTROL = re.compile(r"[^\t\n\r\x20-\x7e\xa0-\U0010ffff]|[\ud800-\udfff]")
"""Characters a text value may not hold: the C0 and C1 controls (tab and line breaks aside), DEL, and lone
surrogates, which no UTF-8 text can carry. A YAML file may not hold them raw; its escapes (`"\\e"`,
`"\\0"`) must not let them in either."""


def control_character(text: str) -> str | None:
    """Why `text` is not acceptable as a text value because of a control character in it, or None."""
    found = _CONTROL.search(text)
    if found is None:
        return None
    what = "half a surrogate pair" if "\ud800" <= found.group() <= "\udfff" else "the control character"
    return f"holds {what} U+{ord(found.group()):04X}; remove it"
