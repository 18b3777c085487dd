"""Command line of `flex-channels` (or `python -m flex_provider`): `validate [FILES…]`, `schema`,
`<section> list` (for example `channels list --flow FO…`, `addresses list --type sms`, `channels list
--emulator`) and `emulator-env`.

`validate` and `schema` import only PyYAML, so they need neither Pulumi nor credentials; `list` and
`emulator-env` import the HTTP client only when they run.

Like any Unix tool: output into a closed pipe (`| head -1`) ends it quietly with status 141 (128 +
SIGPIPE), Ctrl-C with one line and status 130 (128 + SIGINT), never with a traceback; a terminal
whose encoding lacks a character gets its escape instead of an error.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from flex_provider.declaration import ResourceType
from flex_provider.declarations import RESOURCE_TYPES
from flex_provider.errors import FlexError
from flex_provider.stackfile import check_stack_file, iter_stack_files
from flex_provider.stackfile_schema import SCHEMA_FILE, build_schema
from flex_provider.values import counted, escaped, quote, shown
from flex_provider.version import __version__

CLOSED_PIPE = 141
"""128 + SIGPIPE: what a shell reports for a command whose output pipe closed."""
INTERRUPTED = 130
"""128 + SIGINT: what a shell reports for a command stopped with Ctrl-C."""
_STACK_NAME = re.compile(r"(?:[A-Za-z0-9._-]{1,100}/){0,2}([A-Za-z0-9._-]{1,100})")
"""A Pulumi stack name, bare or as `org/project/stack`; its config file is `Pulumi.<stack>.yaml`."""


def _validate(files: list[Path]) -> int:
    if not files:
        files = list(iter_stack_files(Path("stacks")))
        if not files:
            print("validate: no stack files given and none in stacks/", file=sys.stderr)
            return 2
    failed = 0
    for path in files:
        stack, problems = check_stack_file(path)
        for problem in problems:
            print(problem)
        if stack is None:
            failed += 1
        else:
            print(f"{shown(str(path))}: {stack.summary()}, valid")
    if failed:
        print(f"validate: {failed} of {len(files)} stack files have problems", file=sys.stderr)
    return 1 if failed else 0


_PACKAGED = Path(__file__).with_name(SCHEMA_FILE)
"""The schema the package ships, which `schema --write` regenerates in a checkout."""


def _schema(write: Path | None) -> int:
    text = json.dumps(build_schema(), indent=2) + "\n"
    if write is None:
        sys.stdout.write(text)
        return 0
    if write == _PACKAGED and not (_PACKAGED.parent.parent / "pyproject.toml").is_file():
        print(f"schema --write: {shown(str(_PACKAGED.parent), 4096)} is an installed package, not a checkout of "
              "flex-channels, and is left as it is. Give a file to write (`schema --write stackfile.schema.json`), "
              "or run it in a checkout to regenerate the shipped schema.", file=sys.stderr)
        return 2
    try:
        write.write_text(text)
    except OSError as exc:
        print(f"schema --write: cannot write {shown(str(write), 4096)}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"wrote {shown(str(write), 4096)}")
    return 0


def _emulator_url(text: str) -> str:
    """An argparse type for `--emulator` and `emulator-env`: the emulator's URL or port, checked."""
    from flex_provider.local_emulator import emulator_url

    try:
        return emulator_url(text)
    except FlexError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _emulator_env(url: str | None) -> int:
    from flex_provider.local_emulator import emulator_url, export_lines

    sys.stdout.write(export_lines(url or emulator_url()))
    return 0


def _list(rtype: ResourceType, args: argparse.Namespace) -> int:
    from flex_provider.listing import list_resources, stack_config

    filters = {name: getattr(args, name) for name in _list_options(rtype) if getattr(args, name)}
    _show_retries()
    try:
        config = stack_config(Path.cwd(), args.stack) if args.stack else {}
        environ = os.environ
        if args.emulator:
            from flex_provider.local_emulator import emulator_environ

            environ = emulator_environ(args.emulator, os.environ)
        count = list_resources(rtype, filters, config, as_json=args.json, environ=environ)
    except FlexError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if not args.json:
        print(counted(count, rtype.noun), file=sys.stderr)
    return 0


def _show_retries() -> None:
    """Print the client's retries on stderr as they happen, so a slow answer is not a silent wait."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logging.getLogger("flex_provider").addHandler(handler)


def _accepted_by(rtype: ResourceType, output: str) -> object:
    """An argparse type that accepts only what the field accepts: a SID of its pattern, one of its choices."""
    spec = rtype.by_name.get(output)

    def check(text: str) -> str:
        if spec is not None and spec.problem(text):
            raise argparse.ArgumentTypeError(f"{quote(text)} {spec.problem(text)}")
        return text

    return check


def _stack_name(text: str) -> str:
    """`--stack`: the short name of a Pulumi stack (its config file's), checked before it names a file."""
    found = _STACK_NAME.fullmatch(text)
    if found is None:
        raise argparse.ArgumentTypeError(f"{quote(text)} is not a Pulumi stack name: letters, digits, '.', '_' and "
                                         "'-' (or org/project/stack)")
    return found[1]


class _Parser(argparse.ArgumentParser):
    """argparse, whose usage errors reach the terminal escaped (`escaped`).

    argparse quotes a refused choice with `repr`, which leaves a look-alike letter as it was typed (`'сhannels'`
    for `channels`), and an unrecognized argument not at all: its escape sequence reached the terminal and its
    newline forged a line. Subcommands' parsers are of this class too (argparse makes them of their parent's).
    """

    def error(self, message: str) -> NoReturn:
        super().error(escaped(message))


def _list_options(rtype: ResourceType) -> list[str]:
    """What a list command takes, by output name: a nested resource's parents, then the declared filters."""
    return [*(spec.name for spec in rtype.path_fields), *(f.output for f in rtype.list_filters)]


def _add_list_commands(commands: argparse._SubParsersAction,  # type: ignore[type-arg]
                       types: Sequence[ResourceType]) -> dict[str, ResourceType]:
    by_command = {}
    for rtype in types:
        by_command[rtype.command] = rtype
        group = commands.add_parser(rtype.command, help=f"{rtype.title}s of the account")
        actions = group.add_subparsers(dest="action", required=True)
        listing = actions.add_parser("list", help=f"list the account's {rtype.title}s, with the credentials and "
                                                  "settings the provider uses")
        for spec in rtype.path_fields:
            listing.add_argument(f"--{spec.name.replace('_', '-')}", dest=spec.name, required=True,
                                 type=_accepted_by(rtype, spec.name), metavar=spec.name.upper(),
                                 help=f"the {spec.name} whose {rtype.title}s to list")
        for list_filter in rtype.list_filters:
            listing.add_argument(list_filter.flag, dest=list_filter.output,
                                 type=_accepted_by(rtype, list_filter.output), metavar=list_filter.output.upper(),
                                 help=list_filter.help)
        target = listing.add_mutually_exclusive_group()
        target.add_argument("--stack", type=_stack_name,
                            help="also read the settings of this stack's Pulumi.<stack>.yaml (secrets there are "
                                 "encrypted: give them as TWILIO_* variables)")
        target.add_argument("--emulator", nargs="?", const="", type=_emulator_url, metavar="URL_OR_PORT",
                            help="list what the local emulator holds, with its test account, instead of using the "
                                 "TWILIO_* / FLEX_* settings: where `python -m twilio_emulator` listens by default, "
                                 "or at the port or loopback URL given")
        listing.add_argument("--json", action="store_true", help="print JSON, every output of each")
    return by_command


def main(argv: list[str] | None = None, prog: str = "flex-channels",
         types: Sequence[ResourceType] = RESOURCE_TYPES) -> int:
    """The `flex-channels` console script; `python -m flex_provider` runs the same under its own name. `types` are
    the resource types with a list command (by default every declared one)."""
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    try:
        status = _run(argv, prog, types)
        sys.stdout.flush()  # here, not at exit, so a closed pipe is caught below
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # the flush at exit writes nowhere
        return CLOSED_PIPE
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return INTERRUPTED
    return status


def _run(argv: list[str] | None, prog: str, types: Sequence[ResourceType]) -> int:
    parser = _Parser(prog=prog, description="flex-channels tools")
    parser.add_argument("--version", action="version", version=f"flex-channels {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    validate = commands.add_parser("validate", help="check stack files without Pulumi or credentials")
    validate.add_argument("files", nargs="*", type=Path, help="stack files (default: every stacks/*.yaml)")
    schema = commands.add_parser("schema", help="print the stack-file JSON Schema")
    schema.add_argument("--write", nargs="?", const=_PACKAGED, type=Path, metavar="FILE",
                        help=f"write it to FILE instead; without FILE, to flex_provider/{SCHEMA_FILE} of this "
                             "checkout (never into an installed package)")
    emulator_env = commands.add_parser("emulator-env", help="print the shell lines that point the provider and this "
                                                            "CLI at the local emulator")
    emulator_env.add_argument("url", nargs="?", type=_emulator_url, metavar="URL_OR_PORT",
                              help="the emulator's port or loopback URL (default: where `python -m "
                                   "twilio_emulator` listens by default)")
    listed = _add_list_commands(commands, types)
    args = parser.parse_args(argv)
    if args.command == "validate":
        return _validate(args.files)
    if args.command == "schema":
        return _schema(args.write)
    if args.command == "emulator-env":
        return _emulator_env(args.url)
    return _list(listed[args.command], args)


if __name__ == "__main__":
    sys.exit(main(prog="python -m flex_provider"))
