"""Which provider the stack-file program's resources use: the dynamic one (the default) or the native `flex` plugin.

`flex:frontEnd` (or FLEX_FRONT_END) chooses. Each resource carries, as an alias, the type it has under
the other front end, so a stack moves from one to the other and back with nothing replaced: the engine
finds the resource's old state by its alias and asks the new provider's Diff, which finds its inputs
unchanged (tests/test_real_engine_native.py). Both keep the same property names in state.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import pulumi

from flex_provider.declaration import ResourceType
from flex_provider.errors import ConfigurationError
from flex_provider.native.schema import type_token
from flex_provider.settings import Source
from flex_provider.values import quote

__all__ = ["DYNAMIC", "FRONT_END", "NATIVE", "configured_front_end", "front_end_setting", "other_type"]

DYNAMIC = "dynamic"
NATIVE = "native"
FRONT_END = Source("frontEnd", "flex", "FLEX_FRONT_END", False,
                   "The provider the stack file's resources use: dynamic (the default) or native (the flex plugin; "
                   "read by the program).")


def front_end_setting(configured: object, environ: Mapping[str, str]) -> str:
    """`flex:frontEnd` from the stack config, else FLEX_FRONT_END, else dynamic; anything else is refused."""
    text = str(configured).strip() if configured is not None else ""
    text = text or environ.get(FRONT_END.env_var, "").strip() or DYNAMIC
    if text not in (DYNAMIC, NATIVE):
        raise ConfigurationError(f"{FRONT_END.label()} must be {DYNAMIC} or {NATIVE}, not {quote(text, 20)}")
    return text


def configured_front_end() -> str:
    """The front end of the running program; a bad setting stops it, named."""
    try:
        return front_end_setting(pulumi.Config(FRONT_END.namespace).get(FRONT_END.key), os.environ)
    except ConfigurationError as error:
        raise pulumi.RunError(str(error)) from None


def other_type(rtype: ResourceType, front_end: str) -> str:
    """The resource's type under the other front end: its alias, for a move between them."""
    return type_token(rtype) if front_end == DYNAMIC else rtype.type_token
