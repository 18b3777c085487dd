"""Flex chat channels (`/v1/Channels` of the Flex API): the backend and its model."""

from __future__ import annotations

from collections.abc import Container
from dataclasses import asdict, dataclass
from typing import Any

from twilio_emulator.account import Account, new_sid, now
from twilio_emulator.errors import TwilioError, not_found

__all__ = ["Channel", "ChannelBackend"]

PATH = "/v1/Channels"


@dataclass
class Channel:
    """A Flex chat channel as the emulator keeps it; `to_json` makes the API's `flex.v1.channel`."""

    sid: str
    account_sid: str
    flex_flow_sid: str
    user_sid: str
    task_sid: str | None
    identity: str
    unique_name: str | None
    date_created: str
    date_updated: str
    seq: int

    def to_json(self, base_url: str) -> dict[str, Any]:
        """The API's answer; the URL is built from the address the request came to, never stored."""
        return {"account_sid": self.account_sid, "flex_flow_sid": self.flex_flow_sid, "sid": self.sid,
                "user_sid": self.user_sid, "task_sid": self.task_sid, "url": f"{base_url}{PATH}/{self.sid}",
                "date_created": self.date_created, "date_updated": self.date_updated}


class ChannelBackend:
    """The account's channels, in creation order."""

    section = "channels"

    def __init__(self, account: Account, flows: Container[str] | None = None) -> None:
        """`flows`, when given, holds the Flex Flows a channel may name (`--require-flows`); otherwise any
        well-formed Flex Flow SID is taken, so placeholder SIDs work."""
        self._account = account
        self._flows = flows
        self._channels: dict[str, Channel] = {}
        account.attach(self)

    def __len__(self) -> int:
        return len(self._channels)

    def create_channel(self, *, flex_flow_sid: str, identity: str, chat_user_friendly_name: str,
                       chat_friendly_name: str, target: str | None = None, chat_unique_name: str | None = None,
                       pre_engagement_data: str | None = None, task_sid: str | None = None,
                       task_attributes: str | None = None, long_lived: bool | None = None) -> Channel:
        """CreateChannel. A unique name already in use is refused (409, 50307: assumed, see README); with
        flows required, a Flex Flow that does not exist is refused with Twilio's error 45205 (its HTTP
        status, 404, is assumed: Twilio's error page gives none)."""
        if self._flows is not None and flex_flow_sid not in self._flows:
            raise TwilioError(404, 45205, f"Requested Flex Flow {flex_flow_sid} is not found")
        with self._account.change() as on_undo:
            if chat_unique_name and any(c.unique_name == chat_unique_name for c in self._channels.values()):
                raise TwilioError(409, 50307, f"Channel with unique name '{chat_unique_name}' already exists")
            stamp = now()
            channel = Channel(sid=new_sid("CH"), account_sid=self._account.account_sid, flex_flow_sid=flex_flow_sid,
                              user_sid=new_sid("US"), task_sid=task_sid, identity=identity,
                              unique_name=chat_unique_name, date_created=stamp, date_updated=stamp,
                              seq=self._account.next_seq())
            self._channels[channel.sid] = channel
            on_undo(lambda: self._channels.pop(channel.sid))
            return channel

    def fetch_channel(self, sid: str) -> Channel:
        with self._account.lock:
            channel = self._channels.get(sid)
            if channel is None:
                raise not_found(f"{PATH}/{sid}")
            return channel

    def list_channels(self) -> list[Channel]:
        with self._account.lock:
            return list(self._channels.values())

    def delete_channel(self, sid: str) -> None:
        with self._account.change() as on_undo:
            channel = self._channels.pop(sid, None)
            if channel is None:
                raise not_found(f"{PATH}/{sid}")
            on_undo(lambda: self._channels.update({sid: channel}))

    def dump(self) -> list[dict[str, Any]]:
        return [asdict(channel) for channel in self._channels.values()]

    def restore(self, records: list[dict[str, Any]]) -> None:
        channels = [Channel(**_current(record, index)) for index, record in enumerate(records, 1)]
        self._channels = {channel.sid: channel for channel in sorted(channels, key=lambda c: c.seq)}
        for channel in channels:
            self._account.seen_seq(channel.seq)


def _current(record: dict[str, Any], index: int) -> dict[str, Any]:
    """A saved record in today's form; files of version 1 nested the API's answer, URL included."""
    if "channel" not in record:
        return record
    old = record["channel"]
    fields = ("sid", "account_sid", "flex_flow_sid", "user_sid", "task_sid", "date_created", "date_updated")
    return {**{name: old[name] for name in fields}, "identity": record.get("identity", ""),
            "unique_name": record.get("unique_name"), "seq": index}
