"""``--open``'s prefetch: the child process against the emulator, and the service using it.

The fork itself runs in a process of its own (``prefetch_probe``): a process with threads
never forks, and this one has the emulator's. The service's side is tested with
``tests.fakes.ArrivedLater``, which hands over real JSON from the emulator the way
``Prefetch`` does, without a child.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from intercom_tui.emulator.faults import Fault
from intercom_tui.emulator.server import EmulatorServer
from intercom_tui.service import actions as A
from intercom_tui.service.prefetch import Prefetch, usable_cores
from tests.conftest import TOKEN
from tests.fakes import ArrivedLater
from tests.service.support import Env

ROOT = Path(__file__).resolve().parents[2]
JSON = dict[str, Any]
#: Where the app would not fork either (it then fetches in-process, tested elsewhere).
forks = pytest.mark.skipif(
    not hasattr(os, "fork") or usable_cores() < 2, reason="the prefetch needs fork() and 2 cores"
)


def probe(  # type: ignore[no-untyped-def]
    server_url: str,
    cid: str,
    *,
    token: str = TOKEN,
    close_after: float | None = None,
    one_core: bool = False,
):
    argv = [sys.executable, "-m", "tests.service.prefetch_probe", server_url, token, cid]
    if close_after is not None:
        argv += ["--close-after", str(close_after)]
    if one_core:
        argv.append("--one-core")
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # nothing from the child either: its output goes nowhere
    return json.loads(done.stdout)


def conversation_requests(server: EmulatorServer, cid: str) -> list[Any]:
    return [r for r in server.requests if r.method == "GET" and r.path == f"/conversations/{cid}"]


def some_conversation(server: EmulatorServer) -> str:
    return max(
        server.workspace.conversation_ids(),
        key=lambda c: len(
            server.workspace.conversation(c)["conversation_parts"]["conversation_parts"]
        ),
    )


# ------------------------------------------------------------------ the child process
@forks
def test_the_child_brings_what_the_api_serves_in_one_request(emulator: EmulatorServer) -> None:
    cid = some_conversation(emulator)
    got = probe(emulator.url, cid)
    assert got["started"] and got["gone"]  # forked, and reaped
    raw = got["raw"]
    assert raw is not None and str(raw["id"]) == cid
    served = emulator.workspace.conversation(cid)
    parts = raw["conversation_parts"]["conversation_parts"]
    assert [p["id"] for p in parts] == [
        p["id"] for p in served["conversation_parts"]["conversation_parts"]
    ]
    assert len(conversation_requests(emulator, cid)) == 1


@forks
@pytest.mark.parametrize("case", ["not-found", "bad-token", "server-error", "refused"])
def test_a_failed_fetch_is_no_prefetch_after_one_attempt(
    emulator: EmulatorServer, case: str
) -> None:
    """The child reports nothing but "no answer"; the screen's own fetch then retries and
    says why. So the child tries once: no backoff before that fetch starts."""
    cid = some_conversation(emulator)
    url, token = emulator.url, TOKEN
    if case == "not-found":
        cid = "999999999"
    elif case == "bad-token":
        token = "not-the-token"
    elif case == "server-error":
        emulator.faults.add(
            Fault("status", "GET", f"^/conversations/{cid}$", status=503, times=None)
        )
    else:
        with socket.socket() as free:  # a port nothing listens on
            free.bind(("127.0.0.1", 0))
            url = f"http://127.0.0.1:{free.getsockname()[1]}"
    got = probe(url, cid, token=token)
    assert got["started"] and got["gone"]
    assert got["raw"] is None
    if case != "refused":
        assert len(conversation_requests(emulator, cid)) == 1


@forks
def test_close_stops_a_child_still_waiting_for_the_server(emulator: EmulatorServer) -> None:
    """The app quit first: the child is killed and reaped, not left to finish (here it
    would answer after 20 s, and the probe would print the conversation)."""
    cid = some_conversation(emulator)
    emulator.faults.add(Fault("latency", "GET", f"^/conversations/{cid}$", delay=20))
    got = probe(emulator.url, cid, close_after=0.3)
    assert got["started"] and got["gone"]
    assert got["raw"] is None


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="needs CPU affinity")
def test_a_process_on_one_core_does_not_fork(emulator: EmulatorServer) -> None:
    """The child would share the one core with the app's start: no sooner thread, only a
    later first frame."""
    cid = some_conversation(emulator)
    assert probe(emulator.url, cid, one_core=True) == {"started": False}
    assert conversation_requests(emulator, cid) == []


def test_a_process_with_threads_does_not_fork() -> None:
    """fork() copies every lock, held or not, into a child that has only one thread."""
    stop = threading.Event()
    worker = threading.Thread(target=stop.wait)
    worker.start()
    try:
        assert Prefetch.start("http://127.0.0.1:9", TOKEN, "1") is None
    finally:
        stop.set()
        worker.join()


# ------------------------------------------------------------------ the service's side
async def served(env: Env, cid: str) -> JSON:
    """The conversation's JSON as the API answers it (that request then forgotten)."""
    async with env.client() as client:
        raw = await client.get_conversation_raw(cid)
    env.forget_requests()
    return raw


def part_count(raw: JSON) -> int:
    return len(raw["conversation_parts"]["conversation_parts"])


async def test_fetch_uses_the_prefetched_answer_once_and_caches_it(synced: Env) -> None:
    svc, cid = synced.svc, some_conversation(synced.server)
    raw = await served(synced, cid)
    svc.prefetch = ArrivedLater(cid, raw)  # type: ignore[assignment]
    conversation = await svc.fetch_conversation(cid)
    assert len(conversation.parts) == part_count(raw)
    assert synced.requests("GET", f"/conversations/{cid}") == []
    thread = svc.cache.get_thread(cid)
    assert thread is not None and part_count(thread) == part_count(raw)
    assert svc.prefetch is None
    await svc.fetch_conversation(cid)  # the next fetch asks the API
    assert len(synced.requests("GET", f"/conversations/{cid}")) == 1


async def test_fetch_waits_for_a_prefetch_on_its_way(synced: Env) -> None:
    svc, cid = synced.svc, some_conversation(synced.server)
    pending = ArrivedLater(cid, await served(synced, cid), arrived=False)
    svc.prefetch = pending  # type: ignore[assignment]
    fetch = asyncio.ensure_future(svc.fetch_conversation(cid))
    await asyncio.sleep(0)
    assert not fetch.done()
    pending.arrive()
    conversation = await fetch
    assert conversation.id == cid
    assert synced.requests("GET", f"/conversations/{cid}") == []


async def test_a_failed_prefetch_falls_back_to_the_api(synced: Env) -> None:
    svc, cid = synced.svc, some_conversation(synced.server)
    svc.prefetch = ArrivedLater(cid, None)  # type: ignore[assignment]
    conversation = await svc.fetch_conversation(cid)
    assert conversation.id == cid and conversation.parts
    assert len(synced.requests("GET", f"/conversations/{cid}")) == 1


async def test_a_prefetch_of_another_conversation_is_left_for_it(synced: Env) -> None:
    svc = synced.svc
    cid, other = some_conversation(synced.server), svc.window(svc.view("all"), 0, 1)[0].id
    assert other != cid
    prefetch = ArrivedLater(cid, await served(synced, cid))
    svc.prefetch = prefetch  # type: ignore[assignment]
    await svc.fetch_conversation(other)
    assert len(synced.requests("GET", f"/conversations/{other}")) == 1
    assert svc.take_prefetched(other) is None
    assert svc.prefetch is prefetch


async def test_take_prefetched_never_waits_and_keeps_queued_actions(synced: Env) -> None:
    svc, cid = synced.svc, some_conversation(synced.server)
    raw = await served(synced, cid)
    assert raw["state"] != "closed"
    pending = ArrivedLater(cid, raw, arrived=False)
    svc.prefetch = pending  # type: ignore[assignment]
    assert svc.take_prefetched(cid) is None  # not here yet: the caller shows the cache
    assert svc.prefetch is pending
    svc.perform([A.Action(A.CLOSE, cid)])  # queued, not sent: the fetch must not undo it
    pending.arrive()
    conversation = svc.take_prefetched(cid)
    assert conversation is not None and conversation.state == "closed"
    assert len(conversation.parts) == part_count(raw)
    assert svc.prefetch is None and svc.take_prefetched(cid) is None
    await svc.store_conversation(conversation)
    assert svc.cache.get_thread(cid) is not None


async def test_a_prefetched_answer_of_the_wrong_shape_is_not_shown(synced: Env) -> None:
    svc, cid = synced.svc, some_conversation(synced.server)
    raw = await served(synced, cid)
    raw["conversation_parts"] = {"conversation_parts": [5]}  # a part that is no object
    svc.prefetch = ArrivedLater(cid, raw)  # type: ignore[assignment]
    assert svc.take_prefetched(cid) is None  # the screen then fetches, and says what failed
    conversation = await svc.fetch_conversation(cid)
    assert conversation.parts


async def test_the_stored_copy_keeps_an_action_still_being_sent(synced: Env) -> None:
    """A "read" the outbox is sending (claimed, not settled) when the fetched copy is
    stored: the copy is re-merged with it, so the row does not go back to unread."""
    svc, cid = synced.svc, some_conversation(synced.server)
    raw = await served(synced, cid)
    raw["read"] = False
    svc.prefetch = ArrivedLater(cid, raw)  # type: ignore[assignment]
    conversation = svc.take_prefetched(cid)
    assert conversation is not None and not conversation.read
    svc.perform([A.Action(A.READ, cid, {"read": True})], undoable=False)
    (entry,) = svc.outbox.due(float("inf"))
    assert svc.outbox.claim(entry)  # in flight now
    await svc.store_conversation(conversation)
    row = svc.cache.get_row(cid)
    assert row is not None and row.read


async def test_a_change_to_the_row_keeps_the_parts_shown_before_they_are_stored(
    synced: Env,
) -> None:
    """Re-showing a changed row while the fetched thread is not stored yet (or an older
    one is) takes the parts from the copy on screen, not the cached list item."""
    svc, cid = synced.svc, some_conversation(synced.server)
    raw = await served(synced, cid)
    svc.prefetch = ArrivedLater(cid, raw)  # type: ignore[assignment]
    shown = svc.take_prefetched(cid)
    assert shown is not None and shown.parts and svc.cache.get_thread(cid) is None
    svc.perform([A.Action(A.CLOSE, cid)])
    assert svc.cached_conversation(cid).parts == ()  # type: ignore[union-attr]
    again = svc.cached_conversation(cid, shown=shown)
    assert again is not None and again.state == "closed"
    assert again.parts == shown.parts
