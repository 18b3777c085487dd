"""flex-channels: Twilio Flex resources as Pulumi resources, declared in YAML stack files or in Python.

Exports load lazily, so a command that needs only PyYAML (`validate`, `schema`) loads only PyYAML:
`import flex_provider` imports the declarations, which need nothing else, and nothing of Pulumi until a
Pulumi name is used. Each declared resource adds its names (`FlexChannel`, `FlexChannelArgs`, …).
"""

from __future__ import annotations

import importlib
from typing import Any

from flex_provider.declarations import RESOURCE_TYPES
from flex_provider.version import __version__ as __version__

_EXPORTS = {
    "flex_provider.client": ("ApiObject", "Credentials", "Endpoints", "FlexClient", "RetryPolicy", "Timeouts",
                             "resolve_base_url"),
    "flex_provider.component": ("FlexChannelStack", "FlexStack"),
    "flex_provider.declaration": ("Collision", "Field", "ResourceType"),
    "flex_provider.declarations": ("RESOURCE_TYPES",),
    "flex_provider.errors": ("AdoptionError", "AlreadyExistsError", "ApiError", "AuthenticationError",
                             "ConfigurationError", "ConflictError", "FlexError", "InvalidIdError", "NotFoundError",
                             "OutcomeUnknownError", "RateLimitedError", "TransportError", "ValidationError"),
    "flex_provider.options": ("Options",),
    "flex_provider.provider": ("DeclaredProvider",),
    "flex_provider.resource": ("DeclaredResource",),
    "flex_provider.settings": ("ProviderSettings",),
    "flex_provider.stackfile": ("Declaration", "Problem", "StackFile", "StackFileError", "check_stack_file",
                                "load_stack_file"),
}


def _declared() -> dict[str, str]:
    """What each declared resource adds, by the module that defines it: its resource and provider classes, and
    its declaration module's names (the declaration, its args classes)."""
    names: dict[str, str] = {}
    for rtype in RESOURCE_TYPES:
        if rtype.args is not None:
            module = rtype.args.__module__
            names.update(dict.fromkeys(importlib.import_module(module).__all__, module))
        names[rtype.name] = "flex_provider.resource"
        names[f"{rtype.name}Provider"] = "flex_provider.provider"
    return names


_MODULE_OF = {**{name: module for module, names in _EXPORTS.items() for name in names}, **_declared()}

__all__ = sorted([*_MODULE_OF, "__version__"])


def __getattr__(name: str) -> Any:
    """Import the module that defines `name` on first use."""
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'flex_provider' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
