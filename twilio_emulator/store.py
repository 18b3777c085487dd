"""The emulator's data file: read whole or refused, atomic writes, and a lock so that two emulators never share one
file."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import stat
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["MAX_DATA_BYTES", "DataError", "FileStore", "StoreError", "unreadable"]

MAX_DATA_BYTES = 256 * 2**20
"""The largest data file read: 10,000 channels take about 3 MiB."""
_LOCK_MARK = b"twilio_emulator lock\n"
"""What an emulator writes in its lock file, so it never takes (or deletes) a file of the same name it did not make.
Emulators before this mark left their lock files empty; those are taken too."""
_TEMPORARY = "{prefix}[a-z0-9_]{{8}}\\.tmp"
"""The name of a save's temporary file: `mkstemp`'s eight random characters between our prefix and suffix."""


class StoreError(Exception):
    """The data file cannot be used: held by another emulator, unreadable, or its folder unwritable."""


class DataError(ValueError):
    """Saved data that is not what this emulator writes; the message completes "it …" or names the record."""


def unreadable(path: Path, reason: str) -> StoreError:
    """The error for a data file whose content cannot be read whole: nothing was written, and it says what to do."""
    return StoreError(f"cannot read data file {_shown(path)}: {reason}. Move it aside to start empty.")


class FileStore:
    """One JSON file holding everything the emulated account has.

    Each save writes a temporary file, fsyncs it, renames it over the data file and fsyncs the
    folder, so the file is always whole: an answered change survives a SIGKILL. A data file that
    is a symlink stays one: its target is what is read, locked and replaced. An flock on
    `<file>.lock`, held while the emulator runs, keeps a second emulator off the same file (by
    whatever path it is named); the lock file is removed on a clean stop, and one left by a kill
    holds no lock. The only files ever deleted are the lock file and a save's temporary files,
    each recognised as the emulator's own (its mark; its name, owner and kind).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._target = Path(os.path.realpath(path))
        self._lock_path = self._target.parent / f"{self._target.name}.lock"
        self._temporary = re.compile(_TEMPORARY.format(prefix=re.escape(f".{self._target.name}.")))
        try:
            self._target.parent.mkdir(parents=True, exist_ok=True)
            if not os.access(self._target.parent, os.W_OK):
                raise StoreError(f"cannot write data file {_shown(path)}: its folder {_shown(self._target.parent)} is "
                                 "not writable; choose a data file in a folder you can write")
            self._lock_fd = self._lock()
        except OSError as exc:
            raise StoreError(f"cannot use data file {_shown(path)}: {exc.strerror or exc}") from exc

    def _lock(self) -> int:
        """Hold the lock file's flock; retry when the file was replaced between opening and locking it."""
        while True:
            fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise StoreError(f"data file {_shown(self.path)} is in use by another emulator; stop that one, or "
                                 "give this one another --data file") from None
            try:
                same = os.fstat(fd).st_ino == os.stat(self._lock_path).st_ino
            except FileNotFoundError:
                same = False
            if not same:
                os.close(fd)  # another emulator removed it as it stopped: lock the new one
                continue
            mark = os.pread(fd, len(_LOCK_MARK) + 1, 0)
            if mark not in (b"", _LOCK_MARK):
                os.close(fd)
                raise StoreError(f"cannot use data file {_shown(self.path)}: {_shown(self._lock_path)} is not an "
                                 "emulator's lock file; move it aside")
            if not mark:
                os.write(fd, _LOCK_MARK)
            return fd

    def close(self) -> None:
        """Remove the lock file (if it is still the one locked) and release the lock; the data file stays."""
        with contextlib.suppress(FileNotFoundError):
            if os.stat(self._lock_path).st_ino == os.fstat(self._lock_fd).st_ino:
                os.unlink(self._lock_path)
        os.close(self._lock_fd)

    def load(self) -> dict[str, Any] | None:
        """The saved data, or None when there is no file yet; StoreError when it cannot be read whole.

        Only a regular file of MAX_DATA_BYTES at most is read: a named pipe would block the read until
        something writes to it, and a device such as /dev/zero never ends. Both are refused by `stat`
        before they are opened, and again by the open descriptor (opened without blocking).
        """
        try:
            info = os.stat(self._target)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise unreadable(self.path, exc.strerror or str(exc)) from exc
        if not stat.S_ISREG(info.st_mode):
            raise unreadable(self.path, f"it is {_file_kind(info.st_mode)}, not a regular file")
        raw = self._read(info)
        try:
            data = json.loads(raw)
        except RecursionError:
            raise unreadable(self.path, "it nests too deeply to be emulator data") from None
        except ValueError as exc:
            raise unreadable(self.path, f"it is not JSON ({exc})") from exc
        if not isinstance(data, dict):
            raise unreadable(self.path, "it is not a JSON object")
        return data

    def _read(self, info: os.stat_result) -> bytes:
        if info.st_size > MAX_DATA_BYTES:
            raise unreadable(self.path, f"it is {info.st_size:,} bytes; data files are limited to {MAX_DATA_BYTES:,}")
        try:
            fd = os.open(self._target, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
            with os.fdopen(fd, "rb") as handle:
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    raise unreadable(self.path, "it is not a regular file")
                raw = handle.read(MAX_DATA_BYTES + 1)
        except OSError as exc:
            raise unreadable(self.path, exc.strerror or str(exc)) from exc
        if len(raw) > MAX_DATA_BYTES:
            raise unreadable(self.path, f"it is over {MAX_DATA_BYTES:,} bytes, the limit of data files")
        return raw

    def sweep(self) -> None:
        """Delete the temporary files of saves cut short by a kill (the data file itself is whole).

        Called once the data file has been read whole, so a refused start deletes nothing; and only
        files the emulator can have made: named as a save names them, regular, and this user's.
        """
        for orphan in self._target.parent.iterdir():  # not glob(): a `*` or `[` in the file's name would match others
            if not self._temporary.fullmatch(orphan.name):
                continue
            with contextlib.suppress(FileNotFoundError):
                info = orphan.lstat()
                if stat.S_ISREG(info.st_mode) and info.st_uid == os.geteuid():
                    orphan.unlink()

    def save(self, data: dict[str, Any]) -> None:
        """Write `data` atomically; raises OSError when it cannot, leaving the old file as it was."""
        payload = json.dumps(data, separators=(",", ":")).encode()
        directory = self._target.parent
        fd, tmp = tempfile.mkstemp(prefix=f".{self._target.name}.", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self._target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _file_kind(mode: int) -> str:
    kinds = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a named pipe"), (stat.S_ISCHR, "a character device"),
             (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))
    return next((name for test, name in kinds if test(mode)), "a special file")


def _shown(path: Path) -> str:
    """A path as messages name it: as is when printable ASCII, else escaped, so a name cannot forge a log line.

    The rule of flex_provider's `values.shown`; the emulator imports nothing of flex_provider.
    """
    text = str(path)
    return text if text.isascii() and text.isprintable() else ascii(text)
