"""Fuzzy filtering for pickers, ranked like Textual's command palette.

Textual's ``Matcher.highlight`` parses the candidate as markup, which is unsafe for tag
and admin names that come from the API, so we score with ``FuzzySearch`` and highlight
by styling a plain ``Content`` ourselves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from textual.content import Content
from textual.fuzzy import FuzzySearch

T = TypeVar("T")

_search = FuzzySearch()
MATCH_STYLE = "bold underline"


def fuzzy_filter(
    query: str, items: Iterable[T], label: Callable[[T], str]
) -> list[tuple[T, Content]]:
    """Items whose label matches ``query`` as a subsequence, best first, highlighted."""
    query = query.strip()
    if not query:
        return [(item, Content(label(item))) for item in items]
    scored: list[tuple[float, int, T, Content]] = []
    for order, item in enumerate(items):
        text = label(item)
        score, offsets = _search.match(query, text)
        if score <= 0:
            continue
        content = Content(text)
        for offset in offsets:
            if not text[offset].isspace():
                content = content.stylize(MATCH_STYLE, offset, offset + 1)
        scored.append((score, order, item, content))
    scored.sort(key=lambda s: (-s[0], s[1]))
    return [(item, content) for _, _, item, content in scored]
