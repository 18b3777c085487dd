"""The examples as a user runs them from a checkout: the Python program and its tests, and the GitOps workflow."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support import ROOT, copy_project, outside_env

EXAMPLE = Path("examples") / "python-program"


def _pytest(python: Path | str, directory: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`python -m pytest` in `directory`, as the example's README says to run its tests."""
    return subprocess.run([str(python), "-m", "pytest", "-p", "no:cacheprovider"], cwd=directory,
                          env=outside_env(**env), capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.timeout(600)
def test_the_python_example_installs_from_a_checkout_and_its_tests_pass(tmp_path: Path) -> None:
    """What a newcomer does (and Pulumi does on `pulumi install`): a venv, then requirements.txt from the example's
    directory; flex-channels comes from the checkout around it, not from PyPI."""
    checkout = copy_project(tmp_path / "flex-channels")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, env=outside_env())
    installed = subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
                                "--quiet", "--disable-pip-version-check", "-r", "requirements.txt"],
                               cwd=checkout / EXAMPLE, env=outside_env(), capture_output=True, text=True, timeout=600,
                               check=False)
    assert installed.returncode == 0, installed.stderr
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import flex_provider; print(flex_provider.__file__)"],
                           cwd=tmp_path, env=outside_env(), capture_output=True, text=True, check=True)
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
    ran = subprocess.run([sys.executable, "test_chat_channels.py"], cwd=example, env=outside_env(PYTHONPATH=str(ROOT)),
                         capture_output=True, text=True, timeout=300, check=False)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert re.fullmatch(r"=+ 3 passed in [0-9.]+s =+", ran.stdout.splitlines()[-1])


WORKFLOW = ROOT / "examples" / "github-workflow" / "flex-channels.yml"
ACTIONLINT = Path(sys.executable).parent / "actionlint"


def _actionlint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(ACTIONLINT), "-no-color", str(path)], capture_output=True, text=True, timeout=60,
                          check=False)


def test_the_workflow_example_passes_actionlint_which_does_check_it(tmp_path: Path) -> None:
    """`make lint` runs actionlint on .github/workflows/ only; this runs it on the example, and on a broken copy
    of it, which must fail, so a pass means the file was checked."""
    linted = _actionlint(WORKFLOW)
    assert (linted.returncode, linted.stdout) == (0, "")
    broken = tmp_path / "flex-channels.yml"
    broken.write_text(WORKFLOW.read_text().replace("stack-name: ${{ matrix.stack }}", "stack-name: ${{ matrix.stak }}"))
    assert _actionlint(broken).returncode == 1


def _workflow() -> dict[str, Any]:
    return yaml.safe_load(WORKFLOW.read_text())


def _pulumi_steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return [step["with"] for step in job["steps"] if step.get("uses", "").startswith("pulumi/actions@")]


def test_the_workflow_previews_pull_requests_outside_every_environment_without_twilio_credentials() -> None:
    preview = _workflow()["jobs"]["preview"]
    assert preview["if"] == "github.event_name == 'pull_request'"
    assert "environment" not in preview
    [step] = _pulumi_steps(preview)
    assert (step["command"], step["upsert"], step["comment-on-pr"]) == ("preview", True, True)
    assert "TWILIO" not in yaml.safe_dump(preview)


def test_the_workflow_applies_staging_then_prod_in_their_environments_creating_missing_stacks() -> None:
    jobs = _workflow()["jobs"]
    assert (jobs["up-staging"]["environment"], jobs["up-prod"]["environment"]) == ("staging", "prod")
    assert jobs["up-prod"]["needs"] == "up-staging"
    for name, stack in (("up-staging", "staging"), ("up-prod", "prod")):
        [step] = _pulumi_steps(jobs[name])
        assert (step["command"], step["stack-name"], step["upsert"]) == ("up", stack, True)


def test_the_workflow_checks_for_drift_on_a_schedule_outside_the_gated_environment() -> None:
    workflow = _workflow()
    assert workflow[True]["schedule"] == [{"cron": "17 6 * * *"}]  # YAML 1.1 reads the key `on` as true
    drift = workflow["jobs"]["drift"]
    assert drift["environment"] == "${{ matrix.stack }}-drift"
    [step] = _pulumi_steps(drift)
    assert (step["command"], step["refresh"], step["expect-no-changes"]) == ("preview", True, True)


def test_the_workflow_runs_the_users_tests_not_this_projects() -> None:
    steps = [step.get("run", "") for job in _workflow()["jobs"].values() for step in job["steps"]]
    assert not [run for run in steps if "make" in run.split() or "tests/" in run]
    assert "venv/bin/python -m pytest || test $? -eq 5" in steps


def test_the_workflow_readme_lists_every_variable_and_secret_it_uses() -> None:
    used = set(re.findall(r"\$\{\{ (vars|secrets)\.([A-Z_]+) \}\}", WORKFLOW.read_text()))
    used.discard(("secrets", "GITHUB_TOKEN"))  # GitHub's own, made for every run
    checklist = (WORKFLOW.parent / "README.md").read_text().split("## Setup checklist", 1)[1]
    for kind, name in sorted(used):
        assert f"`{name}`" in checklist, f"{kind}.{name} is not in the setup checklist"
    assert used >= {("vars", "PULUMI_BACKEND_URL"), ("secrets", "PULUMI_CONFIG_PASSPHRASE"),
                    ("vars", "TWILIO_ACCOUNT_SID"), ("secrets", "TWILIO_API_SECRET")}
