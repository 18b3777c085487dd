"""Benchmarks of flex-channels, each figure a ratio against a baseline measured in the same run.

    python bench/run.py [overhead] [layers] [throughput] [scale] [validator] [emulator] [--reps N] [--quick]

The emulator runs in its own process (so it does not share the measuring process's GIL) on
127.0.0.1, with the latency each benchmark injects. Results print as Markdown and are written
to bench/results/<benchmark>.json. BENCHMARKS.md holds the figures and how they were made.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flex_provider.stackfile import check_stack_file  # noqa: E402
from tests.provider_host import ProviderHost, secret  # noqa: E402
from twilio_emulator import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN  # noqa: E402

RESULTS = ROOT / "bench" / "results"
FLOW = "FO" + "1" * 32
AUTH = (DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN)


def form(i: int, run: str) -> dict[str, str]:
    return {"FlexFlowSid": FLOW, "Identity": f"{run}-{i}", "ChatUserFriendlyName": "Visitor",
            "ChatFriendlyName": "Support", "LongLived": "true"}


def inputs(i: int, run: str) -> dict[str, Any]:
    return {"flex_flow_sid": FLOW, "identity": f"{run}-{i}", "chat_user_friendly_name": "Visitor",
            "chat_friendly_name": "Support", "long_lived": True}


@contextmanager
def emulator(latency_ms: float) -> Iterator[str]:
    """An emulator process on a free loopback port; yields its base URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "twilio_emulator", "--port", "0", "--latency-ms", str(latency_ms)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        yield process.stdout.readline().rsplit(" ", 1)[1].strip()
    finally:
        process.terminate()
        process.wait(timeout=10)


def admin(base_url: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    method = requests.get if path == "stats" else requests.post
    return method(f"{base_url}/_emulator/{path}", json=body, timeout=10).json()


def reset(base_url: str, latency_ms: float) -> None:
    """Forget channels and counters; reset also clears faults, so the latency is set again."""
    admin(base_url, "reset")
    admin(base_url, "faults", {"latency_ms": latency_ms})


@contextmanager
def provider_host(base_url: str) -> Iterator[ProviderHost]:
    with tempfile.TemporaryDirectory() as directory:
        host = ProviderHost(Path(directory))
        host.configure({"twilio:accountSid": DEFAULT_ACCOUNT_SID, "twilio:authToken": secret(DEFAULT_AUTH_TOKEN),
                        "flex:apiUrl": base_url})
        try:
            yield host
        finally:
            host.close()


def timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


# --- per-create overhead -------------------------------------------------------------------


def bench_overhead(reps: int, count: int) -> dict[str, Any]:
    """FlexChannel creates through the real provider host vs. a bare requests loop vs. twilio."""
    from twilio.rest import Client

    rows = []
    for latency in (20, 100):
        with emulator(latency) as base_url, provider_host(base_url) as host:
            session = requests.Session()
            session.auth = AUTH
            twilio = Client(*AUTH)
            twilio.flex_api.base_url = base_url

            def bare(run: str, session: requests.Session = session, base_url: str = base_url) -> None:
                for i in range(count):
                    session.post(f"{base_url}/v1/Channels", data=form(i, run), timeout=30).raise_for_status()

            def twilio_sdk(run: str, twilio: Client = twilio) -> None:
                for i in range(count):
                    twilio.flex_api.v1.channel.create(flex_flow_sid=FLOW, identity=f"{run}-{i}",
                                                      chat_user_friendly_name="Visitor",
                                                      chat_friendly_name="Support", long_lived=True)

            requests_by_run = {run: [host.check_request(f"{run}-{i}", inputs(i, run)) for i in range(count)]
                               for run in ["warm-f", *(f"FlexC{rep}" for rep in range(reps))]}

            def flex_channel(run: str, host: ProviderHost = host,
                             requests_by_run: dict[str, list[Any]] = requests_by_run) -> None:
                """What the engine does per new resource: Check, then Create, over gRPC (requests built ahead)."""
                for request in requests_by_run[run]:
                    host.check_then_create(request)

            variants = {"bare requests.post": bare, "twilio SDK": twilio_sdk, "FlexChannel via host": flex_channel}
            bare("warm")
            twilio_sdk("warm-t")
            flex_channel("warm-f")
            times: dict[str, list[float]] = {name: [] for name in variants}
            for rep in range(reps):
                order = list(variants.items())
                order = order[rep % len(order):] + order[:rep % len(order)]
                for name, work in order:
                    times[name].append(timed(lambda work=work, name=name, rep=rep: work(f"{name[:5]}{rep}")))
            base = statistics.median(times["bare requests.post"])
            for name, samples in times.items():
                median = statistics.median(samples)
                rows.append({"latency_ms": latency, "variant": name, "creates": count, "median_s": round(median, 3),
                             "per_create_ms": round(1000 * median / count, 2), "vs_bare": round(median / base, 3),
                             "samples_s": [round(s, 3) for s in samples]})
    return {"rows": rows}


def bench_layers(reps: int, count: int) -> dict[str, Any]:
    """Where a create's time goes, with no injected latency: each layer alone, per operation."""
    from flex_provider.client import Credentials, FlexClient

    with emulator(0) as base_url, provider_host(base_url) as host:
        session = requests.Session()
        session.auth = AUTH
        client = FlexClient(Credentials.from_auth_token(*AUTH), base_url=base_url)
        checked: dict[str, list[dict[str, Any]]] = {}

        def bare(run: str) -> None:
            for i in range(count):
                session.post(f"{base_url}/v1/Channels", data=form(i, run), timeout=30).raise_for_status()

        def flex_client(run: str) -> None:
            for i in range(count):
                client.create_channel(inputs(i, run))

        def host_check(run: str) -> None:
            checked[run] = [host.check(f"{run}-{i}", inputs(i, run))[0] for i in range(count)]

        def host_create(run: str) -> None:
            for i, props in enumerate(checked[run]):
                host.create(f"{run}-{i}", props)

        layers = {"bare requests.post": bare, "FlexClient.create_channel": flex_client,
                  "host Check (no API call)": host_check, "host Create": host_create}
        times: dict[str, list[float]] = {name: [] for name in layers}
        for rep in range(reps + 1):
            for name, work in layers.items():
                elapsed = timed(lambda work=work, rep=rep: work(f"L{rep}"))
                if rep:
                    times[name].append(elapsed)
    base = statistics.median(times["bare requests.post"])
    return {"rows": [{"layer": name, "ms_per_op": round(1000 * statistics.median(t) / count, 3),
                      "vs_bare": round(statistics.median(t) / base, 2)} for name, t in times.items()],
            "note": "the first round is a warm-up and not counted"}


# --- throughput through the host ----------------------------------------------------------


def _create_concurrently(host: ProviderHost, prepared: list[Any]) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(host.stub.Create, prepared))


def bench_throughput(reps: int, count: int) -> dict[str, Any]:
    """Creates through the provider host, 4 at a time (its worker pool), as a share of 4 / latency."""
    rows = []
    for latency in (20, 100):
        with emulator(latency) as base_url, provider_host(base_url) as host:
            for rep in range(reps):
                names = [f"t{rep}-{i}" for i in range(count)]
                prepared = [host.create_request(name, host.check(name, inputs(i, f"t{rep}"))[0])
                            for i, name in enumerate(names)]
                reset(base_url, latency)
                elapsed = timed(lambda prepared=prepared: _create_concurrently(host, prepared))
                stats = admin(base_url, "stats")
                ceiling = 4 / (latency / 1000)
                rows.append({"latency_ms": latency, "creates": count, "elapsed_s": round(elapsed, 3),
                             "creates_per_s": round(count / elapsed, 1), "ceiling_per_s": ceiling,
                             "share_of_ceiling": round(count / elapsed / ceiling, 3),
                             "tcp_connections": stats["connections"] - 2, "channels": stats["channels"]})
    return {"rows": rows, "note": "tcp_connections counts the provider's connections: the emulator's count less "
                                  "the bench's own faults and stats requests (one connection each)"}


# --- the program at scale -------------------------------------------------------------------

_SCALE_CHILD = """
import json, resource, sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
import pulumi
from tests.pulumi_mocks import run_program
baseline_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
run = run_program("dev", {{"flex:stackFile": {path!r}}})
elapsed = time.perf_counter() - started
props = [pulumi.runtime.rpc.deserialize_properties(r.object) for r in run.registrations]
stored = [{{k: v for k, v in p.items() if v is not None}} for p in props]
print(json.dumps({{
    "channels": len(run.registrations), "elapsed_s": elapsed,
    "peak_rss_growth_mib": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - baseline_kib) / 1024,
    "provider_bytes": max(len(p["__provider"]) for p in props),
    "inputs_bytes_per_resource": sum(len(json.dumps(s, sort_keys=True)) for s in stored) / len(stored),
}}))
"""


def bench_scale(reps: int, sizes: tuple[int, ...]) -> dict[str, Any]:
    """__main__.py under Pulumi's mocks with N channels, each size in a fresh process."""
    rows = []
    with tempfile.TemporaryDirectory() as directory:
        for size in sizes:
            path = Path(directory) / f"stack-{size}.yaml"
            channels = {f"c{i}": {"identity": f"id{i}", "chat_user_friendly_name": "Visitor",
                                  "chat_friendly_name": "Support", "chat_unique_name": f"u{i}",
                                  "pre_engagement_data": {"topic": "billing", "n": i}} for i in range(size)}
            path.write_text(yaml.safe_dump({"defaults": {"flex_flow_sid": FLOW}, "channels": channels}))
            samples = []
            for _ in range(reps if size <= 1000 else 1):
                child = _SCALE_CHILD.format(root=str(ROOT), path=str(path))
                done = subprocess.run([sys.executable, "-c", child], cwd=ROOT, capture_output=True, text=True,
                                      check=True)
                samples.append(json.loads(done.stdout.splitlines()[-1]))
            best = min(samples, key=lambda s: s["elapsed_s"])
            rows.append({"channels": size, "elapsed_s": round(best["elapsed_s"], 3),
                         "ms_per_channel": round(1000 * best["elapsed_s"] / size, 3),
                         "peak_rss_growth_mib": round(best["peak_rss_growth_mib"], 1),
                         "provider_bytes": best["provider_bytes"],
                         "inputs_bytes_per_resource": round(best["inputs_bytes_per_resource"], 1),
                         "samples_s": [round(s["elapsed_s"], 3) for s in samples]})
    return {"rows": rows}


# --- the validator --------------------------------------------------------------------------


def _compose_with_collector_paused(path: Path) -> None:
    """The baseline: libyaml composing the file, under the same GC conditions as the validator."""
    gc.disable()
    try:
        yaml.compose(path.read_text(), Loader=yaml.CSafeLoader)
    finally:
        gc.enable()


def bench_validator(reps: int, size: int) -> dict[str, Any]:
    """python -m flex_provider validate's work on a file of `size` channels, in this process."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "big.yaml"
        channels = {f"c{i}": {"identity": f"id{i}", "chat_user_friendly_name": "Visitor",
                              "chat_friendly_name": "Support", "chat_unique_name": f"u{i}",
                              "pre_engagement_data": {"topic": "billing", "n": i}} for i in range(size)}
        path.write_text(yaml.safe_dump({"defaults": {"flex_flow_sid": FLOW}, "channels": channels}))
        megabytes = path.stat().st_size / 1e6
        samples = [timed(lambda: check_stack_file(path)) for _ in range(reps)]
        compose = [timed(lambda: _compose_with_collector_paused(path)) for _ in range(reps)]
        stack, problems = check_stack_file(path)
        assert problems == []
        assert stack is not None
        assert len(stack.channels) == size
    best, compose_best = min(samples), min(compose)
    return {"rows": [{"channels": size, "file_mb": round(megabytes, 2), "best_s": round(best, 3),
                      "median_s": round(statistics.median(samples), 3),
                      "libyaml_compose_only_s": round(compose_best, 3),
                      "vs_compose_only": round(best / compose_best, 2)}]}


# --- emulator capacity ----------------------------------------------------------------------


class _KeepAliveClients:
    """One requests.Session per worker thread, as separate keep-alive clients would have."""

    def __init__(self, base_url: str, run: str) -> None:
        self.base_url = base_url
        self.run = run
        self.local = threading.local()

    def create(self, i: int) -> None:
        if not hasattr(self.local, "session"):
            self.local.session = requests.Session()
            self.local.session.auth = AUTH
        self.local.session.post(f"{self.base_url}/v1/Channels", data=form(i, self.run), timeout=30).raise_for_status()

    def create_all(self, count: int) -> None:
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(self.create, range(count)))


def bench_emulator(reps: int, count: int) -> dict[str, Any]:
    """Creates per second the emulator sustains on loopback with 4 keep-alive clients, no latency."""
    rows = []
    with emulator(0) as base_url:
        for rep in range(reps):
            reset(base_url, 0)
            clients = _KeepAliveClients(base_url, f"e{rep}")
            elapsed = timed(lambda clients=clients: clients.create_all(count))
            rows.append({"creates": count, "elapsed_s": round(elapsed, 3), "creates_per_s": round(count / elapsed, 1),
                         "highest_rate_needed_per_s": 200, "headroom": round(count / elapsed / 200, 2)})
    return {"rows": rows, "note": "the highest rate the other benchmarks need is 4 / 20 ms = 200 creates/s"}


def _markdown(name: str, result: dict[str, Any]) -> str:
    rows = result["rows"]
    keys = [k for k in rows[0] if k != "samples_s"]
    lines = [f"### {name}", "", "| " + " | ".join(keys) + " |", "|" + " --- |" * len(keys)]
    lines += ["| " + " | ".join(str(row[k]) for k in keys) + " |" for row in rows]
    if result.get("note"):
        lines += ["", result["note"]]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("benchmarks", nargs="*",
                        default=["overhead", "layers", "throughput", "scale", "validator", "emulator"])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="smaller counts, to try the harness")
    args = parser.parse_args()
    quick = args.quick
    plans: dict[str, Callable[[], dict[str, Any]]] = {
        "overhead": lambda: bench_overhead(args.reps, 20 if quick else 200),
        "layers": lambda: bench_layers(args.reps, 50 if quick else 500),
        "throughput": lambda: bench_throughput(args.reps, 40 if quick else 500),
        "scale": lambda: bench_scale(args.reps, (100,) if quick else (100, 1000, 10000)),
        "validator": lambda: bench_validator(args.reps, 1000 if quick else 10000),
        "emulator": lambda: bench_emulator(args.reps, 200 if quick else 2000),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    machine = {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform(),
               "date": time.strftime("%Y-%m-%d")}
    print(f"machine: {machine}\n")
    for name in args.benchmarks:
        print(f"... running {name}", file=sys.stderr, flush=True)
        result = {"benchmark": name, "machine": machine, "quick": quick, **plans[name]()}
        (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=1) + "\n")
        print(_markdown(name, result), flush=True)
    return 0


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_NOFILE, (4096, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
    sys.exit(main())
