"""What may import what: no test module imports another (shared helpers live in tests/support.py), and the
benchmarks import nothing from tests/, so each measures the product with a harness of its own."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support import ROOT


def _imported(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names += [node.module or ""]
    return names


def test_no_test_module_imports_another() -> None:
    offenders = [f"{path.name}: {name}" for path in sorted((ROOT / "tests").glob("*.py"))
                 for name in _imported(path) if name.split(".")[-1].startswith(("test_", "conftest"))]
    assert offenders == []


def test_the_benchmarks_import_nothing_from_tests() -> None:
    offenders = [f"{path.name}: {name}" for path in sorted((ROOT / "bench").rglob("*.py"))
                 for name in _imported(path) if name.split(".")[0] == "tests"]
    assert offenders == []
