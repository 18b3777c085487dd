"""Drive the real dynamic-provider host, `python -m pulumi.dynamic`, over gRPC as the Pulumi CLI does.

The CLI starts that module with the project root as working directory, reads the port it prints,
sends Configure with the stack's config, then Check/Diff/Create/Read/Delete carrying the
`__provider` property that `pulumi.dynamic.Resource` serialized in the program. This harness does
the same with the SDK's own protos, so pickling, config delivery and output serialization are
tested end to end.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import struct_pb2
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import rpc
from pulumi.runtime._serialization import _serialize
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from flex_provider.provider import FlexChannelProvider

ROOT = Path(__file__).resolve().parent.parent
TYPE = "pulumi-python:dynamic/flex:FlexChannel"


def serialized_provider() -> str:
    """`__provider` exactly as `pulumi.dynamic.Resource.__init__` makes it."""
    value, contains_secrets = _serialize(True, serialize_provider, FlexChannelProvider())
    assert not contains_secrets
    assert FlexChannelProvider.serialize_as_secret_always is False, "Resource would wrap it as a secret"
    return value


def urn(name: str) -> str:
    return f"urn:pulumi:dev::flex-channels::{TYPE}::{name}"


def _struct(props: dict[str, Any]) -> struct_pb2.Struct:
    return asyncio.run(rpc.serialize_properties(props, {}))


def secret(value: str) -> dict[str, str]:
    """A config value marked secret, as the engine sends `pulumi config set --secret` values."""
    return {rpc._special_sig_key: rpc._special_secret_sig, "value": value}


class ProviderHost:
    """One `python -m pulumi.dynamic` process; its stdout and stderr are kept for inspection."""

    def __init__(self, tmp_path: Path, env: dict[str, str] | None = None) -> None:
        self.provider = serialized_provider()
        tmp_path.mkdir(parents=True, exist_ok=True)
        self.stderr_path = tmp_path / "host.stderr"
        base_env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "FLEX_"))}
        self._stderr = self.stderr_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pulumi.dynamic"], cwd=ROOT, env={**base_env, **(env or {})},
            stdout=subprocess.PIPE, stderr=self._stderr,
        )
        assert self.process.stdout is not None
        port = int(self.process.stdout.readline().decode().strip())
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)
        self.responses: list[Any] = []

    def close(self) -> str:
        """Stop the host; return what it wrote to stderr (its log)."""
        self.channel.close()
        self.process.terminate()
        self.process.wait(timeout=10)
        self._stderr.close()
        return self.stderr_path.read_text(errors="replace")

    def _keep(self, response: Any) -> Any:
        self.responses.append(response)
        return response

    def configure(self, config: dict[str, Any]) -> None:
        self._keep(self.stub.Configure(provider_pb2.ConfigureRequest(args=_struct(config), acceptSecrets=True)))

    def check_request(self, name: str, news: dict[str, Any], olds: dict[str, Any] | None = None
                      ) -> provider_pb2.CheckRequest:
        """The engine's Check request; built ahead by benchmarks that time only the provider."""
        return provider_pb2.CheckRequest(urn=urn(name), olds=_struct(olds or {}),
                                         news=_struct({**news, "__provider": self.provider}))

    def check(self, name: str, news: dict[str, Any], olds: dict[str, Any] | None = None
              ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        response = self._keep(self.stub.Check(self.check_request(name, news, olds)))
        return rpc.deserialize_properties(response.inputs), [(f.property, f.reason) for f in response.failures]

    def check_then_create(self, request: provider_pb2.CheckRequest) -> str:
        """Check, then Create with Check's inputs as they came back: what the engine does per new resource."""
        checked = self.stub.Check(request)
        assert not checked.failures, checked.failures
        return self.stub.Create(provider_pb2.CreateRequest(urn=request.urn, properties=checked.inputs)).id

    def create_request(self, name: str, inputs: dict[str, Any]) -> provider_pb2.CreateRequest:
        return provider_pb2.CreateRequest(urn=urn(name), properties=_struct(inputs))

    def create(self, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        response = self._keep(self.stub.Create(self.create_request(name, inputs)))
        return response.id, rpc.deserialize_properties(response.properties)

    def read(self, name: str, id_: str, properties: dict[str, Any], inputs: dict[str, Any] | None = None
             ) -> tuple[str, dict[str, Any]]:
        request = provider_pb2.ReadRequest(id=id_, urn=urn(name), properties=_struct(properties),
                                           inputs=_struct(inputs or {}))
        response = self._keep(self.stub.Read(request))
        return response.id, rpc.deserialize_properties(response.properties)

    def diff(self, name: str, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> provider_pb2.DiffResponse:
        request = provider_pb2.DiffRequest(id=id_, urn=urn(name), olds=_struct(olds), news=_struct(news))
        return self._keep(self.stub.Diff(request))

    def delete(self, name: str, id_: str, properties: dict[str, Any]) -> None:
        self._keep(self.stub.Delete(provider_pb2.DeleteRequest(id=id_, urn=urn(name), properties=_struct(properties))))


def grpc_error_text(error: grpc.RpcError) -> str:
    return error.details() or ""
