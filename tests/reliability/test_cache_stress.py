"""The cache under stress: kill -9 at awkward moments, two instances, unusable disks.

Processes are real (``intercom-tui sync``, or ``tests/reliability/workers.py``) and are
killed with SIGKILL, so SQLite's own crash recovery is what is tested. After each kill
the file must pass ``PRAGMA integrity_check`` (read raw, before the app could repair
anything) and open without being moved aside; then the work resumes and ends with every
conversation cached once and every action sent once.

Simulated, not real: a read-only cache folder (the tests run as root, which ignores
permissions, so SQLite's read-only open is forced where the app connects; a real chmod
variant runs for other users) and a full disk (SQLite's ``max_page_count`` at open, and
the cache's write transaction raising what it raises on ``SQLITE_FULL`` while running).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from intercom_tui.config import Settings
from intercom_tui.emulator.faults import Fault
from intercom_tui.emulator.server import EmulatorServer
from intercom_tui.emulator.workspace import Workspace
from intercom_tui.service.session import (
    SessionOptions,
    known_workspace,
    open_session_async,
    profile_key,
)
from intercom_tui.service.sync import META_CURSOR, META_FULL_DONE
from intercom_tui.store import cache as cache_module
from intercom_tui.store.cache import Cache, CacheUnavailable, cache_path_for
from intercom_tui.store.outbox import SENDING, Outbox
from intercom_tui.ui.widgets.conversation_list import ConversationList
from tests.conftest import FIXED_NOW, TOKEN
from tests.harness import make_app, settings_for
from tests.reliability.support import (
    PYTHON,
    ROOT,
    Rig,
    assert_one_line,
    cached_ids,
    wait_until,
)
from tests.unit.test_cache import make_v1

PAGE = 150
LIST = "/conversations"


def spawn(*argv: str) -> subprocess.Popen[str]:
    env = {**os.environ, "INTERCOM_ACCESS_TOKEN": TOKEN}
    return subprocess.Popen(
        [PYTHON, *argv],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def cli_sync(url: str) -> subprocess.Popen[str]:
    return spawn("-m", "intercom_tui", "sync", "--base-url", url)


def worker(*args: str) -> subprocess.Popen[str]:
    return spawn("-m", "tests.reliability.workers", *args)


def finish(process: subprocess.Popen[str]) -> str:
    """Wait for a clean exit; what it printed (stdout, then stderr)."""
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, out + err
    return out + err


def kill(process: subprocess.Popen[str]) -> None:
    process.kill()  # SIGKILL: no handler, no cleanup, no flush
    process.communicate(timeout=30)
    assert process.returncode == -9


def integrity(path: Path) -> list[str]:
    """``PRAGMA integrity_check`` on the raw file, as the kill left it."""
    raw = sqlite3.connect(path)
    try:
        return [r[0] for r in raw.execute("PRAGMA integrity_check")]
    finally:
        raw.close()


def reopened(path: Path) -> Cache:
    cache = Cache.open(path)
    assert cache.recovered_from is None, "the file was moved aside as damaged"
    return cache


def list_requests(server: EmulatorServer) -> list[dict[str, str]]:
    return [r.query for r in server.requests if r.method == "GET" and r.path == LIST]


# ---------------------------------------------------------------------------- kill -9
@pytest.mark.parametrize(
    ("conversations", "latency"),
    [(1200, 0.3), (3000, 0.0)],
    ids=["waiting-for-a-page", "at-full-speed"],
)
def test_a_sync_killed_mid_walk_resumes_from_its_cursor(conversations: int, latency: float) -> None:
    workspace = Workspace.generate(seed=9, conversations=conversations, now=FIXED_NOW)
    with EmulatorServer(workspace, token=TOKEN) as server:
        if latency:
            server.faults.add(Fault("latency", "GET", f"^{LIST}$", times=None, delay=latency))
        syncing = cli_sync(server.url)
        # Page N is stored while N+1 is fetched: with the 4th request done, 1 and 2 are in.
        wait_until("four pages", lambda: len(list_requests(server)) >= 4)
        kill(syncing)
        # Its last request, delayed by the latency fault, is logged once answered: not
        # after the resumed walk's first.
        wait_until("the killed walk's connection to close", lambda: not server.open_connections)
        path = cache_path_for(server.url, known_workspace(profile_key("default", server.url)))
        assert integrity(path) == ["ok"]
        cache = reopened(path)
        stored, cursor = cached_ids(cache), cache.get_meta(META_CURSOR)
        assert cache.get_meta(META_FULL_DONE) != "1"
        cache.close()
        assert 2 * PAGE <= len(stored) < conversations
        assert len(stored) % PAGE == 0, "a page was stored in part"
        assert len(set(stored)) == len(stored) and cursor

        server.faults.clear()
        before = len(list_requests(server))
        said = finish(cli_sync(server.url))
        assert f"{conversations:,} cached" in said
        resumed = list_requests(server)[before:]
        assert resumed[0].get("starting_after") == cursor, "the walk started over"
        assert len(resumed) <= (conversations - len(stored)) // PAGE + 1
        cache = reopened(path)
        assert cached_ids(cache) == sorted(workspace.conversation_ids())
        assert cache.get_meta(META_FULL_DONE) == "1"
        cache.close()
        assert integrity(path) == ["ok"]


@pytest.fixture
def small_server() -> Iterator[EmulatorServer]:
    workspace = Workspace.generate(seed=9, conversations=150, now=FIXED_NOW)
    with EmulatorServer(workspace, token=TOKEN) as server:
        yield server


async def synced_cache(server: EmulatorServer, path: Path) -> Rig:
    rig = Rig(server, path)
    await rig.open().sync()
    await rig.close()
    return rig


def tag_of(server: EmulatorServer) -> str:
    return str(server.workspace.tags()["data"][0]["id"])


def server_tags(server: EmulatorServer, cid: str) -> list[str]:
    return [str(t["id"]) for t in server.workspace.conversation(cid)["tags"]["tags"]]


async def test_queueing_killed_mid_write_keeps_each_action_once_and_sends_it_once(
    small_server: EmulatorServer, tmp_path: Path
) -> None:
    path = tmp_path / "cache.sqlite3"
    rig = await synced_cache(small_server, path)
    tag = tag_of(small_server)
    queueing = worker("queue", str(path), tag, "150")
    assert queueing.stdout is not None
    reported = [queueing.stdout.readline().split()[1] for _ in range(40)]
    kill(queueing)

    assert integrity(path) == ["ok"]
    cache = reopened(path)
    queued = [e.conversation_id for e in Outbox(cache).due(float("inf"), limit=1000)]
    cache.close()
    assert len(set(queued)) == len(queued), "an action was queued twice"
    assert set(reported) <= set(queued) and len(queued) <= len(reported) + 1

    svc = rig.open()
    rig.clock.advance(60)  # the worker queued by the real clock, after the rig's started
    outcomes = await svc.flush_outbox()
    assert len(outcomes) == len(queued) and all(o.ok for o in outcomes)
    assert svc.outbox.pending_count() == 0
    for cid in queued:
        assert rig.sent("POST", f"/conversations/{cid}/tags") == 1
        assert server_tags(small_server, cid).count(tag) == 1
    await rig.close()


async def test_a_crash_between_showing_and_queueing_an_action_loses_nothing(
    small_server: EmulatorServer, tmp_path: Path
) -> None:
    path = tmp_path / "cache.sqlite3"
    await synced_cache(small_server, path)
    tag = tag_of(small_server)
    crashed = worker("queue", str(path), tag, "10", "--crash-at", "5")
    out, _ = crashed.communicate(timeout=60)
    assert crashed.returncode == -9 and out.count("queued") == 4

    assert integrity(path) == ["ok"]
    cache = reopened(path)
    queued = {e.conversation_id for e in Outbox(cache).due(float("inf"), limit=1000)}
    shown = {cid for cid in cached_ids(cache) if tag in cache.get_row(cid).tag_ids}  # type: ignore[union-attr]
    cache.close()
    # Whatever the cache shows as tagged is on the server or on its way there.
    ghosts = {cid for cid in shown - queued if tag not in server_tags(small_server, cid)}
    assert ghosts == set()


@pytest.mark.parametrize("on_disk", [True, False], ids=["file", "memory"])
def test_writes_inside_a_write_transaction_commit_or_roll_back_together(
    tmp_path: Path, on_disk: bool
) -> None:
    """What ``perform`` needs to make "shown" and "queued" one step."""
    cache = Cache.open(tmp_path / "c.sqlite3") if on_disk else Cache.memory()
    outbox = Outbox(cache)
    conversation = {"type": "conversation", "id": "7", "updated_at": 5, "state": "open"}
    with pytest.raises(RuntimeError), cache.write_transaction():
        cache.upsert_conversations([conversation])
        outbox.add("close", "7", {})
        raise RuntimeError("the process dies here")
    assert cache.get_row("7") is None and outbox.pending_count() == 0
    with cache.write_transaction():
        cache.upsert_conversations([conversation])
        outbox.add("close", "7", {})
    assert cache.get_row("7") is not None and outbox.pending_count() == 1
    cache.close()


@pytest.mark.parametrize("landed", [True, False], ids=["reply-landed", "reply-not-landed"])
async def test_a_reply_in_flight_when_killed_is_sent_exactly_once(
    small_server: EmulatorServer, tmp_path: Path, landed: bool
) -> None:
    path = tmp_path / "cache.sqlite3"
    rig = Rig(small_server, path)
    svc = rig.open()
    await svc.sync()
    cid = next(
        c
        for c in small_server.workspace.conversation_ids()
        if small_server.workspace.conversation(c)["state"] == "open"
    )
    text = f"Sent once across a crash {time.monotonic_ns()}"
    svc.send_message(cid, "reply", text)
    await rig.close()
    reply = f"/conversations/{cid}/reply"
    # The emulator holds the request for a second, then applies it (or drops it).
    kind = "latency" if landed else "drop"
    small_server.faults.add(Fault(kind, "POST", f"^{reply}$", delay=1.0))
    sending = worker("send", str(path), small_server.url)
    wait_until("the reply to reach the server", lambda: not small_server.faults.pending())
    kill(sending)
    wait_until("the server to finish", lambda: rig.received("POST", reply) == 1)

    assert integrity(path) == ["ok"]
    cache = reopened(path)
    with cache.read_transaction() as conn:
        states = [r[0] for r in conn.execute("SELECT state FROM outbox")]
    assert states == [SENDING]  # the evidence a crash leaves
    cache.close()

    svc = rig.open()
    rig.clock.advance(60)
    svc.outbox.recover_after_crash()  # what the app does at start
    outcomes = await svc.flush_outbox()
    assert [o.ok for o in outcomes] == [True]
    assert rig.received("POST", reply) == (1 if landed else 2)
    parts = small_server.workspace.conversation(cid)["conversation_parts"]["conversation_parts"]
    assert sum(text in (p.get("body") or "") for p in parts) == 1
    assert svc.outbox.pending_count() == 0
    await rig.close()


def test_two_app_instances_share_one_cache_file(tmp_path: Path) -> None:
    workspace = Workspace.generate(seed=9, conversations=600, now=FIXED_NOW)
    path = tmp_path / "shared.sqlite3"
    with EmulatorServer(workspace, token=TOKEN) as server:
        # Slow pages, so the two walks overlap.
        server.faults.add(Fault("latency", "GET", f"^{LIST}$", times=None, delay=0.05))
        tag = tag_of(server)
        ids = [c for c in workspace.conversation_ids() if tag not in server_tags(server, c)][:10]
        first = worker("mixed", str(path), server.url, tag, ",".join(ids[:5]))
        second = worker("mixed", str(path), server.url, tag, ",".join(ids[5:]))
        assert finish(first).split() == ["done"] and finish(second).split() == ["done"]

        assert integrity(path) == ["ok"]
        cache = reopened(path)
        assert cached_ids(cache) == sorted(workspace.conversation_ids())
        assert Outbox(cache).pending_count() == 0
        cache.close()
        for cid in ids:
            assert server_tags(server, cid).count(tag) == 1
            posts = [
                r for r in server.requests if r.method == "POST" and r.path.endswith(f"/{cid}/tags")
            ]
            assert len(posts) == 1, "an action was sent by both instances"


# ---------------------------------------------------------------------------- unusable disk
def read_only_connect(path: Path) -> sqlite3.Connection:
    """What SQLite does in a folder the user cannot write to: open read-only."""
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)


def full_disk_connect(path: Path) -> sqlite3.Connection:
    """A disk with room for three pages: creating the schema fails with SQLITE_FULL."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA max_page_count = 3")
    return conn


@pytest.mark.parametrize(
    ("connect", "reason"),
    [(read_only_connect, "cannot be written"), (full_disk_connect, "disk is full")],
    ids=["read-only-folder", "disk-full"],
)
async def test_an_unusable_cache_gives_a_notice_and_a_working_uncached_app(
    emulator: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
    connect: Callable[[Path], sqlite3.Connection],
    reason: str,
) -> None:
    monkeypatch.setattr(cache_module, "_connect_file", connect)
    service, notices = await open_session_async(settings_for(emulator), SessionOptions())
    (notice,) = notices
    assert reason in notice and "Working without a cache this time." in notice
    assert_one_line(notice)
    assert service.cache.path is None  # in memory
    await service.sync()
    await service.aclose()
    app = make_app(service, notices=notices)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        assert notice in [n.message for n in app._notifications]
        assert app.screen.query_one(ConversationList).row_count > 0


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
async def test_a_really_read_only_cache_folder_falls_back_to_memory(
    emulator: EmulatorServer, isolated_dirs: Path
) -> None:
    folder = isolated_dirs / "cache"
    folder.chmod(0o500)
    try:
        service, notices = await open_session_async(settings_for(emulator), SessionOptions())
    finally:
        folder.chmod(0o755)
    assert service.cache.path is None and len(notices) == 1
    assert_one_line(notices[0])


async def test_a_disk_that_fills_up_while_running_is_told_not_fatal(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    service, _ = await open_session_async(settings_for(emulator), SessionOptions())
    await service.sync()
    await service.aclose()
    app = make_app(service)
    async with app.run_test(size=(120, 36)) as pilot:

        def full(_self: Cache) -> object:
            raise CacheUnavailable("The disk is full; the cache cannot be saved.")

        monkeypatch.setattr(Cache, "_write", full)
        await pilot.press("c")
        await pilot.pause()
        assert any("disk is full" in n.message for n in app._notifications)
    assert app.return_code in (0, None)


async def test_a_cache_from_an_older_version_is_migrated_at_start(
    emulator: EmulatorServer,
) -> None:
    settings: Settings = settings_for(emulator)
    # A first start finds the workspace; then the file is replaced by an old-format one.
    service, _ = await open_session_async(settings, SessionOptions())
    path = service.cache.path
    assert path is not None
    service.cache.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    make_v1(path)
    service, notices = await open_session_async(settings, SessionOptions())
    assert notices == [] and service.cache.recovered_from is None
    row = service.cache.get_row("77")
    assert row is not None and row.title == "Old one"
    assert service.cache.get_meta(META_CURSOR) == "c1"
    app = make_app(service)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("6")
        items = app.screen.query_one(ConversationList)
        assert items.row_count == 1 and items.current_item.id == "77"  # type: ignore[union-attr]
    service.cache.close()
    assert integrity(path) == ["ok"]
