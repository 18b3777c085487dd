"""Every relative link of the README and docs/ reaches a file, and a heading where it names one; every doc is in the
README's table of contents."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from tests.markdown import Link, anchors, link_targets, links, section
from tests.support import ROOT

DOCS = sorted((ROOT / "docs").glob("*.md"))
PAGES = [ROOT / "README.md", *DOCS, *sorted((ROOT / "examples").glob("*/README.md"))]


def _problem(link: Link) -> str | None:
    """Why `link` leads nowhere, or None when it reaches its file (and heading)."""
    parts = urlsplit(link.target)
    target = (link.source.parent / unquote(parts.path)).resolve() if parts.path else link.source
    if not target.is_relative_to(ROOT):
        return f"{target} is outside the repository"
    if not target.exists():
        return f"{target.relative_to(ROOT)} does not exist"
    if parts.fragment:
        if target.suffix != ".md":
            return f"#{parts.fragment} on {target.relative_to(ROOT)}, which has no headings"
        if parts.fragment not in anchors(target.read_text()):
            return f"{target.relative_to(ROOT)} has no heading #{parts.fragment}"
    return None


@pytest.mark.parametrize("page", PAGES, ids=[str(page.relative_to(ROOT)) for page in PAGES])
def test_every_relative_link_reaches_a_file_and_heading_that_exist(page: Path) -> None:
    relative = [link for link in links(page) if not urlsplit(link.target).scheme]
    problems = [f"{link.source.relative_to(ROOT)}:{link.line}: ({link.target}) {problem}"
                for link in relative if (problem := _problem(link))]
    assert problems == []


def test_every_doc_is_in_the_readmes_table_of_contents() -> None:
    contents = section((ROOT / "README.md").read_text(), "## Contents")
    linked = {unquote(urlsplit(target).path) for _, target in link_targets(contents)}
    assert DOCS
    assert {f"docs/{doc.name}" for doc in DOCS} - linked == set()


def test_anchors_are_githubs_and_links_in_code_are_not_links() -> None:
    """The checker itself: GitHub's anchors for headings with code, punctuation and repeats; a `#` line in a code
    block is no heading, and a link in a code block or span is no link."""
    text = ("# Reading an existing resource: `get`\n## Drift and `pulumi refresh`\n## Tests\n### Tests\n"
            "```yaml\n# not-a-heading [x](gone.md)\n```\n"
            "[a](one.md) `[b](two.md)` [c](#tests-1) [a link\nover lines](three.md)\n")
    assert anchors(text) == {"reading-an-existing-resource-get", "drift-and-pulumi-refresh", "tests", "tests-1"}
    assert link_targets(text) == [(8, "one.md"), (8, "#tests-1"), (8, "three.md")]
