"""The emulator against the API contract, and against Twilio's own Python library."""

from __future__ import annotations

import json
import socket
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
import requests

from tests import spec_contract
from tests.support import CHANNEL_FORM, FLOW, ROOT, http
from twilio_emulator import Emulator

CONTRACT = spec_contract.load_fixture()




def _assert_valid_channel(body: dict[str, Any]) -> None:
    jsonschema.validate(body, spec_contract.json_schema(CONTRACT["channel"]))
    assert set(body) == set(CONTRACT["channel"]["properties"])
    for stamp in (body["date_created"], body["date_updated"]):
        assert stamp.endswith("Z") and datetime.fromisoformat(stamp)
    assert urlsplit(body["url"]).scheme in ("http", "https")


def test_create_fetch_list_delete_answer_as_the_spec_says(emulator: Emulator) -> None:
    session = http(emulator)
    created = session.post(f"{emulator.base_url}/v1/Channels", data={**CHANNEL_FORM, "TaskSid": "WT" + "b" * 32})
    assert str(created.status_code) in CONTRACT["create_status"]
    _assert_valid_channel(created.json())
    assert created.json()["task_sid"] == "WT" + "b" * 32
    sid = created.json()["sid"]
    jsonschema.validate(sid, CONTRACT["sid_parameter"])

    fetched = session.get(f"{emulator.base_url}/v1/Channels/{sid}")
    assert fetched.status_code == 200
    _assert_valid_channel(fetched.json())

    listed = session.get(f"{emulator.base_url}/v1/Channels", params={"PageSize": 1})
    jsonschema.validate(listed.json(), spec_contract.json_schema(CONTRACT["list_response"]))
    assert sorted(listed.json()["meta"]) == CONTRACT["list_example_meta_keys"]
    assert listed.json()["meta"]["key"] == "flex_chat_channels"

    deleted = session.delete(f"{emulator.base_url}/v1/Channels/{sid}")
    assert str(deleted.status_code) in CONTRACT["delete_status"]
    assert deleted.content == b""


@pytest.mark.parametrize(("form", "message"), [
    ({k: v for k, v in CHANNEL_FORM.items() if k != "Identity"},
     "Missing required parameter Identity in the post body"),
    ({**CHANNEL_FORM, "FlexFlowSid": "FO1"}, "Invalid FlexFlowSid: 'FO1' does not match ^FO[0-9a-fA-F]{32}$"),
    ({**CHANNEL_FORM, "TaskSid": "XX"}, "Invalid TaskSid: 'XX' does not match ^WT[0-9a-fA-F]{32}$"),
    ({**CHANNEL_FORM, "FlexFlowSid": FLOW + "\n"}, f"Invalid FlexFlowSid: {FLOW + chr(10)!r} does not match "
                                           "^FO[0-9a-fA-F]{32}$"),
    ({**CHANNEL_FORM, "TaskSid": "WT" + "b" * 32 + "\n"},
     f"Invalid TaskSid: {'WT' + 'b' * 32 + chr(10)!r} does not match ^WT[0-9a-fA-F]{{32}}$"),
    ({**CHANNEL_FORM, "LongLived": "maybe"}, "Invalid LongLived: 'maybe' is not true or false"),
    ({**CHANNEL_FORM, "TaskAttributes": "{"}, "Invalid TaskAttributes: not valid JSON"),
])
def test_bad_create_is_a_twilio_style_400(emulator: Emulator, form: dict[str, str], message: str) -> None:
    answer = http(emulator).post(f"{emulator.base_url}/v1/Channels", data=form)
    assert answer.status_code == 400
    assert answer.json() == {"code": 20001, "message": message,
                             "more_info": "https://www.twilio.com/docs/errors/20001", "status": 400}
    assert emulator.resources("channels") == []


@pytest.mark.parametrize("size", ["0", "1001", "x"])
def test_page_size_outside_1_to_1000_is_refused(emulator: Emulator, size: str) -> None:
    answer = http(emulator).get(f"{emulator.base_url}/v1/Channels", params={"PageSize": size})
    assert answer.status_code == 400
    assert answer.json()["code"] == 20001


def test_missing_or_wrong_auth_is_401_code_20003(emulator: Emulator) -> None:
    for auth in (None, (emulator.account_sid, "nope"), ("AC" + "1" * 32, emulator.auth_token)):
        answer = requests.get(f"{emulator.base_url}/v1/Channels", auth=auth)
        assert answer.status_code == 401
        assert answer.json()["code"] == 20003


def test_unknown_channel_is_404_code_20404(emulator: Emulator) -> None:
    answer = http(emulator).delete(f"{emulator.base_url}/v1/Channels/CH{'0' * 32}")
    assert answer.status_code == 404
    assert answer.json()["code"] == 20404


def test_channels_survive_a_restart_with_the_same_data_file(tmp_path: Path) -> None:
    data = tmp_path / "channels.json"
    with Emulator(data_file=data) as first:
        sid = http(first).post(f"{first.base_url}/v1/Channels", data=CHANNEL_FORM).json()["sid"]
    with Emulator(data_file=data) as second:
        assert [c["sid"] for c in second.resources("channels")] == [sid]
        assert http(second).get(f"{second.base_url}/v1/Channels/{sid}").status_code == 200
    assert [p.name for p in tmp_path.iterdir()] == ["channels.json"], "a temporary file was left behind"


def test_only_loopback_addresses_are_served() -> None:
    with pytest.raises(ValueError, match=r"loopback only, not on '0\.0\.0\.0'"):
        Emulator(host="0.0.0.0")


def test_a_burst_of_64_new_connections_all_connect_before_any_is_accepted() -> None:
    """A provider serving `--parallel 64` opens 64 connections at once; each must complete its handshake in the
    kernel's queue. With socketserver's default queue of 5, the rest were dropped and retried a second later."""
    emulator = Emulator()  # listening, not yet accepting: only the kernel's queue holds the connections
    port = int(emulator.base_url.rsplit(":", 1)[1])
    sockets: list[socket.socket] = []
    try:
        for _ in range(64):
            sockets.append(socket.create_connection(("127.0.0.1", port), timeout=0.5))
    except TimeoutError:
        pass
    finally:
        for opened in sockets:
            opened.close()
        emulator.close()
    assert len(sockets) == 64


def test_faults_and_stats_are_set_and_read_over_the_admin_api(emulator: Emulator) -> None:
    admin = f"{emulator.base_url}/_emulator"
    assert requests.post(f"{admin}/faults", json={"rate_5xx": 1.0, "status_5xx": 500}).status_code == 200
    assert http(emulator).get(f"{emulator.base_url}/v1/Channels").status_code == 500
    bad = requests.post(f"{admin}/faults", json={"rate_9xx": 1})
    assert bad.status_code == 400 and "unknown fields ['rate_9xx']" in bad.json()["message"]
    stats = requests.get(f"{admin}/stats").json()
    assert stats["requests"] == 1 and stats["channels"] == 0
    assert requests.post(f"{admin}/reset").json()["requests"] == 0


def test_twilio_python_library_works_against_the_emulator(emulator: Emulator) -> None:
    """An independent client: if Twilio's own SDK is happy, the emulator speaks the real protocol."""
    from twilio.rest import Client

    twilio = Client(emulator.account_sid, emulator.auth_token)
    twilio.flex_api.base_url = emulator.base_url
    channels = twilio.flex_api.v1.channel
    created = [channels.create(flex_flow_sid=FLOW, identity=f"c{i}", chat_user_friendly_name="C",
                               chat_friendly_name="Chat", long_lived=True) for i in range(3)]
    assert all(c.sid.startswith("CH") and c.flex_flow_sid == FLOW for c in created)
    assert channels(created[0].sid).fetch().user_sid == created[0].user_sid
    assert sorted(c.sid for c in channels.list(page_size=2)) == sorted(c.sid for c in created)
    assert channels(created[0].sid).delete() is True
    assert sorted(c.sid for c in channels.list()) == sorted(c.sid for c in created[1:])
    [post, *_] = emulator.requests("POST")
    assert post.form["LongLived"] == "true"


def test_data_file_in_a_folder_not_made_yet(tmp_path: Path) -> None:
    data = tmp_path / "not" / "yet" / "channels.json"
    with Emulator(data_file=data) as emulator:
        assert http(emulator).post(f"{emulator.base_url}/v1/Channels", data=CHANNEL_FORM).status_code == 201
    assert len(json.loads(data.read_text())["channels"]) == 1


def test_a_change_that_cannot_be_saved_is_refused_and_undone(tmp_path: Path) -> None:
    data = tmp_path / "data" / "channels.json"
    with Emulator(data_file=data) as emulator:
        session = http(emulator)
        kept = session.post(f"{emulator.base_url}/v1/Channels", data=CHANNEL_FORM).json()["sid"]
        moved = data.parent.rename(tmp_path / "moved")  # writes now fail, whoever runs the test
        try:
            refused = session.post(f"{emulator.base_url}/v1/Channels", data={**CHANNEL_FORM, "Identity": "c2"})
            undeleted = session.delete(f"{emulator.base_url}/v1/Channels/{kept}")
        finally:
            moved.rename(data.parent)
        assert (refused.status_code, refused.json()["code"]) == (500, 20500)
        assert refused.json()["message"].endswith("nothing was changed")
        assert undeleted.status_code == 500
        assert [c["sid"] for c in emulator.resources("channels")] == [kept]
    assert [r["sid"] for r in json.loads(data.read_text())["channels"]] == [kept]


def test_the_emulator_imports_nothing_of_flex_provider() -> None:
    """Its independence is what makes tests of the client against it check the real contract."""
    import ast

    offenders = []
    for path in sorted((ROOT / "twilio_emulator").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.name}: {name}" for name in names if name.split(".")[0] == "flex_provider"]
    assert offenders == []


def test_urls_are_built_from_where_the_request_went_not_stored(tmp_path: Path) -> None:
    data = tmp_path / "channels.json"
    with Emulator(data_file=data) as first:
        sid = http(first).post(f"{first.base_url}/v1/Channels", data=CHANNEL_FORM).json()["sid"]
    assert "url" not in data.read_text()
    with Emulator(data_file=data) as second:
        fetched = http(second).get(f"{second.base_url}/v1/Channels/{sid}").json()
        assert fetched["url"] == f"{second.base_url}/v1/Channels/{sid}"
        assert second.base_url != first.base_url


def test_the_emulators_contract_is_what_the_specs_say() -> None:
    if not spec_contract.SPEC.exists():
        pytest.skip(f"{spec_contract.SPEC} is not here; the shipped contract is used as it is")
    shipped = json.loads(spec_contract.EMULATOR_CONTRACT.read_text())
    assert shipped == spec_contract.derive_emulator_contract(spec_contract.load_specs())
