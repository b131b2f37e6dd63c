"""``render.safe``: nothing from the API may drive the terminal (DESIGN.md §10)."""

from __future__ import annotations

import random
import time
import unicodedata

import pytest

from intercom_tui.render import safe
from intercom_tui.render.safe import (
    MAX_MARKS,
    cap_marks_across,
    clean,
    clean_line,
    clean_url,
)
from tests.data.hostile.corpus import (
    BIDI_CONTROLS,
    assert_terminal_safe,
    hostile_strings,
    unsafe_characters,
)


def is_mark(char: str) -> bool:
    return unicodedata.category(char) in ("Mn", "Me")


def longest_mark_run(text: str) -> int:
    longest = run = 0
    for char in text:
        run = run + 1 if is_mark(char) else 0
        longest = max(longest, run)
    return longest


CASES = [
    # name, input, expected
    ("sgr colour", "a\x1b[31mred\x1b[0m b", "ared b"),
    ("clear screen", "\x1b[2J\x1b[Hwiped", "wiped"),
    ("csi with params", "x\x1b[1;4;38;2;255;0;0my\x1b[?1049lz", "xyz"),
    ("csi private final", "a\x1b[>4;1mb", "ab"),
    ("osc 0 title, BEL", "a\x1b]0;PWNED\x07b", "ab"),
    ("osc 2 title, ST", "a\x1b]2;PWNED\x1b\\b", "ab"),
    ("osc 8 hyperlink", "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\", "click"),
    ("osc 52 clipboard", "a\x1b]52;c;UFdORUQ=\x07b", "ab"),
    ("dcs sixel", "a\x1bPq#0;2;0;0;0\x1b\\b", "ab"),
    ("apc", "a\x1b_Gf=100;x\x1b\\b", "ab"),
    ("two-char ESC reset", "a\x1bcb", "ab"),
    ("charset select", "a\x1b(Bb", "ab"),
    ("8-bit csi", "a\x9b31mb", "ab"),
    ("8-bit osc, ST", "a\x9d0;PWNED\x9cb", "ab"),
    ("8-bit osc, BEL", "a\x9d52;c;UFdORUQ=\x07b", "ab"),
    ("8-bit dcs", "a\x90qpayload\x9cb", "ab"),
    ("lone ESC at end", "abc\x1b", "abc\u241b"),
    ("unterminated osc: introducer dropped", "a\x1b]0;title", "a0;title"),
    ("ESC before a control", "a\x1b\x07", "a\u241b\u2407"),
    ("NUL", "a\x00b", "a\u2400b"),
    ("BEL", "ding\x07", "ding\u2407"),
    ("backspace", "abc\x08\x08", "abc\u2408\u2408"),
    ("DEL", "a\x7fb", "a\u2421b"),
    ("vertical tab and form feed", "a\x0bb\x0cc", "a\u240bb\u240cc"),
    ("other C1", "a\x85b\x80c", "a\ufffdb\ufffdc"),
    ("CR overwrite", "safe\rFAKE", "safe\nFAKE"),
    ("CRLF", "one\r\ntwo", "one\ntwo"),
    ("line and paragraph separators", "a\u2028b\u2029c", "a\nb\nc"),
    ("newline and tab kept", "a\n\tb", "a\n\tb"),
    ("RLO trojan source", "invoice\u202egpj.exe", "invoicegpj.exe"),
    ("LRO/PDF", "\u202dx\u202c", "x"),
    ("isolates", "\u2066a\u2069\u2067b\u2069\u2068c\u2069", "abc"),
    ("bidi marks", "a\u200eb\u200fc\u061cd", "abcd"),
    ("BOM", "\ufeffhello", "hello"),
    ("lone high surrogate", "a\ud800b", "a\ufffdb"),
    ("lone low surrogate", "\udfff", "\ufffd"),
    ("zero-width run", "a\u200b\u200b\u200b\u200bb", "a\u200bb"),
    ("emoji ZWJ kept", "👩\u200d💻", "👩\u200d💻"),
    ("combining flood", "e" + "\u0301" * 50 + "x", "e\u0301\u0301\u0301x"),
    ("accents kept", "e\u0301\u0302\u0303", "e\u0301\u0302\u0303"),
    ("enclosing marks capped", "a" + "\u20dd" * 10, "a\u20dd\u20dd\u20dd"),
]


@pytest.mark.parametrize(("name", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_clean_table(name: str, text: str, expected: str) -> None:
    result = clean(text)
    assert result == expected
    assert_terminal_safe(result)
    assert clean(result) == result


UNCHANGED = [
    "Hello, world! Ordinary ASCII text with (parens) and 100% [brackets].",
    "Привет, мир — “quotes”, café, naïve, Straße",
    "絵文字 😀👍🏽🇯🇵 日本語 한국어 中文 \uff46\uff55\uff4c\uff4c (fullwidth)",
    "family 👨\u200d👩\u200d👧\u200d👦 coder 👩\u200d💻 keycap 1\ufe0f\u20e3 heart ❤\ufe0f",
    "England 🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f",
    "नमस्ते दुनिया, مرحبا بالعالم, שלום עולם",
    "[bold red]x[/] [@click=app.quit]quit[/] [link=https://evil.example]y[/link]",
    "multi\nline\ttabbed",
    "",
]


@pytest.mark.parametrize("text", UNCHANGED)
def test_ordinary_text_is_returned_as_is(text: str) -> None:
    assert clean(text) is text  # the fast path: no copy, no change


def test_one_megabyte_of_ordinary_text_is_fast() -> None:
    """A regression guard against a slow path for everyday text (the target is far below)."""
    texts = [
        ("Hello world, this is ordinary text. " * 30_000)[:1_000_000],
        ("Привет мир, обычный текст — “ok” ✓ 日本語 " * 25_000)[:1_000_000],
    ]
    for text in texts:
        best = min(_timed(clean, text) for _ in range(3))
        assert best < 0.25, f"clean took {best:.3f}s for 1 MB"


def _timed(function, text: str) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    function(text)
    return time.perf_counter() - start


def test_text_that_cannot_hold_a_flood_does_not_build_the_mark_table() -> None:
    """The exact mark class costs a scan of the BMP (~3 ms): a conversation in Latin text
    with emoji, curly quotes and accents must not pay it before its first frame."""
    safe._mark_flood.cache_clear()
    assert clean("Café “déjà vu” — perfect, thanks 👏🎉 (naïve résumé)") is not None
    assert safe._mark_flood.cache_info().currsize == 0
    assert clean("a\u0301\u0302\u0303\u0304\u0305") == "a\u0301\u0302\u0303"  # a flood still is
    assert safe._mark_flood.cache_info().currsize == 1


def test_mark_table_covers_every_mark_of_this_python() -> None:
    """``safe`` narrows its mark classes by Unicode block; a new Python may add marks."""
    marks = [chr(c) for c in range(0x110000) if is_mark(chr(c))]
    assert len(marks) > 1500
    missed = [f"U+{ord(m):04X}" for m in marks if clean("a" + m * 5) != "a" + m * MAX_MARKS]
    assert not missed


def test_combining_flood_split_over_parts_is_capped() -> None:
    parts = ["e\u0301", "\u0302\u0303", "\u0304x", "\u0301"]
    assert cap_marks_across(parts) == ["e\u0301", "\u0302\u0303", "x", "\u0301"]
    flood = ["a"] + ["\u0301"] * 1000 + ["b"]
    assert longest_mark_run("".join(cap_marks_across(flood))) == MAX_MARKS
    assert cap_marks_across(["plain", "text"]) == ["plain", "text"]


ALPHABET = (
    [chr(c) for c in range(0x00, 0x20)]
    + [chr(c) for c in range(0x7F, 0xA0)]
    + sorted(BIDI_CONTROLS)
    + ["\ufeff", "\u2028", "\u2029", "\u200b", "\u200c", "\u200d", "\u2060"]
    + ["\ud800", "\udbff", "\udc00", "\udfff"]
    + ["\u0301", "\u0336", "\u20dd", "\ufe0f", "\u05b0", "\U000e0100"]
    + ["\x1b[", "\x1b]", "\x1bP", "\x1b\\", "\x9c", ";", "0", "2", "5", "m", "J", "q"]
    + list("abc XYZ[]/@=")
    + ["😀", "👩", "日", "é"]
)


def test_random_strings_never_leak_and_clean_is_idempotent() -> None:
    rng = random.Random(20260115)
    for _ in range(3000):
        text = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 60)))
        once = clean(text)
        assert_terminal_safe(once)
        assert longest_mark_run(once) <= MAX_MARKS
        assert "\u200b\u200b" not in once
        assert clean(once) == once, repr(text)
        line = clean_line(text, 20)
        assert_terminal_safe(line)
        assert len(line) <= 20
        assert "\n" not in line and "\t" not in line and "  " not in line


CORPUS = hostile_strings()


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_hostile_corpus_is_cleaned(name: str) -> None:
    text = CORPUS[name]
    for result in (clean(text), clean_line(text, 500)):
        assert_terminal_safe(result)
        assert longest_mark_run(result) <= MAX_MARKS


def test_markup_is_data_not_escaped() -> None:
    text = "[bold red]PWNED[/] [@click=app.quit]x[/]"
    assert clean(text) == text
    assert clean_line(text) == text


@pytest.mark.parametrize(
    ("text", "max_len", "expected"),
    [
        ("  Hello\n\tworld  \r\n again ", None, "Hello world again"),
        ("a\u2028b\u2029c", None, "a b c"),
        ("tag\x1b]0;t\x07 name", None, "tag name"),
        ("Subject with\x00NUL", None, "Subject with\u2400NUL"),
        ("abcdefghij", 10, "abcdefghij"),
        ("abcdefghijk", 10, "abcdefghi…"),
        ("words and more words", 10, "words and…"),
        ("abc", 1, "…"),
        ("", 5, ""),
    ],
)
def test_clean_line(text: str, max_len: int | None, expected: str) -> None:
    assert clean_line(text, max_len) == expected


def test_clean_line_rejects_a_zero_length() -> None:
    with pytest.raises(ValueError, match="max_len"):
        clean_line("x", 0)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.com/a?b=1", "https://example.com/a?b=1"),
        ("  https://example.com/\n\tpath\t ", "https://example.com/path"),
        ("https://example.com/a b", "https://example.com/a b"),
        ("https://evil\x1b[31m.example/\u202egpj.exe", "https://evil.example/gpj.exe"),
        ("https://x.example/\x1b]8;;https://y\x1b\\", "https://x.example/"),
        ("https://x.example/\x00\x7f", "https://x.example/\u2400\u2421"),
    ],
)
def test_clean_url(url: str, expected: str) -> None:
    assert clean_url(url) == expected


def test_the_checker_sees_what_clean_removes() -> None:
    """The safety assertions above are not vacuous."""
    assert unsafe_characters("a\x1b[31m\u202e\x00\x9b\ud800\n\t") == [
        "U+0000",
        "U+001B",
        "U+009B",
        "U+202E",
        "U+D800",
    ]
    with pytest.raises(AssertionError, match="unsafe characters"):
        assert_terminal_safe("\u2069")  # PDI: unsafe, but not a listed sequence
    with pytest.raises(AssertionError, match="forbidden sequences"):
        assert_terminal_safe("\u241b]0;x \x1bc")  # only ESC c is forbidden here
    raw = CORPUS["osc52_clipboard.txt"]
    with pytest.raises(AssertionError):
        assert_terminal_safe(raw)
    assert_terminal_safe(clean(raw))
