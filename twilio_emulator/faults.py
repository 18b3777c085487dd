"""Fault injection, in one place: latency, 429 and 5xx answers, and connections dropped after a create."""

from __future__ import annotations

import math
import threading
from collections import Counter
from dataclasses import asdict, dataclass, fields
from typing import Any

__all__ = ["FaultInjector", "Faults"]

_METHODS = ("GET", "POST", "DELETE")


@dataclass(frozen=True)
class Faults:
    """Faults to inject into API requests. Shares are exact over time, not random: a share of
    0.5 faults every second request, so tests can count on it."""

    latency_ms: float = 0.0
    rate_429: float = 0.0
    retry_after: int = 1
    rate_5xx: float = 0.0
    status_5xx: int = 503
    drop_after_create: float = 0.0
    methods: tuple[str, ...] = _METHODS

    def __post_init__(self) -> None:
        """Refuse values that would break the emulator instead of faulting requests (ValueError)."""
        for name in ("latency_ms", "rate_429", "rate_5xx", "drop_after_create"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise ValueError(f"{name} must be a number, not {value!r}")
        if not 0 <= self.latency_ms <= 600_000:
            raise ValueError(f"latency_ms must be from 0 to 600000, not {self.latency_ms!r}")
        for name in ("rate_429", "rate_5xx", "drop_after_create"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be a share from 0 to 1, not {getattr(self, name)!r}")
        if not _whole(self.retry_after, 0, 3600):
            raise ValueError(f"retry_after must be whole seconds from 0 to 3600, not {self.retry_after!r}")
        if not _whole(self.status_5xx, 500, 599):
            raise ValueError(f"status_5xx must be an HTTP status from 500 to 599, not {self.status_5xx!r}")
        if not isinstance(self.methods, tuple) or not all(method in _METHODS for method in self.methods):
            raise ValueError(f"methods must be a list of {', '.join(_METHODS)}, not {self.methods!r}")

    @classmethod
    def from_json(cls, data: Any) -> Faults:
        """From the admin API's JSON object; raises ValueError naming what is wrong."""
        if not isinstance(data, dict):
            raise ValueError("expected a JSON object")
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fields {sorted(unknown)}; known: {sorted(known)}")
        if "methods" in data:
            if not isinstance(data["methods"], list):
                raise ValueError(f"methods must be a list of {', '.join(_METHODS)}, not {data['methods']!r}")
            data = {**data, "methods": tuple(data["methods"])}
        return cls(**data)

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "methods": list(self.methods)}


def _whole(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


class FaultInjector:
    """Decides, thread-safely, which requests get which fault."""

    def __init__(self, faults: Faults | None = None) -> None:
        self._lock = threading.Lock()
        self.faults = faults or Faults()
        self._debt: Counter[str] = Counter()

    def configure(self, faults: Faults) -> None:
        with self._lock:
            self.faults = faults
            self._debt.clear()

    def hit(self, kind: str, share: float) -> bool:
        """Error diffusion: accumulate the share, fire when the debt reaches one.

        The debt starts at one half (round to nearest), so a share of 0.5 faults the first request.
        """
        if share <= 0:
            return False
        with self._lock:
            self._debt[kind] = self._debt.get(kind, 0.5) + share
            if self._debt[kind] >= 1.0 - 1e-9:
                self._debt[kind] -= 1.0
                return True
            return False
