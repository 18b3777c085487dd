"""The operations the emulator serves, as Twilio's OpenAPI descriptions give them (`contract.json`).

`contract.json` is cut from the specs by tests/spec_contract.py, and a test keeps it equal to what
the specs say. Requests are checked against it the way Twilio checks them: required parameters,
types, patterns, enums and bounds, so a client that passes here speaks Twilio's contract.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from twilio_emulator.errors import invalid

__all__ = ["VERBS", "operations", "parse_params", "snake_case"]

_FILE = Path(__file__).with_name("contract.json")
VERBS = ("Create", "Fetch", "Update", "List", "Delete")
"""The operations a resource may have, as its operation IDs begin (`CreateChannel`)."""


@cache
def operations() -> Mapping[str, Mapping[str, Any]]:
    """Every operation by ID: method, path, api, status, params and, for a list, list_key."""
    return json.loads(_FILE.read_text())["operations"]


def snake_case(name: str) -> str:
    """An API parameter name as a Python name: `FlexFlowSid` → `flex_flow_sid`."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def parse_params(operation: Mapping[str, Any], values: Mapping[str, Sequence[str]],
                 where: str = "post body") -> dict[str, Any]:
    """The operation's parameters from a form or query, checked and typed, by snake_case name.

    `Integration.FlowSid` becomes `{"integration": {"flow_sid": …}}`. Parameters the operation
    does not define are ignored, as Twilio ignores them.
    """
    parsed: dict[str, Any] = {}
    for name, rule in operation["params"].items():
        given = values.get(name)
        if not given or (rule["type"] != "array" and given[0] == ""):
            if rule.get("required"):
                raise invalid(f"Missing required parameter {name} in the {where}")
            continue
        value = list(given) if rule["type"] == "array" else _scalar(name, given[0], rule)
        target = parsed
        *parents, leaf = name.split(".")
        for parent in parents:
            target = target.setdefault(snake_case(parent), {})
        target[snake_case(leaf)] = value
    return parsed


def _scalar(name: str, text: str, rule: Mapping[str, Any]) -> Any:
    kind = rule["type"]
    if kind == "boolean":
        if text.lower() not in ("true", "false"):
            raise invalid(f"Invalid {name}: {text!r} is not true or false")
        return text.lower() == "true"
    if kind == "integer":
        if not re.fullmatch(r"-?[0-9]{1,18}", text):
            raise invalid(f"Invalid {name}: {text!r} is not an integer")
        number = int(text)
        low, high = rule.get("minimum", -math.inf), rule.get("maximum", math.inf)
        if not low <= number <= high:
            bounds = f"between {low} and {high}" if high != math.inf else f"at least {low}"
            raise invalid(f"Invalid {name}: {number} is not {bounds}")
        return number
    if "pattern" in rule and not re.fullmatch(rule["pattern"], text):
        raise invalid(f"Invalid {name}: {text!r} does not match {rule['pattern']}")
    if "enum" in rule and text not in rule["enum"]:
        raise invalid(f"Invalid {name}: {text!r} is not one of {', '.join(rule['enum'])}")
    if rule.get("format") == "uri" and not re.fullmatch(r"https?://[^\s/]+[^\s]*", text):
        raise invalid(f"Invalid {name}: {text!r} is not an absolute URL")
    return text
