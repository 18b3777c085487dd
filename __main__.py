"""The Pulumi program: the current stack's YAML file (stacks/<stack>.yaml) becomes FlexChannel resources."""

from pathlib import Path

from flex_provider.program import run

run(Path(__file__).resolve().parent)
