"""Spreading resources over several provider hosts (`flex:hosts`): the program's providers, and N hosts driven as the
engine drives them (tests/engine.py). tests/test_real_engine_hosts.py runs the same on the real engine."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pulumi
import pytest
from google.protobuf import json_format

from flex_provider import FlexChannel
from flex_provider.hosts import shard_of
from tests.engine import Goal, ProviderHost, Stack, check, create, urn
from tests.pulumi_mocks import ProgramRun, run_program
from tests.support import ROOT, channel_inputs, methods, stack_config
from twilio_emulator import Emulator, Faults

PROVIDER_TYPE = "pulumi:providers:pulumi-python"


def providers(run: ProgramRun) -> list[object]:
    return [r for r in run.registrations if r.type == PROVIDER_TYPE]


def resources(run: ProgramRun) -> list[object]:
    return [r for r in run.registrations if r.type != PROVIDER_TYPE]


def config(**extra: str) -> dict[str, str]:
    return {"twilio:accountSid": "AC" + "1" * 32, "twilio:authToken": "tok-in-config", "flex:apiUrl":
            "http://127.0.0.1:8765", "flex-channels:unrelated": "x", **extra}


def test_with_hosts_unset_or_one_the_program_registers_exactly_as_before() -> None:
    unset, one = run_program("staging", config()), run_program("staging", config(**{"flex:hosts": "1"}))
    assert providers(unset) == providers(one) == []
    assert [r.provider for r in unset.registrations] == ["", "", ""], "the default provider"
    assert sorted(r.SerializeToString(deterministic=True) for r in unset.registrations) == sorted(
        r.SerializeToString(deterministic=True) for r in one.registrations)


def test_n_hosts_are_n_providers_with_the_provider_settings_and_the_token_only_as_a_secret() -> None:
    run = run_program("staging", config(**{"flex:hosts": "3"}))
    assert sorted(p.name for p in providers(run)) == ["stack-file-hosts-0", "stack-file-hosts-1", "stack-file-hosts-2"]
    for provider in providers(run):
        inputs = json_format.MessageToDict(provider.object)
        assert inputs == {"twilio:accountSid": "AC" + "1" * 32, "flex:apiUrl": "http://127.0.0.1:8765",
                          "twilio:authToken": {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
                                               "value": "tok-in-config"}}, "the token travels as a Pulumi secret"
    urns = {p.name: u for p, u in zip(run.registrations, run.urns, strict=True) if p.type == PROVIDER_TYPE}
    for resource in resources(run):
        shard = shard_of(resource.name, 3)
        assert resource.provider.startswith(urns[f"stack-file-hosts-{shard}"] + "::")


def test_a_resources_shard_depends_on_its_name_only() -> None:
    names = [f"channel-{i}" for i in range(200)]
    before = {name: shard_of(name, 4) for name in names}
    assert {name: shard_of(name, 4) for name in [*names, "new-one"]} | before == before | {"new-one": shard_of(
        "new-one", 4)}
    assert sorted(set(before.values())) == [0, 1, 2, 3], "every host gets some"


@pytest.mark.parametrize("value", ["0", "33", "two", "²", "-1"])
def test_a_bad_number_of_hosts_stops_the_program_naming_the_setting(value: str) -> None:
    with pytest.raises(pulumi.RunError) as caught:
        run_program("staging", config(**{"flex:hosts": value}))
    assert str(caught.value) == f"flex:hosts / FLEX_HOSTS must be a whole number from 1 to 32, not {value!a}"


@pytest.fixture
def shards(tmp_path: Path, emulator: Emulator, host: ProviderHost) -> Iterator[dict[str, ProviderHost]]:
    """Three explicit providers, each its own host process, configured with that provider's own inputs
    (registry.go Create → Configure(Inputs: the provider resource's props))."""
    own_inputs = {k: v for k, v in stack_config(emulator).items() if not k.startswith("flex-channels:")}
    started = {f"flex-hosts-{i}": ProviderHost(tmp_path / f"shard-{i}") for i in range(3)}
    for name, shard in started.items():
        shard.configure(own_inputs, provider_urn=f"urn:pulumi:dev::flex-channels::{PROVIDER_TYPE}::{name}")
    yield started
    for shard in started.values():
        shard.close()


def sharded(names: list[str], count: int) -> list[Goal]:
    """Channels as the program registers them with `flex:hosts = count`."""
    return [Goal(FlexChannel._rtype.type_token, name, FlexChannel.registration(**channel_inputs(name)),
                 provider=f"flex-hosts-{shard_of(name, count)}" if count > 1 else "default") for name in names]


def test_each_host_serves_its_shard_and_moving_shards_replaces_nothing(
        host: ProviderHost, shards: dict[str, ProviderHost], emulator: Emulator) -> None:
    stack = Stack(host, providers=shards)
    names = [f"c{i}" for i in range(12)]
    assert stack.up(sharded(names, 3)) == [("create", name) for name in names]
    for name, shard in shards.items():
        assert shard.calls.count("Create") == sum(1 for n in names if f"flex-hosts-{shard_of(n, 3)}" == name)
    assert host.calls.count("Create") == 0
    assert len(emulator.resources("channels")) == 12

    emulator.reset_stats()
    log = stack.up(sharded(names, 2))
    moved = [n for n in names if shard_of(n, 3) != shard_of(n, 2)]
    assert [entry for entry in log if entry[0] == "provider-changed"] == [("provider-changed", n) for n in moved]
    assert {entry for entry in log if entry[0] != "provider-changed"} == {("same", n) for n in names}
    assert emulator.requests() == [], "no replace, no request"

    emulator.reset_stats()
    back = stack.up(sharded(names, 1))
    assert {entry for entry in back if entry[0] != "provider-changed"} == {("same", n) for n in names}
    assert emulator.requests() == []
    stack.destroy()
    assert methods(emulator) == ["DELETE"] * 12


def test_eight_hosts_under_a_429_storm_create_every_channel_once(tmp_path: Path, emulator: Emulator) -> None:
    """32 creates at a time (4 per host) while every other request is answered 429. With 32 in flight one
    create can meet many 429s in a row, so the run raises flex:maxRetries, as the README advises."""
    emulator.set_faults(Faults(rate_429=0.5, retry_after=0))
    own_inputs = {k: v for k, v in stack_config(emulator, **{"flex:maxRetries": "20"}).items()
                  if not k.startswith("flex-channels:")}
    hosts = [ProviderHost(tmp_path / f"h{i}") for i in range(8)]
    try:
        for i, shard in enumerate(hosts):
            shard.configure(own_inputs, provider_urn=f"urn:pulumi:dev::flex-channels::{PROVIDER_TYPE}::h{i}")
        names = [f"c{i}" for i in range(96)]
        # As the engine: every Check one at a time, then the Creates in parallel (test_real_engine_hosts.py).
        checked = {name: check(hosts[shard_of(name, 8)], urn(name, FlexChannel._rtype.type_token), {},
                               FlexChannel.registration(**channel_inputs(name)), dry_run=False) for name in names}

        def made(name: str) -> str:
            target = urn(name, FlexChannel._rtype.type_token)
            return create(hosts[shard_of(name, 8)], target, checked[name], dry_run=False).id

        with ThreadPoolExecutor(max_workers=32) as pool:
            ids = list(pool.map(made, names))
    finally:
        for shard in hosts:
            shard.close()
    channels = emulator.resources("channels")
    assert len(set(ids)) == len(channels) == 96, "every create succeeded, none twice"
    posts = [r.form["Identity"] for r in emulator.requests("POST")]
    assert sorted(set(posts)) == sorted(names)
    assert abs(len(posts) - 2 * 96) <= 1, "half of all requests were answered 429, and retried"


def test_a_blank_setting_falls_back_to_the_environment_as_every_setting_does() -> None:
    from flex_provider.hosts import hosts_setting

    assert hosts_setting("  ", {"FLEX_HOSTS": "3"}) == 3
    assert hosts_setting(None, {}) == 1


def test_a_programs_own_number_of_hosts_is_checked_too(tmp_path: Path) -> None:
    program = tmp_path / "__main__.py"
    program.write_text("from flex_provider import FlexStack\n"
                       f"FlexStack('s', path={str(ROOT / 'stacks' / 'staging.yaml')!a}, hosts=0)\n")
    with pytest.raises(pulumi.RunError, match="flex:hosts / FLEX_HOSTS must be a whole number from 1 to 32, not '0'"):
        run_program("staging", config(), program=program)


def test_a_setting_stored_as_a_secret_reaches_the_hosts_as_a_secret() -> None:
    run = run_program("staging", config(**{"flex:hosts": "2", "twilio:apiKey": "SK" + "2" * 32,
                                           "twilio:apiSecret": "sec"}), secret_keys=["twilio:apiKey"])
    inputs = json_format.MessageToDict(providers(run)[0].object)
    assert inputs["twilio:apiKey"] == {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
                                       "value": "SK" + "2" * 32}, "stored with --secret: passed as a secret"
    assert inputs["twilio:apiSecret"]["value"] == "sec" and len(inputs["twilio:apiSecret"]) == 2


def test_two_components_have_hosts_of_their_own(tmp_path: Path) -> None:
    program = tmp_path / "__main__.py"
    program.write_text("from flex_provider import FlexStack\n"
                       f"FlexStack('eu', path={str(ROOT / 'stacks' / 'dev.yaml')!a}, hosts=2)\n"
                       f"FlexStack('us', path={str(ROOT / 'stacks' / 'prod.yaml')!a}, hosts=2)\n")
    run = run_program("staging", config(), program=program)
    assert sorted(p.name for p in providers(run)) == ["eu-hosts-0", "eu-hosts-1", "us-hosts-0", "us-hosts-1"]
