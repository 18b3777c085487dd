"""The docs' reference tables name everything the code accepts, and their examples are valid, so the docs cannot fall
behind; the README keeps the quick start on its first screen."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from flex_provider.declaration import ResourceType
from flex_provider.declarations import RESOURCE_TYPES
from flex_provider.front_end import FRONT_END_KEY
from flex_provider.hosts import HOSTS
from flex_provider.options import OPTIONS
from flex_provider.settings import SOURCES
from flex_provider.stackfile import check_stack_file
from flex_provider.version import __version__
from tests.markdown import fenced_blocks, section, table_rows
from tests.support import ROOT

README = ROOT / "README.md"
STACK_FILES = ROOT / "docs" / "stack-files.md"
CONFIGURATION = ROOT / "docs" / "configuration.md"
LEGACY_CHAT = ROOT / "docs" / "legacy-chat.md"
FIRST_SCREEN = 40
"""Lines a newcomer sees of the README before scrolling: the quick start's commands end within them."""


def _read(path: Path, heading: str, *, nested: bool = True) -> str:
    return section(path.read_text(), heading, nested=nested)


@pytest.mark.parametrize("rtype", RESOURCE_TYPES, ids=[rtype.name for rtype in RESOURCE_TYPES])
def test_every_field_is_documented_with_its_api_name_and_what_a_change_does(rtype: ResourceType) -> None:
    rows = table_rows(_read(STACK_FILES, f"## {rtype.noun.title()} fields"))
    documented = [row for spec in rtype.fields
                  for row in ((spec, spec.name), *((sub, f"{spec.name}.{sub.name}") for sub in spec.fields))]
    assert [row[0].split("`")[1] for row in rows] == [name for _, name in documented]
    for (spec, _), cells in zip(documented, rows, strict=True):
        assert cells[-1] == (f"`{spec.api_name}.*`" if spec.fields else f"`{spec.api_name}`")
        assert cells[1].startswith("yes" if spec.required else "no")
        assert cells[4] == ("in place" if spec.updatable else "replace")


def test_every_section_is_documented_with_its_defaults_key() -> None:
    rows = table_rows(_read(STACK_FILES, "# Stack files", nested=False))
    assert [(row[0], row[1]) for row in rows] == [(f"`{rtype.section}:`", f"`{rtype.defaults_key}:`")
                                                  for rtype in RESOURCE_TYPES]
    assert [row[2].split("`")[1] for row in rows] == [rtype.name for rtype in RESOURCE_TYPES]


def test_every_option_is_documented() -> None:
    rows = table_rows(_read(STACK_FILES, "## Options"))
    assert [row[0].split("`")[1] for row in rows] == [option.key for option in OPTIONS]
    [import_row] = [" | ".join(row) for row in rows if row[0] == "`import`"]
    assert all(f"`{rtype.sid_prefix}…`" in import_row for rtype in RESOURCE_TYPES)


@pytest.mark.parametrize("page", [README, STACK_FILES, ROOT / "docs" / "adopting.md", LEGACY_CHAT],
                         ids=lambda page: str(page.relative_to(ROOT)))
def test_the_stack_file_examples_are_valid(tmp_path: Path, page: Path) -> None:
    """Every YAML example of these pages is a whole stack file the validator accepts."""
    blocks = fenced_blocks(page.read_text(), "yaml")
    assert blocks
    for index, block in enumerate(blocks):
        path = tmp_path / f"example-{index}.yaml"
        path.write_text(block)
        assert check_stack_file(path)[1] == [], block


def test_the_readme_shows_a_stack_file_with_every_section() -> None:
    [example] = fenced_blocks(_read(README, "## A stack file"), "yaml")
    assert set(yaml.safe_load(example)) == {rtype.section for rtype in RESOURCE_TYPES}


def test_the_migration_example_declares_the_legacy_setup_and_its_successor() -> None:
    legacy, successor = fenced_blocks(LEGACY_CHAT.read_text(), "yaml")
    assert "flex_flows:" in legacy and "channels:" in legacy and "addresses:" not in legacy
    assert "addresses:" in successor and "flex_flows:" not in successor


def test_every_setting_is_documented_with_its_config_key_native_key_and_variable() -> None:
    rows = [" | ".join(row) for row in table_rows(_read(CONFIGURATION, "# Configuration", nested=False))]
    for source in [*SOURCES.values(), HOSTS]:
        [row] = [r for r in rows if r.startswith(f"`{source.config_key}`")]
        assert f"`{source.env_var}`" in row
        assert ("(secret)" in row) == source.secret
        if source in SOURCES.values():
            assert f"| `{source.native_key}` |" in row
    [front_end] = [r for r in rows if r.startswith(f"`{FRONT_END_KEY}`")]
    assert "`FLEX_" not in front_end, "a stack setting only: no variable"


def test_changelog_names_the_current_version() -> None:
    assert f"## {__version__} " in (ROOT / "CHANGELOG.md").read_text()


def test_the_pre_commit_instructions_set_up_what_the_hook_runs() -> None:
    """The hook runs this checkout's .venv; the instructions make it (`make setup`) before installing the hook."""
    [hook] = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())["repos"][0]["hooks"]
    assert hook["entry"].startswith(".venv/bin/python ")
    [block] = fenced_blocks(_read(ROOT / "docs" / "gitops.md", "## Pre-commit"), "sh")
    commands = [line.split("#")[0].strip() for line in block.splitlines()]
    assert commands == ["make setup", "pip install pre-commit && pre-commit install"]


def test_the_quick_start_is_on_the_readmes_first_screen() -> None:
    """The project in a few lines, the contents, then the quick start's commands, before a newcomer scrolls."""
    lines = README.read_text().splitlines()
    start = lines.index("## Quick start")
    end = next(number for number, line in enumerate(lines) if number > start and line.startswith("make test"))
    assert end < FIRST_SCREEN, f"the quick start's commands end at line {end + 1} of README.md"
