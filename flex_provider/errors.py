"""The one error tree of flex_provider, so callers catch by meaning rather than by HTTP detail.

    FlexError
    ├── ConfigurationError        credentials or endpoint missing or unsafe
    ├── InvalidIdError            an id that is not a SID of the resource (also a ValueError)
    ├── AdoptionError             an `import` names a resource that is missing or cannot match
    ├── TransportError            no HTTP answer (refused, reset, timed out)
    │   └── OutcomeUnknownError   a POST was sent but its answer was lost
    └── ApiError                  Twilio answered with an error (status, code, message, more_info)
        ├── AuthenticationError   401 / 403
        ├── ValidationError       400
        ├── NotFoundError         404
        ├── ConflictError         409 (for example a duplicate ChatUniqueName)
        └── RateLimitedError      429 after every allowed retry

Each ApiError class names the HTTP statuses it stands for; `api_error_type` asks the tree.
No message in this tree ever contains a credential: errors are built from the request's method
and URL (which carry none) and the response body Twilio sent.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "AdoptionError",
    "ApiError",
    "AuthenticationError",
    "ConfigurationError",
    "ConflictError",
    "FlexError",
    "InvalidIdError",
    "NotFoundError",
    "OutcomeUnknownError",
    "RateLimitedError",
    "TransportError",
    "ValidationError",
    "answer_lost",
    "api_error_type",
]


class FlexError(Exception):
    """Base of every error flex_provider raises on purpose."""


class ConfigurationError(FlexError):
    """The provider cannot be set up: credentials missing, endpoint malformed or not HTTPS."""


class InvalidIdError(FlexError, ValueError):
    """An id that is not a SID of the resource it should name; nothing was sent."""


class AdoptionError(FlexError):
    """`import` names a resource that does not exist, or one whose fixed fields differ from the declaration."""


class TransportError(FlexError):
    """The request got no HTTP answer; it says which request and why."""

    def __init__(self, method: str, url: str, reason: str) -> None:
        self.method = method
        self.url = url
        self.reason = reason
        super().__init__(f"{method} {url} failed: {reason}")


class OutcomeUnknownError(TransportError):
    """A POST may have reached Twilio but its answer was lost, so what it did is unknown.

    Never retried: retrying a create could make a second resource. `advice` says how to find
    out what happened and go on.
    """

    def __init__(self, method: str, url: str, reason: str, advice: str) -> None:
        super().__init__(method, url, reason)
        self.advice = advice
        self.args = (f"{method} {url}: the request was sent but no answer came back ({reason}). {advice}",)


def answer_lost(method: str, url: str, reason: str, advice: str) -> TransportError:
    """The error for a request whose answer was lost after it may have reached the server.

    The one place the rule lives: a POST changes something, so its outcome is unknown and the
    user gets `advice`; a GET or DELETE can simply be sent again.
    """
    if method == "POST":
        return OutcomeUnknownError(method, url, reason, advice)
    return TransportError(method, url, reason)


class ApiError(FlexError):
    """Twilio answered with an error status; keeps everything Twilio said about it."""

    statuses: ClassVar[frozenset[int]] = frozenset()
    """The HTTP statuses this class stands for; a status no subclass claims is a plain ApiError."""

    def __init__(
        self,
        *,
        method: str,
        url: str,
        status: int,
        code: int | None,
        message: str,
        more_info: str | None,
    ) -> None:
        self.method = method
        self.url = url
        self.status = status
        self.code = code
        self.message = message
        self.more_info = more_info
        code_text = f" (Twilio error {code})" if code is not None else ""
        link = f" See {more_info}" if more_info else ""
        super().__init__(f"{method} {url} returned HTTP {status}{code_text}: {message}.{link}")


class AuthenticationError(ApiError):
    """Twilio rejected the credentials (HTTP 401 or 403)."""

    statuses = frozenset({401, 403})


class ValidationError(ApiError):
    """Twilio rejected the request's parameters (HTTP 400)."""

    statuses = frozenset({400})


class NotFoundError(ApiError):
    """The resource does not exist (HTTP 404)."""

    statuses = frozenset({404})


class ConflictError(ApiError):
    """The request collides with an existing resource (HTTP 409)."""

    statuses = frozenset({409})


class RateLimitedError(ApiError):
    """Twilio kept answering 429 after every retry the client allows."""

    statuses = frozenset({429})


def api_error_type(status: int) -> type[ApiError]:
    """The class of the tree that stands for an HTTP error status."""
    for error_type in ApiError.__subclasses__():
        if status in error_type.statuses:
            return error_type
    return ApiError
