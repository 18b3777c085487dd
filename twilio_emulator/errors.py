"""Errors as Twilio reports them: an HTTP status and a JSON body with Twilio's error code, message and link."""

from __future__ import annotations

from typing import Any

__all__ = ["TwilioError", "invalid", "not_found", "not_saved"]

_MORE_INFO = "https://www.twilio.com/docs/errors/{code}"


class TwilioError(Exception):
    """An API error: raised by handlers and backends, answered by the server as Twilio would."""

    def __init__(self, status: int, code: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "more_info": _MORE_INFO.format(code=self.code),
                "status": self.status}


def invalid(message: str) -> TwilioError:
    """A parameter Twilio refuses: 400, error 20001."""
    return TwilioError(400, 20001, message)


def not_found(path: str) -> TwilioError:
    return TwilioError(404, 20404, f"The requested resource {path} was not found")


def not_saved(exc: OSError) -> TwilioError:
    """The data file could not be written: nothing changed, as a failed write must leave it."""
    return TwilioError(500, 20500, f"The emulator could not save its data file ({exc.strerror or exc}); "
                                   "nothing was changed")
