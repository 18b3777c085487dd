"""The examples as a user runs them from a checkout: the Python program and its tests, and the GitOps workflow."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import ROOT, copy_project

EXAMPLE = Path("examples") / "python-program"


def _env(**extra: str) -> dict[str, str]:
    """This process's environment without anything that would point Python, pip or the provider elsewhere."""
    dropped = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PIP_REQUIRE_VIRTUALENV")
    return {**{k: v for k, v in os.environ.items()
               if k not in dropped and not k.startswith(("TWILIO_", "FLEX_", "PULUMI_"))}, **extra}


def _pytest(python: Path | str, directory: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`python -m pytest` in `directory`, as the example's README says to run its tests."""
    return subprocess.run([str(python), "-m", "pytest", "-p", "no:cacheprovider"], cwd=directory, env=_env(**env),
                          capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.timeout(600)
def test_the_python_example_installs_from_a_checkout_and_its_tests_pass(tmp_path: Path) -> None:
    """What a newcomer does (and Pulumi does on `pulumi install`): a venv, then requirements.txt from the example's
    directory; flex-channels comes from the checkout around it, not from PyPI."""
    checkout = copy_project(tmp_path / "flex-channels")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, env=_env())
    installed = subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
                                "--quiet", "--disable-pip-version-check", "-r", "requirements.txt"],
                               cwd=checkout / EXAMPLE, env=_env(), capture_output=True, text=True, timeout=600,
                               check=False)
    assert installed.returncode == 0, installed.stderr
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import flex_provider; print(flex_provider.__file__)"],
                           cwd=tmp_path, env=_env(), capture_output=True, text=True, check=True)
    assert where.stdout.strip() == str(checkout / "flex_provider" / "__init__.py")

    tested = _pytest(venv / "bin" / "python", checkout / EXAMPLE)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert re.fullmatch(r"=+ 3 passed in [0-9.]+s =+", tested.stdout.splitlines()[-1])


def test_the_python_examples_tests_fail_when_the_program_is_wrong(tmp_path: Path) -> None:
    """The example's tests check something: a follow-up channel that no longer names the web channel fails one."""
    example = copy_project(tmp_path / "flex-channels") / EXAMPLE
    program = example / "chat_channels.py"
    program.write_text(program.read_text().replace('task_attributes={"follows_up": web.sid}',
                                                   'task_attributes={"follows_up": "nobody"}'))
    tested = _pytest(sys.executable, example, PYTHONPATH=str(ROOT))
    assert tested.returncode == 1
    assert "FAILED test_chat_channels.py::test_the_follow_up_channel_names_the_web_channel" in tested.stdout
    assert re.fullmatch(r"=+ 1 failed, 2 passed in [0-9.]+s =+", tested.stdout.splitlines()[-1])


def test_the_python_examples_test_file_run_by_python_runs_its_tests(tmp_path: Path) -> None:
    """`python test_chat_channels.py` hands the file to pytest rather than printing nothing and exiting 0."""
    example = copy_project(tmp_path / "flex-channels") / EXAMPLE
    ran = subprocess.run([sys.executable, "test_chat_channels.py"], cwd=example, env=_env(PYTHONPATH=str(ROOT)),
                         capture_output=True, text=True, timeout=300, check=False)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert re.fullmatch(r"=+ 3 passed in [0-9.]+s =+", ran.stdout.splitlines()[-1])
