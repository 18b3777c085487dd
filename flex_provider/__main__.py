"""Command line: `python -m flex_provider validate [FILES…]` and `python -m flex_provider schema`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from flex_provider.stackfile import check_stack_file, iter_stack_files
from flex_provider.stackfile_schema import SCHEMA_FILE, build_schema
from flex_provider.values import shown


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m flex_provider", description="flex-channels tools")
    commands = parser.add_subparsers(dest="command", required=True)
    validate = commands.add_parser("validate", help="check stack files without Pulumi or credentials")
    validate.add_argument("files", nargs="*", type=Path, help="stack files (default: every stacks/*.yaml)")
    schema = commands.add_parser("schema", help="print the stack-file JSON Schema")
    schema.add_argument("--write", action="store_true", help=f"write it to flex_provider/{SCHEMA_FILE} instead")
    args = parser.parse_args(argv)
    if args.command == "validate":
        return _validate(args.files)
    return _schema(args.write)


if __name__ == "__main__":
    sys.exit(main())
