"""The README's reference tables name everything the code accepts, so the docs cannot fall behind."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from flex_provider.declaration import ResourceType
from flex_provider.declarations import RESOURCE_TYPES
from flex_provider.hosts import HOSTS
from flex_provider.options import OPTIONS
from flex_provider.settings import SOURCES
from flex_provider.stackfile import check_stack_file
from flex_provider.version import __version__
from tests.support import ROOT

README = (ROOT / "README.md").read_text()


def _table_rows(heading: str) -> list[str]:
    section = README.split(f"\n{heading}\n", 1)[1].split("\n#", 1)[0]
    return [line for line in section.splitlines() if line.startswith("| `")]


def _yaml_blocks(heading: str) -> list[str]:
    section = README.split(f"\n{heading}\n", 1)[1].split("\n## ", 1)[0]
    return [block.split("```", 1)[0] for block in section.split("```yaml\n")[1:]]


@pytest.mark.parametrize("rtype", RESOURCE_TYPES, ids=[rtype.name for rtype in RESOURCE_TYPES])
def test_every_field_is_documented_with_its_api_name_and_what_a_change_does(rtype: ResourceType) -> None:
    rows = _table_rows(f"### {rtype.noun.title()} fields")
    documented = [row for spec in rtype.fields
                  for row in ((spec, spec.name), *((sub, f"{spec.name}.{sub.name}") for sub in spec.fields))]
    assert [row.split("`")[1] for row in rows] == [name for _, name in documented]
    for (spec, _), row in zip(documented, rows, strict=True):
        cells = [cell.strip() for cell in row.split("|")[1:-1]]
        assert cells[-1] == (f"`{spec.api_name}.*`" if spec.fields else f"`{spec.api_name}`")
        assert cells[1].startswith("yes" if spec.required else "no")
        assert cells[4] == ("in place" if spec.updatable else "replace")


def test_every_section_is_documented_with_its_defaults_key() -> None:
    rows = [[cell.strip() for cell in row.split("|")[1:-1]] for row in _table_rows("## Stack files")]
    assert [(row[0], row[1]) for row in rows] == [(f"`{rtype.section}:`", f"`{rtype.defaults_key}:`")
                                                  for rtype in RESOURCE_TYPES]
    assert [row[2].split("`")[1] for row in rows] == [rtype.name for rtype in RESOURCE_TYPES]


def test_every_option_is_documented() -> None:
    rows = _table_rows("### Options")
    assert [row.split("`")[1] for row in rows] == [option.key for option in OPTIONS]
    [import_row] = [row for row in rows if row.startswith("| `import`")]
    assert all(f"`{rtype.sid_prefix}…`" in import_row for rtype in RESOURCE_TYPES)


@pytest.mark.parametrize("heading", ["### Address fields", "## From legacy chat channels to Conversations"])
def test_the_stack_file_examples_are_valid(tmp_path: Path, heading: str) -> None:
    blocks = _yaml_blocks(heading)
    assert blocks
    for index, block in enumerate(blocks):
        path = tmp_path / f"example-{index}.yaml"
        path.write_text(block)
        assert check_stack_file(path)[1] == [], block


def test_the_migration_example_declares_the_legacy_setup_and_its_successor() -> None:
    legacy, successor = _yaml_blocks("## From legacy chat channels to Conversations")
    assert "flex_flows:" in legacy and "channels:" in legacy and "addresses:" not in legacy
    assert "addresses:" in successor and "flex_flows:" not in successor


def test_every_setting_is_documented_with_its_config_key_and_variable() -> None:
    rows = _table_rows("## Configuration")
    for source in [*SOURCES.values(), HOSTS]:
        [row] = [r for r in rows if r.startswith(f"| `{source.config_key}`")]
        assert f"`{source.env_var}`" in row
        assert ("(secret)" in row) == source.secret


def test_changelog_names_the_current_version() -> None:
    assert f"## {__version__} " in (ROOT / "CHANGELOG.md").read_text()


def test_the_pre_commit_instructions_set_up_what_the_hook_runs() -> None:
    """The hook runs this checkout's .venv; the README's instructions make it (`make setup`) before installing it."""
    [hook] = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())["repos"][0]["hooks"]
    assert hook["entry"].startswith(".venv/bin/python ")
    section = README.split("`.pre-commit-config.yaml` runs the validator", 1)[1].split("\n## ", 1)[0]
    [block] = section.split("```sh\n")[1:]
    commands = [line.split("#")[0].strip() for line in block.split("```", 1)[0].splitlines()]
    assert commands == ["make setup", "pip install pre-commit && pre-commit install"]
