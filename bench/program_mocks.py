"""The project's program under Pulumi's mocks, as the scale benchmarks run it: what it registered, nothing more.

(The tests record whole registrations, tests/pulumi_mocks.py; the benchmarks import nothing from tests/.)
"""

from __future__ import annotations

import asyncio
import hashlib
import runpy
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

__all__ = ["run_program"]

ROOT = Path(__file__).resolve().parent.parent


class _Mocks(pulumi.runtime.Mocks):
    """Each custom resource gets a SID made from its name; its inputs are kept."""

    def __init__(self) -> None:
        self.inputs: list[dict[str, Any]] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        if args.custom:
            self.inputs.append(args.inputs)
        sid = "XX" + hashlib.sha256(args.name.encode()).hexdigest()[:32]
        return args.resource_id or sid, {**args.inputs, "sid": sid}

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


def run_program(stack_file: Path, stack: str = "dev") -> list[dict[str, Any]]:
    """Run the project's `__main__.py` on `stack_file`; the inputs of every resource it registered."""
    mocks = _Mocks()
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    settings.ROOT.set(None)
    pulumi.runtime.set_all_config({"flex:stackFile": str(stack_file)}, [])
    pulumi.runtime.set_mocks(mocks, project="flex-channels", stack=stack, preview=False)

    async def body() -> None:
        runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__")

    try:
        _sync_await(run_pulumi_func(body))
    finally:
        asyncio.set_event_loop(None)
        loop.close()
    return mocks.inputs
