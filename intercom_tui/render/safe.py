"""The one gate every string from the API passes on its way to the screen.

Textual 8.2.8 writes ESC, OSC and C1 characters held in a string verbatim to the terminal,
so a conversation body could set the window title (OSC 0/2), write the clipboard (OSC 52),
plant a hyperlink (OSC 8), clear the screen or reorder what the reader sees (bidi
overrides). :func:`clean` removes whole escape sequences and makes every other control
character visible (C0 as Unicode control pictures, C1 as U+FFFD), so nothing the API sends
can drive the terminal, while the reader still sees that something odd was there.

These functions do not escape Rich/Textual markup: ``[bold red]x[/]`` is data and stays
as typed, because the UI never parses user text as markup (it builds ``Content``/``Text``
from plain strings).

Strings in models and the cache stay raw (export must be faithful); clean at display time.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence

#: Most combining marks kept on one base character; more is a "zalgo" flood.
MAX_MARKS = 3

#: C0 except tab and newline, DEL, and C1 (which includes the 8-bit ESC sequence starters).
_CONTROLS = "\x00-\x08\x0b-\x1f\x7f-\x9f"
#: Bidi embeddings, overrides, isolates and marks: they reorder what the reader sees.
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
#: Line/paragraph separators, the BOM (invisible), and lone surrogates from JSON escapes.
_SPECIAL = "\u2028\u2029\ufeff\ud800-\udfff"
#: Zero-width characters: one is meaningful (the ZWJ in 👩‍💻), a run of them never is.
_ZERO_WIDTH = "\u200b-\u200d\u2060"
#: A superset of every nonspacing/enclosing mark (categories Mn, Me), by Unicode block.
#: In the BMP it is narrowed to the exact marks at import (a few thousand lookups); the
#: rare scripts of the SMP stay as one range, because non-BMP ranges make ``re`` slow.
#: Runs found are checked exactly with ``unicodedata``. A unit test checks that this
#: still covers every mark of the running Python.
_MARK_BLOCKS_BMP = (
    "\u0300-\u036f"  # Combining Diacritical Marks
    "\u0483-\u0489"  # Cyrillic
    "\u0591-\u109d"  # Hebrew .. Myanmar (Arabic, Syriac, Indic, Thai, Tibetan, ...)
    "\u135d-\u135f"  # Ethiopic
    "\u1712-\u1dff"  # Philippine scripts .. Combining Diacritical Marks Supplement
    "\u20d0-\u20ff"  # Combining Marks for Symbols
    "\u2cef-\u2dff"  # Coptic, Tifinagh, Cyrillic Extended-A
    "\u302a-\u302f\u3099\u309a"  # CJK tone marks, kana voicing marks
    "\ua66f-\ua6f1"  # Cyrillic Extended-B, Bamum
    "\ua802-\uabed"  # Syloti Nagri .. Meetei Mayek
    "\ufb1e\ufe00-\ufe2f"  # Hebrew, variation selectors, half marks
)
_MARK_BLOCKS_SMP = (
    "\U000101fd-\U0001e94a"  # historic and minority scripts (emoji start later)
    "\U000e0100-\U000e01ef"  # Variation Selectors Supplement
)


def _is_mark(char: str) -> bool:
    return unicodedata.category(char) in ("Mn", "Me")


def _exact_marks(blocks: str) -> str:
    """The marks inside ``blocks`` (a regex class body of single chars and ranges) as a
    class body of ranges."""
    ranges: list[list[int]] = []
    for first, last in re.findall(r"(.)(?:-(.))?", blocks, re.DOTALL):
        for code in range(ord(first), ord(last or first) + 1):
            if _is_mark(chr(code)):
                if ranges and ranges[-1][1] == code - 1:
                    ranges[-1][1] = code
                else:
                    ranges.append([code, code])
    return "".join(f"{chr(a)}-{chr(b)}" for a, b in ranges)


_FIRST_MARK = "\u0300"  # no mark comes before it


@functools.cache
def _maybe_flood() -> re.Pattern[str]:
    """Runs of more than MAX_MARKS characters of the blocks that hold marks: where a flood
    could be. Cheap to build, and most text (Latin, CJK, emoji) has no such run."""
    return re.compile(f"[{_MARK_BLOCKS_BMP}{_MARK_BLOCKS_SMP}]{{{MAX_MARKS + 1},}}")


@functools.cache
def _mark_flood() -> re.Pattern[str]:
    """Runs of more than MAX_MARKS marks. Built at first need: scanning the BMP for marks
    takes ~3 ms, which a first frame should not wait for unless its text could hold a
    flood (see ``_maybe_flood``)."""
    marks = _exact_marks(_MARK_BLOCKS_BMP) + _MARK_BLOCKS_SMP
    return re.compile(f"[{marks}]{{{MAX_MARKS + 1},}}")


#: One search per concern: a single class scans far faster than an alternation.
_ASCII_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")
_CONTROL = re.compile(f"[{_CONTROLS}{_BIDI}{_SPECIAL}]")
_ZERO_WIDTH_RUN = re.compile(f"[{_ZERO_WIDTH}]{{2,}}")

#: Whole escape sequences, 7-bit (ESC-introduced) and 8-bit (C1-introduced). Payloads stop
#: at any ESC/C1/BEL so that an unterminated sequence costs one scan, never a quadratic one;
#: whatever is not matched here is made visible by the table below.
_ESCAPE_SEQUENCE = re.compile(
    # CSI: parameters, intermediates, final byte.
    r"(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]"
    # OSC, DCS, SOS, PM, APC: a string up to ST (ESC \ or U+009C) or BEL.
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x80-\x9f]*(?:\x07|\x1b\\|\x9c)"
    # Other ESC sequences: intermediates then one final byte (ESC c, ESC ( B, ESC 7 ...).
    r"|\x1b[\x20-\x2f]*[\x30-\x7e]"
)
_URL_BREAKS = str.maketrans("", "", "\t\n")


def _translation() -> dict[int, str]:
    table = {c: chr(0x2400 + c) for c in range(0x20)}  # ␀ .. ␟
    del table[0x09], table[0x0A]
    table[0x0D] = "\n"  # a lone CR would overwrite the line; show it as the break it means
    table[0x7F] = "\u2421"  # ␡
    table.update(dict.fromkeys(range(0x80, 0xA0), "\ufffd"))
    table.update(dict.fromkeys(range(0xD800, 0xE000), "\ufffd"))
    for start, end in ((0x202A, 0x202E), (0x2066, 0x2069)):
        table.update(dict.fromkeys(range(start, end + 1), ""))
    table.update(dict.fromkeys((0x061C, 0x200E, 0x200F, 0xFEFF), ""))
    table[0x2028] = table[0x2029] = "\n"
    return table


_TABLE = _translation()


def _replace_control(match: re.Match[str]) -> str:
    return _TABLE[ord(match.group())]


def _cap_marks(match: re.Match[str]) -> str:
    if max(match.group()) < "\U00010000":  # the class is exact in the BMP: all are marks
        return match.group()[:MAX_MARKS]
    kept: list[str] = []
    run = 0
    for char in match.group():
        run = run + 1 if _is_mark(char) else 0
        if run <= MAX_MARKS:
            kept.append(char)
    return "".join(kept)


def _first_char(match: re.Match[str]) -> str:
    return match.group()[0]


def clean(text: str) -> str:
    """``text`` made safe to show: no escape sequence, no invisible control, no bidi trick.

    Removes ESC/CSI/OSC/DCS/SOS/PM/APC sequences (7- and 8-bit) whole; turns the remaining
    C0 controls except tab and newline into control pictures (NUL → ␀, DEL → ␡), C1
    controls and lone surrogates into U+FFFD, CR/CRLF/U+2028/U+2029 into ``\\n``; removes
    bidi controls and the BOM; keeps at most :data:`MAX_MARKS` combining marks per base
    character and the first of any run of zero-width characters (so emoji ZWJ sequences
    survive). Idempotent. Text with nothing to change is returned as is (the same object).
    """
    if text.isascii():
        if _ASCII_CONTROL.search(text) is None:
            return text
        return _ESCAPE_SEQUENCE.sub("", text).replace("\r\n", "\n").translate(_TABLE)
    if _CONTROL.search(text) is not None:
        text = _ESCAPE_SEQUENCE.sub("", text).replace("\r\n", "\n")
        # ``translate`` is slow on non-ASCII text; controls there are usually few.
        text = _CONTROL.sub(_replace_control, text)
    if max(text, default="") >= _FIRST_MARK and _maybe_flood().search(text):
        text = _mark_flood().sub(_cap_marks, text)
    return _ZERO_WIDTH_RUN.sub(_first_char, text)


def clean_line(text: str, max_len: int | None = None) -> str:
    """``text`` cleaned onto one line (for list rows, titles, names, tags).

    Every run of whitespace, newlines and tabs included, becomes one space; the ends are
    stripped; with ``max_len`` the result is at most that many characters, ending in "…"
    when cut.
    """
    if max_len is not None and max_len < 1:
        raise ValueError(f"max_len must be at least 1, not {max_len}")
    line = " ".join(clean(text).split())
    if max_len is not None and len(line) > max_len:
        line = line[: max_len - 1].rstrip() + "…"
    return line


def clean_url(url: str) -> str:
    """A URL made safe to show: :func:`clean`, then tabs and line breaks dropped and the ends
    stripped, as browsers do with an ``href``. Other controls stay visible, so a URL with
    hidden characters never looks like a clean one."""
    return clean(url).translate(_URL_BREAKS).strip()


def cap_marks_across(parts: Sequence[str]) -> list[str]:
    """``parts`` (each already :func:`clean`) with the combining-mark cap applied across
    their boundaries, for pieces shown joined (styled spans of one line), so a flood split
    over many spans cannot stack on one character."""
    result: list[str] = []
    carried = 0  # marks at the end of what ``result`` holds so far
    for part in parts:
        if carried and part and part[0] >= _FIRST_MARK:
            lead = _leading_marks(part)
            allowed = max(0, MAX_MARKS - carried)
            if lead > allowed:
                part = part[:allowed] + part[lead:]
        result.append(part)
        if part:
            tail = part[-MAX_MARKS - 1 :]
            trailing = _leading_marks(reversed(tail)) if tail[-1] >= _FIRST_MARK else 0
            carried = carried + trailing if trailing == len(part) else trailing
    return result


def _leading_marks(chars: Iterable[str]) -> int:
    count = 0
    for char in chars:
        if not _is_mark(char):
            break
        count += 1
    return count
