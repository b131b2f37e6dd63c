"""Views and the directory: counts, membership and order against a brute-force reading of
the emulator's workspace, and every string made safe on its way to the list."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from intercom_tui.api.models import Admin, Tag
from intercom_tui.emulator.server import EmulatorServer
from intercom_tui.render.html import first_line_preview
from intercom_tui.service import actions as A
from intercom_tui.service.directory import Directory, ListItem
from intercom_tui.service.views import View
from intercom_tui.store.cache import Cache, ConversationRow, Filter, Sort
from tests.conftest import TOKEN
from tests.service.support import HOSTILE, HOSTILE_WORDS, UNSAFE, Env, hostile_workspace

JSON = dict[str, Any]
SAVED = {"Dashboards": "dashboard", "Refunds": "refund"}


def _id(value: Any) -> str | None:
    return None if value in (None, 0, "0", "") else str(value)


def words(text: str) -> list[str]:
    return [w.casefold() for w in re.findall(r"[^\W_]+", text or "")]


def text_match(query: str, c: JSON) -> bool:
    """Every query word is a prefix of a word in the title, preview or contact name."""
    author = c["source"]["author"]
    is_contact = author["type"] in ("user", "lead", "contact")
    contact = (author.get("name") or author.get("email") or "") if is_contact else ""
    preview = first_line_preview(c["source"]["body"]) or first_line_preview(c["source"]["subject"])
    haystack = words(" ".join([c.get("title") or "", preview, contact]))
    return all(any(h.startswith(q) for h in haystack) for q in words(query))


def expected_views(env: Env) -> dict[str, Callable[[JSON], bool]]:
    """What each view should hold, from the definition, not from the cache's SQL."""
    me = env.ws.me_id

    def is_open(c: JSON) -> bool:
        return c["state"] == "open"

    views: dict[str, Callable[[JSON], bool]] = {
        "open": is_open,
        "mine": lambda c: is_open(c) and _id(c["admin_assignee_id"]) == me,
        "unassigned": lambda c: (
            is_open(c) and not _id(c["admin_assignee_id"]) and not _id(c["team_assignee_id"])
        ),
        "snoozed": lambda c: c["state"] == "snoozed",
        "closed": lambda c: c["state"] == "closed",
        "all": lambda c: True,
    }
    for team in env.ws.teams()["teams"]:
        tid = str(team["id"])
        views[f"team:{tid}"] = lambda c, tid=tid: _id(c["team_assignee_id"]) == tid
    for tag in env.ws.tags()["data"]:
        gid = str(tag["id"])
        views[f"tag:{gid}"] = lambda c, gid=gid: gid in {str(t["id"]) for t in c["tags"]["tags"]}
    for name, query in SAVED.items():
        views[f"search:{name}"] = lambda c, query=query: text_match(query, c)
    return views


def brute_force(env: Env) -> dict[str, list[str]]:
    """Each view's ids in the list's order (newest first, then highest id)."""
    heads = [env.conversation(cid) for cid in env.ws.conversation_ids()]
    heads.sort(key=lambda c: (c["updated_at"], int(c["id"])), reverse=True)
    return {key: [c["id"] for c in heads if want(c)] for key, want in expected_views(env).items()}


def ids(env: Env, view: View) -> list[str]:
    return [item.id for item in env.svc.window(view, 0, 10_000)]


@pytest.fixture
async def viewed(synced: Env) -> Env:
    synced.svc.saved_searches = dict(SAVED)
    synced.svc.refresh_views()
    return synced


async def test_every_view_matches_a_brute_force_reading_of_the_workspace(viewed: Env) -> None:
    env = viewed
    truth = brute_force(env)
    views = {v.key: v for v in env.svc.views}

    assert set(views) == set(truth)
    assert env.svc.view_counts() == {key: len(members) for key, members in truth.items()}
    for key, members in truth.items():
        assert env.svc.count(views[key]) == len(members), key
        assert ids(env, views[key]) == members, key
    # The data exercises every view: none is trivially empty or everything.
    assert all(0 < len(truth[k]) < 120 for k in ("open", "mine", "unassigned", "snoozed"))
    assert len(truth["search:Dashboards"]) > 0 and len(truth["all"]) == 120


async def test_windows_and_positions_page_through_a_view(viewed: Env) -> None:
    env = viewed
    view = env.svc.view("closed")
    members = brute_force(env)["closed"]
    pages = [env.svc.window(view, offset, 7) for offset in range(0, len(members), 7)]
    assert [item.id for page in pages for item in page] == members
    for position, cid in enumerate(members):
        assert env.svc.index_of(view, cid) == position
    assert env.svc.index_of(view, brute_force(env)["open"][0]) is None


async def test_views_follow_optimistic_actions_at_once(viewed: Env) -> None:
    env = viewed
    open_view, closed_view = env.svc.view("open"), env.svc.view("closed")
    before = env.svc.view_counts()
    cid = ids(env, open_view)[0]
    env.svc.perform([A.Action(A.CLOSE, cid)])
    after = env.svc.view_counts()
    assert after["open"] == before["open"] - 1 and after["closed"] == before["closed"] + 1
    assert cid in ids(env, closed_view) and cid not in ids(env, open_view)
    await env.svc.flush_outbox()
    assert env.svc.view_counts() == brute_force_counts(env)


def brute_force_counts(env: Env) -> dict[str, int]:
    return {key: len(members) for key, members in brute_force(env).items()}


async def test_views_match_again_after_changes_and_an_incremental_sync(viewed: Env) -> None:
    env = viewed
    ws, me = env.ws, env.ws.me_id
    open_ids = brute_force(env)["open"]
    ws.manage(open_ids[0], {"message_type": "close", "admin_id": me})
    assign = {"message_type": "assignment", "type": "admin", "admin_id": me, "assignee_id": me}
    ws.manage(open_ids[1], assign)
    ws.attach_tag(open_ids[2], {"id": "9120426", "admin_id": me})
    await env.svc.sync()
    assert env.svc.view_counts() == brute_force_counts(env)


async def test_the_mine_view_needs_to_know_who_i_am(
    tmp_path: Path, emulator: EmulatorServer
) -> None:
    env = Env(emulator, tmp_path / "c.sqlite3")
    env.open().cache.set_meta("me.admin_id", "")
    try:
        env.svc.refresh_views()
        assert "mine" not in {v.key for v in env.svc.views}
        await env.svc.connect()
        env.svc.refresh_views()
        assert env.svc.view("mine").filter.admin_assignee_id == emulator.workspace.me_id
    finally:
        await env.close()


# ------------------------------------------------------------------ hostile strings
@pytest.fixture
def hostile() -> Iterator[tuple[EmulatorServer, dict[str, str]]]:
    workspace, which = hostile_workspace()
    with EmulatorServer(workspace, token=TOKEN) as server:
        yield server, which


async def test_list_items_and_view_names_are_clean(
    hostile: tuple[EmulatorServer, dict[str, str]], tmp_path: Path
) -> None:
    server, which = hostile
    env = Env(server, tmp_path / "c.sqlite3")
    env.open()
    try:
        env.svc.saved_searches = {"\x1b]0;x\x07Mine\u202e": "refund"}
        await env.svc.sync()
        items = {item.id: item for item in env.svc.window(env.svc.view("all"), 0, 100)}
        names = [v.name for v in env.svc.views]
    finally:
        await env.close()

    bad = items[which["hostile"]]
    assert HOSTILE_WORDS["admin"] in bad.assignee
    assert HOSTILE_WORDS["contact"] in bad.contact
    assert HOSTILE_WORDS["title"] in bad.subject and "Refund" in bad.subject
    assert any(HOSTILE_WORDS["tag"] in tag for tag in bad.tags)
    assert HOSTILE_WORDS["team"] in items[which["team"]].assignee
    for item in items.values():
        for text in (item.assignee, item.contact, item.subject, item.state, *item.tags):
            assert not UNSAFE.search(text), (item.id, text)
            assert "\n" not in text
    assert all(not UNSAFE.search(name) for name in names)
    assert any(HOSTILE_WORDS["team"] in name for name in names)
    assert any(HOSTILE_WORDS["tag"] in name for name in names)
    assert "Mine" in names[-1]


def test_a_hostile_state_is_cleaned_in_the_list_item() -> None:
    cache = Cache.memory()
    try:
        cache.upsert_conversations([{"id": "1", "state": HOSTILE["state"], "updated_at": 5}])
        (row,) = cache.window(Filter(), Sort.UPDATED, 0, 1)
    finally:
        cache.close()
    item = Directory().item(row)
    assert item.state.startswith("open") and not UNSAFE.search(item.state)


def test_directory_reload_with_an_empty_list_empties_that_table() -> None:
    """The last tag deleted on the server must not live on in the pickers."""
    directory = Directory()
    directory.load(tags=[Tag("1", "Refund")])
    directory.load(admins=[])  # another table: tags stay
    assert directory.tag_name("1") == "Refund"
    directory.load(tags=[])
    assert directory.tags == {} and directory.tag_name("1") == "#1"


def test_a_list_item_shows_the_names_loaded_after_it_was_made() -> None:
    """Items are kept per row between window reads; new names must still reach the list."""
    cache = Cache.memory()
    try:
        cache.upsert_conversations(
            [{"id": "1", "state": "open", "updated_at": 5, "admin_assignee_id": "7",
              "tags": {"type": "tag.list", "tags": [{"type": "tag", "id": "3", "name": "x"}]}}]
        )  # fmt: skip
        (row,) = cache.window(Filter(), Sort.UPDATED, 0, 1)
    finally:
        cache.close()
    directory = Directory()
    directory.load(tags=[Tag("3", "Refund")])
    first = directory.item(row)
    assert first.tags == ("Refund",) and first.assignee == "admin 7"
    assert directory.item(row) is first
    directory.load(tags=[Tag("3", "Refunds")], admins=[Admin("7", "Ada", "ada@x")])
    assert directory.item(row).tags == ("Refunds",) and directory.item(row).assignee == "Ada"


def test_an_item_made_while_new_names_load_is_not_kept() -> None:
    """A filter's worker thread may be making an item from the old names while the first
    sync loads new ones: that item may show once, but must not be kept."""
    cache = Cache.memory()
    try:
        cache.upsert_conversations(
            [{"id": "1", "state": "open", "updated_at": 5, "admin_assignee_id": "7"}]
        )
        (row,) = cache.window(Filter(), Sort.UPDATED, 0, 1)
    finally:
        cache.close()
    directory = Directory()
    directory.load(admins=[Admin("7", "Old name")])
    make = directory._make_item

    def racing(row: ConversationRow) -> ListItem:
        item = make(row)
        directory.load(admins=[Admin("7", "New name")])
        return item

    directory._make_item = racing  # type: ignore[method-assign]
    assert directory.item(row).assignee == "Old name"
    directory._make_item = make  # type: ignore[method-assign]
    assert directory.item(row).assignee == "New name"
