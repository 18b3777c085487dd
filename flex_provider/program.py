"""The project's Pulumi program: the stack's YAML file, declared as one `FlexStack`, exported by section."""

from __future__ import annotations

import os
from pathlib import Path

import pulumi

from flex_provider.component import FlexStack
from flex_provider.pulumi_workarounds import relax_gc_for_registrations
from flex_provider.values import shown

__all__ = ["run", "stack_file_path"]

COMPONENT_NAME = "stack-file"
"""The component's name: part of every resource's URN, so it never changes."""


def stack_file_path(project_dir: Path, stack: str, override: str | None = None) -> Path:
    """`stacks/<stack>.yaml`, unless config `flex:stackFile` names another file (relative to the project)."""
    return project_dir / (override or f"stacks/{stack}.yaml")


def run(project_dir: Path) -> None:
    """Load and validate the current stack's file, declare its resources, export them by section.

    A stack file with problems stops the run before any resource is declared, with every
    problem listed as `file:line:column: field: message` and no traceback.
    """
    relax_gc_for_registrations()
    stack = pulumi.get_stack()
    path = stack_file_path(project_dir, stack, pulumi.Config("flex").get("stackFile"))
    display = shown(os.path.relpath(path, project_dir) if path.is_relative_to(project_dir) else str(path))
    if not path.exists():
        raise pulumi.RunError(
            f"no stack file for stack '{stack}': {display} does not exist. Create it (stacks/dev.yaml is a worked "
            "example) or point `pulumi config set flex:stackFile <path>` at another file."
        )
    component = FlexStack(COMPONENT_NAME, path, display=display)
    pulumi.log.info(f"{display}: {component.stack_file.summary()}")
    for section, outputs in component.outputs().items():
        pulumi.export(section, outputs)
