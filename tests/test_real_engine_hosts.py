"""`flex:hosts` and credentials on the real Pulumi engine: how many provider processes it starts, and what a
rotated token does to `refresh` and `destroy`.

The engine logs each plugin it launches (`newPlugin(): Launching plugin …` at verbosity 9), so the count of
provider hosts is the engine's own account of it, not a guess from outside.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pulumi import automation as auto

from tests.real_engine import Project, RealStack
from tests.support import FLOW
from twilio_emulator import Emulator, Faults

pytestmark = pytest.mark.timeout(600)

LAUNCH = "newPlugin(): Launching plugin 'pulumi-python (resource)'"


def channels(count: int) -> str:
    listed = "".join(f"  ch-{index:03}: {{identity: bot-{index:03}}}\n" for index in range(count))
    return f"defaults: {{flex_flow_sid: {FLOW}, chat_user_friendly_name: Visitor, chat_friendly_name: Web}}\n" \
           f"channels:\n{listed}"


def test_four_hosts_serve_a_hundred_channels_each_created_once(tmp_path: Path, emulator: Emulator) -> None:
    project = Project(tmp_path, emulator)
    stack = project.stack(channels(100), config={"flex:hosts": "4"})

    done = project.cli("up", "--yes", "--skip-preview", "--stack", stack.name, "--parallel", "64", "--logtostderr",
                       "-v=9")

    assert done.stderr.count(LAUNCH) == 4, "one plugin process per explicit provider, none for the default one"
    identities = [r.form["Identity"] for r in emulator.requests("POST")]
    assert sorted(identities) == [f"bot-{index:03}" for index in range(100)], "each channel created exactly once"
    providers = {r["provider"] for r in stack.resources() if r["type"].startswith("pulumi-python:dynamic/")}
    assert len(providers) == 4, "the channels are spread over the four providers"
    assert len(emulator.resources("channels")) == 100


def test_moving_channels_between_hosts_replaces_nothing(tmp_path: Path, emulator: Emulator) -> None:
    stack = Project(tmp_path, emulator).stack(channels(6), config={"flex:hosts": "3"})
    stack.up()
    made = {r["urn"]: r["id"] for r in stack.resources() if r["type"].startswith("pulumi-python:dynamic/")}
    emulator.reset_stats()
    for hosts in ("2", "1"):
        stack.set_config({"flex:hosts": hosts})
        assert stack.up().ops() == [], f"flex:hosts={hosts} moved channels without a step"
    assert emulator.requests() == []
    assert {r["urn"]: r["id"] for r in stack.resources() if r["type"].startswith("pulumi-python:dynamic/")} == made


def test_the_engine_checks_and_diffs_one_at_a_time_and_creates_in_parallel(
        tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, emulator: Emulator) -> None:
    """What the driver's tests assume of the engine's concurrency, from its own log of every gRPC call it made
    (PULUMI_DEBUG_GRPC: a line when each call starts and one when it completes)."""
    emulator.set_faults(Faults(latency_ms=50))
    project = Project(tmp_path, emulator)
    log = tmp_path_factory.mktemp("grpc") / "grpc.jsonl"  # it holds the token: kept out of tmp_path, then deleted
    project.env["PULUMI_DEBUG_GRPC"] = str(log)
    try:
        stack = project.stack(channels(12))
        stack.up()
        stack.write(channels(12).replace("chat_friendly_name: Web", "chat_friendly_name: Web 2"))
        stack.up()
        most = most_at_once(log)
    finally:
        log.unlink(missing_ok=True)
    assert most["Check"] == most["Diff"] == 1
    assert most["Create"] > 1 and most["Delete"] > 1


def most_at_once(log: Path) -> dict[str, int]:
    """The most calls of each provider method in flight at once, over the whole log."""
    open_calls: dict[str, int] = {}
    most: dict[str, int] = {}
    for line in log.read_text().splitlines():
        entry = json.loads(line)
        service, _, method = entry["method"].strip("/").partition("/")
        if service != "pulumirpc.ResourceProvider":
            continue
        open_calls[method] = open_calls.get(method, 0) + (1 if entry["progress"] == "request_started" else -1)
        most[method] = max(most.get(method, 0), open_calls[method])
    return most


@pytest.fixture(params=["1", "2"], ids=["default provider", "two hosts"])
def rotated(request: pytest.FixtureRequest, tmp_path: Path, emulator: Emulator) -> RealStack:
    """A stack after its token was rotated in Twilio and in the stack's config (but before any up): on the default
    provider as on explicit hosts, because the engine keeps a default provider's inputs in state too."""
    stack = Project(tmp_path, emulator).stack(channels(4), config={"flex:hosts": request.param})
    stack.up()
    emulator.rotate_auth_token("tok-rotated-" + emulator.auth_token[-12:])
    stack.set_secret("twilio:authToken", emulator.auth_token)
    return stack


def test_after_a_rotation_refresh_fails_saying_to_add_run_program_and_with_it_succeeds(rotated: RealStack,
                                                                                      emulator: Emulator) -> None:
    # The engine configures every provider of a refresh from the inputs saved in state at the last `up`.
    with pytest.raises(auto.CommandError) as failed:
        rotated.refresh()
    assert "HTTP 401 (Twilio error 20003): Authenticate" in str(failed.value)
    assert "after rotating a token, add `--run-program` to them (or run `pulumi up` first)" in str(failed.value)

    run = rotated.refresh(run_program=True)
    assert sorted(op for op, _ in run.ops()) == ["refresh"] * 4
    assert {r.username for r in emulator.requests()} == {emulator.account_sid}


def test_after_a_rotation_destroy_with_run_program_deletes_everything(rotated: RealStack, emulator: Emulator) -> None:
    with pytest.raises(auto.CommandError, match="add `--run-program`"):
        rotated.destroy()
    assert len(emulator.resources("channels")) == 4, "a failed destroy deleted nothing"

    rotated.destroy(run_program=True)
    assert emulator.resources("channels") == []
