"""The route table: method and path pattern to handler, built from the contract's paths."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from twilio_emulator.contract import operation
from twilio_emulator.errors import TwilioError, not_found
from twilio_emulator.handlers import HANDLERS, Answer, Request

__all__ = ["ROUTES", "Route", "match"]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Callable[[Request], Answer]


def _route(operation_id: str, handler: Callable[[Request], Answer]) -> Route:
    spec = operation(operation_id)
    pattern = re.escape(spec["path"]).replace(r"\{Sid\}", "(?P<sid>[^/]+)")
    return Route(spec["method"], re.compile(pattern), handler)


ROUTES: tuple[Route, ...] = tuple(_route(operation_id, handler) for operation_id, handler in HANDLERS.items())


def match(method: str, path: str) -> tuple[Route, str | None]:
    """The route for a request and the SID in its path; 404 for an unknown path, 405 for a wrong method."""
    allowed = []
    for route in ROUTES:
        found = route.pattern.fullmatch(path)
        if found:
            if route.method == method:
                return route, found.groupdict().get("sid")
            allowed.append(route.method)
    if allowed:
        raise TwilioError(405, 20004, f"Method {method} not allowed on {path}",
                          headers={"Allow": ", ".join(sorted(set(allowed)))})
    raise not_found(path)
