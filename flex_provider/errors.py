"""The one error tree of flex_provider, so callers catch by meaning rather than by HTTP detail.

    FlexError
    ├── ConfigurationError        credentials or endpoint missing or unsafe
    ├── InvalidIdError            an id that is not a SID of the resource (also a ValueError)
    ├── AdoptionError             an `import` names a resource that is missing or cannot match
    ├── AlreadyExistsError        a create was answered with a resource Twilio already had
    ├── TransportError            no answer from Twilio (refused, reset, timed out)
    │   └── OutcomeUnknownError   a POST was sent but its answer was lost (also: a gateway's 502 / 504)
    └── ApiError                  Twilio answered with an error (status, code, message, more_info)
        ├── AuthenticationError   401 / 403
        ├── ValidationError       400
        ├── NotFoundError         404
        ├── ConflictError         409 (for example a duplicate ChatUniqueName)
        └── RateLimitedError      429 after every allowed retry

Each ApiError class names the HTTP statuses it stands for; `api_error_type` asks the tree.
No message in this tree ever contains a credential: errors are built from the request's method
and URL (which carry none) and the response body Twilio sent. Whatever came from the network (a
URL Twilio linked to, its message, a reason a library gave) is escaped as `shown` shows names, so
an answer cannot forge a line of Pulumi's output or send an escape sequence to a terminal.
"""

from __future__ import annotations

from typing import ClassVar

from flex_provider.values import shown

_SHOWN = 1000
"""The most characters of one value from the network a message shows."""

__all__ = [
    "GATEWAY_STATUSES",
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
    "answer_error",
    "answer_lost",
    "api_error_type",
]

GATEWAY_STATUSES = frozenset({502, 504})
"""Statuses a gateway in front of Twilio answers with when Twilio's own answer did not reach it in time
(or at all): the request may have been passed on and acted on."""


class FlexError(Exception):
    """Base of every error flex_provider raises on purpose."""


class ConfigurationError(FlexError):
    """The provider cannot be set up: credentials missing, endpoint malformed or not HTTPS."""


class InvalidIdError(FlexError, ValueError):
    """An id that is not a SID of the resource it should name; nothing was sent."""


class AdoptionError(FlexError):
    """`import` names a resource that does not exist, or one whose fixed fields differ from the declaration."""


class AlreadyExistsError(FlexError):
    """Twilio answered a create with a resource it already had (Flex does so for a Flex Flow and identity)."""


class TransportError(FlexError):
    """The request got no answer from Twilio; it says which request and why.

    `status` is the HTTP status a gateway answered with in Twilio's place, or None when no HTTP
    answer came at all.
    """

    def __init__(self, method: str, url: str, reason: str, status: int | None = None) -> None:
        self.method = method
        self.url = url
        self.reason = reason
        self.status = status
        super().__init__(f"{method} {shown(url, _SHOWN)} failed: {shown(reason, _SHOWN)}")


class OutcomeUnknownError(TransportError):
    """A POST may have reached Twilio but its answer was lost, so what it did is unknown.

    Never retried: retrying a create could make a second resource. `advice` says how to find
    out what happened and go on.
    """

    def __init__(self, method: str, url: str, reason: str, advice: str, status: int | None = None) -> None:
        super().__init__(method, url, reason, status)
        self.advice = advice
        self.args = (f"{method} {shown(url, _SHOWN)}: the request was sent but no answer came back "
                     f"({shown(reason, _SHOWN)}). {advice}",)


def answer_lost(method: str, url: str, reason: str, advice: str, status: int | None = None) -> TransportError:
    """The error for a request whose answer was lost after it may have reached the server.

    The one place the rule lives: a POST changes something, so its outcome is unknown and the
    user gets `advice`; a GET or DELETE can simply be sent again.
    """
    if method == "POST":
        return OutcomeUnknownError(method, url, reason, advice, status)
    return TransportError(method, url, reason, status)


def answer_error(*, method: str, url: str, status: int, code: int | None, message: str, more_info: str | None,
                 advice: str) -> FlexError:
    """The error for an HTTP error answer: the ApiError class of its status, except a gateway's lost answer.

    A 502 or 504 to a POST may come after Twilio acted (a gateway timed out waiting for it), so
    its outcome is unknown (`answer_lost`); the status and whatever the answer said are kept.
    """
    error = api_error_type(status)(method=method, url=url, status=status, code=code, message=message,
                                   more_info=more_info)
    if status in GATEWAY_STATUSES:
        lost = answer_lost(method, url, f"a gateway answered {error.summary} in Twilio's place", advice, status)
        if isinstance(lost, OutcomeUnknownError):
            return lost
    return error


class ApiError(FlexError):
    """Twilio answered with an error status; keeps everything Twilio said about it."""

    statuses: ClassVar[frozenset[int]] = frozenset()
    """The HTTP statuses this class stands for; a status no subclass claims is a plain ApiError."""
    advice: ClassVar[str] = ""
    """What to do about every error of this class, after what Twilio said."""

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
        link = f" See {shown(more_info, _SHOWN)}" if more_info else ""
        advice = f" {self.advice}" if self.advice else ""
        super().__init__(f"{method} {shown(url, _SHOWN)} returned {self.summary}.{link}{advice}")

    @property
    def summary(self) -> str:
        """The status and what Twilio said: `HTTP 409 (Twilio error 50416): …`."""
        code_text = f" (Twilio error {self.code})" if self.code is not None else ""
        return f"HTTP {self.status}{code_text}: {shown(self.message, _SHOWN)}"


class AuthenticationError(ApiError):
    """Twilio rejected the credentials (HTTP 401 or 403)."""

    statuses = frozenset({401, 403})
    advice = (
        "Check that the Account SID and the token (or API key and secret) belong to one account and are current. "
        "`pulumi refresh`, `pulumi destroy` and `--refresh` use the provider settings saved by the last `pulumi up`: "
        "after rotating a token, add `--run-program` to them (or run `pulumi up` first)."
    )


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
