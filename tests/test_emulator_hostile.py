"""The emulator under hostile input and faults: every one gets a clear answer, and nothing is lost or leaked."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from tests.test_emulator import FORM, _session
from twilio_emulator import Emulator, Faults

# --- 5. a create for a Flex Flow and identity that already have a channel --------------------------------------


def test_create_for_a_flow_and_identity_with_a_channel_answers_that_channel(emulator: Emulator) -> None:
    """ASSUMED Twilio behaviour (see README): the existing channel, 201, whatever else the create says."""
    http = _session(emulator)
    url = f"{emulator.base_url}/v1/Channels"
    first = http.post(url, data=FORM, timeout=5)
    other = http.post(url, data={**FORM, "Identity": "someone-else", "ChatUniqueName": "taken"}, timeout=5)
    again = http.post(url, data={**FORM, "ChatFriendlyName": "Renamed", "ChatUniqueName": "taken",
                                 "TaskSid": "WT" + "c" * 32}, timeout=5)
    assert (first.status_code, other.status_code, again.status_code) == (201, 201, 201)
    assert again.json() == first.json()
    other_flow = http.post(url, data={**FORM, "FlexFlowSid": "FO" + "b" * 32}, timeout=5).json()
    assert [c["sid"] for c in emulator.channels()] == [first.json()["sid"], other.json()["sid"], other_flow["sid"]]
    assert http.delete(f"{url}/{first.json()['sid']}", timeout=5).status_code == 204
    assert http.post(url, data=FORM, timeout=5).json()["sid"] not in (first.json()["sid"], other_flow["sid"])


def test_create_answering_an_existing_channel_is_never_dropped(emulator: Emulator) -> None:
    """`drop_after_create` loses answers of creates that made a channel; a repeat made nothing, and tells the SID."""
    http = _session(emulator)
    emulator.set_faults(Faults(drop_after_create=1.0))
    with pytest.raises(requests.ConnectionError):
        http.post(f"{emulator.base_url}/v1/Channels", data=FORM, timeout=5)
    [made] = emulator.channels()
    again = http.post(f"{emulator.base_url}/v1/Channels", data=FORM, timeout=5)
    assert (again.status_code, again.json()["sid"]) == (201, made["sid"])
    assert len(list(emulator.channels())) == 1


def test_existing_channel_for_a_flow_and_identity_is_found_after_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "d.json"
    with Emulator(data_file=data) as first:
        sid = _session(first).post(f"{first.base_url}/v1/Channels", data=FORM, timeout=5).json()["sid"]
    with Emulator(data_file=data) as second:
        assert _session(second).post(f"{second.base_url}/v1/Channels", data=FORM, timeout=5).json()["sid"] == sid
        assert len(list(second.channels())) == 1


def test_delete_that_cannot_be_saved_puts_the_channel_back_in_its_place(tmp_path: Path) -> None:
    data = tmp_path / "data" / "channels.json"
    with Emulator(data_file=data) as emulator:
        http = _session(emulator)
        sids = [http.post(f"{emulator.base_url}/v1/Channels", data={**FORM, "Identity": f"c{i}"}, timeout=5)
                .json()["sid"] for i in range(3)]
        moved = data.parent.rename(tmp_path / "moved")  # writes now fail, whoever runs the test
        try:
            assert http.delete(f"{emulator.base_url}/v1/Channels/{sids[1]}", timeout=5).status_code == 500
        finally:
            moved.rename(data.parent)
        assert [c["sid"] for c in emulator.channels()] == sids
        page = http.get(f"{emulator.base_url}/v1/Channels", params={"PageSize": 2}, timeout=5).json()
        assert [c["sid"] for c in page["flex_chat_channels"]] == sids[:2]
        rest = http.get(page["meta"]["next_page_url"], timeout=5).json()
        assert [c["sid"] for c in rest["flex_chat_channels"]] == sids[2:]
