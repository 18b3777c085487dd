"""Conversations address configurations (`/v1/Configuration/Addresses` of the Conversations API): the backend and
its model.

As Twilio's spec says: the `{Sid}` of a fetch, update or delete is the configuration's SID or its
address; `auto_creation` is answered as a mapping of snake_case keys, with `webhook_method` in
uppercase (`POST`, although requests send `post`).

ASSUMED, as Twilio does not document them:
- One configuration per address, whatever its type (Twilio's docs: "a unique address"; its fetch
  takes the address in place of the SID): a second create for it is refused with HTTP 409 and
  error code 20409. Twilio's error dictionary has no code for this; 20409 is the emulator's own
  choice, shaped like the HTTP-status codes Twilio does use (20404, 20429), so it claims no
  Conversations error it may not be. A client must go by the 409 alone.
- An update changes only the parameters it sends, an `AutoCreation.*` parameter included (the
  other auto-creation keys stay); auto-creation keys never set are left out of the answer, and a
  configuration with none answers `auto_creation: null`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import unquote

from twilio_emulator.account import new_sid, now
from twilio_emulator.backends.records import Records
from twilio_emulator.errors import TwilioError, not_found

__all__ = ["DUPLICATE_ADDRESS", "AddressBackend", "AddressConfiguration"]

PATH = "/v1/Configuration/Addresses"
DUPLICATE_ADDRESS = 20409
"""The error code of a second configuration for one type and address: ASSUMED (see the module's docstring)."""


@dataclass
class AddressConfiguration:
    """An address configuration as the emulator keeps it; `to_json` makes the API's
    `conversations.v1.configuration_address`."""

    sid: str
    account_sid: str
    type: str
    address: str
    friendly_name: str | None
    address_country: str | None
    auto_creation: dict[str, Any] = field(default_factory=dict)
    date_created: str = ""
    date_updated: str = ""
    seq: int = 0

    def to_json(self, base_url: str) -> dict[str, Any]:
        body = {key: value for key, value in asdict(self).items() if key not in ("seq", "auto_creation")}
        auto_creation = dict(self.auto_creation)
        if "webhook_method" in auto_creation:
            auto_creation["webhook_method"] = auto_creation["webhook_method"].upper()
        return {**body, "auto_creation": auto_creation or None, "url": f"{base_url}{PATH}/{self.sid}"}


class AddressBackend(Records[AddressConfiguration]):
    """The account's address configurations, in creation order."""

    section = "addresses"
    noun = "ConfigurationAddress"
    path = PATH
    record_type = AddressConfiguration
    merged = "auto_creation"

    def create(self, *, type: str, address: str,  # noqa: A002 - the API's name
               friendly_name: str | None = None, address_country: str | None = None,
               auto_creation: dict[str, Any] | None = None) -> tuple[AddressConfiguration, bool]:
        """CreateConfigurationAddress; a second one for an address is refused (409, assumed code)."""
        with self.account.change() as on_undo:
            if any(c.address == address for c in self._records.values()):
                raise TwilioError(409, DUPLICATE_ADDRESS,
                                  f"An address configuration for {type} address {address} already exists")
            stamp = now()
            config = AddressConfiguration(sid=new_sid("IG"), account_sid=self.account.account_sid, type=type,
                                          address=address, friendly_name=friendly_name,
                                          address_country=address_country, auto_creation=dict(auto_creation or {}),
                                          date_created=stamp, date_updated=stamp, seq=self.account.next_seq())
            self._add(config, on_undo)
            return config, True

    def path_id(self, text: str) -> str:
        """The `{Sid}` of an address configuration's path: its SID, or its address (URL-encoded: `%2B15005550006`)."""
        return unquote(text)

    def fetch(self, sid: str) -> AddressConfiguration:
        """FetchConfigurationAddress, by SID or by address."""
        with self.account.lock:
            config = self._records.get(sid) or next((c for c in self._records.values() if c.address == sid), None)
            if config is None:
                raise not_found(f"{PATH}/{sid}")
            return config
