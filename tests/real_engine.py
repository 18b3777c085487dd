"""The real Pulumi engine (the CLI that scripts/engine.py finds or builds), driven through `pulumi.automation`.

A `Project` is the project's program in a temporary folder: its own Pulumi.yaml (the same runtime, with this
checkout's .venv), the real `__main__.py`, and `stacks/` for the test's stack files; state goes to a file backend
in the same folder, with a passphrase, and PULUMI_HOME is private to it, so no test touches the checkout, the
user's Pulumi settings or the network. Every `TWILIO_*` / `FLEX_*` variable of the environment is blanked for the
CLI and everything it starts: a test reaches only its emulator, through the stack config it sets.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pulumi import automation as auto

from flex_provider.settings import SOURCES
from twilio_emulator import Emulator

ROOT = Path(__file__).resolve().parent.parent
PASSPHRASE = "flex-channels-tests"
CUSTOM = ("pulumi-python:dynamic/", "flex:index:")
"""Type prefixes of the resources the steps report (not the stack, components or providers)."""


@functools.cache
def engine_bin() -> Path:
    """The folder of the Pulumi CLI: on PATH or built before (`make engine`); never built here, under a timeout."""
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "engine.py"), "--cached-only"],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip())
    return Path(done.stdout.strip())


def blank_environment() -> dict[str, str]:
    """Every variable a provider setting reads, blanked (settings treat blank as unset), and the engine's own."""
    blanked = {source.env_var: "" for source in SOURCES.values()}
    return {**blanked, "FLEX_HOSTS": "", "PULUMI_SKIP_UPDATE_CHECK": "true", "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
            "PATH": f"{engine_bin()}{os.pathsep}{os.environ.get('PATH', '')}"}


@dataclass(frozen=True)
class Step:
    """One step the engine reported: its operation (`create`, `update`, `replace`, `delete`…) and resource."""

    op: str
    type: str
    name: str


@dataclass
class Run:
    """What one CLI command did: its steps in the order the engine reported them, its output, its summary."""

    steps: list[Step] = field(default_factory=list)
    output: list[str] = field(default_factory=list)
    summary: Mapping[str, int] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "".join(self.output)

    def ops(self, *names: str) -> list[tuple[str, str]]:
        """(op, name) of the declared resources' steps, less `same`, optionally only for these names."""
        return [(s.op, s.name) for s in self.steps if s.op != "same" and (not names or s.name in names)]

    def on_event(self, event: auto.EngineEvent) -> None:
        pre = event.resource_pre_event
        if pre is not None and pre.metadata.type.startswith(CUSTOM):
            self.steps.append(Step(str(getattr(pre.metadata.op, "value", pre.metadata.op)), pre.metadata.type,
                                   pre.metadata.urn.rsplit("::", 1)[1]))


class Project:
    """The project's program in `folder`, with its own backend, home and stacks (see the module's docstring)."""

    def __init__(self, folder: Path, emulator: Emulator, program: str | None = None, *, yaml_program: str | None = None
                 ) -> None:
        """`program` replaces the project's `__main__.py` (a program that uses the library directly);
        `yaml_program` makes it a Pulumi YAML program of these resources and outputs instead."""
        self.folder = folder
        self.emulator = emulator
        self.program = folder / "program"
        (self.program / "stacks").mkdir(parents=True)
        (folder / "state").mkdir()
        (folder / "home").mkdir()
        settings = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
        settings["runtime"]["options"]["virtualenv"] = str(ROOT / ".venv")
        for plugin in settings.get("plugins", {}).get("providers", []):
            plugin["path"] = str(ROOT / plugin["path"])
        if yaml_program is not None:
            settings = {"name": settings["name"], "runtime": "yaml", "plugins": settings["plugins"],
                        **yaml.safe_load(yaml_program)}
        (self.program / "Pulumi.yaml").write_text(yaml.safe_dump(settings))
        (self.program / "__main__.py").write_text(program or (ROOT / "__main__.py").read_text())
        self.env = {**blank_environment(), "PULUMI_BACKEND_URL": (folder / "state").as_uri()}
        self.workspace = auto.LocalWorkspace(
            work_dir=str(self.program), pulumi_home=str(folder / "home"), env_vars=self.env,
            pulumi_command=auto.PulumiCommand(root=str(engine_bin().parent), skip_version_check=True))

    def stack(self, stack_file: str | Mapping[str, Any], name: str = "dev", *, token: str | None = None,
              config: Mapping[str, str] | None = None, native: bool = False) -> RealStack:
        """A new stack of this project, its stack file written, its config pointing at the emulator (the token
        as a secret, as `pulumi config set --secret` stores it), under the dynamic front end's keys or, with
        `native`, the native provider's (`flex:accountSid`)."""
        key = {name: source.native_key if native else source.config_key for name, source in SOURCES.items()}
        stack = RealStack(self, auto.Stack.create(name, self.workspace))
        stack.write(stack_file)
        stack.set_config({key["account_sid"]: self.emulator.account_sid, key["api_url"]: self.emulator.base_url,
                          **(config or {})})
        stack.set_secret(key["auth_token"], token or self.emulator.auth_token)
        return stack

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """The CLI itself, for what the automation API does not wrap; in the program folder, with the test's env."""
        done = subprocess.run([str(engine_bin() / "pulumi"), *args, "--non-interactive"], cwd=self.program,
                              env={**os.environ, **self.env, "PULUMI_HOME": str(self.folder / "home")},
                              capture_output=True, text=True, check=False, timeout=300)
        if check and done.returncode != 0:
            raise AssertionError(f"pulumi {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done


class RealStack:
    """One stack of a `Project`; each command returns the `Run` it made."""

    def __init__(self, project: Project, stack: auto.Stack) -> None:
        self.project = project
        self.auto = stack
        self.name = stack.name

    @property
    def file(self) -> Path:
        return self.project.program / "stacks" / f"{self.name}.yaml"

    def write(self, stack_file: str | Mapping[str, Any]) -> None:
        text = stack_file if isinstance(stack_file, str) else yaml.safe_dump(dict(stack_file), sort_keys=False)
        self.file.write_text(text)

    def set_config(self, values: Mapping[str, str]) -> None:
        self.auto.set_all_config({key: auto.ConfigValue(value) for key, value in values.items()}, path=False)

    def set_secret(self, key: str, value: str) -> None:
        self.auto.set_config(key, auto.ConfigValue(value, secret=True))

    def _run(self, command: Callable[..., Any], **options: Any) -> Run:
        run = Run()
        result = command(color="never", on_output=run.output.append, on_event=run.on_event, **options)
        summary = getattr(result, "summary", None)
        run.summary = dict(getattr(summary, "resource_changes", None) or getattr(result, "change_summary", {}) or {})
        return run

    def up(self, **options: Any) -> Run:
        return self._run(self.auto.up, **options)

    def preview(self, **options: Any) -> Run:
        return self._run(self.auto.preview, **options)

    def refresh(self, **options: Any) -> Run:
        return self._run(self.auto.refresh, **options)

    def destroy(self, **options: Any) -> Run:
        return self._run(self.auto.destroy, **options)

    def outputs(self) -> dict[str, Any]:
        return {key: value.value for key, value in self.auto.outputs().items()}

    def resources(self) -> list[dict[str, Any]]:
        """The state's resources, as `pulumi stack export` shows them (secrets as ciphertext)."""
        return self.export().get("deployment", {}).get("resources", [])

    def export(self) -> dict[str, Any]:
        return json.loads(self.project.cli("stack", "export", "--stack", self.name).stdout)

    def state_of(self, name: str) -> dict[str, Any]:
        """The state of the declared resource with this logical name."""
        found = [r for r in self.resources() if r["urn"].endswith(f"::{name}") and r["type"].startswith(CUSTOM)]
        assert len(found) == 1, f"{len(found)} resources named {name}"
        return found[0]


def names(steps: Sequence[tuple[str, str]]) -> set[str]:
    return {name for _, name in steps}
