"""Benchmarks of flex-channels, each figure a ratio against a baseline measured in the same run.

    python bench/run.py [overhead] [layers] [throughput] [scale] [validator] [emulator] [hosts] [flows] [engine]
                        [engine-skip-checkpoints] [plugin]
                        [--reps N] [--quick] [--record]

The emulator runs in its own process (so it does not share the measuring process's GIL) on
127.0.0.1, with the latency each benchmark injects. Results print as Markdown and are written
to bench/results/latest/<benchmark>.json, which git ignores; with --record, to the tracked
bench/results/<benchmark>.json that BENCHMARKS.md quotes, so those change only on purpose.
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

from pulumi.runtime.proto import provider_pb2  # noqa: E402

from bench.engine import bench_engine  # noqa: E402
from bench.measure import (  # noqa: E402
    AUTH,
    FLOW,
    admin,
    cpu_seconds,
    emulator,
    emulator_process,
    form,
    machine_busy,
    peak_rss_mib,
    reset,
    timed,
)
from bench.plugin import bench_plugin  # noqa: E402
from bench.provider_host import ProviderHost, check, check_request, create_request, secret, urn  # noqa: E402
from flex_provider import FlexChannel  # noqa: E402
from flex_provider.stackfile import check_stack_file  # noqa: E402
from twilio_emulator import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN  # noqa: E402

RECORDED = ROOT / "bench" / "results"


def inputs(i: int, run: str) -> dict[str, Any]:
    return {"flex_flow_sid": FLOW, "identity": f"{run}-{i}", "chat_user_friendly_name": "Visitor",
            "chat_friendly_name": "Support", "long_lived": True}


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


def registered(name: str, i: int, run: str) -> tuple[str, dict[str, Any]]:
    """The URN and props the engine would have for channel `i` of `run`."""
    return urn(name, FlexChannel._rtype.type_token), FlexChannel.registration(**inputs(i, run))


def _olds_first(registration: tuple[str, dict[str, Any]]) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(urn, olds, news) for a new resource: the engine checks it with empty olds."""
    return registration[0], {}, registration[1]


def check_then_create(host: ProviderHost, request: provider_pb2.CheckRequest) -> str:
    """What the engine does per new resource: Check, then Create with Check's inputs as they came back."""
    checked = host.stub.Check(request)
    assert not checked.failures, checked.failures
    return host.stub.Create(provider_pb2.CreateRequest(urn=request.urn, name=request.name, type=request.type,
                                                       properties=checked.inputs, timeout=0, preview=False)).id


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

            requests_by_run = {run: [check_request(*_olds_first(registered(f"{run}-{i}", i, run)))
                                     for i in range(count)]
                               for run in ["warm-f", *(f"FlexC{rep}" for rep in range(reps))]}

            def flex_channel(run: str, host: ProviderHost = host,
                             requests_by_run: dict[str, list[Any]] = requests_by_run) -> None:
                """What the engine does per new resource: Check, then Create, over gRPC (requests built ahead)."""
                for request in requests_by_run[run]:
                    check_then_create(host, request)

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

        def bare(run: str) -> None:
            for i in range(count):
                session.post(f"{base_url}/v1/Channels", data=form(i, run), timeout=30).raise_for_status()

        def flex_client(run: str) -> None:
            for i in range(count):
                client.create_channel(inputs(i, run))

        requests_by_run = {f"L{rep}": [check_request(*_olds_first(registered(f"L{rep}-{i}", i, f"L{rep}")))
                                       for i in range(count)] for rep in range(reps + 1)}
        checked: dict[str, list[Any]] = {}

        def host_check(run: str) -> None:
            """The gRPC Check alone: its request was built before the clock started, as the Go engine's is."""
            checked[run] = [host.stub.Check(request) for request in requests_by_run[run]]

        def host_create(run: str) -> None:
            for request, answer in zip(requests_by_run[run], checked[run], strict=True):
                host.stub.Create(provider_pb2.CreateRequest(urn=request.urn, name=request.name, type=request.type,
                                                            properties=answer.inputs, timeout=0, preview=False))

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
                prepared = [create_request(registered(name, i, f"t{rep}")[0],
                                           check(host, *_olds_first(registered(name, i, f"t{rep}"))))
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


# --- several provider hosts (flex:hosts) ---------------------------------------------------


def _start_hosts(count: int, directory: Path, base_url: str) -> tuple[list[ProviderHost], list[float]]:
    """`count` provider hosts, each configured as an explicit provider with its own inputs; their start-up times."""
    hosts, startups = [], []
    for index in range(count):
        started = time.perf_counter()
        host = ProviderHost(directory / f"h{index}")
        host.configure({"twilio:accountSid": DEFAULT_ACCOUNT_SID, "twilio:authToken": secret(DEFAULT_AUTH_TOKEN),
                        "flex:apiUrl": base_url},
                       f"urn:pulumi:bench::flex-channels::pulumi:providers:pulumi-python::h{index}")
        startups.append(time.perf_counter() - started)
        hosts.append(host)
    return hosts, startups


def _create_per_host(hosts: list[ProviderHost], work: list[tuple[ProviderHost, Any]]) -> None:
    """Each host's creates by 4 callers of its own (its pool's size), all hosts at once."""
    pools = {id(host): ThreadPoolExecutor(max_workers=4) for host in hosts}
    try:
        futures = [pools[id(host)].submit(host.stub.Create, request) for host, request in work]
        for future in futures:
            future.result()
    finally:
        for pool in pools.values():
            pool.shutdown()


def bench_hosts(reps: int, count: int, latencies: tuple[int, ...], counts: tuple[int, ...]) -> dict[str, Any]:
    """`count` creates spread over N hosts by shard_of, 4 in flight per host (each host's pool), vs 4·N / latency.

    Each create's Check is sent before the clock starts (the engine runs Checks on one loop, ahead of the
    creates); the clock times the Creates, each host fed by 4 callers of its own, so the figure is what the
    N hosts can do (the engine needs `--parallel` of at least 4·N for it). The emulator's CPU share (CPU
    seconds per wall second, of one core) and the whole machine's busy share say what set the pace.
    """
    from flex_provider.hosts import shard_of

    rows = []
    for latency in latencies:
        with emulator_process(latency) as (base_url, emulator_pid), tempfile.TemporaryDirectory() as directory:
            for n in counts:
                hosts, startups = _start_hosts(n, Path(directory) / f"n{n}", base_url)
                try:
                    for rep in range(reps):
                        run = f"h{n}-{rep}"
                        work = []
                        for i in range(count):
                            name = f"{run}-{i}"
                            host = hosts[shard_of(name, n)]
                            target, props = registered(name, i, run)
                            work.append((host, create_request(target, check(host, target, {}, props))))
                        reset(base_url, latency)
                        cpu_before, busy_before = cpu_seconds(emulator_pid), machine_busy()
                        elapsed = timed(lambda work=work, hosts=hosts: _create_per_host(hosts, work))
                        emulator_cpu = cpu_seconds(emulator_pid) - cpu_before
                        busy_after = machine_busy()
                        machine = (busy_after[0] - busy_before[0]) / max(1, busy_after[1] - busy_before[1])
                        stats = admin(base_url, "stats")
                        ceiling = 4 * n / (latency / 1000)
                        rows.append({"latency_ms": latency, "hosts": n, "creates": count,
                                     "elapsed_s": round(elapsed, 2), "creates_per_s": round(count / elapsed, 1),
                                     "ceiling_per_s": round(ceiling, 1),
                                     "share_of_ceiling": round(count / elapsed / ceiling, 3),
                                     "tcp_connections": stats["connections"] - 2, "channels": stats["channels"],
                                     "emulator_cpu_share": round(emulator_cpu / elapsed, 2),
                                     "machine_busy": round(machine, 2),
                                     "host_start_s": round(statistics.median(startups), 2),
                                     "host_peak_rss_mib": round(max(peak_rss_mib(h.process.pid) for h in hosts), 1)})
                finally:
                    for host in hosts:
                        host.close()
    return {"rows": rows, "note": "ceiling = 4 calls at once per host / latency. emulator_cpu_share is the emulator "
                                  "process's CPU seconds per wall second (1.0 = one core busy); machine_busy is the "
                                  "share of all the machine's cores in use; host figures are the median start-up "
                                  "(spawn to configured) and the largest peak RSS of the hosts"}


# --- the program at scale -------------------------------------------------------------------

_SCALE_CHILD = """
import json, resource, sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
from bench.program_mocks import run_program
baseline_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
props = run_program(Path({path!r}))
elapsed = time.perf_counter() - started
stored = [{{k: v for k, v in p.items() if v is not None}} for p in props]
print(json.dumps({{
    "channels": len(props), "elapsed_s": elapsed,
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


def _flows_stack(size: int, flows: int) -> dict[str, Any]:
    """A stack file of `flows` Flex Flows and `size` channels that name them, spread evenly."""
    return {
        "flex_flow_defaults": {"chat_service_sid": "IS" + "1" * 32, "channel_type": "web",
                               "integration_type": "studio"},
        "flex_flows": {f"flow-{f}": {"friendly_name": f"Flow {f}", "integration": {"flow_sid": f"FW{f:032x}"}}
                       for f in range(flows)},
        "defaults": {"chat_user_friendly_name": "Visitor", "chat_friendly_name": "Support"},
        "channels": {f"c{i}": {"identity": f"id{i}", "flex_flow": f"flow-{i % flows}", "chat_unique_name": f"u{i}",
                               "pre_engagement_data": {"topic": "billing", "n": i}} for i in range(size)},
    }


def bench_flows(reps: int, size: int, flows: int) -> dict[str, Any]:
    """A stack of `flows` flows and `size` channels naming them, beside `size` channels on a literal SID, in one run:
    the program under mocks (fresh process each) and the validator (this process)."""
    rows = []
    with tempfile.TemporaryDirectory() as directory:
        variants = {
            f"{size} channels, FO SID": {"defaults": {"flex_flow_sid": FLOW}, "channels": {
                f"c{i}": {"identity": f"id{i}", "chat_user_friendly_name": "Visitor", "chat_friendly_name": "Support",
                          "chat_unique_name": f"u{i}", "pre_engagement_data": {"topic": "billing", "n": i}}
                for i in range(size)}},
            f"{size} channels naming {flows} flows": _flows_stack(size, flows),
        }
        for label, data in variants.items():
            path = Path(directory) / f"{len(rows)}.yaml"
            path.write_text(yaml.safe_dump(data))
            program, validation = [], []
            for _ in range(reps):
                child = _SCALE_CHILD.format(root=str(ROOT), path=str(path))
                done = subprocess.run([sys.executable, "-c", child], cwd=ROOT, capture_output=True, text=True,
                                      check=True)
                program.append(json.loads(done.stdout.splitlines()[-1]))
                validation.append(timed(lambda path=path: check_stack_file(path)))
            best = min(program, key=lambda s: s["elapsed_s"])
            rows.append({"stack": label, "resources": best["channels"], "program_s": round(best["elapsed_s"], 3),
                         "ms_per_resource": round(1000 * best["elapsed_s"] / best["channels"], 3),
                         "peak_rss_growth_mib": round(best["peak_rss_growth_mib"], 1),
                         "validate_s": round(min(validation), 3), "file_kb": round(path.stat().st_size / 1000, 1)})
    return {"rows": rows, "note": "best of the repetitions; the program under Pulumi's mocks in a fresh process each"}


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
        assert len(stack.resources) == size
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
    lines = [f"### {name}"]
    for rows in (result["rows"], result.get("derived")):
        if rows:
            keys = [k for k in rows[0] if k != "samples_s"]
            lines += ["", "| " + " | ".join(keys) + " |", "|" + " --- |" * len(keys)]
            lines += ["| " + " | ".join(str(row[k]) for k in keys) + " |" for row in rows]
    if result.get("note"):
        lines += ["", result["note"]]
    return "\n".join(lines) + "\n"


def results_dir(record: bool) -> Path:
    return RECORDED if record else RECORDED / "latest"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("benchmarks", nargs="*",
                        default=["overhead", "layers", "throughput", "scale", "validator", "emulator", "hosts",
                                 "flows"])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="smaller counts, to try the harness")
    parser.add_argument("--record", action="store_true",
                        help="write the tracked bench/results/*.json that BENCHMARKS.md quotes "
                             "(default: bench/results/latest/, ignored by git)")
    args = parser.parse_args()
    quick = args.quick
    engine_counts = (40, 100) if quick else (200, 1000)
    plans: dict[str, Callable[[], dict[str, Any]]] = {
        "overhead": lambda: bench_overhead(args.reps, 20 if quick else 200),
        "layers": lambda: bench_layers(args.reps, 50 if quick else 500),
        "throughput": lambda: bench_throughput(args.reps, 40 if quick else 500),
        "scale": lambda: bench_scale(args.reps, (100,) if quick else (100, 1000, 10000)),
        "validator": lambda: bench_validator(args.reps, 1000 if quick else 10000),
        "emulator": lambda: bench_emulator(args.reps, 200 if quick else 2000),
        "hosts": lambda: bench_hosts(1 if quick else args.reps, 100 if quick else 1000, (150, 20),
                                     (1, 2) if quick else (1, 2, 4, 8)),
        "flows": lambda: bench_flows(args.reps, 100 if quick else 1000, 10),
        "engine": lambda: bench_engine(args.reps, engine_counts, (0, 20, 100)),
        "engine-skip-checkpoints": lambda: bench_engine(args.reps, engine_counts, (0, 20, 100), skip_checkpoints=True),
        "plugin": lambda: bench_plugin(args.reps, engine_counts, 20),
    }
    results = results_dir(args.record)
    results.mkdir(parents=True, exist_ok=True)
    machine = {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform(),
               "date": time.strftime("%Y-%m-%d")}
    print(f"machine: {machine}\n")
    for name in args.benchmarks:
        print(f"... running {name}", file=sys.stderr, flush=True)
        result = {"benchmark": name, "machine": machine, "quick": quick, **plans[name]()}
        (results / f"{name}.json").write_text(json.dumps(result, indent=1) + "\n")
        print(_markdown(name, result), flush=True)
    return 0


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_NOFILE, (4096, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
    sys.exit(main())
