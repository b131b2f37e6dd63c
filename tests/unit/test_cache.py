"""The SQLite cache: windows and counts against a brute-force model, writes, recovery."""

from __future__ import annotations

import os
import random
import re
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from intercom_tui.api.models import Conversation
from intercom_tui.store import schema
from intercom_tui.store.cache import (
    NOT_WAITING,
    Cache,
    CacheUnavailable,
    ConversationRow,
    Filter,
    Sort,
    cache_path_for,
    fts_query,
)
from intercom_tui.store.outbox import Outbox
from tests.conftest import FIXED_NOW, TOKEN

WORDS = ["refund", "invoice", "login", "crash", "payment", "export", "webhook", "zebra"]
NAMES = ["Ann Lee", "Bob Stone", "Carla Diaz", "Dev Patel"]
STATES = ["open", "snoozed", "closed"]


def conv(
    cid: str | int,
    updated_at: int,
    *,
    state: str = "open",
    admin: Any = None,
    team: Any = None,
    tags: tuple[str, ...] = (),
    read: bool = True,
    priority: bool = False,
    waiting: int | None = None,
    title: str | None = "",
    body: str = "<p>hello</p>",
    author: dict[str, Any] | None = None,
    contacts: tuple[str, ...] = (),
) -> dict[str, Any]:
    """A list item shaped like Intercom's (ints and strings mixed the way it mixes them)."""
    return {
        "type": "conversation",
        "id": cid,
        "title": title,
        "created_at": updated_at - 100,
        "updated_at": updated_at,
        "waiting_since": waiting,
        "snoozed_until": FIXED_NOW + 3600 if state == "snoozed" else None,
        "open": state != "closed",
        "state": state,
        "read": read,
        "priority": "priority" if priority else "not_priority",
        "admin_assignee_id": 0 if admin is None else admin,
        "team_assignee_id": team,
        "tags": {"type": "tag.list", "tags": [{"type": "tag", "id": t, "name": t} for t in tags]},
        "source": {
            "type": "conversation",
            "id": f"s{cid}",
            "delivered_as": "customer_initiated",
            "subject": "",
            "body": body,
            "author": author or {"type": "user", "id": "u1", "name": "Ann Lee", "email": ""},
        },
        "contacts": {"type": "contact.list", "contacts": [{"id": c} for c in contacts]},
        "unknown_new_field": {"x": 1},
    }


@dataclass
class Model:
    """What a row should look like, for brute-force expectations."""

    id: str
    rank: int  # the tie-break: numeric id, or negative by arrival for other ids
    updated_at: int
    state: str
    admin: str | None
    team: str | None
    tags: tuple[str, ...]
    read: bool
    priority: bool
    waiting: int | None
    words: tuple[str, ...]  # of title, contact and preview, lower case


def sort_key(m: Model, sort: Sort) -> tuple[Any, ...]:
    if sort is Sort.WAITING:
        return (m.waiting is None, m.waiting or 0, -m.updated_at, -m.rank)
    if sort is Sort.PRIORITY:
        return (not m.priority, -m.updated_at, -m.rank)
    return (-m.updated_at, -m.rank)


def words(text: str) -> list[str]:
    return [w.lower() for w in re.findall(r"[^\W_]+", text)]


def matches(m: Model, f: Filter) -> bool:
    """Search words are prefixes of words (FTS) or substrings (LIKE): the data avoids the gap."""
    return (
        (f.state is None or m.state == f.state)
        and (f.admin_assignee_id is None or m.admin == f.admin_assignee_id)
        and (f.team_assignee_id is None or m.team == f.team_assignee_id)
        and (not f.unassigned or (m.admin is None and m.team is None))
        and (f.tag_id is None or f.tag_id in m.tags)
        and (f.unread is None or m.read != f.unread)
        and all(any(t.startswith(w) for t in m.words) for w in words(f.text))
    )


def expected(models: list[Model], f: Filter, sort: Sort) -> list[str]:
    return [
        m.id for m in sorted((m for m in models if matches(m, f)), key=lambda m: sort_key(m, sort))
    ]


def random_dataset(n: int, seed: int = 1) -> tuple[list[dict[str, Any]], list[Model]]:
    """Few distinct timestamps (many ties), a few non-numeric ids, every field varied."""
    rng = random.Random(seed)
    items, models, seen = [], [], set()
    others = 0
    for i in range(n):
        if i % 500 == 7:
            others += 1
            cid, rank = f"x-{i}" if i % 1000 == 7 else f"00{i}", -others
        else:
            cid = str(rng.randrange(1, 10**9)) if i % 3 else str(i + 1)
            rank = int(cid)
        if cid in seen:
            continue
        seen.add(cid)
        updated = FIXED_NOW - rng.randrange(60)
        state = rng.choice(STATES)
        admin = rng.choice([None, "1", "2", 3])
        team = rng.choice([None, None, "10", "11"])
        tags = tuple(dict.fromkeys(rng.sample(["t1", "t2", "t3", "t4"], rng.randrange(3))))
        waiting = rng.choice([None, None, FIXED_NOW - rng.randrange(5)])
        title = rng.choice(["", "", f"{rng.choice(WORDS)} {rng.choice(WORDS)}"])
        body_word = rng.choice(WORDS)
        name = rng.choice(NAMES)
        read, priority = rng.random() < 0.6, rng.random() < 0.2
        author = {"type": "lead", "id": f"c{i}", "name": name}
        items.append(
            conv(cid, updated, state=state, admin=admin, team=team, tags=tags, read=read,
                 priority=priority, waiting=waiting, title=title,
                 body=f"<p>Hi, about <b>{body_word}</b></p>", author=author)
        )  # fmt: skip
        models.append(
            Model(cid, rank, updated, state, None if admin is None else str(admin), team, tags,
                  read, priority, waiting, tuple(words(f"{title} {name} Hi, about {body_word}")))
        )  # fmt: skip
    return items, models


@pytest.fixture(params=[True, False], ids=["fts", "like"])
def use_fts(request: pytest.FixtureRequest) -> bool:
    return request.param


@pytest.fixture
def cache(tmp_path: Path, use_fts: bool) -> Iterator[Cache]:
    c = Cache.open(tmp_path / "cache.sqlite3", use_fts=use_fts)
    assert c.has_fts is use_fts
    yield c
    c.close()


@pytest.fixture(scope="module")
def dataset() -> tuple[list[dict[str, Any]], list[Model]]:
    return random_dataset(5000)


@pytest.fixture(scope="module")
def loaded_file(tmp_path_factory: pytest.TempPathFactory, dataset: Any) -> Path:
    """5,000 random conversations, written once (in pages, as sync writes them)."""
    path = tmp_path_factory.mktemp("loaded") / "cache.sqlite3"
    c = Cache.open(path)
    items, _ = dataset
    for start in range(0, len(items), 150):
        assert c.upsert_conversations(items[start : start + 150]) == len(items[start : start + 150])
    c.close()
    return path


@pytest.fixture(scope="module", params=[True, False], ids=["fts", "like"])
def loaded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, loaded_file: Path
) -> Iterator[Cache]:
    """A copy of ``loaded_file`` for the read-only brute-force tests, searched both ways."""
    path = tmp_path_factory.mktemp("copy") / "cache.sqlite3"
    shutil.copyfile(loaded_file, path)
    c = Cache.open(path, use_fts=request.param)
    yield c
    c.close()


def ids(rows: list[ConversationRow]) -> list[str]:
    return [r.id for r in rows]


# ---------------------------------------------------------------------------- reads
@pytest.mark.parametrize("sort", list(Sort))
def test_windows_match_a_brute_force_sort_at_every_depth(
    loaded: Cache, dataset: Any, sort: Sort
) -> None:
    models = dataset[1]
    want = expected(models, Filter(), sort)
    n = len(want)
    assert loaded.count(Filter()) == n
    # Jumps (from the top, from the bottom, from anchors) and scrolling in both directions.
    offsets = [0, 1, 37, 2500, n - 120, n - 25, n - 1, n, n + 5, 2400, 2410, 2390, 4000, 3990]
    for offset in offsets:
        assert ids(loaded.window(Filter(), sort, offset, 25)) == want[offset : offset + 25], offset
    for offset in range(3000, 3400, 17):  # a scroll down, then back up
        assert ids(loaded.window(Filter(), sort, offset, 30)) == want[offset : offset + 30]
    for offset in range(3400, 3000, -23):
        assert ids(loaded.window(Filter(), sort, offset, 30)) == want[offset : offset + 30]


FILTERS = [
    Filter(state="open"),
    Filter(state="snoozed"),
    Filter(state="closed"),
    Filter(admin_assignee_id="3"),
    Filter(state="open", admin_assignee_id="1"),
    Filter(team_assignee_id="10"),
    Filter(state="open", unassigned=True),
    Filter(unassigned=True),
    Filter(tag_id="t2"),
    Filter(tag_id="t1", state="closed"),
    Filter(unread=True),
    Filter(unread=False, state="open"),
    Filter(text="refund"),
    Filter(text="INV"),
    Filter(text="crash zebra"),
    Filter(text="carla"),
    Filter(text="hi ABOUT pay"),
    Filter(state="open", text="webhook", tag_id="t3"),
    Filter(text="- ! zebra"),
    Filter(tag_id="nope"),
]


@pytest.mark.parametrize("f", FILTERS, ids=repr)
@pytest.mark.parametrize("sort", list(Sort))
def test_every_filter_counts_and_windows_like_the_model(
    loaded: Cache, dataset: Any, f: Filter, sort: Sort
) -> None:
    want = expected(dataset[1], f, sort)
    assert loaded.count(f) == len(want)
    assert ids(loaded.window(f, sort, 0, 20)) == want[:20]
    deep = max(0, len(want) - 30)
    assert ids(loaded.window(f, sort, deep, 20)) == want[deep : deep + 20]


def test_index_of_finds_a_conversation_in_its_view(loaded: Cache, dataset: Any) -> None:
    models = dataset[1]
    views = [
        (Filter(), Sort.UPDATED),
        (Filter(state="closed"), Sort.WAITING),
        (Filter(tag_id="t1"), Sort.PRIORITY),
        (Filter(text="login"), Sort.UPDATED),
    ]
    for f, sort in views:
        want = expected(models, f, sort)
        for pos in (0, 1, len(want) // 3, len(want) // 2 + 1, len(want) - 2, len(want) - 1):
            assert loaded.index_of(f, sort, want[pos]) == pos
    not_open = next(m.id for m in models if m.state != "open")
    assert loaded.index_of(Filter(state="open"), Sort.UPDATED, not_open) is None
    assert loaded.index_of(Filter(), Sort.UPDATED, "no-such-id") is None


def test_window_reads_only_what_it_is_asked(loaded: Cache) -> None:
    assert len(loaded.window(Filter(), Sort.UPDATED, 10, 7)) == 7
    assert loaded.window(Filter(), Sort.UPDATED, 10, 0) == []
    assert loaded.window(Filter(), Sort.UPDATED, 10**7, 50) == []
    assert loaded.window(Filter(), Sort.UPDATED, -5, 3) == loaded.window(
        Filter(), Sort.UPDATED, 0, 3
    )


def test_view_counts_answers_many_views_at_once(loaded: Cache, dataset: Any) -> None:
    views = {"open": Filter(state="open"), "tag": Filter(tag_id="t4"), "all": Filter()}
    counts = loaded.view_counts(views)
    assert counts == {k: len(expected(dataset[1], f, Sort.UPDATED)) for k, f in views.items()}


@pytest.mark.parametrize(
    "text",
    ['"', "*", "AND", "-", "NEAR(", "a OR b", "foo'bar", "(", ")", "^", ":", '""*', "NOT x",
     "title:refund", "\\", "%", "_", "a\u19b0b", "café", "日本", "\x00", " " * 3, "refund*"],
)  # fmt: skip
def test_any_search_text_is_safe(cache: Cache, text: str) -> None:
    cache.upsert_conversations([conv(1, 100, title="refund and café 日本 a_b 100%")])
    f = Filter(text=text)
    assert cache.count(f) == len(cache.window(f, Sort.UPDATED, 0, 10))
    assert cache.index_of(f, Sort.UPDATED, "1") in (0, None)


def test_fts_query_quotes_every_word() -> None:
    assert fts_query('say "hi" AND NEAR(x*') == '"say"* "hi"* "AND"* "NEAR"* "x"*'
    assert fts_query("--- ** ()") is None


def test_search_matches_words_as_prefixes_across_fields_and_bodies(cache: Cache) -> None:
    cache.upsert_conversations(
        [
            conv(1, 100, title="Refund please", author={"type": "user", "id": "u", "name": "Zoë"}),
            conv(2, 101, body="<p>my <i>invoice</i> is wrong</p>"),
            conv(3, 102),
        ]
    )
    cache.store_thread({**conv(3, 102), "conversation_parts": parts("the gizmo broke")})
    assert ids(cache.window(Filter(text="ref"), Sort.UPDATED, 0, 9)) == ["1"]
    assert ids(cache.window(Filter(text="invoi wrong"), Sort.UPDATED, 0, 9)) == ["2"]
    assert ids(cache.window(Filter(text="gizmo"), Sort.UPDATED, 0, 9)) == ["3"]
    assert cache.count(Filter(text="refund invoice")) == 0
    if cache.has_fts:  # unicode61 folds diacritics; LIKE does not
        assert ids(cache.window(Filter(text="zoe"), Sort.UPDATED, 0, 9)) == ["1"]


# ---------------------------------------------------------------------------- writes
def parts(*bodies: str) -> dict[str, Any]:
    return {
        "type": "conversation_part.list",
        "total_count": len(bodies),
        "conversation_parts": [
            {
                "type": "conversation_part",
                "id": str(900 + i),
                "part_type": "comment",
                "body": f"<p>{b}</p>",
                "created_at": FIXED_NOW + i,
                "author": {"type": "admin", "id": "1", "name": "Agent"},
            }
            for i, b in enumerate(bodies)
        ],
    }


def test_rows_are_derived_from_the_json(cache: Cache) -> None:
    body = "<p>Hello <b>there</b></p><p>x</p>"
    item = conv(42, 500, state="snoozed", admin=7, team="5017691", tags=("9",), read=False,
                priority=True, waiting=450, title=None, body=body)  # fmt: skip
    cache.upsert_conversations([item])
    row = cache.get_row("42")
    assert row is not None
    assert (row.id, row.state, row.admin_assignee_id, row.team_assignee_id) == (
        "42", "snoozed", "7", "5017691")  # fmt: skip
    assert (row.read, row.priority, row.waiting_since, row.tag_ids) == (False, True, 450, ("9",))
    assert row.snoozed_until == FIXED_NOW + 3600
    assert row.title == "" and row.preview.startswith("Hello there")
    assert row.contact_name == "Ann Lee"
    assert cache.get_conversation("42") == item  # the JSON as received, unknown fields too
    assert cache.get_row("nope") is None and cache.get_conversation("nope") is None


def test_absurd_values_from_the_api_are_stored_not_fatal(cache: Cache) -> None:
    item = {**conv("9", 10**30, waiting=10**25), "tags": "oops", "source": None, "title": 5}
    assert cache.upsert_conversations([item, {"no": "id"}]) == 1
    row = cache.get_row("9")
    assert row is not None and row.title == "5" and row.tag_ids == ()
    assert ids(cache.window(Filter(), Sort.WAITING, 0, 5)) == ["9"]
    assert cache.get_conversation("9") == item


def test_contact_name_comes_from_the_contacts_table_for_admin_started_ones(cache: Cache) -> None:
    admin = {"type": "admin", "id": "1", "name": "Agent"}
    cache.upsert_conversations([conv(1, 10, author=admin, contacts=("c9",), body="", title="T")])
    assert cache.get_row("1").contact_name == ""  # type: ignore[union-attr]
    cache.upsert_contacts([{"type": "contact", "id": "c9", "name": "Nadia Okafor", "email": "n@x"}])
    assert cache.get_row("1").contact_name == "Nadia Okafor"  # type: ignore[union-attr]
    assert ids(cache.window(Filter(text="nadia"), Sort.UPDATED, 0, 5)) == ["1"]
    cache.upsert_conversations([conv(2, 11, author=admin, contacts=("c9",))])
    assert cache.get_row("2").contact_name == "Nadia Okafor"  # type: ignore[union-attr]


def test_a_stale_upsert_is_skipped_and_force_applies_it(cache: Cache) -> None:
    assert cache.upsert_conversations([conv(1, 200, state="open")]) == 1
    assert cache.upsert_conversations([conv(1, 100, state="closed")]) == 0
    assert cache.get_row("1").state == "open"  # type: ignore[union-attr]
    assert cache.upsert_conversations([conv(1, 100, state="closed")], force=True) == 1
    assert cache.get_row("1").state == "closed"  # type: ignore[union-attr]
    assert cache.upsert_conversations([conv(1, 100, state="snoozed")]) == 1  # same age: newer data
    assert cache.count(Filter(state="snoozed")) == 1 and cache.count(Filter(state="closed")) == 0


def test_rewritten_rows_keep_every_view_and_the_search_index_exact(cache: Cache) -> None:
    """Rows written over with other states, assignees, tags, sort keys and text: a write
    sets only the columns and tag memberships that changed, and every view still matches."""
    items, models = random_dataset(700, seed=5)
    cache.upsert_conversations(items)
    other_items, other_models = random_dataset(700, seed=6)
    rng = random.Random(7)
    for i in [rng.randrange(len(items)) for _ in range(1500)]:  # most rows several times
        j = rng.randrange(len(other_items))
        item, model = dict(other_items[j]), other_models[j]
        if rng.random() < 0.3:  # only the tags change: no sort key, no text
            item = {**items[i], "tags": other_items[j]["tags"]}
            model = replace(models[i], tags=model.tags)
        item["id"] = items[i]["id"]
        items[i], models[i] = item, replace(model, id=models[i].id, rank=models[i].rank)
        cache.upsert_conversations([item], force=True)
    for f in FILTERS:
        for sort in Sort:
            want = expected(models, f, sort)
            assert cache.count(f) == len(want), f
            assert ids(cache.window(f, sort, 0, 900)) == want, (f, sort)
    with cache.write_transaction() as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        if cache.has_fts:
            table = schema.FTS_TABLE
            conn.execute(f"INSERT INTO {table} ({table}) VALUES ('integrity-check')")


def test_a_tag_toggle_writes_no_view_index(cache: Cache) -> None:
    """Only ``tag_ids`` is set on the row: SQLite rewrites the entries of every index that
    covers a column in an UPDATE's SET list, whether its value changed or not."""
    cache.upsert_conversations([conv(1, 100, tags=("t1",), waiting=50)])
    statements: list[str] = []
    with cache.write_transaction() as conn:
        conn.set_trace_callback(statements.append)
        cache.upsert_conversations([conv(1, 100, tags=("t1", "t2"), waiting=50)], force=True)
        conn.set_trace_callback(None)
    updates = [s for s in statements if s.startswith("UPDATE conversations ")]
    assert len(updates) == 1 and updates[0].startswith("UPDATE conversations SET tag_ids = ")
    assert not [s for s in statements if "DELETE FROM conversation_tags" in s]  # t1 stays
    assert cache.get_row("1").tag_ids == ("t1", "t2")  # type: ignore[union-attr]
    assert ids(cache.window(Filter(tag_id="t2"), Sort.WAITING, 0, 5)) == ["1"]


def test_state_counts_follow_every_write(cache: Cache) -> None:
    rng = random.Random(3)
    live: dict[str, str] = {}
    for step in range(400):
        cid = str(rng.randrange(60))
        if step % 7 == 0:
            cache.delete_conversations([cid])
            live.pop(cid, None)
        else:
            state = rng.choice(STATES)
            cache.upsert_conversations([conv(cid, step, state=state)], force=rng.random() < 0.5)
            live[cid] = state
        if step % 50 == 0:
            for s in STATES:
                assert cache.count(Filter(state=s)) == sum(v == s for v in live.values())
    assert cache.count(Filter()) == len(live) == len(cache.window(Filter(), Sort.UPDATED, 0, 999))


def test_local_change_updates_row_json_and_thread_and_rolls_back(cache: Cache) -> None:
    cache.replace_tags([{"type": "tag", "id": "t1", "name": "Billing"},
                        {"type": "tag", "id": "t2", "name": "VIP"}])  # fmt: skip
    cache.store_thread({**conv(5, 100, tags=("t1",)), "conversation_parts": parts("hello")})
    before_row, before_json = cache.get_row("5"), cache.get_conversation("5")
    before_thread = cache.get_thread("5")
    previous = cache.apply_local_change(
        "5", state="closed", admin_assignee_id="7", tag_ids=["t1", "t2"], read=False
    )
    assert previous is not None
    assert (previous.conversation, previous.thread) == (before_json, before_thread)
    row = cache.get_row("5")
    assert row is not None
    assert (row.state, row.admin_assignee_id, row.tag_ids, row.read) == (
        "closed", "7", ("t1", "t2"), False)  # fmt: skip
    data = cache.get_conversation("5")
    assert data is not None and data["open"] is False and data["state"] == "closed"
    assert [t["name"] for t in data["tags"]["tags"]] == ["t1", "VIP"]  # kept, then from table
    thread = cache.get_thread("5")
    assert thread is not None and thread["state"] == "closed"
    assert thread["conversation_parts"]["total_count"] == 1
    assert ids(cache.window(Filter(tag_id="t2"), Sort.UPDATED, 0, 5)) == ["5"]
    assert Conversation.from_api(data).admin_assignee_id == "7"

    cache.restore(previous)
    assert cache.get_row("5") == before_row and cache.get_thread("5") == before_thread
    assert cache.count(Filter(tag_id="t2")) == 0 and cache.count(Filter(state="open")) == 1
    with pytest.raises(ValueError, match="body"):
        cache.apply_local_change("5", body="x")
    assert cache.apply_local_change("404", state="closed") is None


def test_store_thread_keeps_parts_and_reindexes_bodies(cache: Cache) -> None:
    full = {**conv(7, 300, title="Order"), "conversation_parts": parts("alpha words", "beta")}
    cache.store_thread(full)
    assert cache.get_thread("7") == full
    assert cache.get_conversation("7") == conv(7, 300, title="Order")  # parts kept apart
    assert cache.count(Filter(text="alpha")) == 1
    cache.store_thread({**conv(7, 301, title="Order"), "conversation_parts": parts("gamma")})
    assert cache.count(Filter(text="alpha")) == 0 and cache.count(Filter(text="gamma")) == 1
    cache.upsert_conversations([conv(7, 302, title="Renamed")])  # title change keeps bodies
    assert cache.count(Filter(text="gamma renamed")) == 1 and cache.count(Filter(text="order")) == 0
    assert cache.get_thread("8") is None


def test_delete_forgets_everything_about_a_conversation(cache: Cache) -> None:
    cache.store_thread({**conv(1, 10, tags=("t",), title="Keep"), "conversation_parts": parts("x")})
    cache.upsert_conversations([conv(2, 11, tags=("t",), title="Keep")])
    assert cache.delete_conversations(["1", "nope"]) == 1
    assert cache.get_row("1") is None and cache.get_thread("1") is None
    assert ids(cache.window(Filter(tag_id="t"), Sort.UPDATED, 0, 5)) == ["2"]
    assert ids(cache.window(Filter(text="keep"), Sort.UPDATED, 0, 5)) == ["2"]


def test_reference_data_is_replaced_and_sorted_by_name(cache: Cache) -> None:
    cache.replace_tags([{"id": 1, "name": "zeta"}, {"id": "2", "name": "Alpha"}])
    cache.upsert_tag({"type": "tag", "id": "3", "name": "beta"})
    assert [t.name for t in cache.tags()] == ["Alpha", "beta", "zeta"]
    cache.replace_tags([{"id": "4", "name": "only"}])
    assert [(t.id, t.name) for t in cache.tags()] == [("4", "only")]
    cache.replace_admins([{"id": 9, "name": "Bo", "email": "b@x"}, {"id": 8, "name": "al"}])
    assert [(a.id, a.name) for a in cache.admins()] == [("8", "al"), ("9", "Bo")]
    cache.replace_teams([{"id": "5017691", "name": "Support", "admin_ids": [9]}])
    assert cache.teams()[0].admin_ids == ("9",)
    cache.upsert_contacts([{"id": "c1", "name": "Xu"}, {"id": "c2", "name": "ana"}])
    assert [c.name for c in cache.contacts()] == ["ana", "Xu"]


def test_meta_and_drafts_persist(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    c = Cache.open(path)
    assert c.get_meta("sync.cursor") is None and c.get_meta("sync.cursor", "x") == "x"
    c.set_meta("sync.cursor", "abc")
    c.save_draft("1", "reply", "half a thought")
    c.save_draft("1", "note", "internal")
    c.close()
    c = Cache.open(path)
    assert c.get_meta("sync.cursor") == "abc"
    assert c.get_draft("1", "reply") == "half a thought"
    c.delete_draft("1", "reply")
    assert c.get_draft("1", "reply") is None and c.get_draft("1", "note") == "internal"
    c.close()


def test_emulator_conversations_round_trip(cache: Cache, workspace: Any) -> None:
    """Real-shaped data: every list item and a full thread store and parse back."""
    page = workspace.list_conversations(per_page=150)
    items = page["conversations"]
    assert cache.upsert_conversations(items) == len(items)
    for item in items:
        model = Conversation.from_api(item)
        row = cache.get_row(model.id)
        assert row is not None
        columns = (row.state, row.admin_assignee_id, row.team_assignee_id, row.tag_ids)
        assert columns == (
            model.state,
            model.admin_assignee_id,
            model.team_assignee_id,
            model.tag_ids,
        )
    first = str(items[0]["id"])
    cache.store_thread(workspace.get_conversation(first))
    thread = cache.get_thread(first)
    assert thread is not None and Conversation.from_api(thread).parts
    assert cache.index_of(Filter(), Sort.UPDATED, first) == 0


# ---------------------------------------------------------------------------- threads, files
def test_readers_see_a_writer_threads_pages(tmp_path: Path) -> None:
    c = Cache.open(tmp_path / "c.sqlite3")
    c.upsert_conversations([conv(1, 1)])
    assert c.count(Filter()) == 1 and ids(c.window(Filter(), Sort.UPDATED, 0, 5)) == ["1"]
    errors: list[BaseException] = []

    def sync() -> None:
        try:
            for page in range(8):
                c.upsert_conversations([conv(1000 + page * 100 + i, 10 + page) for i in range(100)])
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    worker = threading.Thread(target=sync)
    worker.start()
    while worker.is_alive():
        n = c.count(Filter())  # rows only arrive, so a later window holds at least as many
        assert len(c.window(Filter(), Sort.UPDATED, max(0, n - 40), 50)) >= min(n, 40)
    worker.join()
    assert not errors
    assert c.count(Filter()) == 801  # a write on another connection is seen (memo reset)
    assert c.window(Filter(), Sort.UPDATED, 800, 5)[0].id == "1"
    c.close()


def test_two_caches_on_one_file_both_read_and_write(tmp_path: Path) -> None:
    a, b = Cache.open(tmp_path / "c.sqlite3"), Cache.open(tmp_path / "c.sqlite3")
    assert b.count(Filter()) == 0
    a.upsert_conversations([conv(1, 10)])
    assert b.count(Filter()) == 1
    b.upsert_conversations([conv(2, 20)])
    Outbox(b).add("close", "2", {})
    assert ids(a.window(Filter(), Sort.UPDATED, 0, 5)) == ["2", "1"]
    assert Outbox(a).pending_count() == 1
    a.close()
    b.close()


def test_memory_cache_has_the_same_api(use_fts: bool) -> None:
    c = Cache.memory(use_fts=use_fts)
    c.upsert_conversations([conv(1, 10, title="Refund"), conv(2, 20, state="closed")])
    seen: list[int] = []
    worker = threading.Thread(target=lambda: seen.append(c.count(Filter(text="refund"))))
    worker.start()
    worker.join()
    assert seen == [1]
    assert ids(c.window(Filter(), Sort.UPDATED, 0, 5)) == ["2", "1"]
    assert c.count(Filter(state="closed")) == 1
    assert Outbox(c).add("close", "1", {}).state == "pending"
    assert c.verify()
    c.close()


def test_bulk_load_synthetic_is_consistent(tmp_path: Path) -> None:
    c = Cache.open(tmp_path / "c.sqlite3")
    c.upsert_conversations([conv(1, FIXED_NOW + 5)])
    c.bulk_load_synthetic(20_000, seed=4, now=FIXED_NOW)
    rows = c.window(Filter(), Sort.UPDATED, 0, 30_000)
    assert len(rows) == c.count(Filter()) == 20_001
    assert rows[0].id == "1"  # kept, and sorted with the rest
    for s in STATES:
        assert c.count(Filter(state=s)) == sum(r.state == s for r in rows) > 0
    assert {t.name for t in c.tags()} >= {"bug", "refund"} and c.admins() and c.teams()
    tag = c.tags()[0].id
    assert c.count(Filter(tag_id=tag)) == sum(tag in r.tag_ids for r in rows) > 0
    word = rows[5].preview.split()[0]
    assert c.count(Filter(text=word)) >= 1
    for row in rows[1:40:7]:  # the JSON derives to the very same row
        c.upsert_conversations([c.get_conversation(row.id)], force=True)  # type: ignore[list-item]
        assert c.get_row(row.id) == row
    c.close()


def make_v1(path: Path) -> None:
    """A file as version 1 of the app left it: the first migration only, with data."""
    raw = sqlite3.connect(path)
    for sql in schema.MIGRATIONS[0]:
        raw.execute(sql)
    raw.execute(
        "INSERT INTO conversations (rid, id, updated_at, created_at, state, open, read, priority,"
        " wait_rank, title, preview, contact_name, tag_ids)"
        " VALUES (77, '77', 5, 1, 'open', 1, 0, 0, ?, 'Old one', 'kept', 'Al', '[]')",
        (NOT_WAITING,),
    )
    raw.execute("""INSERT INTO conversation_json VALUES (77, '{"id": "77"}')""")
    raw.execute("INSERT INTO meta VALUES ('sync.cursor', 'c1')")
    raw.execute("PRAGMA user_version = 1")
    raw.commit()
    raw.close()


def test_an_older_schema_is_migrated_with_its_data(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    make_v1(path)
    c = Cache.open(path)
    assert c.recovered_from is None
    assert c.get_row("77").title == "Old one"  # type: ignore[union-attr]
    assert c.get_meta("sync.cursor") == "c1" and c.count(Filter(state="open")) == 1
    assert ids(c.window(Filter(text="old"), Sort.UPDATED, 0, 5)) == ["77"]  # index built
    assert Outbox(c).add("close", "77", {}).id == 1  # migration 2's table
    c.close()
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
    raw.close()


def test_a_search_index_left_stale_by_a_build_without_fts_is_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    Cache.open(path).close()
    c = Cache.open(path, use_fts=False)
    c.upsert_conversations([conv(1, 10, title="written without fts")])
    c.close()
    c = Cache.open(path)
    assert c.has_fts and c.count(Filter(text="without")) == 1
    c.close()


def healthy_file(path: Path, n: int = 3000) -> bytes:
    c = Cache.open(path)
    c.bulk_load_synthetic(n, now=FIXED_NOW)
    c.close()
    return path.read_bytes()


def assert_rebuilt(path: Path, c: Cache, original: bytes, why: str = "corrupt") -> None:
    assert c.recovered_from is not None and c.recovered_from.name.startswith(f"{path.name}.{why}-")
    assert c.recovered_from.read_bytes() == original
    assert c.count(Filter()) == 0
    c.upsert_conversations([conv(1, 10)])
    assert c.count(Filter()) == 1 and c.verify()
    c.close()


def test_garbage_is_moved_aside_with_its_wal(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    garbage = os.urandom(8192)
    path.write_bytes(garbage)
    Path(f"{path}-wal").write_bytes(b"junk")
    c = Cache.open(path)
    assert Path(f"{c.recovered_from}-wal").read_bytes() == b"junk"
    assert_rebuilt(path, c, garbage)


def test_a_truncated_file_is_moved_aside(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    data = healthy_file(path)
    path.write_bytes(data[: len(data) // 2])
    assert_rebuilt(path, Cache.open(path, full_check=False), data[: len(data) // 2])


def test_damaged_pages_fail_the_quick_check(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    data = bytearray(healthy_file(path))
    middle = len(data) // 2 // 4096 * 4096
    data[middle : middle + 3 * 4096] = os.urandom(3 * 4096)  # header intact, pages broken
    path.write_bytes(data)
    assert_rebuilt(path, Cache.open(path), bytes(data))


def test_a_file_from_a_newer_version_is_moved_aside(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    Cache.open(path).close()
    raw = sqlite3.connect(path)
    raw.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION + 1}")
    raw.commit()
    raw.close()
    original = path.read_bytes()
    assert_rebuilt(path, Cache.open(path), original, why="newer")


def test_someone_elses_database_is_moved_aside(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE conversations (x)")
    raw.commit()
    raw.close()
    original = path.read_bytes()
    assert_rebuilt(path, Cache.open(path), original)


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_a_read_only_folder_makes_the_cache_unavailable(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(CacheUnavailable, match="cannot be written"):
            Cache.open(folder / "c.sqlite3")
    finally:
        folder.chmod(0o755)


@pytest.mark.parametrize(
    ("limit", "message"),
    [("mode=ro", "cannot be written"), ("max_page_count", "disk is full")],
)
def test_a_file_that_cannot_be_written_makes_the_cache_unavailable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: str, message: str
) -> None:
    """What a read-only folder or a full disk look like to SQLite (root ignores chmod)."""

    def connect(path: Path) -> sqlite3.Connection:
        if limit == "mode=ro":
            return sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA max_page_count = 3")
        return conn

    monkeypatch.setattr("intercom_tui.store.cache._connect_file", connect)
    with pytest.raises(CacheUnavailable, match=message):
        Cache.open(tmp_path / "c.sqlite3")


def test_an_unusable_location_makes_the_cache_unavailable(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(CacheUnavailable, match="Cannot create the cache folder") as e:
        Cache.open(blocker / "sub" / "c.sqlite3")
    assert "Errno" not in str(e.value)


def test_a_full_disk_makes_writes_fail_plainly(tmp_path: Path) -> None:
    c = Cache.open(tmp_path / "c.sqlite3")
    c._conn().execute("PRAGMA max_page_count = 80")  # this thread's connection: "disk" of 320 KiB
    with pytest.raises(CacheUnavailable, match="disk is full"):
        c.upsert_conversations(
            [conv(i, i, body="<p>" + "x" * 2000 + "</p>") for i in range(1, 400)]
        )
    assert c.count(Filter()) == 0  # the transaction was rolled back whole
    c.close()


def test_cache_path_follows_xdg_and_never_holds_the_token(isolated_dirs: Path) -> None:
    path = cache_path_for(f"https://me:{TOKEN}@api.eu.intercom.io:8443/x?token={TOKEN}", "ab/c d")
    assert path.is_relative_to(Path(os.environ["XDG_CACHE_HOME"]) / "intercom-tui")
    assert TOKEN not in str(path)
    assert path.name == "api.eu.intercom.io_8443-ab_c_d.sqlite3"
    assert cache_path_for("http://127.0.0.1:8765", "w1") != cache_path_for(
        "http://127.0.0.1:9", "w1"
    )
    c = Cache.open(path)  # the folder is created on first use
    c.close()
    assert path.exists()


def test_open_waits_while_another_instance_is_creating_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two apps started together on a fresh cache: while the other one holds the file
    (SQLite says "database is locked", e.g. switching to WAL), open waits and looks again
    instead of falling back to a memory cache or calling the file damaged."""
    import sqlite3

    prepare = Cache._prepare
    busy = iter([True, True, True])

    def locked_at_first(self: Cache, *, full_check: bool) -> None:
        if next(busy, False):
            raise sqlite3.OperationalError("database is locked")
        prepare(self, full_check=full_check)

    monkeypatch.setattr(Cache, "_prepare", locked_at_first)
    cache = Cache.open(tmp_path / "fresh.sqlite3")
    try:
        assert cache.recovered_from is None and cache.path is not None
        assert cache.count(Filter()) == 0
    finally:
        cache.close()


def test_deferred_checkpoints_leave_the_wal_to_a_worker(tmp_path: Path) -> None:
    """The UI thread's commits must not fold the WAL into the file (~0.4 s at a million
    conversations); a worker's ``checkpoint`` does, and other threads still auto-fold."""
    cache = Cache.open(tmp_path / "cache.sqlite3")
    db, wal = tmp_path / "cache.sqlite3", tmp_path / "cache.sqlite3-wal"
    items, _ = random_dataset(1500)

    cache.defer_checkpoints()
    with cache._read() as conn:
        assert conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
    for start in range(0, len(items), 50):
        cache.upsert_conversations(items[start : start + 50])
    assert wal.stat().st_size > 1000 * 4096  # past SQLite's automatic fold: it did not fold
    before = db.stat().st_size

    worker = threading.Thread(target=cache.checkpoint)
    worker.start()
    worker.join()
    assert db.stat().st_size > before + 100 * 4096  # the worker folded the pages in

    def other_thread(seen: list[int]) -> None:
        with cache._read() as conn:
            seen.append(conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0])

    seen: list[int] = []
    checker = threading.Thread(target=other_thread, args=(seen,))
    checker.start()
    checker.join()
    assert seen == [1000]  # workers (sync) keep SQLite's automatic fold
    cache.close()
