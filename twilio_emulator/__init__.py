"""A local emulator of the Twilio APIs flex-channels uses, faithful to Twilio's OpenAPI descriptions, on loopback only.

It is the embedded default for demos and the stand-in for Twilio in every test. It imports nothing
of `flex_provider` (a test checks that), so tests of the client against it check the real contract.
Shaped like moto: a backend per resource, registered in one place (`backends/`), with the operations
Twilio's contract gives it (`contract`); routes and handlers made from both (`routes`, `handlers`),
which parse and check requests as Twilio does; errors that carry their HTTP status and Twilio code
(`errors`), a file store (`store`) and fault injection (`faults`). Run it with `python -m twilio_emulator` (on
port 8765 unless `--port` says otherwise).
"""

from twilio_emulator.emulator import (
    DEFAULT_ACCOUNT_SID,
    DEFAULT_AUTH_TOKEN,
    DEFAULT_HOST,
    DEFAULT_PORT,
    DEFAULT_URL,
    Emulator,
)
from twilio_emulator.errors import TwilioError
from twilio_emulator.faults import Faults
from twilio_emulator.server import RecordedRequest

__all__ = ["DEFAULT_ACCOUNT_SID", "DEFAULT_AUTH_TOKEN", "DEFAULT_HOST", "DEFAULT_PORT", "DEFAULT_URL", "Emulator",
           "Faults", "RecordedRequest", "TwilioError"]
