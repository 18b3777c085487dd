"""flex-channels as a library: its wheel, installed into fresh virtualenvs, used outside this repository.

The wheel is built once per session from a copy of this checkout (so building leaves nothing here) and
installed, with its dependencies from the package index, into a virtualenv made for the session. Programs
and the dynamic-provider host then run with that venv's Python, from a copy of examples/python-program and
without PYTHONPATH, so every import of flex_provider comes from the wheel.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flex_provider.version import __version__
from tests.engine import Goal, ProviderHost, Stack
from tests.support import FLOW, ROOT, copy_project, outside_env, stack_config
from twilio_emulator import Emulator

# Installing Pulumi and grpcio into a fresh venv can take minutes on a cold package cache.
pytestmark = pytest.mark.timeout(600)

EXAMPLE = ROOT / "examples" / "python-program"
PROJECT = "flex-channels-example"
TYPE = "pulumi-python:dynamic/flex:FlexChannel"
DIST_INFO = f"flex_channels-{__version__}.dist-info"


def _run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], cwd=cwd, env=outside_env(), capture_output=True, text=True,
                          timeout=600)


def _make_venv(path: Path, *requirements: str | Path) -> Path:
    """A virtualenv with nothing but `requirements`; pip runs from this test's venv (`pip --python`)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True, env=outside_env())
    installed = _run(sys.executable, "-m", "pip", "--python", path / "bin" / "python", "install", "--quiet",
                     "--disable-pip-version-check", *requirements)
    assert installed.returncode == 0, installed.stderr
    return path


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = copy_project(tmp_path_factory.mktemp("checkout"))
    dist = tmp_path_factory.mktemp("dist")
    built = _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--disable-pip-version-check",
                 "--wheel-dir", dist, source)
    assert built.returncode == 0, built.stderr
    [path] = dist.glob("*.whl")
    return path


@pytest.fixture(scope="session")
def library_venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """flex-channels from its wheel and its dependencies from the index: what `pip install flex-channels` gives."""
    return _make_venv(tmp_path_factory.mktemp("library") / "venv", wheel)


@pytest.fixture
def example(tmp_path: Path) -> Path:
    return Path(shutil.copytree(EXAMPLE, tmp_path / "example"))


def test_wheel_holds_both_packages_their_data_and_the_console_script(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = archive.read(f"{DIST_INFO}/entry_points.txt").decode()
        metadata = archive.read(f"{DIST_INFO}/METADATA").decode()
    shipped = {name for name in names if not name.startswith(DIST_INFO)}
    tracked = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard",
                              "flex_provider", "twilio_emulator"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
    assert shipped == set(tracked), "every file of the two packages ships, and nothing else"
    assert {"flex_provider/stackfile.schema.json", "twilio_emulator/contract.json"} <= shipped
    assert "[console_scripts]\nflex-channels = flex_provider.__main__:main" in entry_points
    requires = sorted(line.split(": ", 1)[1] for line in metadata.splitlines() if line.startswith("Requires-Dist"))
    assert requires == ["pulumi<3.273,>=3.272.0", "pyyaml<7,>=6.0.1", "requests<3,>=2.32"]


def test_validate_and_schema_run_where_only_pyyaml_is_installed(wheel: Path, tmp_path: Path) -> None:
    venv = _make_venv(tmp_path / "venv", "--no-deps", wheel, "pyyaml")
    python = venv / "bin" / "python"
    absent = _run(python, "-c", "import importlib.util as u; "
                  "print(*[m for m in ('pulumi', 'requests', 'grpc', 'urllib3') if u.find_spec(m) is None])")
    assert absent.stdout.split() == ["pulumi", "requests", "grpc", "urllib3"]
    shutil.copytree(ROOT / "stacks", tmp_path / "stacks")

    validated = _run(python, "-m", "flex_provider", "validate", cwd=tmp_path)
    assert validated.returncode == 0, validated.stderr
    assert "stacks/dev.yaml: 1 flow, 2 channels, 1 address, valid" in validated.stdout.splitlines()

    script = _run(venv / "bin" / "flex-channels", "validate", "stacks/prod.yaml", cwd=tmp_path)
    assert (script.returncode, script.stderr) == (0, "")
    schema = _run(venv / "bin" / "flex-channels", "schema", cwd=tmp_path)
    assert schema.stdout == (ROOT / "flex_provider" / "stackfile.schema.json").read_text()
    usage = _run(python, "-m", "flex_provider", cwd=tmp_path)
    assert " ".join(usage.stderr.split()).startswith(
        "usage: python -m flex_provider [-h] [--version] {validate,schema,emulator-env,flex-flows,channels,addresses}")
    version = _run(venv / "bin" / "flex-channels", "--version")
    assert (version.returncode, version.stdout) == (0, f"flex-channels {__version__}\n")


def test_schema_write_never_writes_into_an_installed_package(wheel: Path, tmp_path: Path) -> None:
    venv = _make_venv(tmp_path / "venv", "--no-deps", wheel, "pyyaml")
    [shipped] = (venv / "lib").glob("python*/site-packages/flex_provider/stackfile.schema.json")
    shipped.write_text("{}\n")  # stale, as it would be: a write would change it
    refused = _run(venv / "bin" / "flex-channels", "schema", "--write", cwd=tmp_path)
    assert (refused.returncode, refused.stdout) == (2, "")
    assert refused.stderr == (
        f"schema --write: {shipped.parent} is an installed package, not a checkout of flex-channels, and is left as it "
        "is. Give a file to write (`schema --write stackfile.schema.json`), or run it in a checkout to regenerate the "
        "shipped schema.\n")
    assert shipped.read_text() == "{}\n"
    written = _run(venv / "bin" / "flex-channels", "schema", "--write", "mine.json", cwd=tmp_path)
    assert (written.returncode, written.stdout) == (0, "wrote mine.json\n")
    assert (tmp_path / "mine.json").read_text() == (ROOT / "flex_provider" / "stackfile.schema.json").read_text()


def _run_example(venv: Path, example: Path) -> dict[str, Any]:
    """The example under Pulumi's mocks (tests/pulumi_mocks.py run as a script), with the venv's Python."""
    done = _run(venv / "bin" / "python", ROOT / "tests" / "pulumi_mocks.py", example, PROJECT, "dev",
                f"{PROJECT}:flexFlowSid={FLOW}", cwd=example)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture
def installed_host(library_venv: Path, example: Path, tmp_path: Path) -> Iterator[ProviderHost]:
    """`python -m pulumi.dynamic` as the Pulumi CLI starts it: the venv's Python, in the program's directory,
    with no PYTHONPATH."""
    host = ProviderHost(tmp_path / "host", outside_env(), python=str(library_venv / "bin" / "python"), cwd=example,
                        inherit=False)
    yield host
    host.close()


def test_example_program_uses_the_installed_library(library_venv: Path, example: Path) -> None:
    run = _run_example(library_venv, example)
    site_packages = str(library_venv / "lib")
    assert run["modules"]["flex_provider"].startswith(site_packages)
    assert run["modules"]["pulumi"].startswith(site_packages)

    web, follow_up = run["registrations"]
    assert (web["name"], web["type"], follow_up["name"]) == ("web", TYPE, "follow-up")
    assert {k: v for k, v in web["inputs"].items() if k != "__provider"} == {
        "flex_flow_sid": FLOW, "identity": "web-visitor", "chat_user_friendly_name": "Website visitor",
        "chat_friendly_name": "Website chat", "pre_engagement_data": '{"source":"website"}', "long_lived": True}
    assert follow_up["inputs"]["task_attributes"] == json.dumps({"follows_up": run["exports"]["web"]},
                                                                separators=(",", ":"))
    assert [urn.rsplit("::", 1)[1] for urn in follow_up["dependencies"]] == ["web"]


def test_installed_provider_creates_reads_and_deletes_over_grpc(
        library_venv: Path, example: Path, installed_host: ProviderHost, emulator: Emulator) -> None:
    """`pulumi up`, `pulumi refresh` and `pulumi destroy` of the example's `web` channel, as the engine sends them."""
    news = _run_example(library_venv, example)["registrations"][0]["inputs"]
    installed_host.configure({**stack_config(emulator), f"{PROJECT}:flexFlowSid": FLOW})
    stack = Stack(installed_host)
    assert stack.up([Goal(TYPE, "web", news)]) == [("create", "web")]
    [post] = emulator.requests()
    assert (post.method, post.path) == ("POST", "/v1/Channels")
    assert post.form["Identity"] == "web-visitor"
    assert post.form["PreEngagementData"] == '{"source":"website"}'
    assert post.user_agent.startswith(f"flex-channels/{__version__} ")
    [created] = stack.state.values()
    assert created.outputs["sid"] == created.id and created.outputs["identity"] == "web-visitor"

    assert stack.refresh() == [("read", "web")]
    assert stack.state[created.urn].outputs == created.outputs
    stack.destroy()
    assert [(r.method, r.path) for r in emulator.requests()] == [
        ("POST", "/v1/Channels"), ("GET", f"/v1/Channels/{created.id}"), ("DELETE", f"/v1/Channels/{created.id}")]
    assert emulator.resources("channels") == []


def test_make_validate_installs_the_runtime_dependencies_only(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "flex-channels")
    planned = _run("make", "--dry-run", "validate", cwd=project)
    installs = [line for line in planned.stdout.splitlines() if "pip install" in line]
    assert [line.rsplit(" ", 1)[1] for line in installs] == ["requirements.txt"]
    assert (project / "requirements.txt").read_text().splitlines()[-1] == "-e ."
