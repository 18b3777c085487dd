"""Retrying, bounded: urllib3's `Retry`, narrowed so that a POST is only ever repeated when the server cannot have
acted on it (a 429 answer, or a connection that was never opened), and given a time budget.

A POST whose answer is lost is never retried: a duplicate resource is worse than an error
(`OutcomeUnknownError` says so instead). A connection refused by this machine is not retried at all:
nothing listens there, and nothing will in the next few seconds. Each retry is logged (logger
`flex_provider.client`, WARNING) with its count, for a front end that shows progress: the CLI does.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any, Self

from urllib3.exceptions import MaxRetryError, ResponseError
from urllib3.util.retry import Retry

from flex_provider.causes import in_chain, root_reason
from flex_provider.loopback import is_loopback
from flex_provider.values import shown

__all__ = ["RetryPolicy", "make_retry"]

_log = logging.getLogger("flex_provider.client")
"""The client's logger, under the client's name: the retry policy is part of the client."""
_log.addHandler(logging.NullHandler())  # a library is silent unless its user shows its logs (the CLI does)


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds on retrying: at most `attempts` retries and `max_elapsed` seconds of retrying.

    A `Retry-After` longer than `max_retry_after` is cut to it, so one answer cannot stall a run.
    """

    attempts: int = 6
    backoff_factor: float = 0.25
    backoff_max: float = 8.0
    jitter: float = 0.25
    max_retry_after: float = 30.0
    max_elapsed: float = 90.0


class _FlexRetry(Retry):
    """urllib3 `Retry` with the POST rule, a time budget, no retry of a refused loopback connection, and a log
    line per retry.

    GET and DELETE are retried on connection errors, 429 and 5xx. POST is retried on a 429 (the
    server refused before acting) and on connection errors before anything was sent (urllib3
    counts those as connect errors for every method); never on a read error or a 5xx.
    """

    def __init__(
        self,
        *args: Any,
        max_elapsed: float = 90.0,
        max_retry_after: float = 30.0,
        started: float | None = None,
        attempts: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.max_elapsed = max_elapsed
        self.max_retry_after = max_retry_after
        self.started = started
        self.attempts = attempts
        """The retries allowed in all, for the count in the log ("retry 2 of 6")."""

    def new(self, **kw: Any) -> Self:
        kw.setdefault("max_elapsed", self.max_elapsed)
        kw.setdefault("max_retry_after", self.max_retry_after)
        kw.setdefault("started", self.started)
        kw.setdefault("attempts", self.attempts)
        return super().new(**kw)

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if method.upper() == "POST":
            return status_code == 429 and bool(self.total)
        return super().is_retry(method, status_code, has_retry_after)

    def parse_retry_after(self, retry_after: str) -> float:
        return min(super().parse_retry_after(retry_after), self.max_retry_after)

    def increment(self, method: str | None = None, url: str | None = None, *args: Any, **kwargs: Any) -> Self:
        started = self.started if self.started is not None else time.monotonic()
        error, pool = kwargs.get("error"), kwargs.get("_pool")
        if time.monotonic() - started > self.max_elapsed:
            raise MaxRetryError(pool, url or "", error or ResponseError(f"retried for over {self.max_elapsed:g} s"))
        if error is not None and in_chain(error, (ConnectionRefusedError,)) and is_loopback(getattr(pool, "host", "")):
            # This machine answered that nothing listens on the port (an emulator not started, a wrong
            # port): retrying would only make the user wait 16 s for the same answer.
            raise MaxRetryError(pool, url or "", error)
        retry = super().increment(method, url, *args, **kwargs)
        retry.started = started
        response = kwargs.get("response")
        why = f"HTTP {response.status}" if response is not None else root_reason(error) if error else "no answer"
        where = f" at {pool.host}" if pool is not None else ""
        _log.warning("retrying %s %s%s (retry %d of %d): %s", method, shown(url or "", 200), where,
                     len(retry.history), self.attempts, shown(why, 200))
        return retry


def make_retry(policy: RetryPolicy) -> _FlexRetry:
    return _FlexRetry(
        total=policy.attempts,
        connect=policy.attempts,
        read=policy.attempts,
        status=policy.attempts,
        other=0,
        redirect=0,
        allowed_methods=frozenset({"GET", "DELETE"}),
        status_forcelist=frozenset({429, 500, 502, 503, 504}),
        backoff_factor=policy.backoff_factor,
        backoff_max=policy.backoff_max,
        backoff_jitter=policy.jitter,
        respect_retry_after_header=True,
        raise_on_status=False,
        raise_on_redirect=False,
        max_elapsed=policy.max_elapsed,
        max_retry_after=policy.max_retry_after,
        attempts=policy.attempts,
    )
