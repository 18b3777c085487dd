"""The emulator's data file: atomic writes, and a lock so that two emulators never share one file."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["FileStore", "StoreError"]


class StoreError(Exception):
    """The data file cannot be used: held by another emulator, unreadable, or its folder unwritable."""


class FileStore:
    """One JSON file holding everything the emulated account has.

    Each save writes a temporary file, fsyncs it, renames it over the data file and fsyncs the
    folder, so the file is always whole: an answered change survives a SIGKILL. An flock on
    `<file>.lock`, held while the emulator runs, keeps a second emulator off the same file; the
    lock file is removed on a clean stop, and one left by a kill holds no lock.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock_path = path.parent / f"{path.name}.lock"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if not os.access(path.parent, os.W_OK):
                raise StoreError(f"cannot write data file {path}: its folder {path.parent} is not writable; choose "
                                 "a data file in a folder you can write")
            self._lock_fd = self._lock()
        except OSError as exc:
            raise StoreError(f"cannot use data file {path}: {exc.strerror or exc}") from exc
        for orphan in path.parent.iterdir():  # not glob(): a `*` or `[` in the file's name would match others
            if orphan.name.startswith(f".{path.name}."):
                orphan.unlink(missing_ok=True)  # a write cut short by a kill; the data file is intact

    def _lock(self) -> int:
        """Hold the lock file's flock; retry when the file was replaced between opening and locking it."""
        while True:
            fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise StoreError(f"data file {self.path} is in use by another emulator; stop that one, or give "
                                 "this one another --data file") from None
            try:
                same = os.fstat(fd).st_ino == os.stat(self._lock_path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                return fd
            os.close(fd)  # another emulator removed it as it stopped: lock the new one

    def close(self) -> None:
        """Remove the lock file and release the lock; the data file stays."""
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._lock_path)
        os.close(self._lock_fd)

    def load(self) -> dict[str, Any] | None:
        """The saved data, or None when there is no file yet."""
        if not self.path.exists():
            return None
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise StoreError(f"cannot read data file {self.path}: {exc}. Move it aside to start empty.") from exc
        if not isinstance(data, dict):
            raise StoreError(f"cannot read data file {self.path}: not a JSON object. Move it aside to start empty.")
        return data

    def save(self, data: dict[str, Any]) -> None:
        """Write `data` atomically; raises OSError when it cannot, leaving the old file as it was."""
        payload = json.dumps(data, separators=(",", ":")).encode()
        directory = self.path.parent
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=directory)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
