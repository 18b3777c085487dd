"""bench/run.py writes where git ignores it, so running the benchmarks never changes tracked files by accident."""

from __future__ import annotations

import importlib.util
import subprocess

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
