"""What every backend keeps alike: one resource's records by SID, in creation order, saved with the account, and the
operations every resource has the same way (fetch, update, list, delete).

A backend is one class: its model, its section of the data file, the noun of its operations in the
contract (`Channel` of CreateChannel), its create, and the rules of its own the spec states in prose.
The handlers and routes of every operation the contract gives it are made from that (handlers.py).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import asdict, fields
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from twilio_emulator.account import Account, now
from twilio_emulator.contract import VERBS, operations
from twilio_emulator.errors import TwilioError, not_found
from twilio_emulator.store import DataError

__all__ = ["Record", "Records"]


class Record(Protocol):
    """A resource as a backend keeps it: a dataclass with its SID, its creation sequence and its update time."""

    sid: str
    seq: int
    date_updated: str

    def to_json(self, base_url: str) -> dict[str, Any]: ...


R = TypeVar("R", bound=Record)
_TYPES: dict[str, tuple[tuple[type, ...], str]] = {
    "str": ((str,), "a str"), "str | None": ((str, type(None)), "a str or null"), "int": ((int,), "an int"),
    "bool": ((bool,), "a bool"), "dict[str, Any]": ((dict,), "a mapping"),
}
"""The types a record's field may hold, by its annotation (the models' fields use only these)."""
OnUndo = Callable[[Callable[[], object]], None]


class Records(ABC, Generic[R]):
    """The base of a backend: its records, the steps every change is made of, and the shared operations.

    A change runs its steps inside `account.change()` and hands each step the `on_undo` it yields,
    so a change the data file cannot save is undone whole.
    """

    section: ClassVar[str]
    """The backend's key in the data file and in the stats."""
    noun: ClassVar[str]
    """How the contract's operation IDs name one of these resources: `Channel` of CreateChannel."""
    path: ClassVar[str]
    record_type: ClassVar[type[Any]]
    merged: ClassVar[str | None] = None
    """The mapping field whose keys an update merges into the ones it has (`integration`)."""
    references: ClassVar[Mapping[str, str]] = {}
    """Parameters that name another backend's record, by that backend's section. A path's parent must exist;
    one in a create's body, only when the emulator requires it (`--require-flows`), as Twilio does."""
    contract: ClassVar[Mapping[str, Mapping[str, Any]] | None] = None
    """Its operations by ID, where they are not in contract.json (a test's own resource)."""

    def __init__(self, account: Account) -> None:
        self.account = account
        self._records: dict[str, R] = {}
        account.attach(self)

    @classmethod
    def operations(cls) -> dict[str, Mapping[str, Any]]:
        """Its operations by verb (`Create`, `Fetch`, …), those the contract has."""
        given = cls.contract if cls.contract is not None else operations()
        return {verb: given[f"{verb}{cls.noun}"] for verb in VERBS if f"{verb}{cls.noun}" in given}

    def __len__(self) -> int:
        return len(self._records)

    def __contains__(self, sid: object) -> bool:
        return sid in self._records

    @abstractmethod
    def create(self, **params: Any) -> tuple[R, bool]:
        """The resource a create's parameters make, and whether this call made it (Twilio may hand one back)."""

    def missing(self, name: str, value: str) -> TwilioError:
        """The error for a create whose `name` names a record that does not exist (see `references`)."""
        return not_found(f"{name} {value}")

    def check(self, params: Mapping[str, Any], current: R | None) -> None:
        """Refuse, as Twilio does, what the spec's prose forbids beyond each parameter's own rules; `current` is
        the resource an update changes (None for a create)."""

    def path_id(self, text: str) -> str:
        """The id a path names (`{Sid}`), as this backend looks it up."""
        return text

    def fetch(self, sid: str) -> R:
        with self.account.lock:
            record = self._records.get(sid)
            if record is None:
                raise not_found(f"{self.path}/{sid}")
            return record

    def update(self, sid: str, **changes: Any) -> R:
        """The parameters sent change; the `merged` mapping takes the keys sent into the ones it has."""
        with self.account.change() as on_undo:
            record = self.fetch(sid)
            before = asdict(record)  # type: ignore[call-overload]
            for key, value in changes.items():
                setattr(record, key, {**getattr(record, key), **value} if key == self.merged else value)
            record.date_updated = now()
            on_undo(lambda: self._records.update({record.sid: self.record_type(**before)}))
            return record

    def list(self, **filters: Any) -> list[R]:
        """Every record, in creation order, whose fields equal each filter given (None: no filter)."""
        with self.account.lock:
            return [record for record in self._records.values()
                    if all(value is None or getattr(record, key) == value for key, value in filters.items())]

    def delete(self, sid: str) -> None:
        with self.account.change() as on_undo:
            self._remove(self.fetch(sid).sid, on_undo)

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
            self.account.seen_seq(record.seq)

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
