"""A provider plugin as the benchmarks drive it: the dynamic-provider host (`python -m pulumi.dynamic`) or the native
`pulumi-resource-flex`, configured, then sent Check and Create as the engine sends them.

The tests have a whole engine-step driver (tests/engine.py); the benchmarks import nothing from tests/,
so that a benchmark measures the product and its own harness only, and need no more than this.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import struct_pb2
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

__all__ = ["DYNAMIC_HOST", "NATIVE_PLUGIN", "ProviderHost", "check", "check_request", "create_request", "secret", "urn"]

ROOT = Path(__file__).resolve().parent.parent
PROJECT = "flex-channels"
DYNAMIC_HOST = (sys.executable, "-m", "pulumi.dynamic")
NATIVE_PLUGIN = (str(Path(sys.executable).parent / "pulumi-resource-flex"),)
"""The console script this checkout's venv installs, as the project's Pulumi.yaml points the engine at it."""


def urn(name: str, type_token: str) -> str:
    return f"urn:pulumi:bench::{PROJECT}::{type_token}::{name}"


def secret(value: str) -> dict[str, str]:
    """A config value marked secret, as the engine sends `pulumi config set --secret` values to Configure."""
    return {rpc._special_sig_key: rpc._special_secret_sig, "value": value}


def _struct(props: Mapping[str, Any]) -> struct_pb2.Struct:
    """Properties as the engine marshals them; None values are absent, as the SDK never sends them."""
    return asyncio.run(rpc.serialize_properties({k: v for k, v in props.items() if v is not None}, {}))


class ProviderHost:
    """One plugin process in the project directory (by default the dynamic-provider host), as the engine starts it:
    it answers with the port it serves on."""

    def __init__(self, log_dir: Path, command: tuple[str, ...] = DYNAMIC_HOST) -> None:
        log_dir.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "FLEX_"))}
        self._stderr = (log_dir / f"host-{secrets.token_hex(4)}.stderr").open("wb")
        self.process = subprocess.Popen(list(command), cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                        stderr=self._stderr)
        assert self.process.stdout is not None
        self.channel = grpc.insecure_channel(f"127.0.0.1:{int(self.process.stdout.readline().decode().strip())}")
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)

    def configure(self, config: Mapping[str, Any], provider_urn: str | None = None) -> None:
        """Configure, with the provider's inputs as `args`: for a default provider, the whole stack config (the dynamic
        host's), or the package's own settings (the native plugin's `accountSid`…)."""
        provider_urn = provider_urn or f"urn:pulumi:bench::{PROJECT}::pulumi:providers:pulumi-python::default"
        self.stub.Configure(provider_pb2.ConfigureRequest(
            args=_struct(config), acceptSecrets=True, acceptResources=True, urn=provider_urn,
            name=provider_urn.rsplit("::", 1)[1], type=provider_urn.split("::")[2], id=secrets.token_hex(16)))

    def close(self) -> None:
        self.channel.close()
        self.process.terminate()
        self.process.wait(timeout=10)
        self._stderr.close()


def check_request(urn_: str, olds: Mapping[str, Any], news: Mapping[str, Any]) -> provider_pb2.CheckRequest:
    """Check as the engine sends it for a resource: its URN, name and type, old and new inputs, a random seed."""
    return provider_pb2.CheckRequest(urn=urn_, name=urn_.rsplit("::", 1)[1], type=urn_.split("::")[2],
                                     olds=_struct(olds), news=_struct(news), randomSeed=secrets.token_bytes(32))


def check(host: ProviderHost, urn_: str, olds: Mapping[str, Any], news: Mapping[str, Any]) -> dict[str, Any]:
    """The checked inputs; a failure stops the benchmark."""
    response = host.stub.Check(check_request(urn_, olds, news))
    assert not response.failures, response.failures
    return rpc.deserialize_properties(response.inputs, keep_unknowns=True)


def create_request(urn_: str, checked: Mapping[str, Any]) -> provider_pb2.CreateRequest:
    return provider_pb2.CreateRequest(urn=urn_, name=urn_.rsplit("::", 1)[1], type=urn_.split("::")[2],
                                      properties=_struct(checked), timeout=0, preview=False)
