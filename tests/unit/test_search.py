"""Text filters as typed: the walk and the index-driven queries give exactly the view SQL's rows.

``Cache.window`` and ``Cache.count`` (the full-text SQL) are the reference; the data mixes
what tokenizers disagree on: diacritics (composed and combining), case folds that are not
ASCII, ligatures, scripts without spaces, digits, punctuation, underscores, words found
only in a cached thread's bodies.
"""

# ruff: noqa: RUF001  (look-alike letters from other scripts are the point here)

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from intercom_tui.store import schema, search
from intercom_tui.store.cache import Cache, Filter, Sort
from tests.conftest import FIXED_NOW
from tests.unit.test_cache import conv, parts

#: Every word a conversation can hold, and what queries are made of.
VOCABULARY = [
    "refund", "Refunded", "invoice", "INV-2024", "payment", "login", "log_in", "foo_bar",
    "Café", "naïve", "résumé", "e\u0301te\u0301", "Ünïcödé", "straße", "STRASSE", "ﬁne",
    "İstanbul", "ıi", "ΣΑΣ", "σας", "Привет", "日本語テキスト", "ＡＢＣ", "🙂ok", "3.14", "x²",
    "100%", "C++", "e-mail", "O'Brien", "a\u00a0b", "tab\there", "a\u19b0b", "zero\u200bwidth",
    "re-fund", "Dr.", "über", "ÜBER", "Ωmega", "ǅemal", "ﬀ", "\ue000priv", "Ⅻ", "٣٤",
]  # fmt: skip
NAMES = ["Zoë Ångström", "José Núñez", "Łukasz Żółć", "李雷", "Ann Lee", "O'Neil-Smith", ""]
BODY_ONLY = ["gizmo", "Überweisung", "naïveté", "kopf_schmerz"]
VIEWS = [
    Filter(),
    Filter(state="open"),
    Filter(state="closed", admin_assignee_id="1"),
    Filter(state="open", unassigned=True),
    Filter(team_assignee_id="10"),
    Filter(tag_id="t1"),
    Filter(tag_id="t2", state="open"),
]


def _queries() -> list[str]:
    """Prefixes of every word (as typed, upper-cased, without accents), pairs, oddities."""
    rng = random.Random(7)
    out: set[str] = set()
    for word in VOCABULARY + BODY_ONLY + [n for name in NAMES for n in name.split()]:
        for end in (1, 2, 3, len(word)):
            out.update({word[:end], word[:end].upper()})
    out.update(["cafe", "CAFÉ", "cafe\u0301", "ete", "strasse", "fi", "istanbul", "σασ"])
    out.update(["zoe ang", "ref inv", "jose", "nunez", "lukasz zolc", "log in", "foo bar"])
    out.update(["re fund", "ref ref", "x2", "²", "14", "3", "ab", "priv", "xii", "zzz", "ü"])
    words = sorted(out)
    out.update(f"{rng.choice(words)} {rng.choice(words)}" for _ in range(20))
    return sorted(out)


QUERIES = _queries()


def _dataset(n: int, seed: int = 3) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """``n`` conversations, and the thread body text of some of them."""
    rng = random.Random(seed)
    items, bodies = [], {}
    for i in range(n):
        cid = str(i + 1)
        pick = lambda k: " ".join(rng.choice(VOCABULARY) for _ in range(k))  # noqa: E731
        title = pick(rng.randrange(3)) if rng.random() < 0.5 else ""
        author = {"type": "user", "id": f"u{i}", "name": rng.choice(NAMES)}
        items.append(
            conv(cid, FIXED_NOW - rng.randrange(40), state=rng.choice(["open", "closed"]),
                 admin=rng.choice([None, "1", "2"]), team=rng.choice([None, "10"]),
                 tags=tuple(rng.sample(["t1", "t2"], rng.randrange(3))),
                 waiting=rng.choice([None, FIXED_NOW - rng.randrange(5)]),
                 priority=rng.random() < 0.3, title=title, body=f"<p>{pick(3)}</p>",
                 author=author)
        )  # fmt: skip
        if rng.random() < 0.15:
            bodies[cid] = f"{pick(2)} {rng.choice(BODY_ONLY)}"
    return items, bodies


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cache]:
    path = tmp_path_factory.mktemp("search") / "cache.sqlite3"
    cache = Cache.open(path)
    assert cache.has_fts
    items, bodies = _dataset(420)
    cache.upsert_conversations(items)
    by_id = {str(item["id"]): item for item in items}
    for cid, text in bodies.items():
        cache.store_thread({**by_id[cid], "conversation_parts": parts(text)})
    yield cache
    cache.close()


def ids(rows: Any) -> list[str]:
    return [r.id for r in rows]


# ---------------------------------------------------------------------------- the tokenizer
def fts_tokens(conn: sqlite3.Connection, texts: list[str]) -> list[list[str]]:
    """What FTS5 itself makes of each text, with the index's tokenizer."""
    conn.execute("DELETE FROM t")
    conn.executemany("INSERT INTO t (rowid, x) VALUES (?, ?)", enumerate(texts))
    out: list[list[str]] = [[] for _ in texts]
    for doc, term in conn.execute("SELECT doc, term FROM v ORDER BY doc, offset"):
        out[doc].append(term)
    return out


def test_fold_tokenizes_like_fts5() -> None:
    tokenize = schema.CREATE_FTS[schema.CREATE_FTS.index("tokenize=") :].rstrip(")")
    conn = sqlite3.connect(":memory:")
    conn.execute(f"CREATE VIRTUAL TABLE t USING fts5(x, {tokenize})")
    conn.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
    rng = random.Random(11)
    alphabet = "".join(VOCABULARY + BODY_ONLY + NAMES) + " \u0301\u0308\u0327_-'.,;\t\n\x01"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(30))) for _ in range(3000)]
    texts += [*VOCABULARY, "\u0301abc", "a\u0301\u0301b", " \u0301 ", "x\u0301", ""]
    for text, tokens in zip(texts, fts_tokens(conn, texts), strict=True):
        assert search.fold(text).split() == tokens, repr(text)


def test_every_non_ascii_character_of_a_block_folds_like_fts5() -> None:
    """Latin-1 to Greek and Cyrillic (where folding and diacritics live), one by one."""
    tokenize = schema.CREATE_FTS[schema.CREATE_FTS.index("tokenize=") :].rstrip(")")
    conn = sqlite3.connect(":memory:")
    conn.execute(f"CREATE VIRTUAL TABLE t USING fts5(x, {tokenize})")
    conn.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
    texts = [f"a{chr(c)}b {chr(c)}c" for c in range(0x80, 0x530)]
    for text, tokens in zip(texts, fts_tokens(conn, texts), strict=True):
        assert search.fold(text).split() == tokens, repr(text)


def test_prefix_terms_are_single_folded_tokens() -> None:
    assert search.prefix_terms(["Ref"]) == ("ref",)
    assert search.prefix_terms(["Café", "ÜBER"]) == ("cafe", "uber")
    assert search.prefix_terms(["ǅemal"]) == ("ǆemal",)
    assert search.prefix_terms(["a\u19b0b"]) is None  # two tokens to FTS5: a phrase
    assert search.prefix_terms(["x" * (search.MAX_TERM_CHARS + 1)]) is None
    assert search.prefix_terms([]) is None


# ---------------------------------------------------------------------------- against the SQL
@pytest.mark.parametrize("view", VIEWS, ids=repr)
def test_first_rows_and_counts_are_the_sql_ones(loaded: Cache, view: Filter) -> None:
    walked = 0
    for query in QUERIES:
        f = view._replace(text=query)
        want = ids(loaded.window(f, Sort.UPDATED, 0, 40))
        quick = loaded.search_window(f, Sort.UPDATED, 0, 40, max_rows=10**6)
        if quick is not None:
            walked += 1
            assert ids(quick.rows) == want, query
            assert quick.complete == (len(want) < 40 and loaded.count(f) == len(want)), query
        indexed = loaded.search_window(f, Sort.UPDATED, 0, 40)
        assert indexed is not None and ids(indexed.rows) == want, query
        assert loaded.search_count(f) == loaded.count(f), query
    assert walked > 0.8 * len(QUERIES)  # the walk answered, not just the fallbacks


@pytest.mark.parametrize("sort", [Sort.WAITING, Sort.PRIORITY])
@pytest.mark.parametrize("view", [Filter(state="open"), Filter(tag_id="t1")], ids=repr)
def test_every_sort_and_deeper_windows(loaded: Cache, view: Filter, sort: Sort) -> None:
    for query in ["r", "re", "ref", "Café", "z", "log in", "日本", "gizmo", "naïv"]:
        f = view._replace(text=query)
        want = ids(loaded.window(f, sort, 0, 400))
        for offset, limit in ((0, 7), (5, 11), (30, 40), (len(want) - 3, 10)):
            expect = want[max(0, offset) : max(0, offset) + limit]
            quick = loaded.search_window(f, sort, offset, limit, max_rows=10**6)
            assert quick is None or ids(quick.rows) == expect, (query, offset)
            indexed = loaded.search_window(f, sort, offset, limit)
            assert indexed is not None and ids(indexed.rows) == expect, (query, offset)


def test_words_only_in_a_thread_are_found(loaded: Cache) -> None:
    f = Filter(text="überw")
    found = loaded.search_window(f, Sort.UPDATED, 0, 50, max_rows=10**6)
    assert found is not None and found.complete
    assert ids(found.rows) == ids(loaded.window(f, Sort.UPDATED, 0, 50)) != []


def test_a_complete_walk_leaves_its_count_behind(loaded: Cache) -> None:
    f = Filter(state="open", tag_id="t2", text="gizmo")
    found = loaded.search_window(f, Sort.UPDATED, 0, 400, max_rows=10**6)
    assert found is not None and found.complete
    assert loaded.count(f) == len(found.rows) == len(loaded.window(f, Sort.UPDATED, 0, 400))


def test_the_quick_walk_gives_up_past_its_budget(loaded: Cache) -> None:
    f = Filter(text="zzz")  # no row: judged after SAMPLE_ROWS rows, not after all of them
    assert loaded.search_window(f, Sort.UPDATED, 0, 40, max_rows=10**6) is None
    assert loaded.search_window(Filter(text="r"), Sort.UPDATED, 0, 40, max_rows=3) is None
    indexed = loaded.search_window(f, Sort.UPDATED, 0, 40)
    assert indexed is not None and indexed.rows == [] and indexed.complete


def test_text_the_walk_cannot_read_goes_to_sql(loaded: Cache) -> None:
    for text in ["a\u19b0b", "- !", ""]:  # a phrase to FTS5 (LIKE answers it); no words
        f = Filter(state="open", text=text)
        assert loaded.search_window(f, Sort.UPDATED, 0, 20, max_rows=10**6) is None
        found = loaded.search_window(f, Sort.UPDATED, 0, 20)
        assert found is not None and ids(found.rows) == ids(loaded.window(f, Sort.UPDATED, 0, 20))
        assert loaded.search_count(f) == loaded.count(f)


def test_a_character_fold_does_not_cover_stops_the_walk(
    loaded: Cache, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(search._FOLDING.table, ord("é"), search.UNKNOWN)
    assert search.prefix_terms(["résumé"]) is None
    f = Filter(text="r")  # rows holding "é" cannot be judged: the walk hands over
    assert loaded.search_window(f, Sort.UPDATED, 0, 400, max_rows=10**6) is None


def test_stop_abandons_the_index_queries(loaded: Cache, monkeypatch: pytest.MonkeyPatch) -> None:
    f = Filter(text="r")
    assert loaded.search_window(f, Sort.UPDATED, 0, 40, stop=lambda: True) is None
    assert (
        loaded.search_count(Filter(team_assignee_id="10", text="stop"), stop=lambda: True) is None
    )
    monkeypatch.setattr(search, "STOP_CHECK_STEPS", 1)
    calls: list[int] = []

    def later() -> bool:  # false when asked first, true once SQLite is under way
        calls.append(1)
        return len(calls) > 3

    f = Filter(team_assignee_id="10", tag_id="t2", text="ref")  # not counted before
    assert loaded.search_count(f, stop=later) is None
    assert len(calls) > 3
    assert loaded.search_count(f) == loaded.count(f)


def test_without_fts5_only_the_sql_answers(tmp_path: Path) -> None:
    cache = Cache.open(tmp_path / "like.sqlite3", use_fts=False)
    try:
        items, _ = _dataset(60)
        cache.upsert_conversations(items)
        f = Filter(text="ref")
        assert cache.search_window(f, Sort.UPDATED, 0, 10, max_rows=10**6) is None
        found = cache.search_window(f, Sort.UPDATED, 0, 10)
        assert found is not None and ids(found.rows) == ids(cache.window(f, Sort.UPDATED, 0, 10))
        assert cache.search_count(f) == cache.count(f)
    finally:
        cache.close()
