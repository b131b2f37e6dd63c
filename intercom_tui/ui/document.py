"""Lay out a parsed message body (``render.html.Document``) as lines of ``Content``.

The thread view draws with the Line API, so it needs a body as a list of lines already
wrapped to a width. Everything here is built from plain strings with style strings that
name theme variables: a body that says ``[bold red]X[/]`` shows those characters, and a
theme change recolours every body without re-parsing it.

The document model decides the words (link addresses, bullets, quote bars, gaps between
blocks: ``render.html`` shares them with export and previews); this module decides the
look. Ordinary blocks wrap with a hanging indent under bullets and quote bars;
preformatted blocks keep their lines whole (the view scrolls sideways instead), because a
stack trace re-wrapped at 60 columns is unreadable.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual.content import Content

from intercom_tui.render.html import QUOTE_BAR, Block, Document, Span, gap_between

#: Style strings for every look a body can have; keys are ``Span.styles`` names plus the
#: chrome this module adds. Theme variables keep them right in every theme. Muted text is
#: ``$foreground-muted``: ``$text-muted`` is "auto 60%", which a style string reads as "auto".
STYLES: dict[str, str] = {
    "bold": "bold",
    "italic": "italic",
    "underline": "underline",
    "strike": "strike",
    "code": "$text-accent on $panel",
    "link": "underline $text-accent",
    "heading": "bold $text-primary",
    "quote": "italic",
    "muted": "$foreground-muted",
    "quote_bar": "$foreground-muted",
    "bullet": "$text-accent",
    "code_block": "$foreground on $panel",
    "rule": "$foreground-muted",
    "image": "italic $foreground-muted",
}

_BAR = QUOTE_BAR.strip()
_MIN_WIDTH = 8
_CODE_PAD = " "


def span_style(styles: Iterable[str]) -> str:
    """One style string for a set of ``Span.styles`` names (unknown names are ignored)."""
    return " ".join(STYLES[name] for name in sorted(styles) if name in STYLES)


def spans_to_content(spans: Iterable[Span], extra_style: str = "") -> Content:
    """Spans as one ``Content`` (``extra_style`` under each span's own styles)."""
    return Content.assemble(
        *(
            (span.text, " ".join(s for s in (extra_style, span_style(span.styles)) if s))
            for span in spans
        )
    )


def _prefix(text: str) -> Content:
    """A block prefix: quote bars muted, list markers (bullets, numbers) accented."""
    if not text:
        return Content()
    parts: list[tuple[str, str]] = []
    for char in text:
        style = STYLES["quote_bar"] if char == _BAR else STYLES["bullet"]
        if parts and parts[-1][1] == style:
            parts[-1] = (parts[-1][0] + char, style)
        else:
            parts.append((char, style))
    return Content.assemble(*parts)


def _prefixed(lines: list[Content], first: Content, rest: Content) -> list[Content]:
    return [(first if i == 0 else rest) + line for i, line in enumerate(lines)]


def _flow_block(block: Block, width: int, first: Content, rest: Content) -> list[Content]:
    """Paragraphs, headings, list items, quotes, images, table rows: wrapped text."""
    extra = STYLES["image"] if block.kind == "image" else ""
    content = spans_to_content(block.spans, extra)
    inner = max(width - max(first.cell_length, rest.cell_length), _MIN_WIDTH // 2)
    return _prefixed(content.wrap(inner), first, rest)


def _code_block(block: Block, first: Content, rest: Content) -> list[Content]:
    """Preformatted text: one line per source line, never wrapped, on a code background."""
    lines = [Content(line) for line in block.text.split("\n")]
    box = max(line.cell_length for line in lines)
    boxed = [
        Content(f"{_CODE_PAD}{line.plain}{' ' * (box - line.cell_length)}{_CODE_PAD}").stylize(
            STYLES["code_block"]
        )
        for line in lines
    ]
    return _prefixed(boxed, first, rest)


def _block_lines(block: Block, width: int) -> list[Content]:
    first, rest = _prefix(block.prefix), _prefix(block.indent)
    if block.kind == "rule":
        return [first + Content.styled("─" * max(width - first.cell_length, 1), STYLES["rule"])]
    if block.preformatted:
        return _code_block(block, first, rest)
    return _flow_block(block, width, first, rest)


def render_document(document: Document, width: int) -> list[Content]:
    """Lines of ``document`` for a view ``width`` cells wide (at least 8).

    Flow lines fit the width; preformatted lines may be wider (crop or scroll them).
    Blocks are separated as ``render.html.gap_between`` says (a blank line, carrying the
    quote bars two quoted blocks share; none between items of a list).
    """
    width = max(width, _MIN_WIDTH)
    lines: list[Content] = []
    previous: Block | None = None
    for block in document:
        if previous is not None and (gap := gap_between(previous, block)) is not None:
            lines.append(_prefix(gap))
        lines.extend(_block_lines(block, width))
        previous = block
    return lines
