"""The README's reference tables name everything the code accepts, so the docs cannot fall behind."""

from __future__ import annotations

from flex_provider.declarations import CHANNEL
from flex_provider.hosts import HOSTS
from flex_provider.options import OPTIONS
from flex_provider.settings import SOURCES
from flex_provider.version import __version__
from tests.support import ROOT

README = (ROOT / "README.md").read_text()


def _table_rows(heading: str) -> list[str]:
    section = README.split(f"\n{heading}\n", 1)[1].split("\n#", 1)[0]
    return [line for line in section.splitlines() if line.startswith("| `")]


def test_every_channel_field_is_documented_with_its_api_name() -> None:
    rows = _table_rows("### Channel fields")
    assert [row.split("`")[1] for row in rows] == [f.name for f in CHANNEL.fields]
    for spec, row in zip(CHANNEL.fields, rows, strict=True):
        assert f"`{spec.api_name}`" in row
        assert row.split("|")[2].strip() == ("yes" if spec.required else "no")


def test_every_option_is_documented() -> None:
    assert [row.split("`")[1] for row in _table_rows("### Channel options")] == [option.key for option in OPTIONS]


def test_every_setting_is_documented_with_its_config_key_and_variable() -> None:
    rows = _table_rows("## Configuration")
    for source in [*SOURCES.values(), HOSTS]:
        [row] = [r for r in rows if r.startswith(f"| `{source.config_key}`")]
        assert f"`{source.env_var}`" in row
        assert ("(secret)" in row) == source.secret


def test_changelog_names_the_current_version() -> None:
    assert f"## {__version__} " in (ROOT / "CHANGELOG.md").read_text()
