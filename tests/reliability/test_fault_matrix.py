"""Every way the API fails, crossed with everything the app asks of it.

Each cell runs the real service against the emulator over loopback with one injected
fault, then clears the fault ("the network comes back"), waits until the emulator has
finished every request it was sent, moves the virtual clock past any back-off and sends
the outbox again. Every cell checks that nothing crashed, that a failure was told in one
line (no traceback, no token), that actions end applied exactly once (or, refused,
rolled back and not applied), and that the cache then shows what the server holds.

The 10-second latency of the issue is scaled down: the emulator holds the answer for
``LATENCY`` (1 s) against a client read timeout of ``READ_TIMEOUT`` (0.25 s), the same
situation (the client gives up while the server goes on to apply the request) without
the wait.

What each cell must end as is written down once, in ``expected``; every cell asserts
that it observed exactly that, and ``tests/README.md`` holds the table rendered from
it (``python -m tests.reliability.test_fault_matrix`` rewrites it; a test checks it is in
step). A handful of cells also run through the real UI with Pilot, at the end.
"""

from __future__ import annotations

import re
import time
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from intercom_tui.api.client import IntercomClient
from intercom_tui.api.errors import ApiError, AuthenticationError, NotFoundError
from intercom_tui.api.retry import RetryPolicy
from intercom_tui.emulator.faults import Fault
from intercom_tui.emulator.server import EmulatorServer
from intercom_tui.emulator.workspace import Workspace
from intercom_tui.service import actions as A
from intercom_tui.service.inbox import ActionFailed, InboxService
from intercom_tui.ui.app import InboxApp
from intercom_tui.ui.screens.conversation import ConversationScreen
from intercom_tui.ui.screens.inbox import InboxScreen
from intercom_tui.ui.widgets.conversation_list import ConversationList
from intercom_tui.ui.widgets.status_bar import StatusBar
from tests.conftest import FIXED_NOW, TOKEN
from tests.harness import make_app, service_for
from tests.reliability.support import (
    ROOT,
    Rig,
    Visible,
    assert_cache_matches_server,
    assert_one_line,
    cached,
    cached_ids,
    on_server,
)

LATENCY = 0.8
READ_TIMEOUT = 0.25
#: What the 429 cells ask the client to wait (seconds); the client must honour it.
RETRY_AFTER = 7

FAULTS = (
    "401",
    "403",
    "404",
    "422",
    "429",
    "500",
    "502",
    "503",
    "timeout",
    "drop",
    "drop_after_apply",
    "truncate",
    "non_json",
    "html",
)
#: What each fault is, for the table.
FAULT_NAMES = {
    "401": "401 unauthorized",
    "403": "403 forbidden",
    "404": "404 not found",
    "422": "422 invalid",
    "429": "429 + Retry-After, X-RateLimit-*",
    "500": "500",
    "502": "502",
    "503": "503",
    "timeout": f"latency {LATENCY:g} s > client timeout {READ_TIMEOUT:g} s",
    "drop": "connection dropped, not applied",
    "drop_after_apply": "connection dropped after applying",
    "truncate": "body cut off mid-response (applied)",
    "non_json": "200 with a non-JSON body",
    "html": "502 HTML page from a proxy",
}
READS = ("sync", "open")
REPLIES = ("reply", "note")
OPS = ("sync", "open", "tag", "untag", "reply", "note", "close", "snooze", "assign")

#: Failures the client retries at once for any request: they say nothing was applied,
#: or the request is a read or an idempotent write.
_RETRIED = frozenset(
    {"429", "500", "502", "503", "timeout", "drop", "drop_after_apply", "truncate", "html"}
)
_REFUSED = frozenset({"403", "404", "422"})

LEGEND = {
    "retried": "the client retried at once; the read succeeded / the action applied once",
    "told": "failed; told in one line; the cache unchanged; fine after recovery",
    "gone": "404 on open: told; the row left the cache; back after recovery",
    "refused": "told in one line; the optimistic change rolled back; never applied",
    "paused": "told (sending stopped); kept queued; sent once after recovery",
    "queued": "kept in the outbox (reason saved); sent once after recovery",
    "checked": "reply outcome unclear; re-reading found it applied; not resent",
    "found": "reply outcome unclear; queued; the later check found it landed; not resent",
}


def expected(op: str, fault: str) -> str:
    """The policy under test (DESIGN.md §3, ``api/retry.py``, ``service/sender.py``)."""
    if op in READS:
        if fault in _RETRIED:
            return "retried"
        return "gone" if (op, fault) == ("open", "404") else "told"
    if fault == "401":
        return "paused"
    if fault in _REFUSED:
        return "refused"
    if op in REPLIES:  # never sent twice blindly: 5xx and lost answers are looked up
        if fault == "429":
            return "retried"
        if fault in ("drop_after_apply", "truncate"):
            return "checked"
        return "found" if fault == "timeout" else "queued"
    return "queued" if fault == "non_json" else "retried"


def make_fault(fault: str, method: str, path: str) -> Fault:
    pattern = f"^{re.escape(path)}$"
    if fault.isdigit():
        headers = {"Retry-After": str(RETRY_AFTER)} if fault == "429" else {}
        return Fault("status", method, pattern, status=int(fault), headers=headers)
    if fault == "timeout":
        return Fault("latency", method, pattern, delay=LATENCY)
    return Fault(fault, method, pattern)


# ---------------------------------------------------------------------------- the cells
@pytest.fixture
async def rig(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Rig]:
    fault = request.node.callspec.params["fault"]
    workspace = Workspace.generate(seed=5, conversations=20, now=FIXED_NOW)
    with EmulatorServer(workspace, token=TOKEN) as server:
        rig = Rig(server, tmp_path / "cache.sqlite3")
        if fault == "timeout":
            rig.read_timeout = READ_TIMEOUT
        rig.open()
        try:
            yield rig
        finally:
            await rig.close()


def assert_told(error: ApiError) -> None:
    assert_one_line(error.user_message)
    assert_one_line(str(error))
    details = repr(error) + "".join(traceback.format_exception(error))
    assert TOKEN not in details


def pick(rig: Rig, want: Callable[[dict], bool]) -> str:
    ws = rig.server.workspace
    for cid in ws.conversation_ids():
        if cid != ws.big_conversation_id and want(ws.conversation(cid)):
            return cid
    raise AssertionError("no conversation fits")


def is_open(data: dict) -> bool:
    return data["state"] == "open"


def parts_of(data: dict) -> list[dict]:
    return data["conversation_parts"]["conversation_parts"]


async def run_read(rig: Rig, op: str, fault: str) -> str:
    svc = rig.svc
    if op == "sync":
        path = "/conversations"
        attempt: Callable[[], Awaitable[object]] = svc.sync
    else:
        await svc.sync()
        cid = pick(rig, is_open)
        path = f"/conversations/{cid}"

        async def attempt() -> object:
            return await svc.fetch_conversation(cid)

    rows_before = cached_ids(svc.cache)
    rig.server.faults.add(make_fault(fault, "GET", path))
    try:
        await attempt()
    except ApiError as error:
        assert_told(error)
        if isinstance(error, NotFoundError) and op == "open":
            assert svc.cache.get_row(cid) is None
            outcome = "gone"
        else:
            assert cached_ids(svc.cache) == rows_before
            if op == "open":
                assert svc.cache.get_thread(cid) is None
            outcome = "told"
    else:
        assert rig.sent("GET", path) >= 2
        outcome = "retried"
    assert not rig.server.faults.pending(), "the fault was never met"
    if fault == "429" and outcome == "retried":
        assert RETRY_AFTER in rig.retry_sleeps.delays
    rig.server.faults.clear()
    await rig.settle()
    await attempt()  # recovery
    if op == "open":
        thread = svc.cache.get_thread(cid)
        assert thread is not None
        server = rig.server.workspace.conversation(cid)
        assert [p["id"] for p in parts_of(thread)] == [p["id"] for p in parts_of(server)]
    assert_cache_matches_server(svc, rig.server)
    return outcome


@dataclass(frozen=True, slots=True)
class Planned:
    """One action on one conversation: what is sent where, and how to see it landed."""

    cid: str
    method: str
    path: str
    queue: Callable[[], object]
    times_applied: Callable[[], int]


def plan(rig: Rig, op: str) -> Planned:
    ws, svc, me = rig.server.workspace, rig.svc, rig.server.workspace.me_id
    if op == "tag":
        tag = ws.tags()["data"][0]
        tid = str(tag["id"])
        cid = pick(rig, lambda c: is_open(c) and tid not in tag_ids(c))
        action = A.tag_action(cid, tid, tag["name"], on=True)
        return Planned(
            cid,
            "POST",
            f"/conversations/{cid}/tags",
            lambda: svc.perform([action]),
            lambda: tag_ids(ws.conversation(cid)).count(tid),
        )
    if op == "untag":
        cid = pick(rig, lambda c: is_open(c) and bool(tag_ids(c)))
        tid = tag_ids(ws.conversation(cid))[0]
        action = A.tag_action(cid, tid, "", on=False)
        return Planned(
            cid,
            "DELETE",
            f"/conversations/{cid}/tags/{tid}",
            lambda: svc.perform([action]),
            lambda: int(tid not in tag_ids(ws.conversation(cid))),
        )
    if op in REPLIES:
        cid = pick(rig, is_open)
        text = f"Matrix {op} {time.monotonic_ns()}"
        part_type = "comment" if op == "reply" else "note"
        return Planned(
            cid,
            "POST",
            f"/conversations/{cid}/reply",
            lambda: svc.send_message(cid, op, text),
            lambda: sum(
                p["part_type"] == part_type and str(p["author"]["id"]) == me and text in p["body"]
                for p in parts_of(ws.conversation(cid))
            ),
        )
    cid = pick(rig, is_open)
    until = int(time.time()) + 7200
    current = on_server(rig.server, cid).admin
    admin = next(str(a["id"]) for a in ws.admins()["admins"] if str(a["id"]) != current)
    changes: dict[str, tuple[A.Action, Callable[[Visible], bool]]] = {
        "close": (A.Action(A.CLOSE, cid), lambda v: v.state == "closed"),
        "snooze": (
            A.Action(A.SNOOZE, cid, {"until": until}),
            lambda v: v.state == "snoozed" and v.snoozed_until == until,
        ),
        "assign": (A.assign_action(cid, "admin", admin), lambda v: v.admin == admin),
    }
    action, landed = changes[op]
    return Planned(
        cid,
        "POST",
        f"/conversations/{cid}/parts",
        lambda: svc.perform([action]),
        lambda: int(landed(on_server(rig.server, cid))),
    )


def tag_ids(data: dict) -> list[str]:
    return [str(t["id"]) for t in data["tags"]["tags"]]


async def run_action(rig: Rig, op: str, fault: str) -> str:
    svc = rig.svc
    await svc.sync()
    planned = plan(rig, op)
    cid, method, path = planned.cid, planned.method, planned.path
    before = cached(svc, cid)
    assert before == on_server(rig.server, cid)
    rig.server.faults.add(make_fault(fault, method, path))
    planned.queue()
    optimistic = cached(svc, cid)
    if op != "note":  # a note changes nothing the list shows
        assert optimistic != before, "the action did not show at once"
    (entry,) = svc.outbox.due(float("inf"))
    rig.events.clear()
    try:
        outcomes = await svc.flush_outbox()
    except AuthenticationError as error:
        assert_told(error)
        assert svc.outbox.pending_count() == 1
        assert cached(svc, cid) == optimistic
        outcome = "paused"
    else:
        (sent,) = outcomes
        failures = [e for e in rig.events if isinstance(e, ActionFailed)]
        if sent.ok:
            looked = rig.sent("GET", f"/conversations/{cid}") > 0
            outcome = "checked" if op in REPLIES and looked else "retried"
            assert rig.sent(method, path) >= (1 if outcome == "checked" else 2)
            assert not failures
        elif sent.final:
            (failure,) = failures
            assert failure.ids == (cid,)
            assert_one_line(failure.message)
            assert cached(svc, cid) == before, "a refused action was not rolled back"
            outcome = "refused"
        else:
            assert not failures
            reason = svc.outbox.get(entry.id)
            assert reason is not None and reason.last_error is not None
            assert_one_line(reason.last_error)
            assert cached(svc, cid) == optimistic
            outcome = "queued"
    assert not rig.server.faults.pending(), "the fault was never met"
    if fault == "429" and outcome == "retried":
        assert RETRY_AFTER in rig.retry_sleeps.delays
    # The network comes back.
    rig.server.faults.clear()
    await rig.settle()
    sent_before = rig.sent(method, path)
    rig.clock.advance(3600)
    await svc.flush_outbox()
    await rig.settle()
    assert svc.outbox.pending_count() == 0
    resent = rig.sent(method, path) - sent_before
    if outcome == "queued" and op in REPLIES and resent == 0:
        outcome = "found"
    assert resent == (1 if outcome in ("paused", "queued") else 0)
    assert planned.times_applied() == (0 if outcome == "refused" else 1)
    if outcome == "refused":
        assert on_server(rig.server, cid) == before
    assert cached(svc, cid) == on_server(rig.server, cid)
    return outcome


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("op", OPS)
async def test_cell(rig: Rig, op: str, fault: str) -> None:
    run = run_read if op in READS else run_action
    assert await run(rig, op, fault) == expected(op, fault)


# ---------------------------------------------------------------------------- the table
README = ROOT / "tests" / "README.md"
BEGIN = "<!-- fault-matrix:begin (python -m tests.reliability.test_fault_matrix) -->"
END = "<!-- fault-matrix:end -->"


def render_table() -> str:
    header = "| fault | " + " | ".join(OPS) + " |"
    rule = "|---|" + "---|" * len(OPS)
    rows = [
        f"| {FAULT_NAMES[f]} | " + " | ".join(expected(op, f) for op in OPS) + " |" for f in FAULTS
    ]
    legend = [f"- **{word}**: {meaning}" for word, meaning in LEGEND.items()]
    return "\n".join([BEGIN, header, rule, *rows, "", *legend, END])


def readme_block(text: str) -> str:
    start, end = text.index(BEGIN), text.index(END) + len(END)
    return text[start:end]


def test_readme_table_is_the_matrix() -> None:
    """The table people read is the one the cells assert, cell for cell."""
    assert set(LEGEND) == {expected(op, f) for op in OPS for f in FAULTS}
    assert readme_block(README.read_text(encoding="utf-8")) == render_table()


# ---------------------------------------------------------------------------- through the UI
SIZE = (120, 36)


@pytest.fixture
async def ui_service(emulator: EmulatorServer) -> AsyncIterator[InboxService]:
    """A synced service whose client (made in the test's loop) retries without waiting."""
    service = await service_for(emulator)

    async def no_wait(_delay: float) -> None:
        return None

    assert service.connection is not None
    service.connection.client = IntercomClient(
        TOKEN, emulator.url, retry=RetryPolicy(max_attempts=2, sleep=no_wait)
    )
    yield service
    await service.aclose()


def notices(app: InboxApp) -> list[str]:
    return [n.message for n in app._notifications]


def inbox_of(app: InboxApp) -> InboxScreen:
    (inbox,) = [s for s in app.screen_stack if isinstance(s, InboxScreen)]
    return inbox


async def test_ui_sync_503_says_sync_failed_and_the_list_stays_usable(
    emulator: EmulatorServer, ui_service: InboxService
) -> None:
    app = make_app(ui_service)
    async with app.run_test(size=SIZE) as pilot:
        emulator.faults.add(Fault("status", "*", ".*", times=None, status=503))
        await pilot.press("R")
        await app.workers.wait_for_complete()
        await pilot.pause()
        status = str(inbox_of(app).query_one(StatusBar).content)
        assert "sync failed: Intercom had a server error (503)" in status
        (failed,) = [n for n in notices(app) if n.startswith("Sync failed")]
        assert_one_line(failed)
        # The list still moves and opens conversations from the cache.
        lst = inbox_of(app).query_one(ConversationList)
        first = lst.current_item
        await pilot.press("j")
        second = lst.current_item
        assert first is not None and second is not None and second.id != first.id
        await pilot.press("enter")
        assert isinstance(app.screen, ConversationScreen)
        assert app.screen.conversation_id == second.id
        await pilot.press("escape")
        assert isinstance(app.screen, InboxScreen)


async def test_ui_open_under_500_shows_the_cached_copy_and_a_warning(
    emulator: EmulatorServer, ui_service: InboxService
) -> None:
    app = make_app(ui_service)
    async with app.run_test(size=SIZE) as pilot:
        lst = inbox_of(app).query_one(ConversationList)
        item = lst.current_item
        assert item is not None
        path = f"^/conversations/{item.id}$"
        emulator.faults.add(Fault("status", "GET", path, times=None, status=500))
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ConversationScreen) and screen.conversation is not None
        header = str(screen.query_one("#conversation-header").content)  # type: ignore[attr-defined]
        assert f"#{item.id}" in header and item.subject[:20] in header
        (warning,) = [n for n in notices(app) if n.startswith("Showing the cached copy")]
        assert "server error (500)" in warning
        assert_one_line(warning)


async def test_ui_close_under_422_rolls_the_row_back(
    emulator: EmulatorServer, ui_service: InboxService
) -> None:
    app = make_app(ui_service)
    async with app.run_test(size=SIZE) as pilot:
        lst = inbox_of(app).query_one(ConversationList)
        await pilot.press("6")  # All: the row stays in view whatever its state
        item = lst.current_item
        assert item is not None and item.state == "open"
        emulator.faults.add(Fault("status", "POST", r"/parts$", times=None, status=422))
        await pilot.press("c")
        shown = lst.current_item
        assert shown is not None and shown.id == item.id and shown.state == "closed"
        outcomes = await app.service.flush_outbox()
        await pilot.pause()
        assert [o.final and not o.ok for o in outcomes] == [True]
        row = lst.current_item
        assert row is not None and row.id == item.id and row.state == "open"
        (failed,) = [n for n in notices(app) if n.startswith("Could not close")]
        assert "422" in failed
        assert_one_line(failed)
        assert on_server(emulator, item.id).state == "open"


async def test_ui_reply_under_401_stops_sending_and_keeps_it(
    emulator: EmulatorServer, ui_service: InboxService
) -> None:
    app = make_app(ui_service)
    async with app.run_test(size=SIZE) as pilot:
        item = inbox_of(app).query_one(ConversationList).current_item
        assert item is not None
        emulator.faults.add(Fault("status", "*", ".*", times=None, status=401))
        app.service.send_message(item.id, A.REPLY, "Reply sent while the token is revoked")
        app.run_outbox()
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        (stopped,) = [n for n in notices(app) if n.startswith("Sending stopped")]
        assert "401" in stopped
        assert_one_line(stopped)
        assert app.service.outbox.pending_count() == 1
        assert "1 pending" in str(inbox_of(app).query_one(StatusBar).content)


if __name__ == "__main__":
    text = README.read_text(encoding="utf-8")
    README.write_text(text.replace(readme_block(text), render_table()), encoding="utf-8")
    print(f"wrote the fault matrix into {README}")
