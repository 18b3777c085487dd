"""One emulated Twilio account: its backends, and the rule that every change is saved before it is answered."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Protocol

from twilio_emulator.errors import not_saved
from twilio_emulator.store import DataError, FileStore, unreadable

__all__ = ["Account", "Backend", "new_sid", "now"]

DATA_VERSION = 2
READABLE_VERSIONS = (1, DATA_VERSION)
"""The data file versions this emulator reads whole; version 1 held only channels, with the API's answer nested."""


def new_sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Backend(Protocol):
    """What the account needs of a backend: its records as JSON data, and back."""

    section: str

    def dump(self) -> list[dict[str, Any]]: ...

    def restore(self, records: list[dict[str, Any]]) -> None: ...

    def __len__(self) -> int: ...

    def __contains__(self, sid: object) -> bool: ...


class Account:
    """The account's resources in memory, persisted to a `FileStore` after every change when one is given.

    A change runs under the account's lock. It registers how to undo itself; if the store then
    cannot save, the change is undone and answered with a 500, so memory and file always agree.
    """

    def __init__(self, account_sid: str, store: FileStore | None = None, *, require_references: bool = False) -> None:
        """`require_references`: a create must name records that exist (a channel's Flex Flow), as on Twilio."""
        self.account_sid = account_sid
        self.require_references = require_references
        self.lock = threading.RLock()
        self._store = store
        self._backends: dict[str, Backend] = {}
        self._next_seq = 0

    def attach(self, backend: Backend) -> None:
        self._backends[backend.section] = backend

    def backend(self, section: str) -> Backend:
        """The backend of one section (`flex_flows`)."""
        return self._backends[section]

    def load(self) -> None:
        """Restore every backend from the store's file, if there is one, then sweep what a killed save left.

        A file this emulator cannot read whole is refused before anything is written or deleted: its
        next save would drop what it does not know (another version's form, a section of a newer one).
        """
        if self._store is None:
            return
        data = self._store.load()
        if data is not None:
            try:
                self._check(data)
                for backend in self._backends.values():
                    backend.restore(data.get(backend.section, []))
            except DataError as exc:
                raise unreadable(self._store.path, str(exc)) from exc
            except (KeyError, TypeError, ValueError) as exc:
                raise unreadable(self._store.path, repr(exc)) from exc
        self._store.sweep()

    def _check(self, data: dict[str, Any]) -> None:
        """Refuse data of a version or with sections this emulator does not know."""
        version = data.get("version")
        if type(version) is not int or version not in READABLE_VERSIONS:
            said = f"is version {version!a}" if "version" in data else "says no version"
            raise DataError(f"it {said}; this emulator reads versions {' and '.join(map(str, READABLE_VERSIONS))} (a "
                            "newer emulator wrote it?)")
        known = {"version", *self._backends}
        unknown = [key for key in data if key not in known]
        if unknown:
            raise DataError(f"it holds {', '.join(ascii(key)[1:-1] for key in unknown)}, which this emulator does "
                            "not know (a newer emulator wrote it?)")

    def next_seq(self) -> int:
        """A sequence number for a new record: lists are in creation order, and page tokens point into it."""
        with self.lock:
            self._next_seq += 1
            return self._next_seq

    def seen_seq(self, seq: int) -> None:
        self._next_seq = max(self._next_seq, seq)

    @contextmanager
    def change(self) -> Iterator[Callable[[Callable[[], object]], None]]:
        """Make a change: yields `on_undo`, to register how to undo each step; saved when the block ends."""
        with self.lock:
            undo: list[Callable[[], object]] = []
            yield undo.append
            if self._store is None:
                return
            try:
                self._store.save(self.dump())
            except OSError as exc:
                for step in reversed(undo):
                    step()
                raise not_saved(exc) from exc

    def dump(self) -> dict[str, Any]:
        with self.lock:
            return {"version": DATA_VERSION, **{backend.section: backend.dump() for backend in self._backends.values()}}

    def reset(self) -> None:
        """Forget every resource, and save that."""
        with self.change():
            for backend in self._backends.values():
                backend.restore([])

    def counts(self) -> dict[str, int]:
        return {backend.section: len(backend) for backend in self._backends.values()}
