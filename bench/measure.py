"""What the benchmarks share: the emulator in a process of its own, its admin API, and readings of /proc (CPU time,
peak memory, how busy the machine is)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

from twilio_emulator import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN

__all__ = ["AUTH", "FLOW", "ROOT", "admin", "cpu_seconds", "emulator", "emulator_process", "form", "machine_busy",
           "peak_rss_mib", "reset", "timed"]

ROOT = Path(__file__).resolve().parent.parent
FLOW = "FO" + "1" * 32
AUTH = (DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN)


def form(i: int, run: str) -> dict[str, str]:
    """The form of channel `i` of `run`, as a bare `requests.post` sends it."""
    return {"FlexFlowSid": FLOW, "Identity": f"{run}-{i}", "ChatUserFriendlyName": "Visitor",
            "ChatFriendlyName": "Support", "LongLived": "true"}


@contextmanager
def emulator_process(latency_ms: float) -> Iterator[tuple[str, int]]:
    """An emulator process on a free loopback port; yields its base URL and its pid."""
    process = subprocess.Popen(
        [sys.executable, "-m", "twilio_emulator", "--port", "0", "--latency-ms", str(latency_ms)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        yield process.stdout.readline().rsplit(" ", 1)[1].strip(), process.pid
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def emulator(latency_ms: float) -> Iterator[str]:
    """An emulator process on a free loopback port; yields its base URL."""
    with emulator_process(latency_ms) as (base_url, _pid):
        yield base_url


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy() -> tuple[int, int]:
    """(busy, total) CPU jiffies of the whole machine so far (Linux /proc/stat); deltas give its busy share."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def peak_rss_mib(pid: int) -> float:
    """A process's peak resident memory (VmHWM, Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def admin(base_url: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    method = requests.get if path == "stats" else requests.post
    return method(f"{base_url}/_emulator/{path}", json=body, timeout=10).json()


def reset(base_url: str, latency_ms: float) -> None:
    """Forget channels and counters; reset also clears faults, so the latency is set again."""
    admin(base_url, "reset")
    admin(base_url, "faults", {"latency_ms": latency_ms})


def timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started
