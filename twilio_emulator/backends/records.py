"""What every backend keeps alike: one resource's records by SID, in creation order, saved with the account."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, fields
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from twilio_emulator.account import Account, now
from twilio_emulator.errors import not_found
from twilio_emulator.store import DataError

__all__ = ["Record", "Records"]


class Record(Protocol):
    """A resource as a backend keeps it: a dataclass with its SID, its creation sequence and its update time."""

    sid: str
    seq: int
    date_updated: str


R = TypeVar("R", bound=Record)
_TYPES: dict[str, tuple[tuple[type, ...], str]] = {
    "str": ((str,), "a str"), "str | None": ((str, type(None)), "a str or null"), "int": ((int,), "an int"),
    "bool": ((bool,), "a bool"), "dict[str, Any]": ((dict,), "a mapping"),
}
"""The types a record's field may hold, by its annotation (the models' fields use only these)."""
OnUndo = Callable[[Callable[[], object]], None]


class Records(Generic[R]):
    """The base of a backend: its records, and the steps every operation is made of.

    A backend's methods, named after the API's operations, run their steps inside
    `account.change()` and hand each step the `on_undo` it yields, so a change the data file
    cannot save is undone whole.
    """

    section: ClassVar[str]
    path: ClassVar[str]
    record_type: ClassVar[type[Any]]

    def __init__(self, account: Account) -> None:
        self._account = account
        self._records: dict[str, R] = {}
        account.attach(self)

    def __len__(self) -> int:
        return len(self._records)

    def __contains__(self, sid: object) -> bool:
        return sid in self._records

    def _all(self) -> list[R]:
        with self._account.lock:
            return list(self._records.values())

    def _get(self, sid: str) -> R:
        with self._account.lock:
            record = self._records.get(sid)
            if record is None:
                raise not_found(f"{self.path}/{sid}")
            return record

    def _add(self, record: R, on_undo: OnUndo | None = None) -> None:
        """Keep a record in creation order (one put back by an undone delete returns to its place)."""
        last = next(reversed(self._records.values()), None)
        self._records[record.sid] = record
        if last is not None and last.seq > record.seq:
            self._records = dict(sorted(self._records.items(), key=lambda item: item[1].seq))
        self._added(record)
        if on_undo:
            on_undo(lambda: self._remove(record.sid))

    def _remove(self, sid: str, on_undo: OnUndo | None = None) -> R:
        record = self._records.pop(sid)
        self._removed(record)
        if on_undo:
            on_undo(lambda: self._add(record))
        return record

    def _update(self, record: R, changes: dict[str, Any], merged: str | None, on_undo: OnUndo) -> R:
        """Set what an update sends; the mapping field `merged` takes the keys sent into the ones it has."""
        before = asdict(record)  # type: ignore[call-overload]
        for key, value in changes.items():
            setattr(record, key, {**getattr(record, key), **value} if key == merged else value)
        record.date_updated = now()
        on_undo(lambda: self._records.update({record.sid: self.record_type(**before)}))
        return record

    def _added(self, record: R) -> None:
        """A hook for a backend's own index of its records."""

    def _removed(self, record: R) -> None:
        """A hook for a backend's own index of its records."""

    def dump(self) -> list[dict[str, Any]]:
        return [asdict(record) for record in self._records.values()]  # type: ignore[call-overload]

    def restore(self, records: list[dict[str, Any]]) -> None:
        """Put back saved records; DataError when they are not what `dump` writes (nothing is half restored
        that a later save could keep: the emulator does not start)."""
        if not isinstance(records, list) or not all(isinstance(data, dict) for data in records):
            raise DataError(f"its {self.section} are not a list of records")
        for record in list(self._records.values()):
            self._remove(record.sid)
        for index, data in enumerate(records, 1):
            current = self._current(data, index)
            self._check_types(current)
            record = self.record_type(**current)
            if record.sid in self._records:
                raise DataError(f"it holds two {self.section} with the SID {record.sid}")
            self._add(record)
            self._account.seen_seq(record.seq)

    def _check_types(self, data: dict[str, Any]) -> None:
        """Each saved value of the type its field has (the dataclass's annotation), as `dump` wrote it."""
        for spec in fields(self.record_type):
            if spec.name in data:
                allowed, wanted = _TYPES[str(spec.type)]
                value = data[spec.name]
                if not isinstance(value, allowed) or (isinstance(value, bool) and bool not in allowed):
                    raise DataError(f"a record of its {self.section} has {spec.name} {value!a}, which is not "
                                    f"{wanted}")

    @staticmethod
    def _current(data: dict[str, Any], _index: int) -> dict[str, Any]:
        """A saved record in today's form; a backend whose records changed form converts older ones."""
        return data
