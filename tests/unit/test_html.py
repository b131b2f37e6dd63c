"""``render.html`` and ``render.compose``: bodies in, safe structured text out, in bounded
time and depth whatever the input."""

from __future__ import annotations

import random
import time
from collections.abc import Callable

import pytest

from intercom_tui.render.compose import text_to_html
from intercom_tui.render.html import (
    KINDS,
    MAX_VISUAL_NESTING,
    STYLES,
    Block,
    Document,
    first_line_preview,
    html_to_markdown,
    html_to_text,
    parse_html,
)
from tests.data.hostile.corpus import (
    DEEP_TEXT,
    assert_terminal_safe,
    deep_nesting,
    hostile_strings,
    large_body,
)


def rows(document: Document) -> list[tuple[str, str]]:
    """Each block as (kind, prefix + text): what a reader sees, line by line."""
    return [(block.kind, block.prefix + block.text) for block in document]


def spans(html: str) -> list[tuple[str, set[str], str | None]]:
    """The spans of the only block of ``html``."""
    (block,) = parse_html(html)
    return [(span.text, set(span.styles), span.href) for span in block.spans]


def assert_document_safe(document: Document) -> None:
    for block in document:
        assert block.kind in KINDS
        for text in (block.prefix, block.indent, block.alt, block.text):
            assert_terminal_safe(text)
        for span in block.spans:
            assert span.styles <= STYLES
            assert_terminal_safe(span.href or "")


def within(seconds: float, work: Callable[[], object]) -> object:
    """``work()``, failing if it takes longer than ``seconds`` (a guard against quadratic
    blow-ups, which take minutes; the real targets are far lower)."""
    start = time.perf_counter()
    result = work()
    elapsed = time.perf_counter() - start
    assert elapsed < seconds, f"took {elapsed:.2f}s"
    return result


# -- elements ---------------------------------------------------------------------------

ELEMENTS = [
    ("<p>one</p><p>two</p>", [("paragraph", "one"), ("paragraph", "two")]),
    ("<div>a<div>b</div>c</div>", [("paragraph", "a"), ("paragraph", "b"), ("paragraph", "c")]),
    ("<p>line<br>break<br/>again</p>", [("paragraph", "line\nbreak\nagain")]),
    ("<p>  lots   of\n\n  space  </p>", [("paragraph", "lots of space")]),
    ("<p>a <b> b </b> c</p>", [("paragraph", "a b c")]),
    ("<h1>Top</h1><h3>Third</h3>", [("heading", "Top"), ("heading", "Third")]),
    ("<hr>", [("rule", "")]),
    ("<p>x</p><hr/><p>y</p>", [("paragraph", "x"), ("rule", ""), ("paragraph", "y")]),
    ("<ul><li>a</li><li>b</li></ul>", [("list_item", "• a"), ("list_item", "• b")]),
    ("<ol><li>a</li><li>b</li></ol>", [("list_item", "1. a"), ("list_item", "2. b")]),
    ('<ol start="7"><li>a<li>b</ol>', [("list_item", "7. a"), ("list_item", "8. b")]),
    ('<ol><li value="4">a<li>b</ol>', [("list_item", "4. a"), ("list_item", "5. b")]),
    (
        "<ol><li>a<ol><li>x</li><li>y</li></ol></li><li>b<ul><li>z</li></ul></li></ol>",
        [
            ("list_item", "1. a"),
            ("list_item", "   1. x"),
            ("list_item", "   2. y"),
            ("list_item", "2. b"),
            ("list_item", "   ◦ z"),
        ],
    ),
    (
        "<ul><li><p>first</p><p>second</p></li></ul>",
        [("list_item", "• first"), ("list_item", "  second")],
    ),
    ("<li>loose</li>", [("list_item", "• loose")]),
    (
        "<blockquote>q<blockquote>deeper</blockquote>back</blockquote>",
        [("quote", "│ q"), ("quote", "│ │ deeper"), ("quote", "│ back")],
    ),
    ("<blockquote><ul><li>in quote</li></ul></blockquote>", [("list_item", "│ • in quote")]),
    ("<pre>\n  indented\n\n    more</pre>", [("code", "  indented\n\n    more")]),
    ("<pre>a\tb\n\tc</pre>", [("code", "a       b\n        c")]),
    ("<pre><b>bold\t</b>x</pre>", [("code", "bold    x")]),
    (
        '<img src="https://x.example/a.png" alt="Logo">',
        [("image", "[image: Logo https://x.example/a.png]")],
    ),
    ('<img src="https://x.example/a.png">', [("image", "[image: https://x.example/a.png]")]),
    ("<img>", [("image", "[image]")]),
    (
        '<img src="data:image/png;base64,iVBORw0KGgo=" alt="x">',
        [("image", "[image: x data:image/png;base64,…]")],
    ),
    (
        "<table><tr><th>Plan</th><th>Seats</th></tr><tr><td>Pro</td><td>5</td></tr></table>",
        [("table_row", "Plan │ Seats"), ("table_row", "Pro │ 5")],
    ),
    (
        "<table><tr><td><p>a</p><p>b</p></td><td>c<br>d</td></tr></table>",
        [("table_row", "a b │ c d")],
    ),
    ("<table><tr><td>a<td>b<tr><td>c</table>", [("table_row", "a │ b"), ("table_row", "c")]),
    ("<td>lonely cell</td>", [("paragraph", "lonely cell")]),
    ("<script>alert(1)</script><p>shown</p>", [("paragraph", "shown")]),
    ("<style>p { color: red }</style>text", [("paragraph", "text")]),
    (
        "<html><head><title>T</title><meta charset=utf-8></head><body>b</body></html>",
        [("paragraph", "b")],
    ),
    ("<head><title>unclosed head<body>body text", [("paragraph", "body text")]),
    ("<p>a<!-- hidden -->b</p>", [("paragraph", "ab")]),
    ("<p>a <custom-tag x=1>kept</custom-tag> <span>too</span></p>", [("paragraph", "a kept too")]),
    ("<P>Upper <B>case</B></P>", [("paragraph", "Upper case")]),
    ("<p>&amp; &lt;b&gt; &#x27;q&#39; &copy; &eacute;</p>", [("paragraph", "& <b> 'q' © é")]),
    ("<p>a&nbsp;&nbsp;b</p>", [("paragraph", "a\xa0\xa0b")]),
    ("<p></p><p> </p><div><br></div>", []),
    ("", []),
]


@pytest.mark.parametrize(("html", "expected"), ELEMENTS, ids=[e[0][:40] for e in ELEMENTS])
def test_elements(html: str, expected: list[tuple[str, str]]) -> None:
    document = parse_html(html)
    assert rows(document) == expected
    assert_document_safe(document)


STYLED = [
    ("<p><b>b</b><strong>s</strong></p>", [("bs", {"bold"}, None)]),
    ("<p><i>i</i> <em>e</em></p>",
     [("i", {"italic"}, None), (" ", set(), None), ("e", {"italic"}, None)]),
    ("<p><u>u</u></p>", [("u", {"underline"}, None)]),
    ("<p><s>s</s><strike>t</strike><del>d</del></p>", [("std", {"strike"}, None)]),
    ("<p>x <code>y</code></p>", [("x ", set(), None), ("y", {"code"}, None)]),
    ("<p><b>a<i>b</i></b></p>", [("a", {"bold"}, None), ("b", {"bold", "italic"}, None)]),
    ("<h2>T</h2>", [("T", {"heading"}, None)]),
    ("<blockquote>q</blockquote>", [("q", {"quote"}, None)]),
    ("<table><tr><th>h</th><td>d</td></tr></table>",
     [("h", {"bold"}, None), (" │ ", {"muted"}, None), ("d", set(), None)]),
]  # fmt: skip


@pytest.mark.parametrize(("html", "expected"), STYLED, ids=[s[0][:40] for s in STYLED])
def test_styles(html: str, expected: list[tuple[str, set[str], str | None]]) -> None:
    assert spans(html) == expected


def test_block_levels() -> None:
    document = parse_html(
        "<h4>h</h4><ul><li>a<ul><li>b</li></ul></li></ul>"
        "<blockquote><blockquote>q</blockquote></blockquote><pre>c</pre>"
    )
    assert [(b.kind, b.level) for b in document] == [
        ("heading", 4),
        ("list_item", 1),
        ("list_item", 2),
        ("quote", 2),
        ("code", 0),
    ]
    assert [b.preformatted for b in document] == [False, False, False, False, True]
    assert document[2].indent == "    "
    assert document[3].indent == "│ │ "


# -- links ------------------------------------------------------------------------------

LINKS = [
    (
        '<p>See <a href="https://docs.example.com/x">the docs</a>.</p>',
        [
            ("See ", set(), None),
            ("the docs", {"link"}, "https://docs.example.com/x"),
            (" (https://docs.example.com/x)", {"muted"}, "https://docs.example.com/x"),
            (".", set(), None),
        ],
    ),
    (
        '<p><a href="https://example.com/">https://example.com</a></p>',
        [("https://example.com", {"link"}, "https://example.com/")],
    ),
    (
        '<p><a href="https://example.com/x">example.com/x</a></p>',
        [("example.com/x", {"link"}, "https://example.com/x")],
    ),
    (
        '<p><a href="mailto:ann@example.com">ann@example.com</a></p>',
        [("ann@example.com", {"link"}, "mailto:ann@example.com")],
    ),
    ('<p><a href="https://e.example"></a></p>', [("https://e.example", {"link"}, "https://e.example")]),
    (
        '<p><a href="javascript:alert(1)">https://bank.example</a></p>',
        [
            ("https://bank.example", {"link", "muted"}, "javascript:alert(1)"),
            (" (javascript:alert(1))", {"muted"}, "javascript:alert(1)"),
        ],
    ),
    (
        '<p><a href=" JaVa\tScript:x">same</a></p>',
        [
            ("same", {"link", "muted"}, "JaVaScript:x"),
            (" (JaVaScript:x)", {"muted"}, "JaVaScript:x"),
        ],
    ),
    (
        '<p><a href="https://x.example/\x1b]8;;https://evil\x1b\\\u202e">t</a></p>',
        [("t", {"link"}, "https://x.example/"), (" (https://x.example/)", {"muted"}, "https://x.example/")],
    ),
    ('<p><a name="anchor">not a link</a></p>', [("not a link", set(), None)]),
    ('<p><a href="https://open.example">never closed', [
        ("never closed", {"link"}, "https://open.example"),
        (" (https://open.example)", {"muted"}, "https://open.example"),
    ]),
]  # fmt: skip


@pytest.mark.parametrize(("html", "expected"), LINKS, ids=[link[0][:50] for link in LINKS])
def test_links_are_shown_with_their_url(
    html: str, expected: list[tuple[str, set[str], str | None]]
) -> None:
    assert spans(html) == expected


def test_long_urls_are_shortened_in_the_annotation_only() -> None:
    url = "https://example.com/" + "a" * 500
    (_, annotation) = parse_html(f'<p><a href="{url}">x</a></p>')[0].spans
    assert annotation.href == url
    assert len(annotation.text) < 210
    assert annotation.text.endswith("…)")


# -- hostile content --------------------------------------------------------------------


def test_escape_sequences_inside_html_are_removed() -> None:
    html = (
        "<p>Hi \x1b]0;PWNED\x07<b>\x1b[31mthere\x1b[0m</b>\x9b2J</p>"
        '<p><a href="https://x.example/\x1b]52;c;UFdORUQ=\x07">go</a></p>'
        '<img alt="\x1b]2;title\x1b\\logo\u202e" src="https://i.example/\x00.png">'
        "<pre>\x1b]8;;https://evil.example\x1b\\code\x1b]8;;\x1b\\</pre>"
    )
    document = parse_html(html)
    assert_document_safe(document)
    assert rows(document) == [
        ("paragraph", "Hi there"),
        ("paragraph", "go (https://x.example/)"),
        ("image", "[image: logo https://i.example/\u2400.png]"),
        ("code", "code"),
    ]
    assert document[2].alt == "logo"


CORPUS = hostile_strings()


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_hostile_corpus_parses_safely(name: str) -> None:
    text = CORPUS[name]
    document = within(5, lambda: parse_html(text, max_blocks=20_000))
    assert isinstance(document, tuple)
    assert_document_safe(document)
    if DEEP_TEXT in text:
        assert any(DEEP_TEXT in block.text for block in document)
    for rendering in (html_to_text(text), html_to_markdown(text), first_line_preview(text)):
        assert_terminal_safe(rendering)


def test_markup_in_html_is_text() -> None:
    assert rows(parse_html("<p>[bold red]PWNED[/] [@click=app.quit]x[/]</p>")) == [
        ("paragraph", "[bold red]PWNED[/] [@click=app.quit]x[/]")
    ]


def test_combining_flood_across_spans_is_capped() -> None:
    html = "<p>e" + "<b>\u0301\u0301</b><i>\u0301</i>" * 1000 + "x</p>"
    (block,) = parse_html(html)
    assert block.text == "e\u0301\u0301\u0301x"


MALFORMED = [
    "<p>unclosed <b>bold <i>both",
    "</li></ul></p></div>stray ends",
    "<ul><li>a</li></li></li><li>b",
    "<table><td>no row</td></tr></table>",
    "1 < 2 and 3 > 2 & 4 <= 5",
    "<<<<>>>>",
    "<![ x]]>after",
    "<![CDATA[data]]>after",
    "<!DOCTYPE html><p>doc",
    "<!-- never closed",
    "<p>x</p><!--x>",
    '<a href="unterminated',
    "<a href='x' b=\"y>z",
    "<p",
    "</",
    "<?php echo 1; ?>text",
    "&#xD800; &#0; &#x110000; &#99999999999; &bogus; &",
    "<p>\x00\x01<b\x00>nul</b></p>",
    "<img src=x alt='a' /><br/></br><hr/>",
    "<pre>",
    "<blockquote>" * 50 + "<li>" * 50,
    "<ol start='x'><li value='-9999999999999'>num</ol>",
    "<svg><script>alert(1)</script><text>svg text</text></svg>",
]


@pytest.mark.parametrize("html", MALFORMED)
def test_malformed_html_never_raises(html: str) -> None:
    document = parse_html(html)
    assert_document_safe(document)
    html_to_markdown(html)
    first_line_preview(html)


def test_malformed_keeps_the_text() -> None:
    assert html_to_text("1 < 2 & 4 <= 5") == "1 < 2 & 4 <= 5"
    assert html_to_text("<p>a < b</p>") == "a < b"
    assert html_to_text("<p>x</p><![ x]]>after") == "x\n\nafter"
    assert html_to_text("<![ x]]> no known tag: plain text") == "<![ x]]> no known tag: plain text"
    assert html_to_text("<p>x</p><!-- never closed") == "x\n\n<!-- never closed"
    assert html_to_text("<p>see <a href=x>open") == "see open (x)"


def test_random_html_soup_never_raises() -> None:
    pieces = [
        "<p>", "</p>", "<b>", "</b>", "<a href='u'>", "</a>", "<ul>", "<li>", "</li>", "</ul>",
        "<ol>", "<pre>", "</pre>", "<blockquote>", "<table>", "<tr>", "<td>", "<th>", "<br>",
        "<img src=s alt=a>", "<hr>", "<script>", "</script>", "<!--", "-->", "<![", "<", ">",
        "&", "&amp;", "&#", ";", "\x1b[31m", "\x1b]0;t\x07", "\u202e", "\u0301", "\n", " ",
        "text", "日本", "\t", "'", '"', "=",
    ]  # fmt: skip
    rng = random.Random(7)
    for _ in range(1500):
        html = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 40)))
        assert_document_safe(parse_html(html))


# -- bounds -----------------------------------------------------------------------------


def test_one_megabyte_body() -> None:
    body = large_body()
    assert len(body) >= 1_000_000
    document = within(4, lambda: parse_html(body, max_blocks=20_000))
    assert_document_safe(document)
    assert document[-1].text == DEEP_TEXT
    assert document[0].text.startswith("Paragraph 0: the customer writes again about order 0")


@pytest.mark.parametrize(
    ("opening", "closing"),
    [
        ("<div>", "</div>"),
        ("<ul><li>", "</li></ul>"),
        ("<b>", "</b>"),
        ("<blockquote>", "</blockquote>"),
        ("<ol><li><blockquote>", ""),
        ("<table><tr><td>", ""),
        ("<a href='https://x.example'>", ""),
    ],
)
def test_ten_thousand_levels_of_nesting(opening: str, closing: str) -> None:
    html = deep_nesting(opening, closing)
    document = within(3, lambda: parse_html(html))
    assert_document_safe(document)
    deepest = next(block for block in document if DEEP_TEXT in block.text)
    assert len(deepest.prefix) <= MAX_VISUAL_NESTING * 4
    assert deepest.level <= 200


def test_nesting_deeper_than_max_depth_has_no_effect_but_shows_text() -> None:
    html = "<div>" * 5 + "<b>deep</b> text"
    assert spans(html) == [("deep", {"bold"}, None), (" text", set(), None)]
    assert parse_html(html, max_depth=5)[0].spans[0].styles == frozenset()
    assert html_to_text(html, max_chars=None) == "deep text"


QUADRATIC_IN_HTMLPARSER = [
    "<a " * 100_000,
    "<!--x>" * 100_000,
    "</x" * 100_000,
    "<?x" * 100_000,
    "<!x" * 100_000,
    "<a\n" * 100_000,
    "<p>" + "<" * 500_000,
    "<p>" + "< a" * 100_000 + ">",
    "<b " + "x" * 10 + " " * 100_000,
]


@pytest.mark.parametrize("html", QUADRATIC_IN_HTMLPARSER, ids=lambda h: repr(h[:8]))
def test_inputs_that_are_quadratic_in_htmlparser_stay_fast(html: str) -> None:
    document = within(2, lambda: parse_html(html))
    assert_document_safe(document)


def test_input_over_max_input_is_truncated_with_a_marker() -> None:
    html = "<p>" + "a" * 100 + "</p>" + "é" * 50
    document = parse_html(html, max_input=50)
    assert rows(document) == [
        ("paragraph", "a" * 47),
        ("paragraph", f"[… truncated {4 + 100 * 1 + 50 * 2 - 47:,} bytes]"),
    ]
    assert document[-1].spans[0].styles == {"muted"}


def test_more_than_max_blocks_is_truncated_with_a_marker() -> None:
    document = parse_html("<p>x</p>" * 30, max_blocks=10)
    assert len(document) == 11
    assert document[-1].text == "[… truncated: more than 10 blocks]"
    assert rows(parse_html("<p>x</p>" * 10, max_blocks=10))[-1] == ("paragraph", "x")


# -- plain text bodies ------------------------------------------------------------------


def test_plain_text_bodies_become_paragraphs() -> None:
    text = "Hi team,\r\nthe export fails.\n\n  \nThanks,\nAnn <ann@example.com>\n"
    assert rows(parse_html(text)) == [
        ("paragraph", "Hi team,\nthe export fails."),
        ("paragraph", "Thanks,\nAnn <ann@example.com>"),
    ]


def test_plain_text_is_cleaned() -> None:
    assert rows(parse_html("a\x1b]0;t\x07b \u202ec\tx")) == [("paragraph", "ab c    x")]


@pytest.mark.parametrize(
    ("start", "is_html"),
    [
        ("<P>", True),
        ("</Blockquote>", True),
        ("<!-- c -->", True),
        ("<br/>", True),
        ("<h1 class=a>", True),
        ("<p-x>", True),  # "-" ends the name
        # Letters that IGNORECASE matches to s, i and k: long s, dotless i, dotted I, kelvin.
        ("<\u017fpan>", True),
        ("<l\u0131nk>", True),
        ("<\u0130mg>", True),
        ("<\u212abd>", True),
        ("<john@example.com>", False),
        ("<pa>", False),
        ("<h7>", False),
        ("<p_x> <pé> <p1>", False),  # a word character goes on: not the name p
        ("< p> <!- x ->", False),
    ],
)
def test_a_known_tag_or_a_comment_makes_a_body_html(start: str, is_html: bool) -> None:
    """Entities are decoded in HTML only, so "&amp;" tells which way a body was read."""
    assert html_to_text(f"&amp; {start} x").startswith("&amp;") is not is_html


# -- renderings -------------------------------------------------------------------------

RICH = (
    "<h2>Release</h2><p>Some <b>bold</b> and <i>italic</i>, <code>x = 1</code>, "
    '<a href="https://docs.example.com">docs</a>.</p>'
    "<ul><li>one</li><li>two<ol><li>a</li></ol></li></ul>"
    "<blockquote><p>quoted</p><p>twice</p></blockquote>"
    "<pre>def f():\n    return 1</pre><hr>"
    '<img src="https://i.example/a.png" alt="chart">'
    "<table><tr><th>A</th><th>B</th></tr><tr><td>1</td><td>2</td></tr></table>"
)


def test_html_to_text() -> None:
    assert html_to_text(RICH) == (
        "Release\n\n"
        "Some bold and italic, x = 1, docs (https://docs.example.com).\n\n"
        "• one\n• two\n  1. a\n\n"
        "│ quoted\n│\n│ twice\n\n"
        "def f():\n    return 1\n\n"
        "---\n\n"
        "[image: chart https://i.example/a.png]\n\n"
        "A │ B\n1 │ 2"
    )


def test_html_to_text_max_chars() -> None:
    assert html_to_text("<p>hello world</p><p>more</p>", max_chars=8) == "hello w…"
    assert html_to_text("<p>short</p>", max_chars=8) == "short"
    big = "<p>" + "word " * 200_000 + "</p>"
    assert within(0.5, lambda: html_to_text(big, max_chars=20)) == "word word word word…"


def test_first_line_preview() -> None:
    assert first_line_preview(RICH, 40) == "Release Some bold and italic, x = 1, do…"
    assert first_line_preview("<p>a\n  b</p><p>c</p>") == "a b c"
    assert first_line_preview("plain\n\ntext\x1b[2J") == "plain text"
    assert first_line_preview("") == ""
    huge = "<p>start</p>" + "<p>" + "x " * 500_000 + "</p>"
    assert within(0.5, lambda: first_line_preview(huge, 12)) == "start x x x…"


def test_html_to_markdown() -> None:
    assert html_to_markdown(RICH) == (
        "## Release\n\n"
        "Some **bold** and _italic_, `x = 1`, [docs](https://docs.example.com).\n\n"
        "- one\n- two\n  1. a\n\n"
        "> quoted\n>\n> twice\n\n"
        "```\ndef f():\n    return 1\n```\n\n"
        "---\n\n"
        "![chart](https://i.example/a.png)\n\n"
        "| **A** | **B** |\n| --- | --- |\n| 1 | 2 |"
    )


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<p>a*b_c [d] &lt;e&gt; `f` #g | h &amp;</p>", r"a\*b\_c \[d\] \<e\> \`f\` #g \| h \&"),
        ("<p># not a heading</p><p>1. not a list</p><p>- nor this</p>",
         "\\# not a heading\n\n1\\. not a list\n\n\\- nor this"),
        ("<p><code>a`b</code></p>", "``a`b``"),
        ("<pre>```\ncode\n```</pre>", "````\n```\ncode\n```\n````"),
        ("<p><b> spaced </b>x</p>", "**spaced** x"),
        ("<p>line<br>break</p>", "line\\\nbreak"),
        ('<p><a href="https://x.example/a b">t</a></p>', "[t](<https://x.example/a b>)"),
        ('<p><a href="javascript:alert(1)">t</a></p>', "t (javascript:alert(1))"),
        ('<blockquote><pre>q\n  r</pre></blockquote>', "> ```\n> q\n>   r\n> ```"),
        ("<p><s>gone</s> <u>under</u></p>", "~~gone~~ under"),
        ("<img alt='[x]'>", r"\[image: \[x\]\]"),
    ],
)  # fmt: skip
def test_markdown_details(html: str, expected: str) -> None:
    assert html_to_markdown(html) == expected


def test_rendering_of_an_empty_body() -> None:
    assert html_to_text("") == ""
    assert html_to_markdown("") == ""
    assert parse_html("   \n ") == ()


# -- compose ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello", "<p>Hello</p>"),
        ("one\ntwo", "<p>one<br>two</p>"),
        ("one\r\n\r\n\n  \ntwo", "<p>one</p><p>two</p>"),
        ("<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"),
        ("a & b \"q\" 'r'", "<p>a &amp; b &quot;q&quot; &#x27;r&#x27;</p>"),
        ("**bold** _it_ `co<de>`", "<p><b>bold</b> <i>it</i> <code>co&lt;de&gt;</code></p>"),
        ("**bold _both_**", "<p><b>bold <i>both</i></b></p>"),
        ("snake_case_name and 2*3*4", "<p>snake_case_name and 2*3*4</p>"),
        ("** not bold **", "<p>** not bold **</p>"),
        (
            "see https://x.example/a?b=1&c=2.",
            '<p>see <a href="https://x.example/a?b=1&amp;c=2">https://x.example/a?b=1&amp;c=2</a>.</p>',
        ),
        (
            "(https://en.example/wiki/A_(b))",
            '<p>(<a href="https://en.example/wiki/A_(b)">https://en.example/wiki/A_(b)</a>)</p>',
        ),
        ("`https://not.a.link`", "<p><code>https://not.a.link</code></p>"),
        ('https://x.example/"><script>', '<p><a href="https://x.example/">https://x.example/</a>&quot;&gt;&lt;script&gt;</p>'),
        ("", ""),
        ("  \n\n ", ""),
    ],
)  # fmt: skip
def test_text_to_html(text: str, expected: str) -> None:
    assert text_to_html(text) == expected


def test_typed_html_is_shown_as_text_after_a_round_trip() -> None:
    typed = "<b>not bold</b> <script>x</script>"
    assert html_to_text(text_to_html(typed)) == typed


def test_round_trip_keeps_the_words() -> None:
    rng = random.Random(3)
    vocabulary = [
        "alpha",
        "beta",
        "ünïcode",
        "日本",
        "x1",
        "a-b",
        "it's",
        "50%",
        "(ok)",
        "&",
        "<tag>",
    ]
    for _ in range(300):
        lines = [
            " ".join(rng.choice(vocabulary) for _ in range(rng.randint(0, 6)))
            for _ in range(rng.randint(1, 6))
        ]
        text = "\n".join(lines)
        assert html_to_text(text_to_html(text)).split() == text.split()


def test_blocks_are_frozen() -> None:
    block = Block("paragraph", ())
    with pytest.raises(AttributeError):
        block.kind = "heading"  # type: ignore[misc]
