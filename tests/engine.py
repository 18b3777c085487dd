"""An engine-step driver: the real dynamic-provider host, `python -m pulumi.dynamic`, sent what the engine sends.

Each step function builds its gRPC requests the way the Pulumi engine does, and its comment names
the engine function it mirrors. The engine was read at pulumi/pulumi master 1b5949891b (just after
v3.259.0; the notes name files as pkg/resource/deploy/{step.go, step_generator.go},
pkg/resource/plugin/provider_plugin.go and pkg/resource/deploy/providers/registry.go). Facts
that shape every request to this host:

- Each CLI command starts its own host process (one per provider resource) and ends it with Cancel; the
  engine offers a Handshake first, which this host does not implement, then asks GetPluginInfo.
- The host answers Configure with acceptSecrets=false and supportsPreview=false (it implements no
  Handshake), so the engine strips secrets to plain values in every later request, and in a
  preview never sends Create, Update or Delete to it (provider_plugin.go Create/Update return
  the checked inputs without an RPC; DeleteStep.Apply does nothing in preview).

tests/test_driver_fidelity.py runs one lifecycle through the real CLI with PULUMI_DEBUG_GRPC and through this
driver, and compares every provider request field by field: what the driver sends is what the engine sends.
What happens inside the engine is not modelled here, and is tested on the real engine only
(tests/test_real_engine_*.py): the delete_before_replace option and its cascade over dependents,
ignore_changes, replace_on_changes, --target, secret inputs, and when a refresh runs the program.
- Unknown values reach the provider as the string sentinel below, and only in a preview
  (`AllowUnknowns = DryRun`); in an update, an unknown value is dropped from the request.
- The Python SDK never sends a property whose value is None (rpc.serialize_properties).

`Stack` runs ordered steps over one stack's state, deciding create, same, update, replace and
delete as step_generator.go does for the options flex-channels uses (protect, retain_on_delete,
aliases, delete-before-replace chosen by the provider's Diff).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

ROOT = Path(__file__).resolve().parent.parent
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
"""plugin.UnknownStringValue: how the engine sends an unknown value (pkg/resource/plugin/rpc.go)."""
PROJECT = "flex-channels"


def urn(name: str, type_token: str, stack: str = "dev", project: str = PROJECT) -> str:
    return f"urn:pulumi:{stack}::{project}::{type_token}::{name}"


def struct(props: Mapping[str, Any]) -> struct_pb2.Struct:
    """Properties as the engine marshals them; None values are absent, as the SDK never sends them."""
    return asyncio.run(rpc.serialize_properties({k: v for k, v in props.items() if v is not None}, {}))


def unstruct(value: struct_pb2.Struct) -> dict[str, Any]:
    return rpc.deserialize_properties(value, keep_unknowns=True)


def secret(value: str) -> dict[str, str]:
    """A config value marked secret, as the engine sends `pulumi config set --secret` values to Configure."""
    return {rpc._special_sig_key: rpc._special_secret_sig, "value": value}


def _known(props: Mapping[str, Any], dry_run: bool) -> dict[str, Any]:
    """In an update (not a preview) the engine drops unknown values from the request (KeepUnknowns=false)."""
    return dict(props) if dry_run else {k: v for k, v in props.items() if v != UNKNOWN}


class ProviderHost:
    """One `python -m pulumi.dynamic` process, as the engine starts a plugin; its stderr is kept.

    The engine starts one plugin process per provider resource (registry.go loadProvider →
    host.Provider → plugin.NewProvider), with the project directory as working directory.
    """

    def __init__(self, log_dir: Path, env: Mapping[str, str] | None = None, *, python: str = sys.executable,
                 cwd: Path = ROOT, inherit: bool = True) -> None:
        """`env` is added to this process's environment (less TWILIO_* and FLEX_*), or with `inherit=False`
        is the whole environment of the host."""
        log_dir.mkdir(parents=True, exist_ok=True)
        self.stderr_path = log_dir / f"host-{secrets.token_hex(4)}.stderr"
        base_env = {k: v for k, v in os.environ.items() if inherit and not k.startswith(("TWILIO_", "FLEX_"))}
        self._stderr = self.stderr_path.open("wb")
        # As the engine's launcher runs it (sdk/v3 python/dist/pulumi-resource-pulumi-python): unbuffered, so the
        # port it prints reaches us at once.
        self.process = subprocess.Popen([python, "-u", "-m", "pulumi.dynamic"], cwd=cwd,
                                        env={**base_env, **(env or {})}, stdout=subprocess.PIPE, stderr=self._stderr)
        assert self.process.stdout is not None
        port = int(self.process.stdout.readline().decode().strip())
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)
        self.responses: list[Any] = []
        self.calls: list[str] = []
        self.requests: list[tuple[str, Any]] = []
        self._handshake()

    def _handshake(self) -> None:
        """plugin.NewProvider: the engine offers a Handshake (this host answers UNIMPLEMENTED, so the engine goes on
        as with an older provider), then asks GetPluginInfo."""
        try:
            self.call("Handshake", provider_pb2.ProviderHandshakeRequest(
                configure_with_urn=True, supports_views=True, supports_refresh_before_update=True,
                invoke_with_preview=True, accepts_byte_string=True, sends_old_outputs_to_check=True,
                accepts_outputs_in_invoke=True, accepts_outputs_in_call=True))
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.UNIMPLEMENTED:
                raise
        self.call("GetPluginInfo", empty_pb2.Empty())

    def close(self) -> str:
        """End the command as the engine does (Cancel, then the process ends); return the host's stderr (its log)."""
        self.call("Cancel", empty_pb2.Empty())
        self.channel.close()
        self.process.terminate()
        self.process.wait(timeout=10)
        self._stderr.close()
        return self.stderr_path.read_text(errors="replace")

    def call(self, method: str, request: Any) -> Any:
        """One gRPC call, recorded by name so tests can assert the sequence the engine would send."""
        self.calls.append(method)
        self.requests.append((method, request))
        response = getattr(self.stub, method)(request)
        self.responses.append(response)
        return response

    def configure(self, config: Mapping[str, Any], *, provider_urn: str | None = None,
                  olds: Mapping[str, Any] | None = None, program: bool = True) -> None:
        """What the registry sends a provider before any resource call (registry.go Check then Create/Same).

        `config` is the provider's inputs: for the default provider of a dynamic package, the whole stack config
        with namespaced keys, secrets as secret sig objects (deploy/target.go GetPackageConfig,
        pulumi/pulumi#17673). When the program runs (`up`, `preview`): CheckConfig, with the provider's inputs
        from state as `olds` when it has any (this host answers UNIMPLEMENTED, which provider_plugin.go CheckConfig
        takes as "the news as they are"), then DiffConfig for a provider already in state. Then Configure, with the
        inputs as `args` and their plain values as `variables`. `refresh` and `destroy` without `--run-program`
        send Configure alone, with the inputs state holds.
        """
        provider_urn = provider_urn or f"urn:pulumi:dev::{PROJECT}::pulumi:providers:pulumi-python::default"
        name, type_ = provider_urn.rsplit("::", 1)[1], provider_urn.split("::")[2]
        plain_news = _plain(config)
        if program:
            self._unimplemented("CheckConfig", provider_pb2.CheckRequest(
                urn=provider_urn, olds=struct(_plain(olds or {})), news=struct(plain_news), name=name, type=type_))
            if olds is not None:
                self._unimplemented("DiffConfig", provider_pb2.DiffRequest(
                    urn=provider_urn, olds=struct(_plain(olds)), news=struct(plain_news),
                    old_inputs=struct(_plain(olds)), name=name, type=type_))
        self.call("Configure", provider_pb2.ConfigureRequest(
            variables={f"{type_.rsplit(':', 1)[1]}:config:{key}": str(value) for key, value in plain_news.items()},
            args=struct(config), acceptSecrets=True, acceptResources=True, sends_old_inputs=True,
            sends_old_inputs_to_delete=True, id=str(uuid.uuid4()), urn=provider_urn, name=name, type=type_))

    def _unimplemented(self, method: str, request: Any) -> None:
        """A call this host answers UNIMPLEMENTED, as the engine expects of it; any other answer is a surprise."""
        try:
            self.call(method, request)
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.UNIMPLEMENTED:
                raise
            return
        raise StepError(f"the dynamic host answered {method}; the driver's rule for it needs a look")


def _plain(config: Mapping[str, Any]) -> dict[str, Any]:
    """Config values without their secret marks, as the engine sends them to CheckConfig and DiffConfig."""
    return {key: value["value"] if isinstance(value, Mapping) and rpc._special_sig_key in value else value
            for key, value in config.items()}


class StepError(Exception):
    """A step the engine would fail (a failed check, a protected resource), with the engine's reason."""


@dataclass
class State:
    """One resource in the stack's state: what the engine keeps and sends back to the provider."""

    urn: str
    type: str
    id: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    protect: bool = False
    retain_on_delete: bool = False
    provider: str = "default"

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[1]


# --- steps: each mirrors one engine function ---------------------------------------------------------------


def check_request(urn_: str, olds: Mapping[str, Any], news: Mapping[str, Any], *, dry_run: bool,
                  old_outputs: Mapping[str, Any] | None = None) -> provider_pb2.CheckRequest:
    """provider_plugin.go Check, as step_generator.go calls it: `olds` empty (not null) for a new
    resource, the old inputs otherwise, and the old outputs beside them (empty for a new resource);
    a fresh 32-byte random seed; unknowns only in a preview."""
    return provider_pb2.CheckRequest(
        urn=urn_, name=urn_.rsplit("::", 1)[1], type=urn_.split("::")[2], olds=struct(_known(olds, dry_run)),
        news=struct(_known(news, dry_run)), randomSeed=secrets.token_bytes(32), old_outputs=struct(old_outputs or {}))


def check(host: ProviderHost, urn_: str, olds: Mapping[str, Any], news: Mapping[str, Any], *, dry_run: bool,
          old_outputs: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Check a resource's inputs; a failure is the StepError the engine would report."""
    response = host.call("Check", check_request(urn_, olds, news, dry_run=dry_run, old_outputs=old_outputs))
    if response.failures:
        raise StepError("; ".join(f"{f.property}: {f.reason}" for f in response.failures))
    return unstruct(response.inputs)


def diff(host: ProviderHost, old: State, news: Mapping[str, Any], *, dry_run: bool) -> provider_pb2.DiffResponse:
    """step_generator.go diffResource → provider_plugin.go Diff: olds = old outputs, old_inputs = old
    inputs, news = the checked new inputs, id = the old id, no ignoreChanges."""
    return host.call("Diff", provider_pb2.DiffRequest(
        id=old.id, urn=old.urn, name=old.name, type=old.type, olds=struct(old.outputs),
        old_inputs=struct(old.inputs), news=struct(_known(news, dry_run))))


def create(host: ProviderHost, urn_: str, checked: Mapping[str, Any], *, dry_run: bool) -> State:
    """step.go CreateStep.Apply → provider_plugin.go Create: properties = the checked inputs.

    In a preview the RPC is never sent to this host (supportsPreview=false): the engine takes the
    checked inputs as the outputs and "" as the id.
    """
    type_ = urn_.split("::")[2]
    if dry_run:
        return State(urn_, type_, "", dict(checked), dict(checked))
    response = host.call("Create", create_request(urn_, checked))
    if not response.id:
        raise StepError("plugin returned empty resource.ID from create")
    return State(urn_, type_, response.id, dict(checked), unstruct(response.properties))


def create_request(urn_: str, checked: Mapping[str, Any]) -> provider_pb2.CreateRequest:
    return provider_pb2.CreateRequest(urn=urn_, name=urn_.rsplit("::", 1)[1], type=urn_.split("::")[2],
                                      properties=struct(checked), timeout=0, preview=False)


def update(host: ProviderHost, old: State, checked: Mapping[str, Any], *, dry_run: bool) -> State:
    """step.go UpdateStep.Apply → provider_plugin.go Update: olds = old outputs, old_inputs = old
    inputs, news = the checked inputs; no RPC in a preview (the checked inputs stand as outputs)."""
    if dry_run:
        return State(old.urn, old.type, old.id, dict(checked), dict(checked), old.protect, old.retain_on_delete)
    response = host.call("Update", provider_pb2.UpdateRequest(
        id=old.id, urn=old.urn, name=old.name, type=old.type, olds=struct(old.outputs), old_inputs=struct(old.inputs),
        news=struct(checked), timeout=0, preview=False))
    return State(old.urn, old.type, old.id, dict(checked), unstruct(response.properties), old.protect,
                 old.retain_on_delete)


def delete(host: ProviderHost, old: State, *, dry_run: bool) -> None:
    """step.go DeleteStep.Apply → provider_plugin.go Delete: properties = old outputs, old_inputs = old
    inputs. No RPC in a preview, nor for a resource retained on delete; a protected one is an error."""
    if old.protect:
        raise StepError(f"resource {old.urn} cannot be deleted because it is protected")
    if dry_run or old.retain_on_delete:
        return
    host.call("Delete", provider_pb2.DeleteRequest(
        id=old.id, urn=old.urn, name=old.name, type=old.type, properties=struct(old.outputs),
        old_inputs=struct(old.inputs), timeout=0))


def refresh(host: ProviderHost, old: State, *, dry_run: bool) -> State | None:
    """step.go RefreshStep.Apply: Read(properties = old outputs, inputs = old inputs); an empty id means
    deleted (None). The response's inputs, when present, replace the stored ones. Then the reverse
    Diff the engine sends for display (olds = refreshed outputs, old_inputs = refreshed inputs,
    news = the old inputs)."""
    response = host.call("Read", provider_pb2.ReadRequest(
        id=old.id, urn=old.urn, name=old.name, type=old.type, properties=struct(old.outputs),
        inputs=struct(old.inputs)))
    if not response.id:
        return None
    inputs = unstruct(response.inputs) if response.HasField("inputs") else dict(old.inputs)
    refreshed = State(old.urn, old.type, response.id, inputs, unstruct(response.properties), old.protect,
                      old.retain_on_delete)
    host.call("Diff", provider_pb2.DiffRequest(
        id=refreshed.id, urn=old.urn, name=old.name, type=old.type, olds=struct(refreshed.outputs),
        old_inputs=struct(refreshed.inputs), news=struct(_known(old.inputs, dry_run))))
    return refreshed


def get(host: ProviderHost, urn_: str, id_: str, props: Mapping[str, Any]) -> State:
    """step.go ReadStep.Apply, behind `Resource.get`: Read with the program's props sent as both
    `properties` and `inputs` (the engine's "strange double send", seen in its gRPC log); the response's
    inputs are ignored. An empty id in the answer does not fail the step: the engine keeps the id it
    asked for and takes the outputs as they came (only nil outputs fail it)."""
    response = host.call("Read", provider_pb2.ReadRequest(
        id=id_, urn=urn_, name=urn_.rsplit("::", 1)[1], type=urn_.split("::")[2], properties=struct(props),
        inputs=struct(props)))
    return State(urn_, urn_.split("::")[2], response.id or id_, dict(props), unstruct(response.properties))


# --- a stack: ordered steps over one state -----------------------------------------------------------------


@dataclass(frozen=True)
class Ref:
    """An input that is another resource's id or output, as a program passes `flow.id` or `flow.sid`."""

    name: str
    output: str = "id"


@dataclass(frozen=True)
class Goal:
    """A resource as the program registers it: type, name, props (with `__provider`) and options."""

    type: str
    name: str
    props: Mapping[str, Any]
    protect: bool = False
    retain_on_delete: bool = False
    aliases: tuple[str, ...] = ()
    provider: str = "default"
    """The provider resource the program gives it (`ResourceOptions.provider`); "default" is the default one."""


@dataclass
class Stack:
    """One stack's state and the steps an `up`, `refresh` or `destroy` makes of it.

    Decisions follow step_generator.go: no old state → create; otherwise Check, Diff, then same,
    update or replace; replace checks again with no olds, then either deletes first
    (DiffResponse.deleteBeforeReplace) or creates first and deletes the old resource after every
    registration; resources left out of the program are deleted last, dependents first.
    """

    host: ProviderHost
    stack: str = "dev"
    state: dict[str, State] = field(default_factory=dict)
    log: list[tuple[str, str]] = field(default_factory=list)
    providers: dict[str, ProviderHost] = field(default_factory=dict)
    """Explicit provider resources by name, each its own host process (registry.go loadProvider)."""

    def host_of(self, provider: str) -> ProviderHost:
        return self.host if provider == "default" else self.providers[provider]

    def urn(self, goal: Goal) -> str:
        return urn(goal.name, goal.type, self.stack)

    def up(self, goals: Sequence[Goal], *, dry_run: bool = False) -> list[tuple[str, str]]:
        """Register every goal in order, then delete what the program no longer declares; returns the steps."""
        self.log = []
        pending_deletes: list[State] = []
        wanted: list[str] = []
        planned = dict(self.state)
        for goal in goals:
            urn_ = self.urn(goal)
            self._follow_aliases(goal, urn_, planned)
            wanted.append(urn_)
            props = self._resolve(goal.props, planned, dry_run)
            old = planned.get(urn_)
            new = self._register(goal, urn_, old, props, pending_deletes, dry_run)
            new.protect, new.retain_on_delete, new.provider = goal.protect, goal.retain_on_delete, goal.provider
            planned[urn_] = new
        for old in reversed(pending_deletes):  # after every registration, dependents first (GenerateDeletes)
            self.log.append(("delete-replaced", old.name))
            delete(self.host_of(old.provider), old, dry_run=dry_run)
        for urn_ in reversed([u for u in planned if u not in wanted]):
            old = planned.pop(urn_)
            self.log.append(("delete", old.name))
            delete(self.host_of(old.provider), old, dry_run=dry_run)
        if not dry_run:
            self.state = planned
        return self.log

    def preview(self, goals: Sequence[Goal]) -> list[tuple[str, str]]:
        return self.up(goals, dry_run=True)

    def refresh(self) -> list[tuple[str, str]]:
        """Read every resource; one that reads as gone leaves the state."""
        self.log = []
        for urn_, old in list(self.state.items()):
            refreshed = refresh(self.host_of(old.provider), old, dry_run=False)
            if refreshed is None:
                self.log.append(("gone", old.name))
                del self.state[urn_]
            else:
                self.log.append(("read", old.name))
                self.state[urn_] = refreshed
        return self.log

    def destroy(self) -> list[tuple[str, str]]:
        return self.up([])

    def _follow_aliases(self, goal: Goal, urn_: str, planned: dict[str, State]) -> None:
        """An alias moves the old state to the new URN, with no step (step_generator.go alias handling)."""
        for alias in goal.aliases:
            old_urn = alias if alias.startswith("urn:") else urn(alias, goal.type, self.stack)
            if urn_ not in planned and old_urn in planned:
                moved = planned.pop(old_urn)
                moved.urn = urn_
                planned[urn_] = moved

    def _resolve(self, props: Mapping[str, Any], planned: Mapping[str, State], dry_run: bool) -> dict[str, Any]:
        """Other resources' ids and outputs as the SDK resolves them (rpc.resolve_outputs): the id is
        unknown only for a resource created or replaced in this preview; an output is unknown when
        the engine's answer lacks it, as a preview's create and update answer only the checked inputs."""
        resolved = {}
        for key, value in props.items():
            if isinstance(value, Ref):
                target = next(s for s in planned.values() if s.name == value.name)
                found = target.id if value.output == "id" else target.outputs.get(value.output)
                value = found if found else UNKNOWN
            resolved[key] = value
        return resolved

    def _register(self, goal: Goal, urn_: str, old: State | None, props: dict[str, Any],
                  pending_deletes: list[State], dry_run: bool) -> State:
        host = self.host_of(goal.provider)
        if old is None:
            self.log.append(("create", goal.name))
            return create(host, urn_, check(host, urn_, {}, props, dry_run=dry_run), dry_run=dry_run)
        if old.provider != goal.provider:
            self._provider_changed(host, old)
        checked = check(host, urn_, old.inputs, props, dry_run=dry_run, old_outputs=old.outputs)
        result = diff(host, old, checked, dry_run=dry_run)
        if result.changes != provider_pb2.DiffResponse.DIFF_SOME:
            self.log.append(("same", goal.name))
            return State(old.urn, old.type, old.id, checked, old.outputs)
        if not result.replaces:
            self.log.append(("update", goal.name))
            return update(host, old, checked, dry_run=dry_run)
        if old.protect and goal.protect:  # step_generator.go: unprotecting and replacing in one update is allowed
            raise StepError(f"unable to replace resource {urn_}: it is protected")
        checked = check(host, urn_, {}, props, dry_run=dry_run)
        if result.deleteBeforeReplace:
            self.log.append(("replace-delete-first", goal.name))
            delete(self.host_of(old.provider), old, dry_run=dry_run)
            return create(host, urn_, checked, dry_run=dry_run)
        self.log.append(("replace-create-first", goal.name))
        pending_deletes.append(old)
        return create(host, urn_, checked, dry_run=dry_run)

    def _provider_changed(self, host: ProviderHost, old: State) -> None:
        """step_generator.go providerChanged: DiffConfig on the *new* provider (the engine sends the old
        and new provider inputs; this host answers UNIMPLEMENTED before reading any field), which
        provider_plugin.go DiffConfig takes as "no replace", so the resource's own Check and Diff
        decide, on the new provider."""
        try:
            host.call("DiffConfig", provider_pb2.DiffRequest(urn=old.urn, olds=struct({}), news=struct({})))
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.UNIMPLEMENTED:
                raise
            self.log.append(("provider-changed", old.name))
            return
        raise StepError("the dynamic host answered DiffConfig; the provider-change rule needs a look")


def grpc_error_text(error: grpc.RpcError) -> str:
    return error.details() or ""


def goal(resource_class: Any, name: str, *, protect: bool = False, retain_on_delete: bool = False,
         aliases: tuple[str, ...] = (), **inputs: Any) -> Goal:
    """The goal a program registers for `resource_class(name, **inputs)` with those options."""
    return Goal(resource_class._rtype.type_token, name, resource_class.registration(**inputs), protect,
                retain_on_delete, aliases)


def provider_as_resource_stores_it(provider: Any) -> str:
    """`__provider` exactly as `pulumi.dynamic.Resource.__init__` makes it for this provider object."""
    from pulumi.dynamic.dynamic import serialize_provider
    from pulumi.runtime._serialization import _serialize

    value, contains_secrets = _serialize(True, serialize_provider, provider)
    assert not contains_secrets
    assert type(provider).serialize_as_secret_always is False, "Resource would wrap it as a secret"
    return value
