"""`pulumi up` on the real engine (issue 20): N channels through each front end beside a bare `requests` loop.

Each run is a fresh stack: a folder with the project's Pulumi.yaml (this checkout's .venv and its `flex` plugin),
the project's own `__main__.py` and one stack file of N channels on a literal Flex Flow SID, a file backend and a
PULUMI_HOME of its own. The provider settings come from the environment (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN,
FLEX_API_URL), which both front ends read; the emulator runs in its own process per latency and is reset before
each run. `pulumi stack init` and `pulumi config set` are not timed; the clock times the one command

    pulumi up --yes --skip-preview --parallel 64 --non-interactive --stack bench

from start to exit. The preview is skipped because it makes no API call: it costs the same at every latency,
and it would count the program and the Checks twice in the per-create cost. With `skip_checkpoints`, the command
runs with PULUMI_SKIP_CHECKPOINTS=true, Pulumi's own switch that saves the state once at the end instead of
after every step: on a file backend each step's start and end waits for the whole state to be serialized,
checked and written (pkg/backend/snapshot.go, one service loop), which is the same for every front end and
grows with the square of the stack's size, so that run shows what the front ends themselves cost.

While the command runs, its process tree is read from /proc every POLL_SECONDS: the peak resident memory
(VmHWM) and CPU time of each provider process (`python -m pulumi.dynamic` hosts, the `pulumi-resource-flex`
plugin) and of the program. The whole tree's CPU time comes from wait4 once the command has ended.
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import yaml
from requests.adapters import HTTPAdapter

from bench.measure import AUTH, FLOW, ROOT, admin, cpu_seconds, emulator_process, form, machine_busy, reset, timed

__all__ = ["BARE", "FRONT_ENDS", "PARALLEL", "bare_loop", "bench_engine", "costs", "engine_bin", "stack_file",
           "wait_for_quiet"]

PARALLEL = 64
"""`--parallel`: as many calls at once as the native provider serves."""
FRONT_ENDS: dict[str, dict[str, str]] = {
    "dynamic (1 host)": {},
    "dynamic (flex:hosts=8)": {"flex:hosts": "8"},
    "native": {"flex:frontEnd": "native"},
}
"""Each front end and the stack config that chooses it."""
BARE = "bare requests loop"
STACK = "bench"
PASSPHRASE = "flex-channels-bench"  # noqa: S105 - the throwaway stacks' only secret is the emulator's token
POLL_SECONDS = 0.2
QUIET_SHARE = 0.25
"""The machine counts as quiet when under this share of its cores is busy (with 2 cores, half of one)."""
QUIET_WAIT_SECONDS = 300
"""The longest a run waits for a quiet machine; then it runs anyway and says how busy the machine was."""
_PROVIDER_MARKS = ("pulumi.dynamic", "pulumi-resource-flex")
_PROGRAM_MARK = "pulumi-language-python-exec"


def engine_bin() -> Path:
    """The folder of the Pulumi CLI that scripts/engine.py found or built before (never built here)."""
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "engine.py"), "--cached-only"],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"no Pulumi engine: {done.stderr.strip()} (run `make engine` first)")
    return Path(done.stdout.strip())


def stack_file(count: int) -> str:
    """N channels on a literal Flex Flow SID, each with its own identity and unique name (no two collide)."""
    channels = {f"c{i}": {"identity": f"id{i}", "chat_user_friendly_name": "Visitor",
                          "chat_friendly_name": "Support", "chat_unique_name": f"u{i}"} for i in range(count)}
    return yaml.safe_dump({"defaults": {"flex_flow_sid": FLOW}, "channels": channels})


# --- the process tree of a run ---------------------------------------------------------------


@dataclass
class _Seen:
    """What the last reading of one process found: its role, peak RSS and CPU seconds."""

    role: str
    peak_rss_mib: float = 0.0
    cpu_s: float = 0.0


def _children_by_parent() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                parent = int(Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            tree.setdefault(parent, []).append(int(entry.name))
    return tree


def _descendants(root: int) -> Iterator[int]:
    tree, stack = _children_by_parent(), [root]
    while stack:
        for child in tree.get(stack.pop(), []):
            yield child
            stack.append(child)


def _role(pid: int) -> str | None:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return None
    if any(mark in command for mark in _PROVIDER_MARKS):
        return "provider"
    return "program" if _PROGRAM_MARK in command else None


def _hwm_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


class TreeWatch:
    """Reads the providers and the program under `root` every POLL_SECONDS until stopped; the last reading of each
    process stands (VmHWM only grows, so it is the peak up to that reading)."""

    def __init__(self, root: int) -> None:
        self.root = root
        self.seen: dict[int, _Seen] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            for pid in _descendants(self.root):
                seen = self.seen.get(pid)
                if seen is None:
                    role = _role(pid)
                    if role is None:
                        continue
                    seen = self.seen[pid] = _Seen(role)
                try:
                    seen.peak_rss_mib, seen.cpu_s = _hwm_mib(pid), cpu_seconds(pid)
                except (OSError, IndexError, ValueError):
                    continue

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def of(self, role: str) -> list[_Seen]:
        return [seen for seen in self.seen.values() if seen.role == role]


# --- one run ------------------------------------------------------------------------------------


@dataclass
class RunResult:
    """One timed command (or bare loop) and what was read while it ran."""

    variant: str
    latency_ms: float
    channels: int
    elapsed_s: float
    tree_cpu_s: float = 0.0
    emulator_cpu_s: float = 0.0
    machine_busy: float = 0.0
    others_cpu_s: float = 0.0
    providers: int = 0
    provider_peak_rss_mib: float = 0.0
    provider_total_peak_rss_mib: float = 0.0
    provider_cpu_s: float = 0.0
    program_peak_rss_mib: float = 0.0
    program_cpu_s: float = 0.0
    tcp_connections: int = 0
    listen_overflows: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def _listen_overflows() -> int:
    """The machine's count of connections dropped because a listening socket's queue was full (TcpExt)."""
    lines = [line.split() for line in Path("/proc/net/netstat").read_text().splitlines() if line.startswith("TcpExt:")]
    return int(dict(zip(lines[0], lines[1], strict=True))["ListenOverflows"])


class Project:
    """The project's program in a fresh folder, its stack configured for one front end; `up` is the timed command."""

    def __init__(self, folder: Path, bin_dir: Path, base_url: str, count: int, config: Mapping[str, str],
                 skip_checkpoints: bool = False) -> None:
        self.folder = folder
        self.program = folder / "program"
        (self.program / "stacks").mkdir(parents=True)
        settings = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
        settings["runtime"]["options"]["virtualenv"] = str(ROOT / ".venv")
        for plugin in settings.get("plugins", {}).get("providers", []):
            plugin["path"] = str(ROOT / plugin["path"])
        (self.program / "Pulumi.yaml").write_text(yaml.safe_dump(settings))
        shutil.copy(ROOT / "__main__.py", self.program / "__main__.py")
        (self.program / "stacks" / f"{STACK}.yaml").write_text(stack_file(count))
        (folder / "state").mkdir()
        (folder / "home").mkdir()
        blank = {key: "" for key in os.environ if key.startswith(("TWILIO_", "FLEX_"))}
        self.env = {**os.environ, **blank, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
                    "PULUMI_HOME": str(folder / "home"), "PULUMI_BACKEND_URL": (folder / "state").as_uri(),
                    "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE, "PULUMI_SKIP_UPDATE_CHECK": "true",
                    "TWILIO_ACCOUNT_SID": AUTH[0], "TWILIO_AUTH_TOKEN": AUTH[1], "FLEX_API_URL": base_url,
                    "PULUMI_SKIP_CHECKPOINTS": "true" if skip_checkpoints else ""}
        self.pulumi = str(bin_dir / "pulumi")
        self.cli("stack", "init", STACK)
        for key, value in config.items():
            self.cli("config", "set", "--stack", STACK, key, value)

    def cli(self, *args: str) -> None:
        done = subprocess.run([self.pulumi, *args, "--non-interactive"], cwd=self.program, env=self.env,
                              capture_output=True, text=True, check=False, timeout=600)
        if done.returncode:
            raise RuntimeError(f"pulumi {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")

    def up(self) -> tuple[float, float, TreeWatch]:
        """Time `pulumi up`; its wall time, the CPU seconds of its whole tree, and what the watch read."""
        log = self.folder / "up.log"
        with log.open("wb") as out:
            started = time.perf_counter()
            process = subprocess.Popen([self.pulumi, "up", "--yes", "--skip-preview", "--parallel", str(PARALLEL),
                                        "--non-interactive", "--stack", STACK],
                                       cwd=self.program, env=self.env, stdout=out, stderr=subprocess.STDOUT)
            watch = TreeWatch(process.pid)
            _, status, usage = os.wait4(process.pid, 0)
            elapsed = time.perf_counter() - started
            process.returncode = os.waitstatus_to_exitcode(status)
        watch.stop()
        if process.returncode:
            raise RuntimeError(f"pulumi up failed ({process.returncode}):\n{log.read_text()[-4000:]}")
        return elapsed, usage.ru_utime + usage.ru_stime, watch


def _own_cpu_s() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


@contextmanager
def _measured(emulator_pid: int) -> Iterator[dict[str, float]]:
    """Over the block: the emulator's CPU seconds, this process's, the whole machine's (busy jiffies) and its busy
    share, and listen-queue overflows."""
    readings: dict[str, float] = {}
    cpu, own, busy, overflows = cpu_seconds(emulator_pid), _own_cpu_s(), machine_busy(), _listen_overflows()
    yield readings
    after = machine_busy()
    readings.update(emulator_cpu_s=cpu_seconds(emulator_pid) - cpu, listen_overflows=_listen_overflows() - overflows,
                    own_cpu_s=_own_cpu_s() - own, machine_cpu_s=(after[0] - busy[0]) / os.sysconf("SC_CLK_TCK"),
                    machine_busy=(after[0] - busy[0]) / max(1, after[1] - busy[1]))


def _others_cpu_s(readings: Mapping[str, float], tree_cpu_s: float) -> float:
    """CPU seconds the machine spent on anything but this run (other users' work): all of it less the command's
    tree, the emulator and this process."""
    return max(0.0, readings["machine_cpu_s"] - tree_cpu_s - readings["emulator_cpu_s"] - readings["own_cpu_s"])


def wait_for_quiet() -> tuple[float, float]:
    """Wait until the machine is quiet (other users' work shares it): a second in which under QUIET_SHARE of the
    cores were busy, for at most QUIET_WAIT_SECONDS. How long it waited, and the busy share it last saw."""
    started = time.perf_counter()
    while True:
        before = machine_busy()
        time.sleep(1)
        after = machine_busy()
        share = (after[0] - before[0]) / max(1, after[1] - before[1])
        waited = time.perf_counter() - started
        if share < QUIET_SHARE or waited > QUIET_WAIT_SECONDS:
            return waited, share


def _checked_emulator(base_url: str, count: int) -> int:
    """The emulator's TCP connections; it must hold exactly the N channels the run was to create, each POSTed once."""
    stats = admin(base_url, "stats")
    posts = stats["requests_by_method"].get("POST", 0)
    if stats["channels"] != count or posts != count:
        raise RuntimeError(f"the emulator holds {stats['channels']} channels after {posts} POSTs, not {count}")
    return int(stats["connections"])


def run_up(variant: str, latency_ms: float, count: int, base_url: str, emulator_pid: int, bin_dir: Path,
           skip_checkpoints: bool) -> RunResult:
    """One `pulumi up` of `count` channels through one front end, on a fresh stack and a reset emulator."""
    with tempfile.TemporaryDirectory(prefix="flex-bench-") as directory:
        project = Project(Path(directory), bin_dir, base_url, count, FRONT_ENDS[variant], skip_checkpoints)
        reset(base_url, latency_ms)
        with _measured(emulator_pid) as readings:
            elapsed, tree_cpu, watch = project.up()
        connections = _checked_emulator(base_url, count) - 1  # less the stats request's own
    providers, programs = watch.of("provider"), watch.of("program")
    return RunResult(variant, latency_ms, count, elapsed, tree_cpu_s=tree_cpu,
                     emulator_cpu_s=readings["emulator_cpu_s"], machine_busy=readings["machine_busy"],
                     others_cpu_s=_others_cpu_s(readings, tree_cpu), providers=len(providers),
                     provider_peak_rss_mib=max((p.peak_rss_mib for p in providers), default=0.0),
                     provider_total_peak_rss_mib=sum(p.peak_rss_mib for p in providers),
                     provider_cpu_s=sum(p.cpu_s for p in providers),
                     program_peak_rss_mib=max((p.peak_rss_mib for p in programs), default=0.0),
                     program_cpu_s=sum(p.cpu_s for p in programs),
                     tcp_connections=connections, listen_overflows=int(readings["listen_overflows"]))


def bare_loop(base_url: str, count: int, run: str, threads: int = PARALLEL) -> None:
    """The baseline: `count` creates by `threads` threads through one keep-alive session sized for them."""
    session = requests.Session()
    session.auth = AUTH
    adapter = HTTPAdapter(pool_connections=1, pool_maxsize=threads)
    session.mount("http://", adapter)

    def create(i: int) -> None:
        session.post(f"{base_url}/v1/Channels", data=form(i, run), timeout=60).raise_for_status()

    with session, ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(create, range(count)))


def run_bare(latency_ms: float, count: int, base_url: str, emulator_pid: int, run: str) -> RunResult:
    reset(base_url, latency_ms)
    with _measured(emulator_pid) as readings:
        elapsed = timed(lambda: bare_loop(base_url, count, run))
    connections = _checked_emulator(base_url, count) - 1
    return RunResult(BARE, latency_ms, count, elapsed, tree_cpu_s=readings["own_cpu_s"],
                     emulator_cpu_s=readings["emulator_cpu_s"], machine_busy=readings["machine_busy"],
                     others_cpu_s=_others_cpu_s(readings, 0.0), tcp_connections=connections,
                     listen_overflows=int(readings["listen_overflows"]))


# --- the matrix and what it gives ------------------------------------------------------------------


def _spread(samples: Sequence[float]) -> dict[str, float]:
    return {"median": round(statistics.median(samples), 3), "min": round(min(samples), 3),
            "max": round(max(samples), 3)}


def _rows(runs: list[RunResult]) -> list[dict[str, Any]]:
    """One row per variant, latency and size: median, min and max wall time, and the medians of the rest."""
    groups: dict[tuple[str, float, int], list[RunResult]] = {}
    for run in runs:
        groups.setdefault((run.variant, run.latency_ms, run.channels), []).append(run)
    rows = []
    for (variant, latency, count), group in groups.items():
        elapsed = _spread([r.elapsed_s for r in group])

        def median(name: str, group: list[RunResult] = group) -> float:
            return round(statistics.median(getattr(r, name) for r in group), 2)

        rows.append({"variant": variant, "latency_ms": latency, "channels": count, "runs": len(group),
                     "median_s": elapsed["median"], "min_s": elapsed["min"], "max_s": elapsed["max"],
                     "provider_peak_rss_mib": median("provider_peak_rss_mib"),
                     "provider_total_peak_rss_mib": median("provider_total_peak_rss_mib"),
                     "providers": max(r.providers for r in group), "provider_cpu_s": median("provider_cpu_s"),
                     "tree_cpu_s": median("tree_cpu_s"), "emulator_cpu_s": median("emulator_cpu_s"),
                     "machine_busy": median("machine_busy"), "others_cpu_s": median("others_cpu_s"),
                     "program_peak_rss_mib": median("program_peak_rss_mib"), "program_cpu_s": median("program_cpu_s"),
                     "tcp_connections": max(r.tcp_connections for r in group),
                     "listen_overflows": max(r.listen_overflows for r in group),
                     "samples_s": [round(r.elapsed_s, 3) for r in group]})
    return sorted(rows, key=lambda r: (r["channels"], r["latency_ms"], list(_order()).index(r["variant"])))


def _order() -> list[str]:
    return [BARE, *FRONT_ENDS]


def costs(rows: list[dict[str, Any]], counts: Sequence[int], latencies: Sequence[float]) -> list[dict[str, Any]]:
    """The issue's two measures, per variant, from the medians: the latency cost of the smaller size (time at the
    highest latency less time at none) and the per-create cost at each latency, (time(large) - time(small)) /
    (large - small), which takes away the engine's fixed start-up and the program's start; each against the bare
    loop's, measured in the same run."""
    median = {(r["variant"], r["latency_ms"], r["channels"]): r["median_s"] for r in rows}
    small, large = min(counts), max(counts)
    low, high = min(latencies), max(latencies)
    derived = []
    for variant in _order():
        cost = median[variant, high, small] - median[variant, low, small]
        row: dict[str, Any] = {"variant": variant, f"latency_cost_{small}_s": round(cost, 3)}
        for latency in latencies:
            per_create = (median[variant, latency, large] - median[variant, latency, small]) / (large - small)
            bare = (median[BARE, latency, large] - median[BARE, latency, small]) / (large - small)
            row[f"per_create_ms_at_{latency:g}"] = round(1000 * per_create, 3)
            row[f"vs_bare_at_{latency:g}"] = round(per_create / bare, 2)
        derived.append(row)
    return derived


def bench_engine(reps: int, counts: Sequence[int], latencies: Sequence[float], *,
                 skip_checkpoints: bool = False) -> dict[str, Any]:
    """The matrix, every cell `reps` times: repetitions outermost, and within one the variants in a rotated order,
    so that a slow spell of the machine falls on all of them."""
    bin_dir = engine_bin()
    started = time.perf_counter()
    runs: list[RunResult] = []
    with ExitStack() as stack:
        emulators = {latency: stack.enter_context(emulator_process(latency)) for latency in latencies}
        cells = [(latency, count) for latency in latencies for count in counts]
        for rep in range(reps):
            for index, (latency, count) in enumerate(cells):
                base_url, pid = emulators[latency]
                variants = _order()
                shift = (rep + index) % len(variants)
                for variant in variants[shift:] + variants[:shift]:
                    print(f"... {variant}, {count} channels, {latency:g} ms (repetition {rep + 1} of {reps})",
                          file=sys.stderr, flush=True)
                    waited, share = wait_for_quiet()
                    if waited > 2:
                        print(f"    waited {waited:.0f} s for a quiet machine (busy share {share:.2f})",
                              file=sys.stderr, flush=True)
                    if variant == BARE:
                        runs.append(run_bare(latency, count, base_url, pid, f"b{rep}-{index}"))
                    else:
                        runs.append(run_up(variant, latency, count, base_url, pid, bin_dir, skip_checkpoints))
                    runs[-1].extra.update(waited_for_quiet_s=round(waited, 1), busy_share_before=round(share, 2))
    rows = _rows(runs)
    return {"rows": rows, "derived": costs(rows, counts, latencies),
            "runs": [vars(run) for run in runs], "duration_s": round(time.perf_counter() - started),
            "command": ("PULUMI_SKIP_CHECKPOINTS=true " if skip_checkpoints else "")
            + f"pulumi up --yes --skip-preview --parallel {PARALLEL} --non-interactive --stack {STACK}",
            "note": "median_s/min_s/max_s: wall time of the command (or the bare loop); provider_* the providers' "
                    "peak RSS (largest one, and the sum over hosts) and CPU seconds, read from /proc every "
                    f"{POLL_SECONDS} s; tree_cpu_s the whole command's CPU seconds (wait4; for the bare loop, the "
                    "harness's own), program_cpu_s the program's part of it; machine_busy the share of all cores "
                    "in use, anything else on the machine included; others_cpu_s the CPU seconds of what was not "
                    "this run (other users); "
                    "listen_overflows the machine's TcpExt ListenOverflows during the run"}
