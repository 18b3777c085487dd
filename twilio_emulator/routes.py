"""The route table: method and path pattern to handler, one route for each operation the contract gives each backend."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from twilio_emulator.backends.records import Records
from twilio_emulator.errors import TwilioError, not_found
from twilio_emulator.handlers import Handler, handler

__all__ = ["Route", "Router"]

_PLACEHOLDER = re.compile(r"\\\{(\w+)\\\}")
"""A path's `{Name}`, as `re.escape` leaves it."""


@dataclass(frozen=True)
class Route:
    operation_id: str
    method: str
    path: str
    pattern: re.Pattern[str]
    handler: Handler


class Router:
    """Every route of the backends it is given; one port serves them all, whatever API each belongs to."""

    def __init__(self, backends: Iterable[Records[Any]]) -> None:
        self.routes = tuple(
            Route(f"{verb}{backend.noun}", operation["method"], operation["path"],
                  re.compile(_PLACEHOLDER.sub(r"(?P<\1>[^/]+)", re.escape(operation["path"]))),
                  handler(backend, verb, operation))
            for backend in backends for verb, operation in backend.operations().items())

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        """The route for a request and the `{Name}`s of its path; 404 for an unknown path, 405 for a wrong method."""
        allowed = []
        for route in self.routes:
            found = route.pattern.fullmatch(path)
            if found:
                if route.method == method:
                    return route, found.groupdict()
                allowed.append(route.method)
        if allowed:
            raise TwilioError(405, 20004, f"Method {method} not allowed on {path}",
                              headers={"Allow": ", ".join(sorted(set(allowed)))})
        raise not_found(path)
