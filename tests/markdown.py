"""Reading the project's Markdown as GitHub renders it: sections, fenced blocks, tables, links and heading anchors."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Link", "anchors", "fenced_blocks", "link_targets", "links", "section", "table_rows"]

_FENCE = re.compile(r"^\s*```")
_HEADING = re.compile(r"^(#{1,6}) (.+?)\s*#*\s*$")
_CODE_SPAN = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


@dataclass(frozen=True)
class Link:
    """A link of a Markdown file: where it points, and the line that holds it (for the failure message)."""

    source: Path
    line: int
    target: str


def _prose(text: str) -> list[tuple[int, str]]:
    """Numbered lines outside fenced code blocks: a `#` comment in a YAML block is no heading, a link in one none."""
    lines, fenced = [], False
    for number, line in enumerate(text.splitlines(), 1):
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced:
            lines.append((number, line))
    return lines


def _headings(text: str) -> list[tuple[int, int, str]]:
    """(line, level, title) of each heading outside code blocks."""
    return [(number, len(found[1]), found[2]) for number, line in _prose(text) if (found := _HEADING.match(line))]


def section(text: str, heading: str, *, nested: bool = True) -> str:
    """The text under `heading` (`## Options`, or a file's `# Title`) up to the next heading of its level or above;
    with `nested=False`, up to the next heading of any level (a page's lead, before its first subsection).

    A missing heading fails with its name, so a test that reads a moved section says which one it looked for."""
    level = len(heading) - len(heading.lstrip("#")) if nested else 6
    headings = _headings(text)
    starts = [number for number, found, title in headings if "#" * found + " " + title == heading]
    assert starts, f"no heading {heading!r}"
    ends = [number for number, found, _ in headings if number > starts[0] and found <= level]
    lines = text.splitlines()
    return "\n".join(lines[starts[0]:ends[0] - 1 if ends else len(lines)]) + "\n"


def fenced_blocks(text: str, language: str) -> list[str]:
    """The contents of every ```language block of `text`, in order."""
    return re.findall(rf"^```{language}\n(.*?)^```", text, re.S | re.M)


def table_rows(text: str) -> list[list[str]]:
    """The cells of each table row of `text` whose first cell is code (`| \\`name\\` | …`), stripped."""
    return [[cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]]
            for line in text.splitlines() if line.startswith("| `")]


def anchors(text: str) -> set[str]:
    """The anchors GitHub gives the headings of `text`: lowercased, punctuation dropped, spaces as hyphens, and a
    `-1`, `-2`… on repeats."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    for _, _, title in _headings(text):
        plain = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", title).strip().lower()
        slug = re.sub(r"[^\w\- ]", "", plain).replace(" ", "-")
        repeats = seen.get(slug, 0)
        found.add(f"{slug}-{repeats}" if repeats else slug)
        seen[slug] = repeats + 1
    return found


def link_targets(text: str) -> list[tuple[int, str]]:
    """(line, target) of every inline link of `text`, outside code blocks and code spans; a link's text may run
    over lines."""
    prose = dict(_prose(text))
    kept = "\n".join(_CODE_SPAN.sub("", prose.get(number, "")) for number in range(1, len(text.splitlines()) + 1))
    return [(kept.count("\n", 0, found.start()) + 1, found[1]) for found in _LINK.finditer(kept)]


def links(path: Path) -> list[Link]:
    """Every inline link of the Markdown file at `path`, outside code blocks and code spans."""
    return [Link(path, number, target) for number, target in link_targets(path.read_text())]
