"""`FlexStack`: a whole stack file declared inside any Pulumi program, as one component.

Its flows, channels, addresses (every declared type's resources) are its children, so `pulumi preview`
shows them under it, and its outputs are theirs, by section. The project's own `__main__.py` is a
thin use of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pulumi

from flex_provider.declaration import Link, ResourceType, in_dependency_order
from flex_provider.declarations import RESOURCE_TYPES
from flex_provider.front_end import DYNAMIC, NATIVE, configured_front_end, other_type
from flex_provider.hosts import ProviderHosts, configured_hosts, provider_inputs
from flex_provider.native.resource import native_class
from flex_provider.native.schema import PACKAGE
from flex_provider.options import IMPORT_INPUT, Options
from flex_provider.resource import resource_class
from flex_provider.stackfile import StackFile, StackFileError, load_stack_file

__all__ = ["COMPONENT_TYPE", "FlexChannelStack", "FlexStack", "resource_options"]

COMPONENT_TYPE = "flex-channels:index:FlexChannelStack"
"""The component's type token. It is part of every child's URN, so it keeps the component's first name: renamed,
it would replace every resource of every stack."""


def resource_options(options: Options, parent: pulumi.Resource, provider: pulumi.ProviderResource | None = None,
                     *, moved_from_root: bool = False, former_type: str | None = None) -> pulumi.ResourceOptions:
    """Pulumi options of one declared resource, a child of `parent`.

    An alias is a former name, or a full URN when it starts with `urn:`. With `moved_from_root`, each
    name is also an alias at the stack's root, where resources were before the component declared
    them, so the move is no replace; `former_type` is the type it had under the other front end
    (front_end.py). `import` is not among the options: it travels as the `import_sid` input (see options.py).
    """
    aliases: list[pulumi.Input[str] | pulumi.Alias] = []
    if former_type:
        aliases.append(pulumi.Alias(type_=former_type))
    if moved_from_root:
        aliases.append(pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE))
    for alias in options.aliases:
        if alias.startswith("urn:"):
            aliases.append(alias)
        else:
            aliases.append(pulumi.Alias(name=alias))
            if moved_from_root:
                aliases.append(pulumi.Alias(name=alias, parent=pulumi.ROOT_STACK_RESOURCE))
    return pulumi.ResourceOptions(parent=parent, protect=options.protect, retain_on_delete=options.retain_on_delete,
                                  aliases=aliases or None, provider=provider)


class FlexStack(pulumi.ComponentResource):
    """Every resource of a stack file (`stacks/prod.yaml`), declared as children of this component.

    `resources` holds them by section and logical name (`resources["channels"]["web"]`), typed
    as their resource classes; each section is also an attribute (`flex_flows`, `channels`,
    `addresses`). The file is validated first: a file with problems raises `pulumi.RunError`
    listing every problem as `file:line:column: field: message`, and nothing is declared. Children
    are named by their logical names, and Pulumi's URNs do not include the parent's name: two
    components in one program need different logical names, as any two resources of one type do.
    """

    resources: dict[str, dict[str, pulumi.CustomResource]]

    def __init__(self, name: str, path: str | Path, opts: pulumi.ResourceOptions | None = None, *,
                 display: str | None = None, hosts: int | None = None, moved_from_root: bool = False,
                 types: Sequence[ResourceType] = RESOURCE_TYPES, front_end: str | None = None) -> None:
        """`front_end` is the provider the resources use, `dynamic` or `native` (front_end.py); by default
        `flex:frontEnd`. `hosts` spreads them over that many dynamic provider hosts (hosts.py); by default
        `flex:hosts`; the native provider serves as many calls at once as the engine sends, so it needs none.
        `moved_from_root` keeps each resource's name at the stack's root as an alias, for a stack whose
        resources were declared there before (Pulumi's alias handling has a cost per resource:
        BENCHMARKS.md). `types` are the resource types the file may declare (by default every declared one)."""
        try:
            stack_file = load_stack_file(path, display, types)
        except StackFileError as error:
            raise pulumi.RunError(str(error)) from None
        self.front_end = front_end or configured_front_end()
        count = configured_hosts(hosts) if self.front_end == DYNAMIC else 1
        self._moved_from_root = moved_from_root
        super().__init__(COMPONENT_TYPE, name, None, opts)
        self.stack_file = stack_file
        self.hosts = ProviderHosts(count, name, parent=self)
        # The native provider gets the stack's settings under either namespace (settings.from_config), so switching
        # the front end never changes the account: its default provider would see only `flex:` keys.
        self.native_provider = pulumi.ProviderResource(
            PACKAGE, f"{name}-flex", provider_inputs(native=True), pulumi.ResourceOptions(parent=self),
        ) if self.front_end == NATIVE else None
        self.resources = self._declare(stack_file)
        self.register_outputs(self.outputs())

    def __getattr__(self, name: str) -> dict[str, pulumi.CustomResource]:
        """A section's resources by logical name: `stack.channels["web"]`."""
        resources = self.__dict__.get("resources", {})
        if name not in resources:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        return resources[name]

    def outputs(self) -> dict[str, dict[str, dict[str, Any]]]:
        """Each non-empty section's resources with the outputs their declaration exports."""
        return {rtype.section: {name: {key: getattr(resource, key) for key in rtype.exports}
                                for name, resource in self.resources[rtype.section].items()}
                for rtype in self.stack_file.types if self.resources[rtype.section]}

    def _declare(self, stack_file: StackFile) -> dict[str, dict[str, pulumi.CustomResource]]:
        """One resource per declaration, by section, each type after the types its references name.

        A reference to another resource (a channel's `flex_flow: web-chat`) becomes that
        resource's output, and the dependency with it: what is referenced is declared first.
        """
        declared: dict[str, dict[str, pulumi.CustomResource]] = {rtype.section: {} for rtype in stack_file.types}
        for rtype in in_dependency_order(stack_file.types):
            for declaration in stack_file.of(rtype):
                inputs = {key: getattr(declared[value.section][value.name], value.output)
                          if isinstance(value, Link) else value for key, value in declaration.inputs.items()}
                if declaration.options.import_id:
                    inputs[IMPORT_INPUT] = declaration.options.import_id
                provider = self.native_provider or self.hosts.provider_for(declaration.name)
                options = resource_options(declaration.options, self, provider,
                                           moved_from_root=self._moved_from_root,
                                           former_type=other_type(rtype, self.front_end))
                made = native_class(rtype) if self.front_end == NATIVE else resource_class(rtype)
                declared[rtype.section][declaration.name] = made(declaration.name, opts=options, **inputs)
        return declared


FlexChannelStack = FlexStack
"""The component's first name, kept for programs written with it."""
