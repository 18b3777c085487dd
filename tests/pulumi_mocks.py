"""Run the Pulumi program under Pulumi's own mocks and record what it asked the engine for.

`MockMonitor` hands `Mocks.new_resource` only part of a registration; the recording monitor
keeps the whole `RegisterResourceRequest`, so tests can assert options (protect, aliases,
import id, retain on delete, parent) as the engine would receive them. Custom resources are
`registrations`; component resources are kept apart in `components`.

Run as a script (`python tests/pulumi_mocks.py PROGRAM_DIR PROJECT STACK [KEY=VALUE…]`) it needs only
Pulumi and what the program imports, and prints the run as JSON: tests/test_packaging.py runs it with the
Python of a fresh virtualenv that has flex-channels installed from its wheel.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import json
import os
import runpy
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import mocks, settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from flex_provider.declarations import BY_NAME

ROOT = Path(__file__).resolve().parent.parent


class ChannelMocks(pulumi.runtime.Mocks):
    """Stands in for the engine and provider: every resource gets SIDs derived from its name and type."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        rtype = BY_NAME.get(args.typ.rsplit(":", 1)[-1])
        digits = hashlib.sha256(args.name.encode()).hexdigest()[:32]
        sid = f"{rtype.sid_prefix if rtype else 'XX'}{digits}"
        state = {**args.inputs, "sid": sid, "user_sid": "US" + digits,
                 "url": f"https://{rtype.api if rtype else 'api'}.twilio.com{rtype.path if rtype else ''}/{sid}"}
        return args.resource_id or sid, state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


class RecordingMonitor(mocks.MockMonitor):
    """Keeps every registration; and closes the event loops the mock monitor needs on its worker threads.

    `MockMonitor.RegisterResource` makes an event loop on each thread of the SDK's pool that has none,
    and never closes it. Left to the garbage collector, such a loop is sometimes finalized after its
    own self-pipe socket, and its `__del__` raises (ValueError: Invalid file descriptor: -1), which
    pytest reports as an error of whichever test is running. This monitor makes those loops itself,
    before the mock asks, and `close` closes them when the run is over.
    """

    def __init__(self, channel_mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(channel_mocks)
        self.requests: list[Any] = []
        self.urns: list[str] = []
        self._loops: list[asyncio.AbstractEventLoop] = []
        self._lock = threading.Lock()
        self.components: list[Any] = []
        self.component_urns: list[str] = []
        self.reads: list[Any] = []

    def ReadResource(self, request: Any) -> Any:  # noqa: N802 - the gRPC method's name
        self.reads.append(request)
        return super().ReadResource(request)

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - the gRPC method's name
        self._thread_loop()
        response = super().RegisterResource(request)
        if request.custom:
            self.requests.append(request)
            self.urns.append(response.urn)
        elif request.type != "pulumi:pulumi:Stack":
            self.components.append(request)
            self.component_urns.append(response.urn)
        return response

    def _thread_loop(self) -> None:
        """An open event loop on this thread, made and kept here when the thread has none."""
        if threading.current_thread() is threading.main_thread():
            return  # run_program's own loop, which it closes
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_event_loop()
        except RuntimeError:
            loop = None
        if loop is None or loop.is_closed():
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            with self._lock:
                self._loops.append(loop)

    def close(self) -> None:
        with self._lock:
            for loop in self._loops:
                loop.close()
            self._loops.clear()


@dataclass
class ProgramRun:
    registrations: list[Any] = field(default_factory=list)
    exports: dict[str, Any] = field(default_factory=dict)
    urns: list[str] = field(default_factory=list)
    components: list[Any] = field(default_factory=list)
    component_urns: list[str] = field(default_factory=list)
    reads: list[Any] = field(default_factory=list)

    @property
    def component_urn(self) -> str:
        [urn] = self.component_urns
        return urn

    def by_name(self) -> dict[str, Any]:
        return {r.name: r for r in self.registrations}

    def urn(self, name: str) -> str:
        return next(urn for urn in self.urns if urn.endswith(f"::{name}"))

    def inputs(self, name: str) -> dict[str, Any]:
        request = self.by_name()[name]
        props = pulumi.runtime.rpc.deserialize_properties(request.object)
        return {k: v for k, v in props.items() if k != "__provider" and v is not None}


def run_program(stack: str, config: dict[str, str] | None = None, program: Path = ROOT / "__main__.py",
                project: str = "flex-channels", secret_keys: list[str] | None = None) -> ProgramRun:
    """Run `program` as the stack `stack`, in a fresh context so runs do not share a root resource.

    `secret_keys` are the config keys the user stored with `--secret`, as the language host tells the SDK.
    """
    run = ProgramRun()

    def go() -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        settings.ROOT.set(None)
        pulumi.runtime.set_all_config({key: str(value) for key, value in (config or {}).items()}, secret_keys or [])
        monitor = RecordingMonitor(ChannelMocks())
        pulumi.runtime.set_mocks(ChannelMocks(), project=project, stack=stack, preview=False,
                                 monitor=monitor)

        async def body() -> None:
            runpy.run_path(str(program), run_name="__main__")
            root = settings.get_root_resource()
            run.exports.update(await pulumi.Output.from_input(root.outputs).future())

        try:
            _sync_await(run_pulumi_func(body))
        finally:
            run.registrations = monitor.requests
            run.urns = monitor.urns
            run.components = monitor.components
            run.component_urns = monitor.component_urns
            run.reads = monitor.reads
            monitor.close()
            asyncio.set_event_loop(None)
            loop.close()

    contextvars.copy_context().run(go)
    return run


def _main(program_dir: str, project: str, stack: str, *settings: str) -> None:
    """Run the program in its own directory, as Pulumi does, and print what it registered and exported.

    The directory is what runs, as Pulumi's language host runs it (`runpy.run_path(".")`), so its other
    modules are importable from `__main__.py`."""
    os.chdir(program_dir)
    config = dict(setting.split("=", 1) for setting in settings)
    run = run_program(stack, config, Path.cwd(), project)
    registrations = [{"name": r.name, "type": r.type, "dependencies": list(r.dependencies),
                      "inputs": pulumi.runtime.rpc.deserialize_properties(r.object)} for r in run.registrations]
    json.dump({"registrations": registrations, "exports": run.exports,
               "modules": {name: sys.modules[name].__file__ for name in ("flex_provider", "pulumi")}}, sys.stdout)


if __name__ == "__main__":
    _main(*sys.argv[1:])
