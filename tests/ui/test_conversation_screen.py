"""The conversation screen against the emulator: thread, walking the list, read, sidebar."""

from __future__ import annotations

import contextlib
import html
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from intercom_tui.emulator.faults import Fault
from intercom_tui.emulator.server import EmulatorServer
from intercom_tui.service.inbox import InboxService, ReferenceChanged
from intercom_tui.ui.app import InboxApp
from intercom_tui.ui.screens.conversation import ConversationScreen
from intercom_tui.ui.screens.inbox import InboxScreen
from intercom_tui.ui.widgets.key_bar import KeyBar
from intercom_tui.ui.widgets.sidebar import Sidebar
from intercom_tui.ui.widgets.thread_view import ThreadView
from tests.fakes import ArrivedLater
from tests.harness import make_app

SIZE = (120, 36)


def conversation_screen(app: InboxApp) -> ConversationScreen:
    screen = app.screen
    assert isinstance(screen, ConversationScreen)
    return screen


@contextlib.asynccontextmanager
async def first_row_opened(
    service: InboxService, size: tuple[int, int] = SIZE
) -> AsyncIterator[tuple[InboxApp, Pilot, ConversationScreen]]:
    """The app with the inbox's first row opened (``enter``)."""
    app = make_app(service)
    async with app.run_test(size=size) as pilot:
        await pilot.press("enter")
        yield app, pilot, conversation_screen(app)


def inbox(app: InboxApp) -> InboxScreen:
    screen = app.screen_stack[0]
    assert isinstance(screen, InboxScreen)
    return screen


async def settle(pilot: Pilot, thread: ThreadView) -> None:
    """Wait for the fetch, then for every part to be laid out (streaming is per refresh)."""
    await pilot.app.workers.wait_for_complete()
    for _ in range(500):
        await pilot.pause()
        if thread.part_count and thread.rendered_count == thread.part_count:
            return
    raise AssertionError(f"{thread.rendered_count} of {thread.part_count} parts laid out")


def squashed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def first_words(body: str | None) -> str:
    """The start of a part's first run of text, spaces dropped (lines wrap anywhere)."""
    for chunk in re.split(r"<[^>]*>", body or ""):
        text = squashed(html.unescape(chunk))
        if len(text) >= 4:
            return text[:14]
    return ""


def part_ids(data: dict[str, Any]) -> list[str]:
    return [str(p["id"]) for p in data["conversation_parts"]["conversation_parts"]]


async def test_enter_shows_the_source_and_every_part_in_order(
    emulator: EmulatorServer, service: InboxService
) -> None:
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        lst = app.screen.conversation_list  # type: ignore[attr-defined]
        # Pick the open conversation with the most parts among the first rows.
        ws = emulator.workspace
        candidates = [lst.item_at(i).id for i in range(10)]
        cid = max(candidates, key=lambda c: len(part_ids(ws.conversation(c))))
        lst.set_cursor(candidates.index(cid))
        await pilot.press("enter")
        screen = conversation_screen(app)
        thread = screen.query_one(ThreadView)
        await settle(pilot, thread)

        expected = ws.conversation(cid)
        ids = part_ids(expected)
        assert len(ids) >= 3
        assert screen.conversation is not None
        assert [p.id for p in screen.conversation.parts] == ids
        assert thread.part_count == len(ids)

        text = squashed(thread.text)
        position = 0
        bodies = [expected["source"]["body"]] + [
            p["body"] for p in expected["conversation_parts"]["conversation_parts"]
        ]
        found = 0
        for body in bodies:
            words = first_words(body)
            if not words:
                continue
            at = text.find(words, position)
            assert at >= 0, f"{words!r} missing or out of order"
            position = at + len(words)
            found += 1
        assert found >= 2
        title = expected["title"] or expected["source"]["subject"]
        header = str(screen.query_one("#conversation-header").content)  # type: ignore[attr-defined]
        assert f"#{cid}" in header and title[:20] in header


async def test_the_500_part_conversation_opens_and_streams_in(
    emulator: EmulatorServer, service: InboxService
) -> None:
    big = emulator.workspace.big_conversation_id
    assert big is not None
    expected = part_ids(emulator.workspace.conversation(big))
    assert len(expected) == 500
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        app.open_conversation(big)
        await pilot.pause()
        screen = conversation_screen(app)
        thread = screen.query_one(ThreadView)
        await settle(pilot, thread)
        assert thread.part_count == thread.rendered_count == 500
        assert screen.conversation is not None
        assert [p.id for p in screen.conversation.parts] == expected
        assert thread.is_anchored  # the newest part is at the bottom, in view
        assert thread.scroll_y == thread.max_scroll_y > 0


async def test_brackets_walk_the_list_and_esc_returns_to_the_same_row(
    service: InboxService,
) -> None:
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        lst = app.screen.conversation_list  # type: ignore[attr-defined]
        await pilot.press("6", "G", "k")  # All view, last but one row: scrolled
        start = lst.cursor
        top = lst.scroll_offset.y
        assert top > 0
        ids = [lst.item_at(start + i).id for i in (-1, 0, 1)]  # type: ignore[union-attr]

        await pilot.press("enter")
        screen = conversation_screen(app)
        assert screen.conversation_id == ids[1]
        await pilot.press("escape")
        assert isinstance(app.screen, InboxScreen)
        assert lst.cursor == start and lst.scroll_offset.y == top

        await pilot.press("enter", "right_square_bracket")
        screen = conversation_screen(app)
        assert screen.conversation_id == ids[2] and screen.index == start + 1
        assert inbox(app).conversation_list.cursor == start + 1
        await pilot.press("right_square_bracket")  # the last row: nowhere to go
        assert screen.conversation_id == ids[2]
        assert "No more conversations" in "\n".join(n.message for n in app._notifications)
        await pilot.press("left_square_bracket", "left_square_bracket")
        assert screen.conversation_id == ids[0] and screen.index == start - 1
        await app.workers.wait_for_complete()
        assert screen.conversation is not None and screen.conversation.id == ids[0]

        await pilot.press("escape")
        assert isinstance(app.screen, InboxScreen)
        assert lst.cursor == start - 1
        assert lst.current_item is not None and lst.current_item.id == ids[0]


async def test_closing_then_next_does_not_skip_the_row_that_moved_up(
    service: InboxService,
) -> None:
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        lst = app.screen.conversation_list  # type: ignore[attr-defined]
        await pilot.press("j", "j")  # Open view
        ids = [lst.item_at(i).id for i in (2, 3)]  # type: ignore[union-attr]
        await pilot.press("enter", "c")  # closing removes it from Open...
        assert service.cache.get_row(ids[0]).state == "closed"  # type: ignore[union-attr]
        await pilot.press("right_square_bracket")
        screen = conversation_screen(app)
        assert screen.conversation_id == ids[1]  # ...and ] goes to the one below it


async def test_opening_marks_the_conversation_read_on_the_server(
    emulator: EmulatorServer, service: InboxService
) -> None:
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        lst = app.screen.conversation_list  # type: ignore[attr-defined]
        index = next(i for i in range(lst.row_count) if not lst.item_at(i).read)
        cid = lst.item_at(index).id
        assert emulator.workspace.conversation(cid)["read"] is False
        lst.set_cursor(index)
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await app.service.flush_outbox()
        assert emulator.workspace.conversation(cid)["read"] is True
        await pilot.press("escape")
        assert lst.item_at(index).read  # type: ignore[union-attr]


async def test_s_toggles_the_sidebar(service: InboxService) -> None:
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        screen = conversation_screen(app)
        sidebar = screen.query_one(Sidebar)
        thread = screen.query_one(ThreadView)
        assert not screen.has_class("-narrow")
        assert sidebar.display and sidebar.region.x > thread.region.x
        width = thread.region.width
        await pilot.press("s")
        assert not sidebar.display
        assert thread.region.width > width
        await pilot.press("s")
        assert sidebar.display and thread.region.width == width


async def test_sidebar_folds_under_the_thread_when_narrow(service: InboxService) -> None:
    app = make_app(service)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        screen = conversation_screen(app)
        sidebar = screen.query_one(Sidebar)
        thread = screen.query_one(ThreadView)
        assert screen.has_class("-narrow")
        assert sidebar.region.y >= thread.region.bottom
        assert sidebar.region.width >= 78 and thread.region.width >= 78
        assert thread.region.height >= 5
        bar = screen.query_one(KeyBar)
        assert bar.shown and bar.line.cell_length <= 80
        assert {"back", "step(1)", "help"} <= {hint.action for hint in bar.shown}


async def test_the_screen_is_kept_and_shows_only_the_conversation_opened_next(
    emulator: EmulatorServer, service: InboxService
) -> None:
    """One conversation screen for the session: opened again it must show the new
    conversation from its first frame, never what the last one left behind."""
    async with first_row_opened(service) as (app, pilot, screen):
        lst = inbox(app).conversation_list
        first = screen.conversation_id
        thread = screen.query_one(ThreadView)
        await settle(pilot, thread)
        await pilot.press("s")  # the sidebar choice stays for the session
        first_text = thread.text
        await pilot.press("escape", "j")
        assert isinstance(app.screen, InboxScreen)
        second = lst.current_item.id
        assert second != first
        await pilot.press("enter")
        assert app.screen is screen and screen.conversation_id == second
        assert screen.conversation is not None and screen.conversation.id == second
        header = str(screen.query_one("#conversation-header").content)  # type: ignore[attr-defined]
        assert f"#{second}" in header and f"#{first}" not in header
        await settle(pilot, thread)
        words = first_words(emulator.workspace.conversation(second)["source"]["body"])
        assert words and words in squashed(thread.text) and thread.text != first_text
        assert not screen.query_one(Sidebar).display
        assert [type(s) for s in app.screen_stack] == [InboxScreen, ConversationScreen]

        app.open_conversation(first)  # as the palette's "open #ID" does, from this screen
        await pilot.pause()
        assert app.screen is screen and len(app.screen_stack) == 2
        assert screen.conversation_id == first and screen.index is None


async def test_a_kept_screen_follows_a_resize_made_while_it_was_away(
    service: InboxService,
) -> None:
    async with first_row_opened(service) as (app, pilot, screen):
        assert not screen.has_class("-narrow")
        await pilot.press("escape")
        await pilot.resize_terminal(80, 24)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is screen and screen.has_class("-narrow")
        thread, sidebar = screen.query_one(ThreadView), screen.query_one(Sidebar)
        assert sidebar.region.y >= thread.region.bottom and thread.region.width >= 78


async def test_a_conversation_not_cached_shows_no_sidebar_of_the_last_one(
    service: InboxService,
) -> None:
    async with first_row_opened(service) as (app, pilot, screen):
        sidebar = screen.query_one(Sidebar)
        await app.workers.wait_for_complete()
        assert sidebar.text
        await pilot.press("escape")
        app.open_conversation("987654321")  # in no cache, and a 404 on the server
        await pilot.pause()
        assert app.screen is screen and sidebar.text == ""
        await app.workers.wait_for_complete()
        header = str(screen.query_one("#conversation-header").content)  # type: ignore[attr-defined]
        assert "no longer exists" in header and sidebar.text == ""


async def test_the_sidebar_of_the_next_conversation_starts_at_its_top(
    service: InboxService,
) -> None:
    async with first_row_opened(service, (120, 16)) as (app, pilot, screen):
        sidebar = screen.query_one(Sidebar)
        await app.workers.wait_for_complete()
        await pilot.pause()
        sidebar.scroll_to(y=sidebar.max_scroll_y, animate=False, immediate=True)
        assert sidebar.scroll_y > 0
        await pilot.press("escape", "j", "enter")
        await pilot.pause()
        assert app.screen is screen and sidebar.scroll_y == 0


async def test_going_back_stops_the_fetch_of_the_conversation_left(
    emulator: EmulatorServer, service: InboxService
) -> None:
    """The screen is kept, so Textual does not cancel its workers when it is popped."""
    fetch = Fault(kind="latency", method="GET", path=r"^/conversations/\d+$", delay=2.0)
    emulator.faults.add(fetch)
    async with first_row_opened(service) as (app, pilot, screen):
        await pilot.pause()
        fetches = [w for w in app.workers if w.group == "thread" and w.node is screen]
        assert fetches and all(w.is_running for w in fetches)
        await pilot.press("escape")
        await pilot.pause()
        assert all(w.is_cancelled for w in fetches)
        assert not app._notifications  # no "Showing the cached copy" on the inbox


async def test_open_from_the_palette_over_a_reply_leaves_the_reply_as_it_was(
    service: InboxService,
) -> None:
    async with first_row_opened(service) as (app, pilot, screen):
        first, other = screen.conversation_id, inbox(app).conversation_list.item_at(3).id
        await pilot.press("r")
        compose = app.screen
        await pilot.press("ctrl+p")
        await pilot.press(*f"#{other}", "enter")
        await pilot.pause()
        top = conversation_screen(app)
        assert top is not screen and top.conversation_id == other
        assert app.screen_stack[-2] is compose and screen.conversation_id == first
        await pilot.press("escape")
        assert app.screen is compose

        await pilot.press("escape")  # nothing typed: the reply closes without asking
        assert app.screen is screen
        await pilot.press("ctrl+p")
        await pilot.press(*f"#{other}", "enter")
        await pilot.pause()
        assert app.screen is screen and screen.conversation_id == other
        assert len(app.screen_stack) == 2


async def test_a_reply_on_the_server_appears_after_a_sync(
    emulator: EmulatorServer, service: InboxService
) -> None:
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        screen = conversation_screen(app)
        thread = screen.query_one(ThreadView)
        await settle(pilot, thread)
        before = thread.part_count
        emulator.workspace.reply(
            screen.conversation_id,
            {"type": "user", "message_type": "comment", "body": "<p>Any news on this one?</p>"},
        )
        await app.service.sync()
        await settle(pilot, thread)
        assert thread.part_count == before + 1
        assert "Any news on this one?" in thread.text
        assert thread.is_anchored


async def test_opened_from_the_command_line_the_inbox_is_built_on_the_way_back(
    emulator: EmulatorServer, service: InboxService
) -> None:
    """``--open ID``: the inbox under it stays empty until shown, then shows that row."""
    view = service.view("open")
    cid = service.window(view, 30, 1)[0].id  # well down the list: the cursor must move
    app = make_app(service, open_conversation=cid)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = conversation_screen(app)
        assert screen.conversation_id == cid
        assert screen.query_one(ThreadView).part_count > 0
        # Its sheet was read with the app's, so the layout holds: the sidebar sits right.
        assert screen.query_one(Sidebar).region.x > screen.query_one(ThreadView).region.x
        under = inbox(app)
        assert not under.built and not under.children

        await pilot.press("escape")
        await pilot.pause()
        await pilot.pause()
        assert app.screen is under and under.built
        lst = under.conversation_list
        assert lst.has_focus
        assert lst.current_item is not None and lst.current_item.id == cid
        assert lst.scroll_offset.y <= lst.cursor < lst.scroll_offset.y + lst.size.height
        assert "Open" in str(under.query_one("#view-bar", Static).content)


async def test_names_learnt_after_opening_replace_the_ids(
    emulator: EmulatorServer, service: InboxService
) -> None:
    """A first sync can bring teammates' and teams' names after a conversation opened
    (``--demo --open``): the thread stops saying "#5017709" for them."""
    workspace = emulator.workspace

    def assigned_to_a_team(cid: str) -> bool:
        parts = workspace.conversation(cid)["conversation_parts"]["conversation_parts"]
        return any((p.get("assigned_to") or {}).get("type") == "team" for p in parts)

    cid = next(filter(assigned_to_a_team, workspace.conversation_ids()))
    service.directory.load(admins=[], teams=[])  # as before the first sync
    app = make_app(service, open_conversation=cid)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        thread = conversation_screen(app).query_one(ThreadView)
        await settle(pilot, thread)
        assert re.search(r"assigned to #\d+", thread.text)
        service.reload_directory()
        service.emit(ReferenceChanged())
        await pilot.pause()
        await pilot.pause()
        assert not re.search(r"assigned to #\d+", thread.text)
        team_names = {t.name for t in service.directory.teams.values()}
        assert any(f"assigned to {name}" in thread.text for name in team_names)


async def test_a_conversation_that_does_not_exist_says_so(service: InboxService) -> None:
    """``--open`` with a wrong id: told once, and the header stops saying "Loading…"."""
    app = make_app(service, open_conversation="999999")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        header = str(conversation_screen(app).query_one("#conversation-header").content)  # type: ignore[attr-defined]
        assert "no longer exists" in header and "Loading" not in header


async def _prefetched_open(
    emulator: EmulatorServer, service: InboxService, *, arrived: bool, unread: bool = False
) -> tuple[str, int, ArrivedLater]:
    """A conversation with parts, not cached as a thread, and its prefetch (real JSON)."""
    items = service.window(service.view("all"), 0, 80)
    cid = max(
        (item.id for item in items if not (unread and item.read)),
        key=lambda c: len(
            emulator.workspace.conversation(c)["conversation_parts"]["conversation_parts"]
        ),
    )
    assert service.cache.get_thread(cid) is None
    raw = await service.client.get_conversation_raw(cid)
    service.prefetch = ArrivedLater(cid, raw, arrived=arrived)  # type: ignore[assignment]
    parts = len(raw["conversation_parts"]["conversation_parts"])
    assert parts > 3
    return cid, parts, service.prefetch  # type: ignore[return-value]


def conversation_gets(emulator: EmulatorServer, cid: str) -> int:
    return sum(r.method == "GET" and r.path == f"/conversations/{cid}" for r in emulator.requests)


@pytest.mark.parametrize("arrived", [True, False], ids=["arrived", "on-its-way"])
async def test_a_prefetched_conversation_is_shown_cached_and_not_fetched_again(
    emulator: EmulatorServer, service: InboxService, arrived: bool
) -> None:
    """``--open``: a thread the start-up prefetch brought is whole as the screen is built
    (before any pause: not a frame later); one still on its way is waited for, over the
    cached list item. Either way it is cached afterwards and not fetched again."""
    cid, parts, prefetch = await _prefetched_open(emulator, service, arrived=arrived)
    before = conversation_gets(emulator, cid)
    app = make_app(service, open_conversation=cid)
    async with app.run_test(size=SIZE) as pilot:
        screen = conversation_screen(app)
        thread = screen.query_one(ThreadView)
        if arrived:
            assert thread.part_count == parts
        else:
            await pilot.pause()
            assert thread.part_count == 0  # the cached list item: its opening message only
            assert f"#{cid}" in str(screen.query_one("#conversation-header", Static).content)
            prefetch.arrive()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert thread.part_count == parts
        assert service.cache.get_thread(cid) is not None
    assert conversation_gets(emulator, cid) == before


async def test_a_prefetched_unread_conversation_is_marked_read_and_kept_whole(
    emulator: EmulatorServer, service: InboxService
) -> None:
    """Opening marks it read after the prefetch was taken: neither the re-show that the
    change triggers nor the copy cached afterwards may drop its parts or undo "read"."""
    cid, parts, _ = await _prefetched_open(emulator, service, arrived=True, unread=True)
    app = make_app(service, open_conversation=cid)
    async with app.run_test(size=SIZE) as pilot:
        screen = conversation_screen(app)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert screen.conversation is not None
        assert len(screen.conversation.parts) == parts  # what `e` exports, `r` quotes
        assert screen.conversation.read
        assert re.search(r"Read +yes", screen.query_one(Sidebar).text)
    row = service.cache.get_row(cid)
    assert row is not None and row.read  # the cached copy keeps the queued "read"
    assert [e.kind for e in service.outbox.due(float("inf"))] == ["read"]
