"""Untrusted Intercom content → safe, structured text for the screen (no Textual here).

``safe`` is the gate every API string passes on its way into a widget; ``html`` turns
conversation bodies into a small document model (and plain text, Markdown, previews);
``compose`` turns what the user types into the HTML Intercom expects.
"""

from __future__ import annotations

from intercom_tui.render.compose import text_to_html
from intercom_tui.render.html import (
    Block,
    Document,
    Span,
    document_to_markdown,
    document_to_text,
    first_line_preview,
    gap_between,
    html_to_markdown,
    html_to_text,
    parse_html,
)
from intercom_tui.render.safe import clean, clean_line, clean_url

__all__ = [
    "Block",
    "Document",
    "Span",
    "clean",
    "clean_line",
    "clean_url",
    "document_to_markdown",
    "document_to_text",
    "first_line_preview",
    "gap_between",
    "html_to_markdown",
    "html_to_text",
    "parse_html",
    "text_to_html",
]
