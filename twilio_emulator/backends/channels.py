"""Flex chat channels (`/v1/Channels` of the Flex API): the backend and its model."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from twilio_emulator.account import Account, new_sid, now
from twilio_emulator.backends.records import Records
from twilio_emulator.errors import TwilioError, invalid

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


class ChannelBackend(Records[Channel]):
    """The account's channels, in creation order."""

    section = "channels"
    noun = "Channel"
    path = PATH
    record_type = Channel
    references: ClassVar[Mapping[str, str]] = {"flex_flow_sid": "flex_flows"}

    def __init__(self, account: Account) -> None:
        self._by_owner: dict[tuple[str, str], str] = {}
        """(FlexFlowSid, Identity) to the SID of the channel they already have."""
        super().__init__(account)

    def missing(self, name: str, value: str) -> TwilioError:
        """A channel's Flex Flow that does not exist: Twilio's error 45205 (its HTTP status, 404, is assumed: Twilio's
        error page gives none)."""
        return TwilioError(404, 45205, f"Requested Flex Flow {value} is not found")

    def check(self, params: Mapping[str, Any], current: Channel | None) -> None:
        """Twilio takes these string parameters only when they hold JSON."""
        for name, api_name in (("pre_engagement_data", "PreEngagementData"), ("task_attributes", "TaskAttributes")):
            if name in params:
                try:
                    json.loads(params[name])
                except ValueError:
                    raise invalid(f"Invalid {api_name}: not valid JSON") from None

    def create(self, *, flex_flow_sid: str, identity: str, chat_user_friendly_name: str,
               chat_friendly_name: str, target: str | None = None, chat_unique_name: str | None = None,
               pre_engagement_data: str | None = None, task_sid: str | None = None,
               task_attributes: str | None = None, long_lived: bool | None = None) -> tuple[Channel, bool]:
        """CreateChannel: the channel, and whether this call made it.

        ASSUMED, as Twilio does not document it (community code relies on it, and docs/development.md
        says so): a create for a Flex Flow and identity that already have a channel hands back that
        channel, whatever else the request says, instead of making a second one. Otherwise a
        unique name already in use is refused (409, 50307: also assumed, see docs/development.md).
        """
        with self.account.lock:
            existing = self._by_owner.get((flex_flow_sid, identity))
            if existing is not None:
                return self._records[existing], False
            with self.account.change() as on_undo:
                if chat_unique_name and any(c.unique_name == chat_unique_name for c in self._records.values()):
                    raise TwilioError(409, 50307, f"Channel with unique name '{chat_unique_name}' already exists")
                stamp = now()
                channel = Channel(sid=new_sid("CH"), account_sid=self.account.account_sid,
                                  flex_flow_sid=flex_flow_sid, user_sid=new_sid("US"), task_sid=task_sid,
                                  identity=identity, unique_name=chat_unique_name, date_created=stamp,
                                  date_updated=stamp, seq=self.account.next_seq())
                self._add(channel, on_undo)
                return channel, True

    def _added(self, channel: Channel) -> None:
        self._by_owner.setdefault((channel.flex_flow_sid, channel.identity), channel.sid)

    def _removed(self, channel: Channel) -> None:
        key = (channel.flex_flow_sid, channel.identity)
        if self._by_owner.get(key) == channel.sid:
            del self._by_owner[key]

    @staticmethod
    def _current(record: dict[str, Any], index: int) -> dict[str, Any]:
        """A saved record in today's form; files of version 1 nested the API's answer, URL included."""
        if "channel" not in record:
            return record
        old = record["channel"]
        fields = ("sid", "account_sid", "flex_flow_sid", "user_sid", "task_sid", "date_created", "date_updated")
        return {**{name: old[name] for name in fields}, "identity": record.get("identity", ""),
                "unique_name": record.get("unique_name"), "seq": index}
