"""Command line: `python -m twilio_emulator [--port PORT] [--data FILE] [faults…]`."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import NoReturn

from twilio_emulator.emulator import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, DEFAULT_HOST, DEFAULT_PORT, Emulator
from twilio_emulator.faults import Faults
from twilio_emulator.store import StoreError

__all__ = ["main"]

CLOSED_PIPE = 141
"""128 + SIGPIPE: what a shell reports for a command whose output pipe closed."""

_HELP = """\
A local emulator of the Twilio APIs flex-channels uses (Flex chat channels and Flex Flows; Conversations
address configurations), all on one port, on loopback only.

Besides the Twilio API it has an admin API for tests and benchmarks:
  GET  /_emulator/stats    requests, TCP connections and resources held
  POST /_emulator/faults   a JSON object of fault settings (latency_ms, rate_429, retry_after,
                           rate_5xx, status_5xx, drop_after_create, methods)
  POST /_emulator/reset    forget every resource, counter and fault; with --data this also
                           empties the data file, without asking

Requests from web pages (an Origin header, or a Host that is not loopback) are refused.
"""


class _Parser(argparse.ArgumentParser):
    """argparse, whose usage errors reach the terminal or log escaped: every character that is not printable ASCII as
    its code point, as `ascii` writes it, but the '…' that marks a value cut short (`_port`).

    argparse echoes an unrecognized argument as it was typed (an escape sequence reached the terminal, a newline
    forged a line of the log) and a refused value with `repr`, which leaves a look-alike letter as it was typed.
    (flex_provider's command line does the same; this package imports nothing of it.)
    """

    def error(self, message: str) -> NoReturn:
        super().error("".join(char if " " <= char <= "~" or char == "…" else ascii(char)[1:-1] for char in message))


def _port(text: str) -> int:
    """ASCII digits only: `isdigit` takes '²' (which int() refuses) and '٣' (which it reads as 3), and int() refuses
    more than 4,300 digits."""
    if not (text.isascii() and text.isdigit() and len(text) <= 5 and int(text) <= 65535):
        shown = ascii(text[:20]) + ("…" if len(text) > 20 else "")
        raise argparse.ArgumentTypeError(f"{shown} is not a TCP port (0 to 65535; 0 picks a free one)")
    return int(text)


def _fault(name: str) -> Callable[[str], float]:
    """An option's type that checks the value as `Faults` does, so the usage error names the option."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        try:
            Faults(**{name: value})
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
        return value
    return parse


def _stop(signum: int, frame: FrameType | None) -> None:
    """SIGTERM (what `make down` and service managers send) stops as cleanly as Ctrl-C: the lock is released."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None, prog: str = "python -m twilio_emulator") -> int:
    """Start the emulator and serve until interrupted; 2 on a usage or start-up error."""
    parser = _Parser(prog=prog, description=_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"loopback address to bind: {DEFAULT_HOST} (default), "
                                                             "::1, localhost or any 127.x.y.z")
    parser.add_argument("--port", type=_port, default=DEFAULT_PORT,
                        help=f"port (default {DEFAULT_PORT}; 0 picks a free one)")
    parser.add_argument("--data", type=Path, help="JSON file that keeps resources across restarts (locked while "
                                                  "this emulator runs)")
    parser.add_argument("--account-sid", default=DEFAULT_ACCOUNT_SID)
    parser.add_argument("--auth-token", default=DEFAULT_AUTH_TOKEN,
                        help="the token to accept (default: the published test token, which is printed at start)")
    parser.add_argument("--api-key", help="also accept this API Key SID …")
    parser.add_argument("--api-secret", help="… with this API Key secret")
    parser.add_argument("--require-flows", action="store_true",
                        help="refuse a channel whose Flex Flow does not exist, as Twilio does (default: any "
                             "well-formed FO SID, so placeholder SIDs work)")
    parser.add_argument("--latency-ms", type=_fault("latency_ms"), default=0.0,
                        help="added latency per API request (0 to 600000)")
    parser.add_argument("--rate-429", type=_fault("rate_429"), default=0.0,
                        help="share (0 to 1) of API requests answered 429")
    parser.add_argument("--rate-5xx", type=_fault("rate_5xx"), default=0.0,
                        help="share (0 to 1) of API requests answered 503")
    parser.add_argument("--drop-after-create", type=_fault("drop_after_create"), default=0.0,
                        help="share (0 to 1) of creates whose connection is dropped after the resource is made")
    args = parser.parse_args(argv)
    faults = Faults(latency_ms=args.latency_ms, rate_429=args.rate_429, rate_5xx=args.rate_5xx,
                    drop_after_create=args.drop_after_create)
    try:
        emulator = Emulator(args.host, args.port, account_sid=args.account_sid, auth_token=args.auth_token,
                            api_key=args.api_key, api_secret=args.api_secret, data_file=args.data, faults=faults,
                            require_flows=args.require_flows)
    except (ValueError, OSError, StoreError) as exc:
        print(f"emulator: cannot start: {exc}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _stop)  # before the banner, which tells a supervisor the emulator is up
    token = emulator.auth_token if emulator.auth_token == DEFAULT_AUTH_TOKEN else "(as given with --auth-token)"
    try:
        print(f"Twilio API emulator (Flex, Conversations) listening on {emulator.base_url}", flush=True)
        print(f"  test credentials: account SID {ascii(emulator.account_sid)[1:-1]}, auth token {token}", flush=True)
    except BrokenPipeError:  # whoever waited for the banner is gone: stop as `| head -0` stops any tool
        emulator.close()
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return CLOSED_PIPE
    with contextlib.suppress(KeyboardInterrupt):
        emulator.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
