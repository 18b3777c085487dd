"""`python -m flex_provider.emulator`: the old name of `python -m twilio_emulator`, kept for existing scripts."""

from __future__ import annotations

import sys

from twilio_emulator import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, Emulator, Faults, RecordedRequest
from twilio_emulator.__main__ import main

__all__ = ["DEFAULT_ACCOUNT_SID", "DEFAULT_AUTH_TOKEN", "Emulator", "Faults", "RecordedRequest", "main"]

if __name__ == "__main__":
    sys.exit(main(prog="python -m flex_provider.emulator"))
