"""The native provider alone, driven as the engine drives it, beside the bare `requests` loop: where the real-engine
per-create cost (engine.py) goes, the provider's part of it.

Each run starts a fresh `pulumi-resource-flex` process, configures it with the emulator's account, sends every
channel's Check before the clock starts (the engine checks each resource as the program registers it, before its
Create), then times the Creates, 64 in flight (`--parallel 64`) through gRPC futures, so that the harness's own
work per call stays small. The bare loop does the same creates with 64 threads through one keep-alive session.
Per-create cost is (time(large) - time(small)) / (large - small), as in engine.py.
"""

from __future__ import annotations

import resource
import statistics
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pulumi.runtime.proto import provider_pb2

from bench.engine import BARE, PARALLEL, bare_loop, wait_for_quiet
from bench.measure import AUTH, FLOW, admin, cpu_seconds, emulator_process, machine_busy, reset, timed
from bench.provider_host import NATIVE_PLUGIN, ProviderHost, check, create_request, urn

__all__ = ["bench_plugin"]

NATIVE = "native provider alone"
_TYPE = "flex:index:FlexChannel"
_PROVIDER_URN = "urn:pulumi:bench::flex-channels::pulumi:providers:flex::default"


def _prepared(host: ProviderHost, count: int, run: str) -> list[provider_pb2.CreateRequest]:
    """Each channel's Create request, with the inputs its Check answered (the engine's order: Check, then Create)."""
    prepared = []
    for i in range(count):
        target = urn(f"{run}-{i}", _TYPE)
        news = {"flex_flow_sid": FLOW, "identity": f"{run}-{i}", "chat_user_friendly_name": "Visitor",
                "chat_friendly_name": "Support", "chat_unique_name": f"{run}-u{i}"}
        prepared.append(create_request(target, check(host, target, {}, news)))
    return prepared


def _create_all(host: ProviderHost, prepared: list[provider_pb2.CreateRequest]) -> None:
    """Every Create, PARALLEL in flight at a time, as the engine's step executor sends them."""
    slots = threading.BoundedSemaphore(PARALLEL)
    futures = []
    for request in prepared:
        slots.acquire()
        future = host.stub.Create.future(request)
        future.add_done_callback(lambda _done: slots.release())
        futures.append(future)
    for future in futures:
        future.result()


def _own_cpu_s() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


def _run(variant: str, count: int, latency_ms: float, base_url: str, emulator_pid: int, run: str,
         directory: Path) -> dict[str, Any]:
    host = None
    if variant == NATIVE:
        host = ProviderHost(directory / run, NATIVE_PLUGIN)
        host.configure({"accountSid": AUTH[0], "authToken": AUTH[1], "apiUrl": base_url}, _PROVIDER_URN)
        prepared = _prepared(host, count, run)
    try:
        reset(base_url, latency_ms)
        plugin_cpu = cpu_seconds(host.process.pid) if host else 0.0
        emulator_cpu, own, busy = cpu_seconds(emulator_pid), _own_cpu_s(), machine_busy()
        elapsed = timed(lambda: _create_all(host, prepared) if host else bare_loop(base_url, count, run))
        after = machine_busy()
        stats = admin(base_url, "stats")
        if stats["channels"] != count:
            raise RuntimeError(f"{variant}: the emulator holds {stats['channels']} channels, not {count}")
        return {"variant": variant, "channels": count, "elapsed_s": elapsed,
                "provider_cpu_s": cpu_seconds(host.process.pid) - plugin_cpu if host else 0.0,
                "harness_cpu_s": _own_cpu_s() - own, "emulator_cpu_s": cpu_seconds(emulator_pid) - emulator_cpu,
                "machine_busy": (after[0] - busy[0]) / max(1, after[1] - busy[1]),
                "tcp_connections": stats["connections"] - 1}
    finally:
        if host:
            host.close()


def bench_plugin(reps: int, counts: Sequence[int], latency_ms: float) -> dict[str, Any]:
    """Both variants at each size, `reps` times, interleaved; rows of medians and the per-create cost of each."""
    runs: list[dict[str, Any]] = []
    with emulator_process(latency_ms) as (base_url, emulator_pid), tempfile.TemporaryDirectory() as directory:
        for rep in range(reps):
            for index, count in enumerate(counts):
                variants = [BARE, NATIVE] if (rep + index) % 2 == 0 else [NATIVE, BARE]
                for variant in variants:
                    print(f"... {variant}, {count} creates, {latency_ms:g} ms (repetition {rep + 1} of {reps})",
                          file=sys.stderr, flush=True)
                    wait_for_quiet()
                    runs.append(_run(variant, count, latency_ms, base_url, emulator_pid, f"p{rep}-{index}-{variant[0]}",
                                     Path(directory)))
    rows = []
    for variant in (BARE, NATIVE):
        for count in counts:
            group = [r for r in runs if r["variant"] == variant and r["channels"] == count]
            elapsed = [r["elapsed_s"] for r in group]
            rows.append({"variant": variant, "latency_ms": latency_ms, "creates": count,
                         "median_s": round(statistics.median(elapsed), 3), "min_s": round(min(elapsed), 3),
                         "max_s": round(max(elapsed), 3),
                         **{key: round(statistics.median(r[key] for r in group), 2)
                            for key in ("provider_cpu_s", "harness_cpu_s", "emulator_cpu_s", "machine_busy")},
                         "tcp_connections": max(r["tcp_connections"] for r in group),
                         "samples_s": [round(e, 3) for e in elapsed]})
    small, large = min(counts), max(counts)
    median = {(r["variant"], r["creates"]): r["median_s"] for r in rows}
    per_create = {v: (median[v, large] - median[v, small]) / (large - small) for v in (BARE, NATIVE)}
    derived = [{"variant": v, "per_create_ms": round(1000 * per_create[v], 3),
                "vs_bare": round(per_create[v] / per_create[BARE], 3)} for v in (BARE, NATIVE)]
    return {"rows": rows, "derived": derived, "runs": runs,
            "note": f"{PARALLEL} creates in flight; each native run a fresh plugin with its Checks sent before the "
                    "clock starts; provider_cpu_s the plugin's CPU seconds over the creates, harness_cpu_s this "
                    "process's (the bare loop's own work, or the gRPC client's)"}
