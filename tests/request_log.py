"""What each test's emulators received, to check that a change of the code changes no request: a pytest plugin that
records it, and a comparison of two records.

    REQUEST_LOG=before.json python -m pytest -p tests.request_log     # on the old code
    REQUEST_LOG=after.json python -m pytest -p tests.request_log      # on the new code, the same tests
    python -m tests.request_log before.json after.json

Every in-process emulator's requests are kept for the test that was running (`reset_stats()` clears
only the emulator's own log). SIDs are random, so each is replaced, per test, by a placeholder
numbered in order of first appearance. Tests whose requests race (several threads at once) can
differ in order between two runs of the same code; the comparison says so apart from real differences
by comparing those as sets of distinct requests, placeholders unnumbered. Run both sides with
`--hypothesis-seed=0` and no `.hypothesis` folder, or the property tests draw other inputs.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections import deque
from pathlib import Path
from typing import Any

import pytest

from twilio_emulator import server

_SERVERS: list[server.Server] = []
_SEEN: dict[int, int] = {}
_LOG: dict[str, list[list[Any]]] = {}
_SID = re.compile(r"(?<![A-Za-z0-9])([A-Z]{2})[0-9a-fA-F]{32}(?![0-9a-fA-F])")
_NUMBERED = re.compile(r"<([A-Z]{2})#\d+>")


class _Kept(deque):  # type: ignore[type-arg]
    """The server's recent-requests deque, every request also kept in `every`, which nothing clears."""

    def __init__(self, maxlen: int | None) -> None:
        super().__init__(maxlen=maxlen)
        self.every: list[server.RecordedRequest] = []

    def append(self, item: server.RecordedRequest) -> None:
        super().append(item)
        self.every.append(item)


def pytest_configure(config: pytest.Config) -> None:
    """Make every server keep its requests, once this plugin is loaded (`-p tests.request_log`)."""
    started = server.Server.__init__

    def keeping(self: server.Server, *args: Any, **kwargs: Any) -> None:
        started(self, *args, **kwargs)
        self.recorded = _Kept(self.recorded.maxlen)
        _SERVERS.append(self)

    server.Server.__init__ = keeping  # type: ignore[method-assign]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Any:
    yield
    entries: list[list[Any]] = []
    first: dict[int, int] = {}
    for index, emulator in enumerate(_SERVERS):
        every = emulator.recorded.every  # type: ignore[attr-defined]
        for request in every[_SEEN.get(index, 0):]:
            entries.append([first.setdefault(index, len(first)), request.method, request.path,
                            dict(sorted(request.form.items())), request.username])
        _SEEN[index] = len(every)
    names: dict[str, str] = {}
    text = _SID.sub(lambda found: names.setdefault(found.group(0), f"<{found.group(1)}#{len(names)}>"),
                    json.dumps(entries))
    _LOG[item.nodeid] = json.loads(text)


def pytest_sessionfinish(session: pytest.Session) -> None:
    if os.environ.get("REQUEST_LOG"):
        Path(os.environ["REQUEST_LOG"]).write_text(json.dumps(_LOG, indent=0, sort_keys=True))


def compare(before: dict[str, list[Any]], after: dict[str, list[Any]]) -> list[str]:
    """A line for every test the two records do not share, or whose requests differ."""
    lines = [f"only in {'before' if name in before else 'after'}: {name}" for name in sorted(set(before) ^ set(after))]
    for name in sorted(set(before) & set(after)):
        if before[name] == after[name]:
            continue
        distinct = [{_NUMBERED.sub(r"<\1>", json.dumps(entry, sort_keys=True)) for entry in log}
                    for log in (before[name], after[name])]
        same = distinct[0] == distinct[1] and len(before[name]) == len(after[name])
        lines.append(f"{'same requests, raced' if same else 'DIFFERENT'}: {name} "
                     f"({len(before[name])} and {len(after[name])} requests)")
    return lines


if __name__ == "__main__":
    logs = [json.loads(Path(name).read_text()) for name in sys.argv[1:3]]
    found = compare(*logs)
    print("\n".join(found) if found else "every test received the same requests")
    print(f"{len(set(logs[0]) & set(logs[1]))} tests in both, {sum(map(len, logs[0].values()))} and "
          f"{sum(map(len, logs[1].values()))} requests")
    sys.exit(1 if any(line.startswith("DIFFERENT") for line in found) else 0)
