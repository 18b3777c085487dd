"""The one error tree of flex_provider, so callers catch by meaning rather than by HTTP detail.

    FlexError
    ├── ConfigurationError        credentials or endpoint missing or unsafe
    ├── TransportError            no HTTP answer (refused, reset, timed out)
    │   └── OutcomeUnknownError   a create was sent but its answer was lost
    └── ApiError                  Twilio answered with an error (status, code, message, more_info)
        ├── AuthenticationError   401 / 403
        ├── ValidationError       400
        ├── NotFoundError         404
        ├── ConflictError         409 (for example a duplicate ChatUniqueName)
        └── RateLimitedError      429 after every allowed retry

No message in this tree ever contains a credential: errors are built from the request's method
and URL (which carry none) and the response body Twilio sent.
"""

from __future__ import annotations

__all__ = [
    "ApiError",
    "AuthenticationError",
    "ConfigurationError",
    "ConflictError",
    "FlexError",
    "NotFoundError",
    "OutcomeUnknownError",
    "RateLimitedError",
    "TransportError",
    "ValidationError",
]


class FlexError(Exception):
    """Base of every error flex_provider raises on purpose."""


class ConfigurationError(FlexError):
    """The provider cannot be set up: credentials missing, endpoint malformed or not HTTPS."""


class TransportError(FlexError):
    """The request got no HTTP answer; it says which request and why."""

    def __init__(self, method: str, url: str, reason: str) -> None:
        self.method = method
        self.url = url
        self.reason = reason
        super().__init__(f"{method} {url} failed: {reason}")


class OutcomeUnknownError(TransportError):
    """A POST left the client but its answer was lost, so the channel may exist.

    Never retried: retrying could create a second channel. The message tells the user how to
    find the channel and adopt it.
    """

    def __init__(self, method: str, url: str, reason: str) -> None:
        super().__init__(method, url, reason)
        self.args = (
            f"{method} {url}: the request was sent but no answer came back ({reason}). "
            "The channel may have been created. Look for it with "
            "`twilio api:flex:v1:channels:list` or in the Twilio Console; if it is there, adopt it "
            "with `import: CH…` on the channel in the stack file, otherwise run `pulumi up` again.",
        )


class ApiError(FlexError):
    """Twilio answered with an error status; keeps everything Twilio said about it."""

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


class ValidationError(ApiError):
    """Twilio rejected the request's parameters (HTTP 400)."""


class NotFoundError(ApiError):
    """The channel does not exist (HTTP 404)."""


class ConflictError(ApiError):
    """The request collides with an existing channel (HTTP 409)."""


class RateLimitedError(ApiError):
    """Twilio kept answering 429 after every retry the client allows."""
