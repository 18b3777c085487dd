"""Command line of `flex-channels` (or `python -m flex_provider`): `validate [FILES…]`, `schema`, and
`<section> list` (for example `channels list --flow FO…`, `addresses list --type sms`).

`validate` and `schema` import only PyYAML, so they need neither Pulumi nor credentials; `list` imports the
HTTP client only when it runs.

Like any Unix tool: output into a closed pipe (`| head -1`) ends it quietly with status 141 (128 +
SIGPIPE), Ctrl-C with one line and status 130 (128 + SIGINT), never with a traceback; a terminal
whose encoding lacks a character gets its escape instead of an error.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

from flex_provider.declaration import ResourceType
from flex_provider.declarations import RESOURCE_TYPES
from flex_provider.errors import FlexError
from flex_provider.stackfile import check_stack_file, iter_stack_files
from flex_provider.stackfile_schema import SCHEMA_FILE, build_schema
from flex_provider.values import counted, quote, shown

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


def _schema(write: bool) -> int:
    text = json.dumps(build_schema(), indent=2) + "\n"
    if write:
        target = Path(__file__).with_name(SCHEMA_FILE)
        target.write_text(text)
        print(f"wrote {target}")
    else:
        sys.stdout.write(text)
    return 0


def _list(rtype: ResourceType, args: argparse.Namespace) -> int:
    from flex_provider.listing import list_resources, stack_config

    filters = {f.output: getattr(args, f.output) for f in rtype.list_filters if getattr(args, f.output)}
    try:
        config = stack_config(Path.cwd(), args.stack) if args.stack else {}
        count = list_resources(rtype, filters, config, as_json=args.json)
    except FlexError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if not args.json:
        print(counted(count, rtype.noun), file=sys.stderr)
    return 0


def _accepted_by(rtype: ResourceType, output: str) -> object:
    """An argparse type that accepts only what the field accepts: a SID of its pattern, one of its choices."""
    spec = rtype.by_name.get(output)

    def check(text: str) -> str:
        if spec is not None and spec.problem(text):
            raise argparse.ArgumentTypeError(f"{text!r} {spec.problem(text)}")
        return text

    return check


def _stack_name(text: str) -> str:
    """`--stack`: the short name of a Pulumi stack (its config file's), checked before it names a file."""
    found = _STACK_NAME.fullmatch(text)
    if found is None:
        raise argparse.ArgumentTypeError(f"{quote(text)} is not a Pulumi stack name: letters, digits, '.', '_' and "
                                         "'-' (or org/project/stack)")
    return found[1]


def _add_list_commands(commands: argparse._SubParsersAction) -> dict[str, ResourceType]:  # type: ignore[type-arg]
    by_command = {}
    for rtype in RESOURCE_TYPES:
        by_command[rtype.command] = rtype
        group = commands.add_parser(rtype.command, help=f"{rtype.title}s of the account")
        actions = group.add_subparsers(dest="action", required=True)
        listing = actions.add_parser("list", help=f"list the account's {rtype.title}s, with the credentials and "
                                                  "settings the provider uses")
        for list_filter in rtype.list_filters:
            listing.add_argument(list_filter.flag, dest=list_filter.output,
                                 type=_accepted_by(rtype, list_filter.output), metavar=list_filter.output.upper(),
                                 help=list_filter.help)
        listing.add_argument("--stack", type=_stack_name,
                             help="also read the settings of this stack's Pulumi.<stack>.yaml (secrets there are "
                                  "encrypted: give them as TWILIO_* variables)")
        listing.add_argument("--json", action="store_true", help="print JSON, every output of each")
    return by_command


def main(argv: list[str] | None = None, prog: str = "flex-channels") -> int:
    """The `flex-channels` console script; `python -m flex_provider` runs the same under its own name."""
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    try:
        status = _run(argv, prog)
        sys.stdout.flush()  # here, not at exit, so a closed pipe is caught below
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # the flush at exit writes nowhere
        return CLOSED_PIPE
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return INTERRUPTED
    return status


def _run(argv: list[str] | None, prog: str) -> int:
    parser = argparse.ArgumentParser(prog=prog, description="flex-channels tools")
    commands = parser.add_subparsers(dest="command", required=True)
    validate = commands.add_parser("validate", help="check stack files without Pulumi or credentials")
    validate.add_argument("files", nargs="*", type=Path, help="stack files (default: every stacks/*.yaml)")
    schema = commands.add_parser("schema", help="print the stack-file JSON Schema")
    schema.add_argument("--write", action="store_true", help=f"write it to flex_provider/{SCHEMA_FILE} instead")
    listed = _add_list_commands(commands)
    args = parser.parse_args(argv)
    if args.command == "validate":
        return _validate(args.files)
    if args.command == "schema":
        return _schema(args.write)
    return _list(listed[args.command], args)


if __name__ == "__main__":
    sys.exit(main(prog="python -m flex_provider"))
