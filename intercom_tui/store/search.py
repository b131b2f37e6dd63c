"""Text filters without the big full-text join: a view's first matches, and its count.

The view SQL of a text filter (``rid IN (SELECT rowid FROM conversation_fts WHERE ... MATCH
?)``) makes SQLite build the whole match list before the first row: at a million cached
conversations a one-letter prefix matches 660,000 of them and costs 250 ms for a page and
500 ms for a count. The first screenful needs none of that. When a word is common, walking
the view in its own index order and testing each row finds a screenful of matches in a
few hundred rows (~1 ms); when it is rare, its doclist is short and the index can drive
the query (and the count, which no walk can shorten, joins from the index in a worker).

The walk tests rows exactly as the index would. ``fold`` turns text into the tokens
FTS5's ``unicode61 remove_diacritics 2`` tokenizer makes of it, learning each non-ASCII
character the first time it is seen by asking the tokenizer itself (a private in-memory
FTS5 table), so a row matches here if and only if ``conversation_fts MATCH`` would match it:
no second implementation of Unicode 6.1 case folding and diacritics to drift.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple, Protocol

from intercom_tui.store import schema

#: Rows a walk reads before judging whether it can finish within its budget.
SAMPLE_ROWS = 256
#: VM steps between two looks at a caller's "stop" flag during a long query.
STOP_CHECK_STEPS = 20_000
#: Query words longer than this go to the SQL path (FTS5 caps indexed tokens anyway).
MAX_TERM_CHARS = 200
#: What ``fold`` puts for a character this module cannot map (the tokenizer did something
#: its model does not cover): text holding it is left to the SQL path.
UNKNOWN = "\x00"
_TOKENIZE = re.search(r"tokenize='[^']*'", schema.CREATE_FTS)
assert _TOKENIZE is not None, "schema.CREATE_FTS names its tokenizer"


class ViewQuery(Protocol):
    """One view's rows as SQL (``cache._ViewSql``): ``source`` WHERE ``where``, ``keys`` order."""

    @property
    def source(self) -> str: ...

    @property
    def where(self) -> str: ...

    @property
    def params(self) -> tuple[Any, ...]: ...

    @property
    def keys(self) -> tuple[str, ...]: ...


class Walked(NamedTuple):
    """Sort keys (``rid`` last) of a view's first matching rows, in the view's order.

    ``complete``: the walk reached the end of the view, so these are all its matches.
    """

    keys: list[tuple[Any, ...]]
    complete: bool


# ---------------------------------------------------------------------------- folding
class _Folding:
    """Each character as the tokenizer sees it: " " (separator), "" (dropped: a combining
    diacritic), or its folded form; ``UNKNOWN`` for what the model does not cover.

    unicode61 decides character by character (category, then case and diacritic folding),
    except that a combining diacritic only continues a token. Those fold to nothing in
    SQLite's tables, so dropping them is exact; a build where one folded to a letter
    would get UNKNOWN for it.
    """

    def __init__(self) -> None:
        ascii_ = {c: " " for c in range(128)}
        ascii_.update({c: chr(c) for c in b"abcdefghijklmnopqrstuvwxyz0123456789"})
        ascii_.update({c: chr(c + 32) for c in b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"})
        self.table: dict[int, str] = ascii_  # grown by ``_learn``
        self._known: set[str] = {chr(c) for c in ascii_}
        self._lock = threading.Lock()
        self._probe: sqlite3.Connection | None = None

    def fold(self, text: str) -> str:
        if text.isascii():  # bytes.translate is twice as fast as str.translate
            return text.encode().translate(_ASCII_FOLD).decode()
        unknown = set(text).difference(self._known)
        if unknown:
            self._learn(unknown)
        return text.translate(self.table)

    def _learn(self, chars: Iterable[str]) -> None:
        with self._lock:
            chars = [c for c in chars if c not in self._known]
            if not chars:
                return
            learnt = self._ask_tokenizer(chars)
            for ch in chars:
                self.table[ord(ch)] = learnt.get(ch, UNKNOWN)
                self._known.add(ch)

    def _ask_tokenizer(self, chars: Sequence[str]) -> dict[str, str]:
        """Tokenize ``x<c>x`` (separator or not, and the fold) and ``<c>x`` (does it start
        a token) for each character, in one private FTS5 table with the index's tokenizer."""
        conn = self._probe
        if conn is None:
            conn = self._probe = sqlite3.connect(
                ":memory:", isolation_level=None, check_same_thread=False
            )
            conn.execute(f"CREATE VIRTUAL TABLE probe USING fts5(a, b, {_TOKENIZE[0]})")
            conn.execute("CREATE VIRTUAL TABLE probe_terms USING fts5vocab(probe, 'instance')")
        rows = []
        for i, ch in enumerate(chars):
            if "\ud800" <= ch <= "\udfff":
                continue  # a lone surrogate cannot reach SQLite (stored text has none)
            rows.append((i, f"x{ch}x", f"{ch}x"))
        tokens: dict[tuple[int, str], list[str]] = {}
        conn.execute("BEGIN")
        try:
            conn.executemany("INSERT INTO probe (rowid, a, b) VALUES (?, ?, ?)", rows)
            sql = "SELECT doc, col, term FROM probe_terms ORDER BY doc, col, offset"
            for doc, col, term in conn.execute(sql):
                tokens.setdefault((doc, col), []).append(term)
        finally:
            conn.execute("ROLLBACK")  # the table is empty again for the next characters
        out: dict[str, str] = {}
        for i, ch in enumerate(chars):
            a, b = tokens.get((i, "a"), []), tokens.get((i, "b"), [])
            if a == ["x", "x"]:
                out[ch] = " "
            elif len(a) == 1 and len(a[0]) >= 2 and a[0][0] == a[0][-1] == "x":
                folded = a[0][1:-1]
                if not folded or b == [f"{folded}x"]:
                    out[ch] = folded  # dropped, or a token character
        return out


_FOLDING = _Folding()
_ASCII_FOLD = bytes(ord(_FOLDING.table[c]) for c in range(128)) + bytes(128)


def fold(text: str) -> str:
    """``text`` as the index tokenizes it: folded tokens separated by spaces."""
    return _FOLDING.fold(text)


def prefix_terms(words: Iterable[str]) -> tuple[str, ...] | None:
    """The index's form of each query word (``fts_query`` makes each a prefix term).

    None when a word is not exactly one token to FTS5 (a phrase, which FTS5 rejects and
    the cache answers with LIKE instead, or nothing at all), or too long: the SQL path
    then decides, with whatever semantics it has for such text.
    """
    terms = []
    for word in words:
        tokens = fold(word).split(" ")
        tokens = [t for t in tokens if t]
        if len(tokens) != 1 or UNKNOWN in tokens[0] or len(tokens[0]) > MAX_TERM_CHARS:
            return None
        terms.append(tokens[0])
    return tuple(terms) if terms else None


# ---------------------------------------------------------------------------- the walk
def walk(
    conn: sqlite3.Connection,
    view: ViewQuery,
    terms: Sequence[str],
    limit: int,
    max_rows: int,
) -> Walked | None:
    """The first ``limit`` rows of ``view`` whose text holds every term as a word prefix.

    Reads the view in its sort order (an index range: no sort), testing title, contact
    and preview, and a cached thread's bodies when those miss. None when that would take
    more than ``max_rows`` rows (judged after ``SAMPLE_ROWS``, so a rare word gives up
    early), or when a row holds text ``fold`` cannot map.
    """
    alias = "c" if view.source == "conversations" else "v"
    joined = "conversations c" if alias == "c" else f"{view.source} v CROSS JOIN conversations c"
    on = "" if alias == "c" else "c.rid = v.rid AND "
    keys = ", ".join(f"{alias}.{k}" for k in view.keys)
    order = ", ".join(f"{alias}.{k} DESC" for k in view.keys)
    sql = (
        f"SELECT {keys}, ' ' || c.title || ' ' || c.contact_name || ' ' || c.preview,"
        " EXISTS (SELECT 1 FROM threads t WHERE t.rid = c.rid)"
        f" FROM {joined} WHERE {on}{view.where} ORDER BY {order}"
    )
    holds = _holds_all([f" {t}" for t in terms])
    text_at = len(view.keys)
    found: list[tuple[Any, ...]] = []
    read = 0
    cursor = conn.execute(sql, view.params)
    try:
        for row in cursor:
            read += 1
            text = fold(row[text_at])
            if not holds(text) and row[text_at + 1]:
                body = conn.execute(
                    "SELECT body_text FROM threads WHERE rid = ?", (row[text_at - 1],)
                )
                text += " " + fold(body.fetchone()[0])
            if UNKNOWN in text:
                return None
            if holds(text):
                found.append(row[:text_at])
                if len(found) >= limit:
                    return Walked(found, complete=False)
            if read >= max_rows or (read == SAMPLE_ROWS and len(found) * max_rows < limit * read):
                return None
    finally:
        cursor.close()
    return Walked(found, complete=True)


def _holds_all(needles: Sequence[str]) -> Callable[[str], bool]:
    """A test that ``text`` contains every needle (the one-word case without a loop)."""
    if len(needles) == 1:
        needle = needles[0]
        return lambda text: needle in text
    return lambda text: all(n in text for n in needles)


# ---------------------------------------------------------------------------- index-driven
def _from_index(view: ViewQuery) -> str:
    """FROM/WHERE of ``view`` driven by the full-text matches (one ``?`` for MATCH first)."""
    fts = schema.FTS_TABLE
    return (
        f"FROM {fts} CROSS JOIN {view.source} ON {view.source}.rid = {fts}.rowid"
        f" WHERE {fts} MATCH ? AND {view.where}"
    )


def indexed_top(
    conn: sqlite3.Connection,
    view: ViewQuery,
    match: str,
    limit: int,
    stop: Callable[[], bool] | None = None,
) -> list[tuple[Any, ...]] | None:
    """Sort keys of the first ``limit`` rows of ``view`` matching the FTS5 query ``match``.

    Costs one look-up per indexed match (in any view) and a top-``limit`` sort: quick
    for rare words, where a walk gives up. None if ``stop()`` turned true meanwhile.
    """
    order = ", ".join(f"{k} DESC" for k in view.keys)
    sql = f"SELECT {', '.join(view.keys)} {_from_index(view)} ORDER BY {order} LIMIT ?"
    rows = _interruptible(conn, sql, (match, *view.params, limit), stop)
    return None if rows is None else [tuple(r) for r in rows]


def indexed_count(
    conn: sqlite3.Connection,
    view: ViewQuery,
    match: str,
    stop: Callable[[], bool] | None = None,
) -> int | None:
    """How many rows of ``view`` match ``match``; None if ``stop()`` turned true meanwhile.

    Joining from the index costs about half of the view SQL's count (no match list).
    """
    rows = _interruptible(conn, f"SELECT count(*) {_from_index(view)}", (match, *view.params), stop)
    return None if rows is None else int(rows[0][0])


def _interruptible(
    conn: sqlite3.Connection,
    sql: str,
    params: tuple[Any, ...],
    stop: Callable[[], bool] | None,
) -> list[Any] | None:
    """Run a query that a newer keystroke may make pointless: SQLite asks ``stop`` now and
    then and abandons the query when it says so (None)."""
    if stop is None:
        return conn.execute(sql, params).fetchall()
    if stop():
        return None
    conn.set_progress_handler(stop, STOP_CHECK_STEPS)
    try:
        return conn.execute(sql, params).fetchall()
    except sqlite3.OperationalError as e:
        if "interrupt" in str(e) and stop():
            return None
        raise
    finally:
        conn.set_progress_handler(None, 0)
