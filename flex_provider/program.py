"""The Pulumi program's work: the stack's YAML file becomes resources and one stack output per section."""

from __future__ import annotations

import os
from pathlib import Path

import pulumi

from flex_provider.declaration import Link
from flex_provider.options import IMPORT_INPUT, Options
from flex_provider.pulumi_workarounds import relax_gc_for_registrations
from flex_provider.resource import AddressConfiguration, DeclaredResource, FlexChannel, FlexFlow
from flex_provider.stackfile import StackFile, StackFileError, load_stack_file
from flex_provider.values import shown

__all__ = ["RESOURCE_CLASSES", "declare", "resource_options", "run", "stack_file_path"]

RESOURCE_CLASSES: tuple[type[DeclaredResource], ...] = (FlexFlow, FlexChannel, AddressConfiguration)
"""In dependency order: what a resource may reference is declared before it."""


def stack_file_path(project_dir: Path, stack: str, override: str | None = None) -> Path:
    """`stacks/<stack>.yaml`, unless config `flex:stackFile` names another file (relative to the project)."""
    return project_dir / (override or f"stacks/{stack}.yaml")


def resource_options(options: Options) -> pulumi.ResourceOptions:
    """Pulumi options of one resource. An alias is a former name, or a full URN when it starts with urn:.

    `import` is not among them: it travels as the `import_sid` input (see options.py).
    """
    aliases: list[pulumi.Input[str] | pulumi.Alias] = [
        alias if alias.startswith("urn:") else pulumi.Alias(name=alias) for alias in options.aliases
    ]
    return pulumi.ResourceOptions(
        protect=options.protect,
        retain_on_delete=options.retain_on_delete,
        aliases=aliases or None,
    )


def declare(stack_file: StackFile) -> dict[str, dict[str, DeclaredResource]]:
    """One resource per declaration, named by its logical name, by section.

    Sections are declared in the order of `RESOURCE_CLASSES`, so a reference to another resource
    (a channel's `flex_flow: web-chat`) becomes that resource's output, and the dependency with it.
    """
    declared: dict[str, dict[str, DeclaredResource]] = {}
    for resource_class in RESOURCE_CLASSES:
        rtype = resource_class._rtype
        section = declared.setdefault(rtype.section, {})
        for declaration in stack_file.of(rtype):
            inputs = {key: getattr(declared[value.section][value.name], value.output) if isinstance(value, Link)
                      else value for key, value in declaration.inputs.items()}
            if declaration.options.import_id:
                inputs[IMPORT_INPUT] = declaration.options.import_id
            section[declaration.name] = resource_class(declaration.name, opts=resource_options(declaration.options),
                                                       **inputs)
    return declared


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
    try:
        stack_file = load_stack_file(path, display)
    except StackFileError as error:
        raise pulumi.RunError(str(error)) from None
    pulumi.log.info(f"{display}: {stack_file.summary()}")
    for section, resources in declare(stack_file).items():
        if not resources:
            continue
        exports = next(c._rtype.exports for c in RESOURCE_CLASSES if c._rtype.section == section)
        pulumi.export(section, {name: {key: getattr(resource, key) for key in exports}
                                for name, resource in resources.items()})
