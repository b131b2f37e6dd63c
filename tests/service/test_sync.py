"""Sync: the resumable first walk, incremental searches, pacing, reference data.

Against the emulator over loopback. What was asked of the server comes from its request
log; what was stored comes from the cache (and a counting wrapper around its writes).
"""

from __future__ import annotations

import asyncio
import json
import time
import types
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from intercom_tui.api.client import IntercomClient
from intercom_tui.api.errors import ApiError, NotFoundError
from intercom_tui.api.models import Conversation
from intercom_tui.emulator import server as server_module
from intercom_tui.emulator.faults import Fault
from intercom_tui.emulator.server import EmulatorServer
from intercom_tui.emulator.workspace import Workspace
from intercom_tui.service import actions as A
from intercom_tui.service.inbox import Connection, InboxService, ReferenceChanged, RowsChanged
from intercom_tui.service.sync import (
    META_CURSOR,
    META_WATERMARK,
    OVERLAP,
    SyncEngine,
    SyncProgress,
)
from intercom_tui.store.cache import Cache, Filter
from tests.conftest import FIXED_NOW, TOKEN
from tests.service.support import Clock, Env

LIST = "/conversations"
SEARCH = "/conversations/search"


def count_writes(env: Env) -> Counter[str]:
    """Count, per conversation id, how often sync writes it to the cache."""
    writes: Counter[str] = Counter()
    cache = env.svc.cache
    original = cache.upsert_conversations

    def counting(items: Iterable[dict[str, Any]], *, force: bool = False) -> int:
        items = list(items)
        writes.update(str(item["id"]) for item in items)
        return original(items, force=force)

    cache.upsert_conversations = counting  # type: ignore[method-assign]
    return writes


def all_count(env: Env) -> int:
    return env.svc.cache.count(Filter())


@pytest.fixture
def big_server() -> Iterator[EmulatorServer]:
    workspace = Workspace.generate(seed=7, conversations=2000, now=FIXED_NOW)
    with EmulatorServer(workspace, token=TOKEN) as server:
        yield server


# ------------------------------------------------------------------ the first walk
async def test_first_sync_walks_14_pages_shows_rows_as_they_land_and_stores_each_once(
    big_server: EmulatorServer, tmp_path: Path
) -> None:
    env = Env(big_server, tmp_path / "c.sqlite3")
    env.open()
    writes = count_writes(env)
    seen: list[tuple[str, int, int]] = []

    def progress(p: SyncProgress) -> None:
        seen.append((p.phase, p.fetched, all_count(env)))
        if p.phase == "full" and p.fetched == 150:
            items = env.svc.window(env.svc.view("all"), 0, 5)
            assert len(items) == 5 and all(item.id for item in items)

    try:
        result = await env.svc.sync(progress)
    finally:
        await env.close()

    ids = set(big_server.workspace.conversation_ids())
    assert result.full and result.fetched == 2000
    assert set(result.changed_ids) == ids and len(result.changed_ids) == 2000
    assert set(writes) == ids and set(writes.values()) == {1}
    pages = env.requests("GET", LIST)
    assert len(pages) == 14
    assert [r.query.get("per_page") for r in pages] == ["150"] * 14
    assert "starting_after" not in pages[0].query
    assert len({r.query.get("starting_after") for r in pages}) == 14
    walk = [(fetched, visible) for phase, fetched, visible in seen if phase == "full"]
    assert walk == [(min(150 * n, 2000),) * 2 for n in range(1, 15)]  # visible page by page
    assert seen[0][0] == "reference" and seen[-1][:2] == ("done", 2000)


async def fail_after_pages(env: Env, pages: int, per_page: int = 20) -> None:
    """Start the first walk and make it fail on page ``pages + 1`` for good."""
    env.svc.sync_engine.per_page = per_page

    def progress(p: SyncProgress) -> None:
        if p.phase == "full" and p.fetched == pages * per_page:
            env.server.faults.add(Fault("drop", "GET", f"^{LIST}$", times=env.attempts))

    with pytest.raises(ApiError):
        await env.svc.sync(progress)


async def test_a_walk_interrupted_by_the_network_resumes_from_its_cursor(env: Env) -> None:
    writes = count_writes(env)
    await fail_after_pages(env, 2)
    # Progress for page 2 is reported once it is stored, while page 3 is already fetched
    # (fetch and store overlap); page 3 is kept, page 4 is the one that fails.
    assert all_count(env) == 60
    cursor = env.svc.cache.get_meta(META_CURSOR)
    assert cursor

    env.forget_requests()
    result = await env.svc.sync()

    pages = env.requests("GET", LIST)
    assert pages[0].query.get("starting_after") == cursor
    assert all("starting_after" in r.query for r in pages)  # page 1 is not fetched again
    assert len(pages) == 3  # pages 4..6 of 120 at 20 a page
    assert result.full and result.fetched == 60
    ids = set(env.ws.conversation_ids())
    assert set(writes) == ids and set(writes.values()) == {1}
    assert all_count(env) == 120
    assert env.svc.sync_engine.has_full_copy


async def test_a_cancelled_walk_resumes_after_a_restart(env: Env) -> None:
    env.svc.sync_engine.per_page = 20
    task: asyncio.Task[Any] | None = None

    def progress(p: SyncProgress) -> None:
        if p.phase == "full" and p.fetched == 60 and task is not None:
            task.cancel()  # the user quit mid-walk

    task = asyncio.create_task(env.svc.sync(progress))
    with pytest.raises(asyncio.CancelledError):
        await task
    assert all_count(env) == 80  # page 4 was fetched and its store is finished, not dropped
    before = env.requests("GET", LIST)

    await env.reopen()  # a new process on the same file
    env.forget_requests()
    env.svc.sync_engine.per_page = 20
    await env.svc.sync()

    pages = env.requests("GET", LIST)
    assert len(before) == 4 and len(pages) == 2
    assert all("starting_after" in r.query for r in pages)
    assert all_count(env) == 120


async def test_a_cursor_the_server_no_longer_accepts_restarts_the_walk(env: Env) -> None:
    env.svc.cache.set_meta(META_CURSOR, "expired-cursor")
    result = await env.svc.sync()
    first, *rest = env.requests("GET", LIST)
    assert (first.query.get("starting_after"), first.status) == ("expired-cursor", 400)
    assert "starting_after" not in rest[0].query
    assert result.full and all_count(env) == 120


async def test_an_incremental_sync_asks_only_for_changes(synced: Env) -> None:
    env = synced
    ws = env.ws
    watermark = int(env.svc.cache.get_meta(META_WATERMARK) or 0)
    assert watermark == max(ws.conversation(c)["updated_at"] for c in ws.conversation_ids())
    heads = {c: ws.conversation(c) for c in ws.conversation_ids()}
    recent = {c for c, h in heads.items() if h["updated_at"] > watermark - OVERLAP}
    refund = "9120439"
    replied, closed, tagged = [
        c
        for c, h in heads.items()
        if h["state"] == "open"
        and c not in recent
        and refund not in {t["id"] for t in h["tags"]["tags"]}
    ][:3]
    other = "7463837"
    admin = {"type": "admin", "admin_id": other}
    ws.reply(replied, {**admin, "message_type": "comment", "body": "Done"})
    ws.manage(closed, {**admin, "message_type": "close"})
    ws.attach_tag(tagged, {"id": refund, "admin_id": other})

    result = await env.svc.sync()

    assert not result.full
    assert env.requests("GET", LIST) == []
    (search,) = env.requests("POST", SEARCH)
    assert search.body["query"] == {
        "field": "updated_at",
        "operator": ">",
        "value": watermark - OVERLAP,
    }
    assert set(result.changed_ids) == {replied, closed, tagged} | recent
    assert len(result.changed_ids) < 10
    row = env.svc.cache.get_row
    assert row(closed).state == "closed"
    assert refund in row(tagged).tag_ids
    assert row(replied).waiting_since is None and row(replied).updated_at > watermark
    assert RowsChanged(result.changed_ids) in env.events

    env.forget_requests()
    again = await env.svc.sync()  # nothing new: the watermark moved to the changes
    assert set(again.changed_ids) == {replied, closed, tagged}
    assert env.requests("POST", SEARCH)[0].body["query"]["value"] > watermark


async def test_a_client_clock_far_ahead_of_the_server_misses_no_change(env: Env) -> None:
    env.clock.advance(3600)  # this machine's clock is an hour fast
    await env.svc.sync()
    (cid,) = env.pick(lambda c: c["state"] == "open")
    env.ws.manage(cid, {"message_type": "close", "type": "admin", "admin_id": env.ws.me_id})
    env.clock.advance(60)

    result = await env.svc.sync()

    assert cid in result.changed_ids
    assert env.svc.cache.get_row(cid).state == "closed"


async def test_an_absurd_future_stamp_does_not_stall_incremental_sync() -> None:
    """Data is untrusted: one conversation stamped in 2100 must not become the watermark."""
    now = 1_768_478_400
    items = [
        {"type": "conversation", "id": "1", "updated_at": 4_102_444_800, "state": "open"},
        {"type": "conversation", "id": "2", "updated_at": now - 50, "state": "open"},
    ]
    searches: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path in ("/admins", "/teams"):
            return httpx.Response(200, json={request.url.path[1:]: []})
        if request.url.path in ("/tags", "/contacts"):
            return httpx.Response(200, json={"type": "list", "data": []})
        if request.url.path == SEARCH:
            searches.append(json.loads(request.content))
        page = {"type": "conversation.list", "total_count": 2, "conversations": items}
        return httpx.Response(200, json=page)

    client = IntercomClient(TOKEN, "https://intercom.test", transport=httpx.MockTransport(handler))
    cache = Cache.memory()
    engine = SyncEngine(cache, client, clock=lambda: float(now))
    try:
        await engine.sync()
        assert cache.get_meta(META_WATERMARK) == str(now - 50)
        await engine.sync()
        assert searches[0]["query"]["value"] == now - 50 - OVERLAP
        assert cache.get_meta(META_WATERMARK) == str(now - 50)
    finally:
        await client.aclose()
        cache.close()


async def test_sync_state_survives_reopening_the_cache(synced: Env) -> None:
    env = synced
    watermark = env.svc.cache.get_meta(META_WATERMARK)
    await env.reopen()
    assert env.svc.sync_engine.has_full_copy
    assert env.svc.cache.get_meta(META_WATERMARK) == watermark
    assert env.svc.count(env.svc.view("all")) == 120  # the inbox, before any network
    env.forget_requests()
    result = await env.svc.sync()
    assert not result.full
    assert env.requests("GET", LIST) == [] and len(env.requests("POST", SEARCH)) == 1


async def test_a_service_reused_on_a_new_client_syncs_with_it(synced: Env) -> None:
    """The harness (and the CLI) close the client and let the next loop make another."""
    env = synced
    await env.svc.aclose()
    assert env.svc.connection is not None
    env.svc.connection.client = None
    result = await env.svc.sync()
    assert not result.full


# ------------------------------------------------------------------ deleted conversations
async def test_a_conversation_deleted_on_the_server_leaves_the_cache_when_opened(
    synced: Env,
) -> None:
    """Intercom's search does not report deletions, so an incremental sync keeps the row;
    opening it (GET answers 404) removes it, and the list is told."""
    env = synced
    (cid,) = env.pick(lambda c: c["state"] == "open")
    env.server.faults.add(Fault("status", "GET", f"^/conversations/{cid}$", status=404))
    await env.svc.sync()
    assert env.svc.cache.get_row(cid) is not None

    with pytest.raises(NotFoundError) as caught:
        await env.svc.fetch_conversation(cid)

    assert "not found" in caught.value.user_message
    assert env.svc.cache.get_row(cid) is None
    assert env.svc.index_of(env.svc.view("all"), cid) is None
    assert RowsChanged((cid,)) in env.events
    assert all_count(env) == 119


async def test_fetch_caches_the_thread_with_queued_changes_laid_over(synced: Env) -> None:
    env = synced
    (cid,) = env.pick(lambda c: c["state"] == "open")
    env.svc.perform([A.Action(A.CLOSE, cid)])
    conversation = await env.svc.fetch_conversation(cid)
    assert conversation.state == "closed" and conversation.parts
    cached = env.svc.cached_conversation(cid)
    assert cached is not None and cached.state == "closed"
    assert len(cached.parts) == len(conversation.parts)


async def test_a_fetched_thread_is_handed_over_before_it_is_cached(
    synced: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reader gets the parts first; caching (tens of ms for a long thread) waits for
    what the reader's callback returns (in the UI: the frame that shows them)."""
    env = synced
    (cid,) = env.pick(lambda c: c["state"] == "open")
    order: list[object] = []
    store_thread = env.svc.cache.store_thread

    def store(*args: Any, **kwargs: Any) -> None:
        order.append("stored")
        store_thread(*args, **kwargs)

    monkeypatch.setattr(env.svc.cache, "store_thread", store)
    handed = asyncio.Event()
    drawn: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def before_storing(conversation: Conversation) -> asyncio.Future[None]:
        order.append(("handed", len(conversation.parts), env.svc.cache.get_thread(cid)))
        handed.set()
        return drawn

    fetch = asyncio.ensure_future(env.svc.fetch_conversation(cid, before_storing=before_storing))
    await handed.wait()
    finished, _ = await asyncio.wait({fetch}, timeout=0.5)  # it must be waiting on `drawn`
    assert not finished and "stored" not in order
    drawn.set_result(None)
    conversation = await fetch
    assert order == [("handed", len(conversation.parts), None), "stored"]
    assert conversation.parts
    cached = env.svc.cached_conversation(cid)
    assert cached is not None and len(cached.parts) == len(conversation.parts)


# ------------------------------------------------------------------ pacing
@pytest.fixture
def limited(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> Iterator[EmulatorServer]:
    """An emulator allowing 5 calls per 10-second window, on the test's virtual clock."""
    clock = Clock()
    fake_time = types.SimpleNamespace(time=clock, sleep=time.sleep)
    monkeypatch.setattr(server_module, "time", fake_time)
    with EmulatorServer(workspace, token=TOKEN, rate_limit=30) as server:
        server.clock = clock  # type: ignore[attr-defined]
        yield server


async def test_sync_pauses_when_the_rate_limit_budget_runs_out(
    limited: EmulatorServer, tmp_path: Path
) -> None:
    env = Env(limited, tmp_path / "c.sqlite3", clock=limited.clock)  # type: ignore[attr-defined]
    env.open()
    env.svc.sync_engine.per_page = 10
    try:
        result = await env.svc.sync()
    finally:
        await env.close()

    assert result.fetched == 120 and len(env.requests("GET", LIST)) == 12
    assert [r for r in env.server.requests if r.status == 429] == []  # paced, never refused
    assert env.engine_sleeps.delays, "the engine never waited for the window to reset"
    assert all(0 < d <= 10 for d in env.engine_sleeps.delays)
    assert env.retry_sleeps.delays == []


async def test_sync_completes_through_429s(limited: EmulatorServer, tmp_path: Path) -> None:
    limited.limiter.limit = 2  # the three reference lists cannot all pass
    env = Env(limited, tmp_path / "c.sqlite3", clock=limited.clock)  # type: ignore[attr-defined]
    env.attempts = 5
    env.open()
    try:
        result = await env.svc.sync()
    finally:
        await env.close()
    assert result.fetched == 120
    refused = [r for r in env.server.requests if r.status == 429]
    assert refused and env.retry_sleeps.delays
    assert all(0 < d <= 10 for d in env.retry_sleeps.delays)  # as long as Retry-After said


async def test_a_429_with_retry_after_on_a_page_is_waited_out(env: Env) -> None:
    env.attempts = 3
    await env.reopen()
    wait = {"Retry-After": "7"}
    env.server.faults.add(Fault("status", "GET", f"^{LIST}$", status=429, headers=wait))
    result = await env.svc.sync()
    assert result.fetched == 120
    assert env.retry_sleeps.delays == [7]


# ------------------------------------------------------------------ reference data
async def test_reference_data_is_refreshed_each_sync(synced: Env) -> None:
    env = synced
    tag = env.ws.create_tag({"name": "Escalation Q3"})
    result = await env.svc.sync()
    assert tag["id"] in {t.id for t in env.svc.tags()}
    assert env.svc.view(f"tag:{tag['id']}").name == "Escalation Q3"
    assert ReferenceChanged() in env.events
    assert not result.full
    assert {r.path for r in env.requests("GET")} >= {"/admins", "/teams", "/tags"}
    assert env.svc.directory.admin_name(env.ws.me_id)


async def test_create_tag_caches_it_and_adds_its_view(synced: Env) -> None:
    env = synced
    tag = await env.svc.create_tag("Needs QA")
    assert env.svc.directory.tag_name(tag.id) == "Needs QA"
    assert any(v.key == f"tag:{tag.id}" for v in env.svc.views)
    assert ReferenceChanged() in env.events
    assert (await env.svc.create_tag("needs qa")).id == tag.id  # Intercom matches names


async def test_callers_waiting_for_the_http_client_share_one_thread(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    """The fetch, the sync and the outbox all ask for the client at start: one worker
    thread makes it and the others wait for it, rather than each holding a thread."""
    cache = Cache.open(tmp_path / "cache.sqlite3")
    service = InboxService(cache, Connection(emulator.url, TOKEN))
    made: list[int] = []
    prepare = service.prepare_client

    def counted() -> None:
        made.append(1)
        prepare()

    service.prepare_client = counted  # type: ignore[method-assign]
    try:
        await asyncio.gather(*(service._ready_client() for _ in range(4)))
        assert made == [1]
        assert (await service.client.me()).admin.id  # and that one client works
    finally:
        await service.aclose()
        cache.close()
