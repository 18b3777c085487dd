"""bench/run.py writes where git ignores it, so running the benchmarks never changes tracked files by accident; the
real-engine benchmark's stack file is valid, and its per-create and latency costs are what BENCHMARKS.md says."""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path

from bench.engine import BARE, FRONT_ENDS, costs, stack_file
from flex_provider.stackfile import check_stack_file
from tests.support import ROOT


def _git(*args: str) -> int:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, check=False).returncode


def test_bench_writes_ignored_results_unless_asked_to_record() -> None:
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "bench" / "run.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    latest = bench.results_dir(record=False) / "overhead.json"
    recorded = bench.results_dir(record=True) / "overhead.json"
    assert _git("check-ignore", "--quiet", str(latest)) == 0
    assert _git("check-ignore", "--quiet", str(recorded)) == 1
    assert _git("ls-files", "--error-unmatch", str(recorded)) == 0, "the recorded figures are tracked"


def test_the_engine_benchmarks_stack_file_is_a_valid_one_of_that_many_channels(tmp_path: Path) -> None:
    path = tmp_path / "bench.yaml"
    path.write_text(stack_file(25))
    stack, problems = check_stack_file(path)
    assert problems == []
    assert stack is not None and len(stack.resources) == 25


def test_per_create_cost_is_the_time_per_extra_create_between_the_sizes_and_latency_cost_is_the_smaller_sizes() -> None:
    times = {(BARE, 0, 200): 0.2, (BARE, 0, 1000): 1.0, (BARE, 100, 200): 0.5, (BARE, 100, 1000): 1.7}
    for front_end in FRONT_ENDS:
        times |= {(front_end, 0, 200): 3.0, (front_end, 0, 1000): 11.0, (front_end, 100, 200): 3.5,
                  (front_end, 100, 1000): 12.6}
    rows = [{"variant": v, "latency_ms": latency, "channels": n, "median_s": s} for (v, latency, n), s in times.items()]

    derived = {row["variant"]: row for row in costs(rows, (200, 1000), (0, 100))}

    assert derived[BARE] == {"variant": BARE, "latency_cost_200_s": 0.3, "per_create_ms_at_0": 1.0, "vs_bare_at_0": 1.0,
                             "per_create_ms_at_100": 1.5, "vs_bare_at_100": 1.0}
    assert derived["native"] == {"variant": "native", "latency_cost_200_s": 0.5, "per_create_ms_at_0": 10.0,
                                 "vs_bare_at_0": 10.0, "per_create_ms_at_100": 11.375, "vs_bare_at_100": 7.58}
