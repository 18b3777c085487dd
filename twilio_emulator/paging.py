"""Twilio's paging: `PageSize`, `Page` and `PageToken` in; a page and its `meta` links out.

Page tokens point after (`PA<seq>`) or before (`PB<seq>`) an item by its creation sequence, so
a page stays correct while items are created and deleted between requests.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode

from twilio_emulator.errors import invalid

__all__ = ["Page", "page_of"]

T = TypeVar("T")


@dataclass(frozen=True)
class Page:
    items: list[Any]
    meta: dict[str, Any]


def page_of(items: Sequence[T], seq: Callable[[T], int], *, base_url: str, path: str, key: str, page_size: int,
            page: int, token: str | None, filters: dict[str, str]) -> Page:
    """One page of `items` (in creation order) with the `meta` Twilio sends beside it."""
    seqs = [seq(item) for item in items]
    mark = int(token[2:]) if token and re.fullmatch(r"P[AB][0-9]{1,18}", token) else None
    if token and mark is not None and token[:2] == "PB":
        end = sum(1 for s in seqs if s < mark)
        start = max(0, end - page_size)
    elif token and mark is not None:
        start = sum(1 for s in seqs if s <= mark)
    elif token:
        raise invalid(f"Invalid PageToken: {token[:40]!r}")
    else:
        start = page * page_size
    chunk = list(items[start:start + page_size])
    base = f"{base_url}{path}?" + urlencode({**filters, "PageSize": page_size})
    url = f"{base}&Page={page}" + (f"&PageToken={token}" if token else "")
    next_url = prev_url = None
    if chunk and start + page_size < len(items):
        next_url = f"{base}&Page={page + 1}&PageToken=PA{seq(chunk[-1])}"
    if chunk and page > 0:
        prev_url = f"{base}&Page={page - 1}&PageToken=PB{seq(chunk[0])}"
    meta = {"page": page, "page_size": page_size, "first_page_url": f"{base}&Page=0", "previous_page_url": prev_url,
            "url": url, "next_page_url": next_url, "key": key}
    return Page(chunk, meta)
