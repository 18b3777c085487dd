"""One emulated Twilio account: its backends, and the rule that every change is saved before it is answered."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Protocol

from twilio_emulator.errors import not_saved
from twilio_emulator.store import FileStore, StoreError

__all__ = ["Account", "Backend", "new_sid", "now"]

DATA_VERSION = 2


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
        """Restore every backend from the store's file, if there is one."""
        data = self._store.load() if self._store else None
        if data is None:
            return
        try:
            for backend in self._backends.values():
                backend.restore(data.get(backend.section, []))
        except (KeyError, TypeError, ValueError) as exc:
            raise StoreError(f"cannot read data file {self._store.path if self._store else ''}: "
                             f"{exc!r}. Move it aside to start empty.") from exc

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
