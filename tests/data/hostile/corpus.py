"""The hostile corpus as strings, for tests of every layer (render, emulator, the real app).

:func:`hostile_strings` maps a case name to its string: one case per ``.txt``/``.html``
file here (named by the file), one per string value of each ``.json`` file (named
``file.json:path``, decoded by ``json`` so ``\\ud800`` escapes become lone surrogates),
and large or deeply nested bodies built on the fly, so that git only holds small files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

#: Text that the deeply nested cases hold at their deepest level.
DEEP_TEXT = "deepest-text-7f3a"
#: How deep the nested cases go.
DEPTH = 10_000

#: Markers that must never reach the terminal when the corpus is shown. Only what
#: Textual itself never writes, so a test may search a whole captured output for them.
FORBIDDEN_SEQUENCES: tuple[str, ...] = (
    "\x1b]0;",  # OSC 0: set window title
    "\x1b]2;",  # OSC 2: set window title
    "\x1b]8;;https://evil.example",  # OSC 8 hyperlink planted by content
    "\x1b]52;c;UFdORUQ",  # OSC 52 clipboard write of the corpus payload
    "\x1b]52;p;",  # OSC 52 primary-selection write
    "\x1bP",  # DCS (sixel, terminal queries)
    "\x1b_",  # APC (kitty graphics)
    "\x1b^",  # PM
    "\x1bX",  # SOS
    "\x1b[21t",  # report window title: echoes attacker text back as input
    "\x1b[8;1;1t",  # resize the window
    "\x1bc",  # full reset
    "\x9b",  # 8-bit CSI
    "\x9d",  # 8-bit OSC
    "\x90",  # 8-bit DCS
    "\x98",  # 8-bit SOS
    "\x9e",  # 8-bit PM
    "\x9f",  # 8-bit APC
    "\x00",  # NUL
    "\u202a",  # LRE
    "\u202b",  # RLE
    "\u202d",  # LRO
    "\u202e",  # RLO
    "\u2066",  # LRI
    "\u2067",  # RLI
    "\u2068",  # FSI
)


#: Bidi embeddings, overrides, isolates and marks: none may reach the screen.
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def unsafe_characters(text: str) -> list[str]:
    """The kinds of character in ``text`` that must never reach the screen, as "U+XXXX":
    C0 controls but newline and tab, DEL, C1 controls, lone surrogates, bidi controls, the
    BOM and the line/paragraph separators."""
    return sorted(
        {
            f"U+{ord(char):04X}"
            for char in text
            if (char < " " and char not in "\n\t")
            or "\x7f" <= char <= "\x9f"
            or "\ud800" <= char <= "\udfff"
            or char in BIDI_CONTROLS
            or char in "\ufeff\u2028\u2029"
        }
    )


def assert_terminal_safe(text: str) -> None:
    """Fail when ``text`` holds an unsafe character or a forbidden sequence."""
    leaked = [seq for seq in FORBIDDEN_SEQUENCES if seq in text]
    assert not leaked, f"forbidden sequences {leaked} in {text[:200]!r}"
    bad = unsafe_characters(text)
    assert not bad, f"unsafe characters {bad} in {text[:200]!r}"


def large_body(size: int = 1_000_000) -> str:
    """About ``size`` characters of ordinary HTML paragraphs with a hostile sequence in
    every tenth one, ending with :data:`DEEP_TEXT`."""
    paragraphs: list[str] = []
    total = 0
    n = 0
    while total < size:
        hostile = "\x1b]0;PWNED\x07\x1b[2J" if n % 10 == 0 else ""
        paragraph = (
            f"<p>Paragraph {n}: the customer writes <b>again</b>{hostile} about "
            f'<a href="https://example.com/{n}">order {n}</a> &amp; billing.</p>\n'
        )
        paragraphs.append(paragraph)
        total += len(paragraph)
        n += 1
    paragraphs.append(f"<p>{DEEP_TEXT}</p>")
    return "".join(paragraphs)


def deep_nesting(open_tag: str, close_tag: str, depth: int = DEPTH) -> str:
    """``open_tag`` repeated ``depth`` times around :data:`DEEP_TEXT`, then the closes."""
    return open_tag * depth + DEEP_TEXT + close_tag * depth


def _json_strings(value: Any, path: str) -> dict[str, str]:
    if isinstance(value, str):
        return {path: value}
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return {}
    found: dict[str, str] = {}
    for key, item in items:
        found.update(_json_strings(item, f"{path}.{key}" if ":" in path else f"{path}:{key}"))
    return found


def hostile_strings() -> dict[str, str]:
    """Every case of the corpus: name → string (see the module docstring)."""
    cases: dict[str, str] = {}
    for path in sorted(HERE.iterdir()):
        if path.suffix in (".txt", ".html"):
            cases[path.name] = path.read_bytes().decode("utf-8")  # keeps CR and CRLF
        elif path.suffix == ".json":
            cases.update(_json_strings(json.loads(path.read_text(encoding="utf-8")), path.name))
    cases["large_body.html"] = large_body()
    cases["deep_div.html"] = deep_nesting("<div>", "</div>")
    cases["deep_ul_li.html"] = deep_nesting("<ul><li>", "</li></ul>")
    cases["deep_b.html"] = deep_nesting("<b>", "</b>")
    cases["deep_blockquote.html"] = deep_nesting("<blockquote>", "</blockquote>")
    cases["deep_unclosed.html"] = "<div><span><i>" * (DEPTH // 3) + DEEP_TEXT
    cases["combining_flood_large.txt"] = "x" + "\u0301" * 100_000 + " end"
    return cases
