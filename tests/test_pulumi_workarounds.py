"""Each workaround in flex_provider/pulumi_workarounds.py, and a test that fails once upstream no longer needs it.

When one of the `*_still_*` tests fails, Pulumi fixed the problem: delete the workaround and its test.
"""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap
from pathlib import Path

import pulumi.dynamic
import pytest

from flex_provider.provider import FlexChannelProvider
from flex_provider.pulumi_workarounds import contains_unknown, serialized_provider
from tests.engine import provider_as_resource_stores_it
from tests.pulumi_mocks import run_program
from tests.support import ROOT


def test_pickling_a_provider_per_resource_still_fails_after_about_a_thousand() -> None:
    """pulumi.dynamic.Resource.__init__ pickles its provider for every resource, and each pickling wraps
    pickle._Pickler._batch_setitems once more (pulumi/pulumi#17803): serialized_provider and
    register_dynamic exist to pickle once and skip that __init__."""
    script = textwrap.dedent("""
        from pulumi.dynamic.dynamic import serialize_provider
        from flex_provider.provider import FlexChannelProvider
        for i in range(3000):
            try:
                serialize_provider(FlexChannelProvider())
            except RecursionError:
                print(i)
                break
        else:
            print("never")
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          check=True)
    assert done.stdout.strip() != "never", "upstream fixed pickling: drop serialized_provider's cache"
    assert 500 < int(done.stdout) < 3000


def test_serialized_once_is_what_resource_would_store() -> None:
    assert serialized_provider(FlexChannelProvider) == provider_as_resource_stores_it(FlexChannelProvider())


def test_the_names_we_import_privately_are_still_not_public() -> None:
    """PROVIDER_KEY and serialize_provider live in pulumi.dynamic.dynamic; the unknown sentinel in
    pulumi.runtime.rpc. Once pulumi.dynamic exports them, import them from there."""
    public = set(pulumi.dynamic.__all__)
    assert not {"PROVIDER_KEY", "serialize_provider", "UNKNOWN"} & public
    assert "GRPC_CHANNEL_OPTIONS" not in dir(pulumi.runtime), "the server options are still private"


def test_unknown_inputs_still_reach_a_provider_as_objects_not_the_sentinel() -> None:
    """The host deserializes Check and Diff requests with keep_unknowns, so an unknown value arrives as a
    pulumi.output.Unknown, while the engine sent the sentinel string; contains_unknown takes both."""
    from google.protobuf import struct_pb2
    from pulumi.output import Unknown
    from pulumi.runtime import rpc

    sent = struct_pb2.Struct()
    sent.update({"flex_flow_sid": rpc.UNKNOWN})
    received = rpc.deserialize_properties(sent, True)["flex_flow_sid"]
    assert isinstance(received, Unknown)
    assert contains_unknown(received) and contains_unknown(rpc.UNKNOWN) and contains_unknown({"a": [received]})
    assert not contains_unknown({"a": ["FO" + "1" * 32]})


def test_each_registration_still_sets_off_young_collections(tmp_path: Path) -> None:
    """relax_gc_for_registrations raises the young-generation threshold because the SDK allocates thousands
    of tracked container objects per resource: at Python's default threshold the collector ran 0.77 times
    per registration here (pulumi 3.272), rescanning everything still young each time. If that falls
    below a quarter, measure again (bench/run.py scale) and drop the workaround if it no longer pays."""
    program = tmp_path / "__main__.py"
    program.write_text(
        "from flex_provider import FlexChannel\n"
        "for i in range(200):\n"
        "    FlexChannel(f'c{i}', flex_flow_sid='FO' + '1' * 32, identity=f'i{i}', chat_user_friendly_name='u',"
        " chat_friendly_name='c')\n")
    collections: list[int] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start" and info["generation"] == 0:
            collections.append(1)

    threshold = gc.get_threshold()
    gc.set_threshold(700, threshold[1], threshold[2])
    gc.callbacks.append(count)
    try:
        registrations = len(run_program("dev", program=program).registrations)
    finally:
        gc.callbacks.remove(count)
        gc.set_threshold(*threshold)
    assert registrations == 200
    assert len(collections) / registrations > 0.25, len(collections) / registrations


def test_the_experimental_provider_server_still_appends_a_traceback_to_every_error() -> None:
    """When this fails, upstream answers errors with their message: drop `unwrapped` and the native Servicer."""
    import asyncio

    from pulumi.provider.experimental import provider as api
    from pulumi.provider.experimental.server import ProviderServicer
    from pulumi.runtime.proto import provider_pb2

    from flex_provider.pulumi_workarounds import unwrapped

    class Failing(api.Provider):
        async def create(self, request: api.CreateRequest) -> api.CreateResponse:
            raise ValueError("what went wrong")

    servicer = ProviderServicer([], "0.0.0", Failing(), "")
    request = provider_pb2.CreateRequest(urn="urn:pulumi:s::p::flex:index:FlexFlow::f")
    with pytest.raises(Exception, match=r"^what went wrong:\n") as raised:
        asyncio.run(servicer.Create(request, None))
    assert ", line " in str(raised.value), "the stack is appended to the message"
    assert unwrapped(ProviderServicer.Create) is not ProviderServicer.Create, "the wrapper is still there"


def test_the_experimental_property_value_still_cannot_marshal_a_computed_value() -> None:
    """When this fails, `to_value` can answer an unknown as PropertyValue.computed()."""
    from pulumi.provider.experimental.property_value import PropertyValue

    with pytest.raises(ValueError, match="Unsupported value type"):
        PropertyValue.computed().marshal()
