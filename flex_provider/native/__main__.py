"""`pulumi-resource-flex`: the native `flex` provider plugin, as the Pulumi engine starts it.

The engine runs the plugin with its own address as the argument and reads the port it serves on from the
first line of standard output, as the experimental provider API's `main` does; this one serves
`Servicer`, whose errors read as messages (provider.py).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys

import grpc
from pulumi.runtime.proto import provider_pb2_grpc

from flex_provider.native.provider import FlexProvider, Servicer
from flex_provider.pulumi_workarounds import GRPC_CHANNEL_OPTIONS
from flex_provider.version import __version__

__all__ = ["main"]


def main(argv: list[str] | None = None) -> None:
    """Serve the provider until the engine ends the plugin."""
    args = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="pulumi-resource-flex", description="The flex Pulumi provider plugin")
    parser.add_argument("engine", nargs="?", default="", help="the Pulumi engine's address")
    parser.add_argument("--logflow", action="store_true", help="ignored (the engine passes it)")
    parser.add_argument("--logtostderr", action="store_true", help="ignored (the engine passes it)")
    known, _ = parser.parse_known_args(args)

    async def serve() -> None:
        server = grpc.aio.server(options=GRPC_CHANNEL_OPTIONS)
        servicer = Servicer(args, __version__, FlexProvider(), engine_address=known.engine)
        provider_pb2_grpc.add_ResourceProviderServicer_to_server(servicer, server)
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        sys.stdout.write(f"{port}\n")
        sys.stdout.flush()
        await server.wait_for_termination()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())


if __name__ == "__main__":
    main()
