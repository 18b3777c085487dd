"""Which provider the stack-file program's resources use: the dynamic one (the default) or the native `flex` plugin.

The stack's config chooses: `pulumi config set flex:frontEnd native`. A stack setting, not an environment
variable, because every command of a stack must agree: `pulumi destroy --run-program` and
`refresh --run-program` run the program, and a program of the other front end would ask the dynamic host
to delete resources it never made (it keeps its provider in each resource's state).

Each resource carries, as an alias, the type it has under the other front end, so a stack moves from one
to the other and back with nothing replaced: the engine finds the resource's old state by its alias and
asks the new provider's Diff, which finds its inputs unchanged (tests/test_real_engine_native.py). Both
keep the same property names in state.
"""

from __future__ import annotations

import pulumi

from flex_provider.declaration import ResourceType
from flex_provider.errors import ConfigurationError
from flex_provider.native.schema import type_token
from flex_provider.values import quote

__all__ = ["DYNAMIC", "FRONT_END_KEY", "NATIVE", "configured_front_end", "front_end_setting", "other_type"]

DYNAMIC = "dynamic"
NATIVE = "native"
FRONT_END_KEY = "flex:frontEnd"
"""The stack setting that chooses the provider (read by the program)."""


def front_end_setting(configured: object) -> str:
    """`flex:frontEnd` from the stack config, else dynamic; anything else is refused."""
    text = (str(configured).strip() if configured is not None else "") or DYNAMIC
    if text not in (DYNAMIC, NATIVE):
        raise ConfigurationError(f"{FRONT_END_KEY} must be {DYNAMIC} or {NATIVE}, not {quote(text, 20)}")
    return text


def configured_front_end() -> str:
    """The front end of the running program; a bad setting stops it, named."""
    namespace, key = FRONT_END_KEY.split(":", 1)
    try:
        return front_end_setting(pulumi.Config(namespace).get(key))
    except ConfigurationError as error:
        raise pulumi.RunError(str(error)) from None


def other_type(rtype: ResourceType, front_end: str) -> str:
    """The resource's type under the other front end: its alias, for a move between them."""
    return type_token(rtype) if front_end == DYNAMIC else rtype.type_token
