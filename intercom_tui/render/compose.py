"""What the user types in the reply box → the HTML body Intercom expects.

People type plain text with a little Markdown, as in chat: blank lines separate
paragraphs (``<p>``), single newlines are line breaks (``<br>``), bare http(s) URLs become
links, ``**bold**``, ``_italic_`` and ```code``` are honoured. Everything else is
HTML-escaped, so typing ``<script>`` sends the text "<script>", never a tag.
"""

from __future__ import annotations

import re
from html import escape

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*(?:\n[ \t]*)+")
_INLINE = re.compile(
    r"`(?P<code>[^`\n]+)`"
    r"|(?P<url>https?://[^\s<>\"'`]+)"
    r"|\*\*(?P<bold>\S(?:.*?\S)?)\*\*"
    # Not inside words, so snake_case_names stay as typed.
    r"|(?<!\w)_(?P<italic>[^\s_](?:.*?[^\s_])?)_(?!\w)"
)
#: Punctuation that ends a sentence rather than the URL before it.
_URL_TRAILER = re.compile(r"[.,;:!?'\"]+$")


def text_to_html(text: str) -> str:
    """``text`` as Intercom HTML: one ``<p>`` per paragraph, ``<br>`` per line break."""
    paragraphs = _PARAGRAPH_BREAK.split(text.replace("\r\n", "\n").strip())
    return "".join(
        "<p>" + "<br>".join(_inline(line) for line in paragraph.split("\n")) + "</p>"
        for paragraph in paragraphs
        if paragraph.strip()
    )


def _inline(text: str) -> str:
    parts: list[str] = []
    end = 0
    for match in _INLINE.finditer(text):
        parts.append(escape(text[end : match.start()]))
        parts.append(_markup(match))
        end = match.end()
    parts.append(escape(text[end:]))
    return "".join(parts)


def _markup(match: re.Match[str]) -> str:
    if (code := match["code"]) is not None:
        return f"<code>{escape(code)}</code>"
    if (bold := match["bold"]) is not None:
        return f"<b>{_inline(bold)}</b>"
    if (italic := match["italic"]) is not None:
        return f"<i>{_inline(italic)}</i>"
    url, trailer = _split_url(match["url"])
    return f'<a href="{escape(url)}">{escape(url)}</a>{escape(trailer)}'


def _split_url(url: str) -> tuple[str, str]:
    """A URL and the punctuation after it: "(see https://x.org/a_(b))." keeps "(b)"."""
    trailer = ""
    while True:
        if match := _URL_TRAILER.search(url):
            trailer = match.group() + trailer
            url = url[: match.start()]
        elif url.endswith(")") and url.count(")") > url.count("("):
            trailer = ")" + trailer
            url = url[:-1]
        else:
            return url, trailer
