"""A text file a user names (a stack file, a stack's Pulumi config): read whole, or refused with one reason.

Refused before it can block, never end or fill memory: a named pipe would block the read until
something writes to it, and a device such as /dev/zero (or a symlink to one) never ends; both are
refused by `stat` before they are opened, and again by the open descriptor (opened without
blocking), in case the path changed in between. Only a regular file of at most `limit` bytes is
read, and only UTF-8 text is decoded.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from flex_provider.values import a_or_an

__all__ = ["FileRefusedError", "place", "read_text"]


class FileRefusedError(Exception):
    """A file that cannot be read whole. The message completes "the file …" ('is a named pipe, not a regular
    file; …'); `line` and `column` (1-based) say where in it when the reason is in its text, else are None."""

    def __init__(self, reason: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(reason)
        self.reason, self.line, self.column = reason, line, column


def read_text(path: Path, limit: int, what: str) -> str:
    """The UTF-8 text of a regular file of at most `limit` bytes (a leading BOM dropped); raises FileRefusedError.

    `what` names such files in the reasons: 'stack file' gives "stack files are limited to …".
    """
    raw = b""
    try:
        info = path.stat()
        if stat.S_ISREG(info.st_mode) and info.st_size <= limit:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
            with os.fdopen(fd, "rb") as handle:
                info = os.fstat(fd)
                if stat.S_ISREG(info.st_mode):
                    raw = handle.read(limit + 1)
                    info = os.fstat(fd)
    except OSError as exc:
        raise FileRefusedError(f"cannot be read: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        raise FileRefusedError(f"is {_file_kind(info.st_mode)}, not a regular file; give the path of {a_or_an(what)}")
    if info.st_size > limit or len(raw) > limit:
        raise FileRefusedError(f"is {max(info.st_size, len(raw)):,} bytes; {what}s are limited to {limit:,} bytes "
                          f"({limit // 2**20} MiB)")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileRefusedError(f"is not UTF-8 text (byte 0x{raw[exc.start]:02x}); save it as UTF-8",
                               *place(raw, exc.start)) from None


def place(text: str | bytes, index: int) -> tuple[int, int]:
    """The 1-based line and column of the character (or byte) at `index`."""
    newline = "\n" if isinstance(text, str) else b"\n"
    return text.count(newline, 0, index) + 1, index - (text.rfind(newline, 0, index) + 1) + 1  # type: ignore[arg-type]


def _file_kind(mode: int) -> str:
    kinds = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a named pipe"), (stat.S_ISCHR, "a character device"),
             (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))
    return next((name for test, name in kinds if test(mode)), "a special file")
