"""Intercom HTML bodies → a small document model, and its plain renderings.

Conversation parts carry HTML written by customers, admins and bots: untrusted, often
malformed, sometimes huge or absurdly nested. :func:`parse_html` turns it into blocks of
styled spans, every text passed through :func:`~intercom_tui.render.safe.clean`, in time
and depth bounded by its limits, and never raises. The UI owns styling: it maps block kinds
and span styles to Textual ``Content``. :func:`html_to_text`, :func:`html_to_markdown` and
:func:`first_line_preview` render the same model for search, export and list previews, so
every consumer shows links, images, lists and quotes the same way.

Links are shown, never opened. A link span (style ``link``, ``href`` set) is followed by a
muted annotation span " (URL)" whenever the URL differs from the link text, so the reader
always sees where a link goes; a link without text shows its URL as its text. Links to
``javascript:``, ``vbscript:`` and ``data:`` are also styled ``muted`` and always annotated.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from contextlib import suppress
from html import unescape
from html.parser import HTMLParser
from typing import NamedTuple

from intercom_tui.render.safe import cap_marks_across, clean, clean_line, clean_url

#: Every style a span can carry.
STYLES = frozenset(
    {"bold", "italic", "underline", "strike", "code", "link", "heading", "quote", "muted"}
)
#: Every kind a block can have.
KINDS = frozenset(
    {"paragraph", "heading", "code", "quote", "list_item", "rule", "image", "table_row"}
)
QUOTE_BAR = "│ "
CELL_SEPARATOR = " │ "
#: Bullets by list depth (they cycle), each two cells wide like the indent under them.
BULLETS = ("• ", "◦ ", "▪ ")
#: Containers (quotes, list items) beyond this many add no more prefix, so deep nesting
#: never pushes the text off screen (the innermost still shows its bullet).
MAX_VISUAL_NESTING = 8
#: Longest URL shown in link annotations and image labels.
MAX_URL_SHOWN = 200
TAB_SIZE = 8
#: Previews read long text in slices of this size, to stop soon after the budget.
_PREVIEW_CHUNK = 4096
#: Default limits of :func:`parse_html`.
MAX_INPUT = 2_000_000
MAX_DEPTH = 200
MAX_BLOCKS = 5_000


class Span(NamedTuple):
    """A run of text with one look. ``href`` is informational: shown, never opened."""

    text: str
    styles: frozenset[str] = frozenset()
    href: str | None = None

    @property
    def is_link_annotation(self) -> bool:
        """The muted " (URL)" after a link: consumers that render links natively skip it."""
        return self.href is not None and "link" not in self.styles


class Block(NamedTuple):
    """One block of the document. ``prefix`` goes before its first line and ``indent``
    before every later line (wrapped or after a line break): quote bars repeat, a list
    bullet becomes spaces. Text may hold ``\\n`` (hard line breaks)."""

    kind: str
    spans: tuple[Span, ...]
    level: int = 0  # heading level, list depth (list items), quote depth (quotes)
    prefix: str = ""
    preformatted: bool = False  # code blocks: keep whitespace and lines, never wrap
    indent: str = ""
    alt: str = ""  # image blocks: the alt text (the source URL is the span's href)

    @property
    def text(self) -> str:
        return "".join(span.text for span in self.spans)


Document = tuple[Block, ...]

_CELL_SEPARATOR_SPAN = Span(CELL_SEPARATOR, frozenset({"muted"}))
_INLINE_STYLES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "cite": "italic",
    "var": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strike",
    "strike": "strike",
    "del": "strike",
    "code": "code",
    "kbd": "code",
    "samp": "code",
    "tt": "code",
}
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_LISTS = frozenset({"ul", "ol", "menu", "dir"})
#: Elements whose content is never shown.
_DROPPED = frozenset({"script", "style", "head", "title", "template", "noscript"})
#: Elements without content or end tag.
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
     "source", "track", "wbr"}
)  # fmt: skip
#: Elements that start and end a block (those with more to do are handled on their own).
_BLOCKS = frozenset(
    {"address", "article", "aside", "body", "caption", "center", "dd", "details", "dialog",
     "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "header",
     "hgroup", "html", "main", "nav", "p", "section", "summary", "table", "tbody", "tfoot",
     "thead"}
)  # fmt: skip
_OTHER_TAGS = frozenset({"a", "blockquote", "font", "li", "pre", "span", "td", "th", "tr"})
_KNOWN_TAGS = _INLINE_STYLES.keys() | _HEADINGS | _LISTS | _DROPPED | _VOID | _BLOCKS | _OTHER_TAGS
#: "<!--", or "<" and a name (a letter, then letters and digits), for ``_has_html_tag``.
#: Any name and a set lookup: a pattern listing the known names, ignoring case, took
#: ~0.8 ms to compile at import (and scanned slower).
_TAG_START = re.compile(r"<(?:!--|/?([^\W\d_][^\W_]*)\b)")
#: The non-ASCII letters ``re.IGNORECASE`` takes for ASCII ones: dotted and dotless i, long
#: s, the kelvin sign.
_TAG_FOLD = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})
_LONE_LT = re.compile(r"<(?![A-Za-z/!?])")
_COLLAPSIBLE = re.compile(r"[ \t\n\r\f]+")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
_UNSAFE_SCHEMES = ("javascript:", "vbscript:", "data:")
_URL_NOISE = str.maketrans("", "", "\t\n\r")
_SAME_URL_PREFIXES = ("https://", "http://", "mailto:", "tel:")


def unsafe_url(href: str) -> bool:
    """Whether a browser would run or inline ``href`` (``javascript:``, ``data:`` ...)."""
    scheme = href.translate(_URL_NOISE).lstrip("".join(map(chr, range(0x21)))).lower()
    return scheme.startswith(_UNSAFE_SCHEMES)


def _display_url(url: str) -> str:
    if url.lower().startswith("data:") and "," in url:
        return url.split(",", 1)[0] + ",…"  # the payload is noise, the media type is not
    return url if len(url) <= MAX_URL_SHOWN else url[: MAX_URL_SHOWN - 1] + "…"


def _same_target(text: str, href: str) -> bool:
    def norm(value: str) -> str:
        value = value.strip().casefold()
        for scheme in _SAME_URL_PREFIXES:
            value = value.removeprefix(scheme)
        return value.rstrip("/")

    return norm(text) == norm(href)


class _Stop(Exception):
    """Ends parsing early: the text budget or the block limit is reached."""


class _Item:
    """An open list item: its marker shows on its first block, spaces after that."""

    __slots__ = ("marker", "used")

    def __init__(self, marker: str) -> None:
        self.marker = marker
        self.used = False


class _List:
    __slots__ = ("next_number", "open_item_at", "ordered")

    def __init__(self, ordered: bool, next_number: int = 1) -> None:
        self.ordered = ordered
        self.next_number = next_number
        self.open_item_at: int | None = None  # stack index of this list's open <li>


class _Link:
    __slots__ = ("has_image", "href", "text", "unsafe")

    def __init__(self, href: str, unsafe: bool) -> None:
        self.href = href
        self.unsafe = unsafe
        self.text: list[str] = []
        self.has_image = False


_Closer = Callable[[], None] | None
#: Text waiting in the open block: (text, styles, href). Spans are built when it ends.
_Piece = tuple[str, frozenset[str], str | None]
_SEPARATOR: _Piece = (CELL_SEPARATOR, _CELL_SEPARATOR_SPAN.styles, None)


class _DocumentBuilder(HTMLParser):
    """Tag events → blocks. Every element that changes state pushes a closer that undoes
    it, so unclosed and mis-nested tags unwind correctly; elements past ``max_depth`` are
    kept on the stack (for matching) but change nothing."""

    def __init__(self, max_depth: int, max_blocks: int, budget: int | None) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.too_many_blocks = False
        self._max_depth = max_depth
        self._max_blocks = max_blocks
        self._budget = budget  # characters of text still wanted, None for all
        self._pieces: list[_Piece] = []
        self._space_before = True  # the block is empty or ends in whitespace
        self._stack: list[tuple[str, _Closer]] = []
        self._open: dict[str, int] = {}
        self._style_counts: dict[str, int] = {}
        self._styles: frozenset[str] = frozenset()
        self._links: list[_Link] = []
        self._containers: list[_Item | None] = []  # None is a blockquote
        self._items = 0
        self._lists: list[_List] = []
        self._loose_list = _List(ordered=False)  # for <li> outside any list
        self._headings: list[int] = []
        self._pre = 0
        self._pre_fresh = False  # right after <pre>, where one newline is dropped
        self._skip = 0
        self._row = False
        self._cells = 0

    # -- running ------------------------------------------------------------------------

    def run(self, html: str) -> None:
        self._run(self._feed_html, html)

    def run_plain(self, text: str) -> None:
        """A body without HTML (email, SMS): one paragraph per group of lines."""
        self._run(self._feed_plain, text)

    def _run(self, feed: Callable[[str], None], body: str) -> None:
        try:
            feed(body)
            self._close_from(0)  # what is still open ends with the body: links show URLs
        except _Stop:
            pass
        if not self.too_many_blocks:
            with suppress(_Stop):
                self._flush()

    def _feed_html(self, html: str) -> None:
        head, tail = _defuse(html)
        self.feed(head)
        self.close()
        self.handle_data(unescape(tail))

    def _feed_plain(self, text: str) -> None:
        text = text.replace("\r\n", "\n")
        start = 0
        for match in _PARAGRAPH_BREAK.finditer(text):
            self._plain_paragraph(text[start : match.start()])
            start = match.end()
        self._plain_paragraph(text[start:])

    def _plain_paragraph(self, text: str) -> None:
        if self._budget is not None:
            text = text[: self._budget]
        self._add(clean(text).expandtabs(TAB_SIZE))
        self._flush()

    # -- HTMLParser events --------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._pre_fresh = False
        if tag in _VOID:
            if not self._skip:
                self._void(tag, attrs)
            return
        if tag == "body" and self._open.get("head"):
            self._close_through("head")  # an unclosed <head> must not hide the body
        closer: _Closer = None
        if tag in _DROPPED:  # at any depth: a deep <script> must not show its code
            closer = self._start_dropped()
        elif not self._skip and len(self._stack) < self._max_depth:
            closer = self._start(tag, attrs)
        self._stack.append((tag, closer))
        self._open[tag] = self._open.get(tag, 0) + 1

    # Browsers ignore the "/" of <div/>: the element stays open (and <br/> is one break).
    handle_startendtag = handle_starttag

    def handle_endtag(self, tag: str) -> None:
        self._pre_fresh = False
        if tag == "br":  # browsers read </br> as <br>
            self.handle_starttag(tag, [])
        elif self._open.get(tag):
            self._close_through(tag)

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._budget is not None and len(data) > _PREVIEW_CHUNK:
            for start in range(0, len(data), _PREVIEW_CHUNK):  # stops once the budget is met
                self._data(data[start : start + _PREVIEW_CHUNK])
        else:
            self._data(data)

    def _data(self, data: str) -> None:
        if self._pre:
            if self._pre_fresh and data.startswith("\n"):
                data = data[1:]
            self._pre_fresh = False
            text = data
        else:
            text = _COLLAPSIBLE.sub(" ", data)
            if self._space_before:
                text = text.lstrip(" ")
        if text:
            self._add(clean(text))

    def updatepos(self, i: int, j: int) -> int:
        """Skip line counting: positions are never asked for, and it costs a tenth."""
        return j

    def parse_marked_section(self, i: int, report: int = 1) -> int:
        """``<![...`` is a bogus comment in HTML; the SGML parsing inherited from
        ``_markupbase`` raises ``AssertionError`` on inputs like ``<![ x]]>``."""
        return self.parse_bogus_comment(i, report)

    # -- elements -----------------------------------------------------------------------

    def _start(self, tag: str, attrs: list[tuple[str, str | None]]) -> _Closer:
        style = _INLINE_STYLES.get(tag)
        if style is not None:
            return self._push_style(style)
        if tag == "a":
            return self._start_link(dict(attrs).get("href"))
        if tag in _HEADINGS:
            return self._start_heading(int(tag[1]))
        if tag == "blockquote":
            return self._start_container(None)
        if tag in _LISTS:
            return self._start_list(tag == "ol", dict(attrs).get("start"))
        if tag == "li":
            return self._start_item(dict(attrs).get("value"))
        if tag == "pre":
            return self._start_pre()
        if tag == "tr":
            return self._start_row()
        if tag in ("td", "th"):
            return self._start_cell(tag == "th")
        if tag in _BLOCKS:
            self._break()
            return self._break
        return None

    def _close_through(self, tag: str) -> None:
        while self._stack:
            name, closer = self._stack.pop()
            self._open[name] -= 1
            if closer is not None:
                closer()
            if name == tag:
                return

    def _close_from(self, index: int) -> None:
        while len(self._stack) > index:
            self._close_through(self._stack[-1][0])

    def _push_style(self, style: str) -> Callable[[], None]:
        self._style_counts[style] = self._style_counts.get(style, 0) + 1
        self._styles = self._styles | {style}

        def pop() -> None:
            self._style_counts[style] -= 1
            if not self._style_counts[style]:
                self._styles = self._styles - {style}

        return pop

    def _start_dropped(self) -> Callable[[], None]:
        self._skip += 1

        def end() -> None:
            self._skip -= 1

        return end

    def _start_link(self, raw_href: str | None) -> _Closer:
        if raw_href is None:  # <a name=...>: an anchor, not a link
            return None
        href = clean_url(raw_href)
        link = _Link(href, unsafe_url(raw_href))
        self._links.append(link)
        pops = [self._push_style("link")]
        if link.unsafe:
            pops.append(self._push_style("muted"))

        def end() -> None:
            for pop in pops:
                pop()
            self._links.pop()
            self._end_link(link)

        return end

    def _end_link(self, link: _Link) -> None:
        if not link.href:
            return
        shown = "".join(link.text).strip()
        url = _display_url(link.href)
        if not shown and not link.has_image:
            styles = self._styles | ({"link", "muted"} if link.unsafe else {"link"})
            self._add(url if self._space_before else " " + url, styles, link.href)
        elif link.unsafe or not _same_target(shown, link.href):
            text = f"({url})" if self._space_before else f" ({url})"
            self._add(text, frozenset({"muted"}), link.href)

    def _start_heading(self, level: int) -> Callable[[], None]:
        self._break()
        self._headings.append(level)
        pop = self._push_style("heading")

        def end() -> None:
            self._break()
            pop()
            self._headings.pop()

        return end

    def _start_container(self, item: _Item | None) -> Callable[[], None]:
        """A blockquote (``item`` None, spans styled ``quote``) or a list item."""
        self._break()
        self._containers.append(item)
        pop = self._push_style("quote") if item is None else None

        def end() -> None:
            self._break()
            if pop is not None:
                pop()
            self._containers.pop()

        return end

    def _start_list(self, ordered: bool, start: str | None) -> Callable[[], None]:
        self._break()
        self._lists.append(_List(ordered, _small_int(start, 1)))

        def end() -> None:
            self._break()
            self._lists.pop()

        return end

    def _start_item(self, value: str | None) -> Callable[[], None]:
        owner = self._lists[-1] if self._lists else self._loose_list
        if owner.open_item_at is not None:  # <li> closes the list's previous <li>
            self._close_from(owner.open_item_at)
        number = _small_int(value, owner.next_number)
        owner.next_number = number + 1
        if owner.ordered:
            marker = f"{number}. "
        else:
            marker = BULLETS[max(len(self._lists) - 1, 0) % len(BULLETS)]
        owner.open_item_at = len(self._stack)
        self._items += 1
        end_container = self._start_container(_Item(marker))

        def end() -> None:
            end_container()
            self._items -= 1
            owner.open_item_at = None

        return end

    def _start_pre(self) -> Callable[[], None]:
        self._break()
        self._pre += 1
        self._pre_fresh = True

        def end() -> None:
            self._break()
            self._pre -= 1

        return end

    def _start_row(self) -> Callable[[], None]:
        self._flush()
        self._row = True
        self._cells = 0

        def end() -> None:
            self._flush()
            self._row = False

        return end

    def _start_cell(self, header: bool) -> _Closer:
        if not self._row:  # a cell outside any row is a block of its own
            self._flush()
        elif self._cells:
            self._trim_trailing_space()
            self._pieces.append(_SEPARATOR)
            self._space_before = True
        self._cells += 1
        pop = self._push_style("bold") if header else None

        def end() -> None:
            if pop is not None:
                pop()
            if not self._row:
                self._flush()

        return end

    def _void(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            if self._row:
                self._break()
            else:
                self._add("\n")
        elif tag == "img":
            self._image(dict(attrs))
        elif tag == "hr" and not self._row:
            self._flush()
            self._emit("rule", ())

    def _image(self, attrs: dict[str, str | None]) -> None:
        alt = clean_line(attrs.get("alt") or "")
        src = clean_url(attrs.get("src") or "")
        label = " ".join(part for part in (alt, _display_url(src)) if part)
        text = f"[image: {label}]" if label else "[image]"
        if self._links:
            self._links[-1].has_image = True
        if self._row:
            self._add(text if self._space_before else " " + text)
            return
        self._flush()
        self._emit("image", (Span(text, frozenset(), src or None),), alt=alt)
        self._spend(len(text))

    # -- text and blocks ----------------------------------------------------------------

    def _add(
        self, text: str, styles: frozenset[str] | None = None, href: str | None = None
    ) -> None:
        if not text:
            return
        if styles is None:
            styles = self._styles
            href = self._links[-1].href if self._links else None
            if self._links:
                self._links[-1].text.append(text)
        self._pieces.append((text, styles, href))
        self._space_before = text[-1] in " \n"
        self._spend(len(text))

    def _spend(self, chars: int) -> None:
        if self._budget is not None:
            self._budget -= chars
            if self._budget <= 0:
                raise _Stop

    def _break(self) -> None:
        """End the block, or in a table row (one line) just separate the words."""
        if not self._row:
            self._flush()
        elif not self._space_before:
            self._add(" ")

    def _trim_trailing_space(self) -> None:
        while self._pieces and not self._pieces[-1][0].rstrip(" \n"):
            self._pieces.pop()
        if self._pieces:
            text, styles, href = self._pieces[-1]
            self._pieces[-1] = (text.rstrip(" \n"), styles, href)

    def _flush(self) -> None:
        pieces, self._pieces = self._pieces, []
        self._space_before = True
        texts = [piece[0] for piece in pieces]
        if self._pre:
            texts = _expand_tabs(_strip_ends(texts, "\n", " \n"))
        else:
            texts = _strip_ends(texts, " \n", " \n")
        if not any(texts):
            return
        self._emit(self._kind(), _merge(pieces, cap_marks_across(texts)))

    def _kind(self) -> str:
        if self._row:
            return "table_row"
        if self._pre:
            return "code"
        if self._headings:
            return "heading"
        if self._items:
            return "list_item"
        return "quote" if self._containers else "paragraph"

    def _emit(self, kind: str, spans: tuple[Span, ...], alt: str = "") -> None:
        if len(self.blocks) >= self._max_blocks:
            self.too_many_blocks = True
            raise _Stop
        prefix, indent = self._prefixes()
        if kind == "heading":
            level = self._headings[-1]
        elif kind == "list_item":
            level = self._items
        elif kind == "quote":
            level = len(self._containers) - self._items
        else:
            level = 0
        self.blocks.append(Block(kind, spans, level, prefix, kind == "code", indent, alt))

    def _prefixes(self) -> tuple[str, str]:
        containers = self._containers
        if len(containers) > MAX_VISUAL_NESTING:
            containers = containers[: MAX_VISUAL_NESTING - 1] + containers[-1:]
        first: list[str] = []
        rest: list[str] = []
        for item in containers:
            if item is None:
                first.append(QUOTE_BAR)
                rest.append(QUOTE_BAR)
                continue
            pad = " " * len(item.marker)
            first.append(pad if item.used else item.marker)
            rest.append(pad)
            item.used = True
        return "".join(first), "".join(rest)


def _merge(pieces: list[_Piece], texts: list[str]) -> tuple[Span, ...]:
    """Spans of ``pieces`` with ``texts`` as their text, empty ones dropped and neighbours
    with the same look joined (cell separators stay apart: they delimit cells)."""
    spans: list[Span] = []
    look: _Piece | None = None
    parts: list[str] = []
    for piece, text in zip(pieces, texts, strict=True):
        if not text:
            continue
        if look is not None and (
            piece is _SEPARATOR or look is _SEPARATOR or piece[1] != look[1] or piece[2] != look[2]
        ):
            spans.append(_span(look, parts))
            parts = []
        look = piece
        parts.append(text)
    if look is not None:
        spans.append(_span(look, parts))
    return tuple(spans)


def _span(look: _Piece, parts: list[str]) -> Span:
    if look is _SEPARATOR:
        return _CELL_SEPARATOR_SPAN
    return Span(parts[0] if len(parts) == 1 else "".join(parts), look[1], look[2])


def _has_html_tag(body: str) -> bool:
    """Whether ``body`` holds a comment or a known tag, its name compared ignoring case as
    ``re.IGNORECASE`` does; ``<john@example.com>`` does not."""
    for match in _TAG_START.finditer(body):
        name = match[1]
        if name is None or name.translate(_TAG_FOLD).lower() in _KNOWN_TAGS:
            return True
    return False


def _defuse(html: str) -> tuple[str, str]:
    """``html`` split into the part to parse and a tail that is only text, so that
    nothing reaches CPython 3.11's ``HTMLParser`` that it handles in quadratic time
    (``"<a " * 100_000`` takes minutes). The tail starts after the last ">": nothing there
    can be a complete tag. In the head, a "<" that cannot open a tag and a "<!--" after the
    last "-->" (a comment never closed) become the text they are."""
    end = html.rfind(">") + 1
    head = _LONE_LT.sub("&lt;", html[:end])
    closed = max(head.rfind("-->"), 0)
    if "<!--" in head[closed:]:
        head = head[:closed] + head[closed:].replace("<!--", "&lt;!--")
    return head, html[end:]


def _small_int(value: str | None, default: int) -> int:
    """An ``<ol start>``/``<li value>`` number, or ``default`` when absent or absurd."""
    try:
        number = int(value or "")
    except ValueError:
        return default
    return number if abs(number) < 1_000_000_000 else default


def _strip_ends(texts: list[str], leading: str, trailing: str) -> list[str]:
    """``texts`` as if joined and stripped of ``leading``/``trailing`` characters."""
    texts = list(texts)
    for i, text in enumerate(texts):
        texts[i] = text.lstrip(leading)
        if texts[i]:
            break
    for i in range(len(texts) - 1, -1, -1):
        texts[i] = texts[i].rstrip(trailing)
        if texts[i]:
            break
    return texts


def _expand_tabs(texts: list[str]) -> list[str]:
    """Tabs to spaces with tab stops counted across the pieces of one block."""
    result: list[str] = []
    column = 0
    for text in texts:
        if "\t" in text:
            text = (" " * column + text).expandtabs(TAB_SIZE)[column:]
        result.append(text)
        newline = text.rfind("\n")
        column = column + len(text) if newline < 0 else len(text) - newline - 1
    return result


# -- public API -------------------------------------------------------------------------


def parse_html(
    html: str,
    *,
    max_input: int = MAX_INPUT,
    max_depth: int = MAX_DEPTH,
    max_blocks: int = MAX_BLOCKS,
) -> Document:
    """``html`` (or plain text, if it holds no HTML tag) as a document; never raises.

    Input beyond ``max_input`` characters is dropped and ends the document with a
    "[… truncated N bytes]" paragraph; past ``max_blocks`` blocks parsing stops with a
    "[… truncated: more than N blocks]" paragraph; elements nested deeper than
    ``max_depth`` have no effect (their text still shows).
    """
    return _parse(html, max_input, max_depth, max_blocks, None)


def _parse(
    html: str, max_input: int, max_depth: int, max_blocks: int, budget: int | None
) -> Document:
    body = html[:max_input]
    builder = _DocumentBuilder(max_depth, max_blocks, budget)
    if _has_html_tag(body):
        builder.run(body)
    else:
        builder.run_plain(body)
    blocks = builder.blocks
    if builder.too_many_blocks:
        marker = f"[… truncated: more than {max_blocks:,} blocks]"
    elif len(html) > max_input and budget is None:
        dropped = len(html[max_input:].encode("utf-8", "surrogatepass"))
        marker = f"[… truncated {dropped:,} bytes]"
    else:
        return tuple(blocks)
    return (*blocks, Block("paragraph", (Span(marker, frozenset({"muted"})),)))


def gap_between(previous: Block, block: Block) -> str | None:
    """The line to put between two blocks: ``None`` for none (items of one list, rows of
    one table), else a blank line carrying the quote bars the two blocks share."""
    if previous.kind == block.kind and block.kind in ("list_item", "table_row"):
        return None
    shared = 0
    for a, b in zip(previous.indent, block.indent, strict=False):
        if a != b:
            break
        shared += 1
    return block.indent[:shared].rstrip()


def document_to_text(document: Iterable[Block]) -> str:
    """Plain text of a document: blocks with their prefixes, separated by blank lines."""
    lines: list[str] = []
    previous: Block | None = None
    for block in document:
        if previous is not None and (gap := gap_between(previous, block)) is not None:
            lines.append(gap)
        body = "---" if block.kind == "rule" else block.text
        first, *rest = body.split("\n")
        lines.append(block.prefix + first)
        lines.extend(block.indent + line for line in rest)
        previous = block
    return "\n".join(lines)


def html_to_text(html: str, *, max_chars: int | None = None) -> str:
    """Plain text of ``html`` (for previews and search), at most ``max_chars`` characters
    ending in "…" when cut; parsing stops once enough text is found."""
    budget = None if max_chars is None else max_chars + 1
    text = document_to_text(_parse(html, MAX_INPUT, MAX_DEPTH, MAX_BLOCKS, budget))
    if max_chars is not None and len(text) > max_chars:
        text = text[: max(max_chars - 1, 0)].rstrip() + "…"
    return text


def first_line_preview(html: str, max_len: int = 200) -> str:
    """One line for the inbox list: the start of the body's text, whitespace collapsed,
    at most ``max_len`` characters; cheap, as parsing stops after ``max_len`` of text."""
    document = _parse(html, MAX_INPUT, MAX_DEPTH, MAX_BLOCKS, max_len + 1)
    return clean_line(" ".join(block.text for block in document), max_len)


# -- Markdown ---------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&])")
_MD_LINE_START = re.compile(r"\s*(?=[#>+=-]|\d+[.)])\d*")
_MD_PREFIX = str.maketrans({"│": ">", "•": "-", "◦": "-", "▪": "-"})
_BACKTICKS = re.compile(r"`+")
_MD_URL_NEEDS_BRACKETS = re.compile(r"[\s()<>]")


def _md_escape(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def _md_line(line: str) -> str:
    """Escape what would make a line a heading, list item, quote or setext underline."""
    match = _MD_LINE_START.match(line)
    if match is None:
        return line
    return line[: match.end()] + "\\" + line[match.end() :]


def _md_code(text: str) -> str:
    ticks = "`" * (max(map(len, _BACKTICKS.findall(text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def _md_url(url: str) -> str:
    if _MD_URL_NEEDS_BRACKETS.search(url):
        return "<" + url.replace("<", "%3C").replace(">", "%3E") + ">"
    return url


def _md_wrap(text: str, mark: str) -> str:
    core = text.strip()
    if not core:
        return text
    start = text.index(core)
    return f"{text[:start]}{mark}{core}{mark}{text[start + len(core) :]}"


def _md_span(span: Span) -> str:
    if span.is_link_annotation:
        return _md_escape(span.text) if unsafe_url(span.href or "") else ""
    styles = span.styles
    text = _md_code(span.text) if "code" in styles else _md_escape(span.text)
    for style, mark in (("strike", "~~"), ("italic", "_"), ("bold", "**")):
        if style in styles:
            text = _md_wrap(text, mark)
    if "link" in styles and "muted" not in styles and span.href:
        text = f"[{text}]({_md_url(span.href)})"
    return text


def _md_block_lines(block: Block, table_header: bool) -> list[str]:
    prefix = block.prefix.translate(_MD_PREFIX)
    indent = block.indent.translate(_MD_PREFIX)
    if block.kind == "rule":
        return [prefix + "---"]
    if block.kind == "image":
        href = block.spans[0].href
        if href is None:
            return [prefix + _md_escape(block.text)]
        return [f"{prefix}![{_md_escape(block.alt)}]({_md_url(href)})"]
    if block.kind == "code":
        fence = "`" * max(3, max(map(len, _BACKTICKS.findall(block.text)), default=0) + 1)
        return [prefix + fence, *(indent + line for line in block.text.split("\n")), indent + fence]
    if block.kind == "table_row":
        cells: list[list[str]] = [[]]
        for span in block.spans:
            if span == _CELL_SEPARATOR_SPAN:
                cells.append([])
            else:
                cells[-1].append(_md_span(span).replace("\n", " "))
        row = f"{prefix}| {' | '.join(''.join(cell) for cell in cells)} |"
        return [row, f"{indent}|{' --- |' * len(cells)}"] if table_header else [row]
    text = "".join(_md_span(span) for span in block.spans)
    if block.kind == "heading":
        return [f"{prefix}{'#' * block.level} {' '.join(text.split())}"]
    first, *rest = [_md_line(line) for line in text.split("\n")]
    lines = [prefix + first, *(indent + line for line in rest)]
    return [line + "\\" for line in lines[:-1]] + lines[-1:]


def document_to_markdown(document: Iterable[Block]) -> str:
    """Markdown of a document (CommonMark with GitHub tables and strikethrough)."""
    lines: list[str] = []
    previous: Block | None = None
    for block in document:
        header = block.kind == "table_row" and (previous is None or previous.kind != "table_row")
        if previous is not None and (gap := gap_between(previous, block)) is not None:
            lines.append(gap.translate(_MD_PREFIX))
        lines.extend(_md_block_lines(block, header))
        previous = block
    return "\n".join(lines)


def html_to_markdown(html: str) -> str:
    """Markdown of ``html``, for export: ``[text](url)``, ``**bold**``, ``_italic_``,
    `` `code` ``, fenced code blocks, lists, ``>`` quotes, ``![alt](src)``, tables."""
    return document_to_markdown(parse_html(html))
