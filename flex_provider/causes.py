"""What a failed request comes down to: requests and urllib3 wrap one exception in another (a MaxRetryError's
reason, an argument, a cause), and both the transport's error mapping and the retry policy look through them.

They are here, not in either, because the transport builds on the retry policy: each needs them, and
neither may import the other.
"""

from __future__ import annotations

from urllib3.exceptions import MaxRetryError

__all__ = ["in_chain", "root_reason"]


def in_chain(exc: BaseException, types: tuple[type[BaseException], ...]) -> bool:
    """True when `exc` or anything it wraps (args, causes, MaxRetryError reasons) is one of `types`."""
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, types):
            return True
        if isinstance(current, MaxRetryError) and current.reason is not None:
            stack.append(current.reason)
        stack.extend(arg for arg in current.args if isinstance(arg, BaseException))
        for linked in (current.__cause__, current.__context__):
            if linked is not None:
                stack.append(linked)
    return False


def root_reason(exc: BaseException) -> str:
    """A short reason without the nested reprs requests builds (which can be very long)."""
    reason: BaseException = exc
    while True:
        if isinstance(reason, MaxRetryError) and reason.reason is not None:
            reason = reason.reason
        elif reason.args and isinstance(reason.args[0], BaseException):
            reason = reason.args[0]
        else:
            break
    text = str(reason.args[-1] if reason.args else reason) or type(reason).__name__
    return text.split(": ", 1)[-1] if text.startswith("<") else text
