"""The inbox screen against the emulator: order, moving, views, filter, sort, selection."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

import pytest
from rich.cells import cell_len
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import Input, Static

from intercom_tui.emulator.server import EmulatorServer
from intercom_tui.emulator.workspace import Workspace
from intercom_tui.service.inbox import InboxService, SearchRows
from intercom_tui.service.views import View
from intercom_tui.ui.app import InboxApp
from intercom_tui.ui.screens.conversation import ConversationScreen
from intercom_tui.ui.screens.inbox import QUICK_MAX_ROWS, FilterBox, InboxScreen
from intercom_tui.ui.screens.pickers import ViewPicker
from intercom_tui.ui.widgets.conversation_list import ConversationList
from intercom_tui.ui.widgets.key_bar import KeyBar
from tests.harness import make_app

SIZE = (120, 36)
#: What ends every line: "now", "5m", "3h", "2d", "in 3d" (snoozed), "Jan 15", "Mar 4 2024".
TIME_COLUMN = re.compile(r" (now|(in )?\d+[mhd]|[A-Z][a-z]{2} \d+( \d{4})?) $")


def heads(workspace: Workspace) -> list[dict[str, Any]]:
    """Every conversation as ``GET /conversations`` lists it: newest first."""
    out: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = workspace.list_conversations(per_page=150, starting_after=cursor)
        out += page["conversations"]
        following = page["pages"].get("next")
        if not following:
            return out
        cursor = following["starting_after"]


def _id(value: Any) -> str | None:
    return None if value in (None, 0, "0", "") else str(value)


def expected_counts(workspace: Workspace) -> dict[str, int]:
    convs = heads(workspace)
    is_open = [c for c in convs if c["state"] == "open"]
    return {
        "Open": len(is_open),
        "Mine": sum(_id(c["admin_assignee_id"]) == workspace.me_id for c in is_open),
        "Unassigned": sum(
            not _id(c["admin_assignee_id"]) and not _id(c["team_assignee_id"]) for c in is_open
        ),
        "Snoozed": sum(c["state"] == "snoozed" for c in convs),
        "Closed": sum(c["state"] == "closed" for c in convs),
        "All": len(convs),
    }


def inbox(app: InboxApp) -> InboxScreen:
    screen = app.screen
    assert isinstance(screen, InboxScreen)
    return screen


def rows(lst: ConversationList, count: int | None = None) -> list[str]:
    n = lst.row_count if count is None else min(count, lst.row_count)
    return [item.id for i in range(n) if (item := lst.item_at(i)) is not None]


def visible_lines(lst: ConversationList) -> list[str]:
    return [lst.render_line(y).text for y in range(lst.scrollable_content_region.height)]


def bar_text(app: InboxApp) -> str:
    return str(inbox(app).query_one("#view-bar", Static).content)


async def test_rows_are_newest_first_like_the_server(
    emulator: EmulatorServer, service: InboxService
) -> None:
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        lst = inbox(app).conversation_list
        height = lst.scrollable_content_region.height
        expected = [c["id"] for c in heads(emulator.workspace) if c["state"] == "open"]
        assert lst.row_count == len(expected)
        assert rows(lst, height) == expected[:height]
        assert lst.cursor == 0 and lst.current_item is not None
        assert lst.current_item.id == expected[0]
        # What is drawn is those rows: each visible line shows its row's subject.
        for y, line in enumerate(visible_lines(lst)):
            item = lst.item_at(y)
            assert item is not None
            assert item.subject[:20].strip() in line


async def test_cursor_keys_move_and_scroll(service: InboxService) -> None:
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("6")  # All: 300 rows, several pages
        lst = inbox(app).conversation_list
        height = lst.scrollable_content_region.height
        assert lst.row_count == 300

        await pilot.press("j", "j", "down")
        assert lst.cursor == 3
        await pilot.press("k", "up")
        assert lst.cursor == 1
        assert lst.scroll_offset.y == 0

        await pilot.press("pagedown")
        assert lst.cursor == 1 + height - 1
        assert lst.scroll_offset.y == height - 1
        await pilot.press("pagedown")
        assert lst.cursor == 1 + 2 * (height - 1)
        top = int(lst.scroll_offset.y)
        assert top <= lst.cursor < top + height
        await pilot.press("pageup")
        assert lst.cursor == 1 + height - 1
        assert lst.scroll_offset.y == height - 1

        await pilot.press("G")
        assert lst.cursor == 299
        assert lst.scroll_offset.y == 300 - height
        assert lst.current_item is not None and lst.current_item.id == rows(lst)[-1]
        await pilot.press("j")  # past the end: stays
        assert lst.cursor == 299

        await pilot.press("g")
        assert lst.cursor == 0 and lst.scroll_offset.y == 0
        await pilot.press("k")
        assert lst.cursor == 0

        # Stepping off the bottom line scrolls by one line.
        lst.set_cursor(height - 1)
        assert lst.scroll_offset.y == 0
        await pilot.press("j")
        assert lst.cursor == height
        assert lst.scroll_offset.y == 1


async def test_the_scrollbar_follows_the_row_count(
    emulator: EmulatorServer, service: InboxService
) -> None:
    """The list's virtual height is its row count, set without laying out the screen while
    the scrollbar stays: the bar, the bottom and the scroll clamp must still follow it."""
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        lst = inbox(app).conversation_list
        height = lst.scrollable_content_region.height
        counts = expected_counts(emulator.workspace)
        assert height + 1 < counts["Open"] < 300

        await pilot.press("6")
        assert lst.show_vertical_scrollbar
        assert lst.vertical_scrollbar.window_virtual_size == 300
        await pilot.press("1", "G")
        assert lst.vertical_scrollbar.window_virtual_size == counts["Open"]
        assert lst.scroll_offset.y == counts["Open"] - height  # the new bottom, not All's
        last = lst.current_item
        assert last is not None and last.id == rows(lst)[-1]

        await pilot.press("c")  # the last row leaves Open: the bottom moves up by one
        assert lst.row_count == counts["Open"] - 1
        assert lst.vertical_scrollbar.window_virtual_size == counts["Open"] - 1
        assert lst.scroll_offset.y == counts["Open"] - 1 - height
        assert lst.cursor == lst.row_count - 1

        await pilot.press("slash", *"zzzz-no-such-text")  # fewer rows than lines: no bar
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert lst.row_count == 0 and not lst.show_vertical_scrollbar
        await pilot.press("escape", "6")
        await pilot.pause()
        assert lst.show_vertical_scrollbar
        assert lst.vertical_scrollbar.window_virtual_size == 300


async def test_number_keys_switch_views_with_counts_from_the_server(
    emulator: EmulatorServer, service: InboxService
) -> None:
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        counts = expected_counts(emulator.workspace)
        assert all(counts.values())  # the seeded workspace has something in every view
        bar = bar_text(app)
        for n, name in enumerate(["Open", "Mine", "Unassigned", "Snoozed", "Closed", "All"], 1):
            assert f"{n} {name} {counts[name]}" in bar
        lst = inbox(app).conversation_list
        for n, (key, name) in enumerate(
            [
                ("open", "Open"),
                ("mine", "Mine"),
                ("unassigned", "Unassigned"),
                ("snoozed", "Snoozed"),
                ("closed", "Closed"),
                ("all", "All"),
            ],
            1,
        ):
            await pilot.press(str(n))
            assert inbox(app).view_key == key
            assert lst.row_count == counts[name]
            assert lst.cursor == 0
        # Every row of the Snoozed view is snoozed (and the state reaches the row).
        await pilot.press("4")
        assert {lst.item_at(i).state for i in range(lst.row_count)} == {"snoozed"}  # type: ignore[union-attr]


async def test_view_picker_goes_to_a_team_view(
    emulator: EmulatorServer, service: InboxService
) -> None:
    team = emulator.workspace.teams()["teams"][0]
    expected = sum(_id(c["team_assignee_id"]) == str(team["id"]) for c in heads(emulator.workspace))
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("v")
        assert isinstance(app.screen, ViewPicker)
        await pilot.press(*team["name"].split()[0], "enter")
        assert inbox(app).view_key == f"team:{team['id']}"
        assert inbox(app).conversation_list.row_count == expected > 0
        assert f" {team['name']} " in bar_text(app)

        await pilot.press("v", "escape")  # cancelling keeps the view
        assert inbox(app).view_key == f"team:{team['id']}"


async def settled(pilot: Pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def test_filter_narrows_as_you_type_and_esc_clears(
    emulator: EmulatorServer, service: InboxService
) -> None:
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("6")
        screen = inbox(app)
        lst = screen.conversation_list
        await pilot.press("slash")
        box = screen.query_one("#filter", Input)
        assert box.display and box.has_focus
        seen = [lst.row_count]
        for key in "invoice":
            await pilot.press(key)
            await settled(pilot)  # the full-text query runs in a worker
            seen.append(lst.row_count)
        assert seen == sorted(seen, reverse=True)  # every letter narrows (or keeps)
        assert 0 < seen[-1] < 300
        for cid in rows(lst):
            text = str(emulator.workspace.conversation(cid)).lower()
            assert "invoice" in text, cid
        assert "invoice" in str(screen.query_one("#status", Static).content)

        await pilot.press("escape")
        assert not box.display
        assert screen.filter_text == ""
        assert lst.row_count == 300
        assert lst.has_focus


async def test_keys_typed_right_after_slash_go_to_the_filter(service: InboxService) -> None:
    """The filter box is made on the first ``/``: ``r`` right after it filters, it does not
    open a reply (the list's key) while the box is being mounted."""
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        screen = inbox(app)
        assert not screen.query("#filter")  # not on the first frame's path
        await pilot.press("slash", "r", "e")
        await settled(pilot)
        assert app.screen is screen
        assert screen.filter_text == "re"
        assert screen.query_one("#filter", Input).has_focus


async def test_filter_with_no_match_shows_the_empty_text(service: InboxService) -> None:
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash", *"zzqxj", "enter")
        await settled(pilot)
        lst = inbox(app).conversation_list
        assert lst.row_count == 0
        assert lst.has_focus
        assert "No conversations" in lst.render_line(1).text


def _densest_letter(service: InboxService, view: View) -> tuple[str, int]:
    """The one-letter filter matching the most rows of ``view`` (more than a screenful)."""
    counts = {c: service.count(view.with_text(c)) for c in "abcdefghijklmnopqrstuvwxyz"}
    letter = max(counts, key=lambda c: counts[c])
    assert counts[letter] > 60
    return letter, counts[letter]


class HeldCounts:
    """``InboxService.search_count`` held back until ``release()``: the pending state."""

    def __init__(self, service: InboxService, monkeypatch: pytest.MonkeyPatch) -> None:
        self.gate = threading.Event()
        self.asked: list[str] = []
        real = service.search_count

        def held(view: View, *, stop: Callable[[], bool] | None = None) -> int | None:
            self.asked.append(view.filter.text)
            assert self.gate.wait(10)
            return real(view, stop=stop)

        monkeypatch.setattr(service, "search_count", held)

    def release(self) -> None:
        self.gate.set()


async def test_filter_rows_come_with_the_keystroke_and_the_count_after(
    service: InboxService, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = HeldCounts(service, monkeypatch)
    asked: list[int | None] = []
    search_window = service.search_window

    def spied(view: View, offset: int, limit: int, **kwargs: Any) -> SearchRows | None:
        asked.append(kwargs.get("max_rows"))
        return search_window(view, offset, limit, **kwargs)

    monkeypatch.setattr(service, "search_window", spied)
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("6")
        screen = inbox(app)
        lst = screen.conversation_list
        letter, total = _densest_letter(service, screen.current_view)
        await pilot.press("slash", letter)
        assert asked == [QUICK_MAX_ROWS]  # the rows: the UI thread's walk, no worker
        view = screen.current_view
        shown = lst.row_count
        assert 0 < shown < total  # a screenful
        want = [item.id for item in service.window(view, 0, total)]
        assert rows(lst) == want[:shown]
        status = str(screen.query_one("#status", Static).content)
        assert f"counting… · filter “{letter}”" in status

        await pilot.press("enter", "j", "j")  # to the list, two rows down
        assert lst.cursor == 2
        held.release()
        await settled(pilot)
        assert held.asked == [letter]
        assert lst.row_count == total
        assert lst.cursor == 2  # the count grew the list under the cursor
        assert f"{total:,} · filter “{letter}”" in str(screen.query_one("#status", Static).content)
        assert rows(lst) == want  # further rows: the walk near the top, SQL further down
        await pilot.press("G")
        assert lst.current_item is not None and lst.current_item.id == want[-1]


async def test_filter_never_shows_an_older_texts_result(
    service: InboxService, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = HeldCounts(service, monkeypatch)
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("6")
        screen = inbox(app)
        lst = screen.conversation_list
        letter, _ = _densest_letter(service, screen.current_view)
        await pilot.press("slash", letter)
        first = screen.current_view
        await pilot.press("z", "z", "q")  # no match: the walk gives up, a worker decides
        await pilot.pause()
        held.release()  # the first count may only land now, after the text moved on
        await settled(pilot)
        assert screen.filter_text == f"{letter}zzq"
        assert lst.row_count == 0
        assert f" 0 · filter “{letter}zzq”" in str(screen.query_one("#status", Static).content)
        screen._show_count(first, 999)  # a late worker of an older text: ignored
        screen._show_filtered(first, SearchRows([], complete=True))
        assert lst.row_count == 0 and screen.filter_text == f"{letter}zzq"


async def test_a_change_under_a_filter_is_recounted_off_the_ui_thread(
    service: InboxService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Closing a row of a filtered Open view: the row goes at once, the count follows from
    a worker; no full-text count or index runs on the UI thread (it blocks for hundreds of
    ms on a big cache)."""
    on_ui_thread: list[str] = []
    for name in ("count", "index_of"):
        real = getattr(service, name)

        def spy(*args: Any, _real: Any = real, _name: str = name, **kwargs: Any) -> Any:
            view = args[0]
            if view.filter.text and threading.current_thread() is threading.main_thread():
                on_ui_thread.append(_name)
            return _real(*args, **kwargs)

        monkeypatch.setattr(service, name, spy)
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        screen = inbox(app)
        lst = screen.conversation_list
        view = screen.current_view
        counts = {c: service.count(view.with_text(c)) for c in "aeinorst"}
        letter = max(counts, key=lambda c: counts[c])
        await pilot.press("slash", letter, "enter")
        await settled(pilot)
        total = lst.row_count
        assert total == counts[letter]
        closed = lst.current_item
        assert closed is not None and total > 1
        on_ui_thread.clear()

        await pilot.press("c")
        assert lst.current_item is not None and lst.current_item.id != closed.id
        assert closed.id not in rows(lst)
        await settled(pilot)
        assert on_ui_thread == []
        assert lst.row_count == total - 1
        assert f"{total - 1:,} · filter “{letter}”" in str(
            screen.query_one("#status", Static).content
        )
        await pilot.press("S")  # a new sort keeps the filter: rows first, count after
        await settled(pilot)
        assert on_ui_thread == []
        assert lst.row_count == total - 1 and screen.filter_text == letter


class _TwoBoxes(App[None]):
    def compose(self) -> ComposeResult:
        yield FilterBox(id="filter")
        yield Input(id="plain")


async def test_filter_box_scrolls_its_text_like_an_input() -> None:
    """FilterBox only skips the screen layout Input asks for on every keystroke."""
    text = "refund invoice " * 5
    app = _TwoBoxes()
    async with app.run_test(size=(40, 8)) as pilot:
        boxes = [app.query_one("#filter", Input), app.query_one("#plain", Input)]
        for box in boxes:
            box.focus()
            await pilot.pause()
            for char in text:  # what typing does, without a frame per key
                box.insert_text_at_cursor(char)
        await pilot.pause()
        assert boxes[0].value == boxes[1].value == text
        assert boxes[0].virtual_size == boxes[1].virtual_size
        assert boxes[0].scroll_x == boxes[1].scroll_x > 0  # the end of the text stays in view
        for box in boxes:
            box.action_home()
        assert boxes[0].scroll_x == boxes[1].scroll_x == 0


async def test_sort_cycles_to_oldest_waiting_first(
    emulator: EmulatorServer, service: InboxService
) -> None:
    is_open = [c for c in heads(emulator.workspace) if c["state"] == "open"]
    waiting = sorted(
        (c for c in is_open if c.get("waiting_since")),
        key=lambda c: (c["waiting_since"], -c["updated_at"], -int(c["id"])),
    )
    assert 1 < len(waiting) < len(is_open)
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        lst = inbox(app).conversation_list
        newest = rows(lst)
        await pilot.press("S")
        assert rows(lst, len(waiting)) == [c["id"] for c in waiting]
        assert rows(lst) != newest and sorted(rows(lst)) == sorted(newest)
        assert "oldest waiting" in str(inbox(app).query_one("#status", Static).content)
        await pilot.press("S")  # priority first
        flags = [lst.item_at(i).priority for i in range(lst.row_count)]  # type: ignore[union-attr]
        assert flags == sorted(flags, reverse=True) and any(flags)
        await pilot.press("S")  # back to newest
        assert rows(lst) == newest


async def test_cursor_keeps_its_conversation_when_rows_arrive_above(
    emulator: EmulatorServer, service: InboxService
) -> None:
    closed = next(c for c in heads(emulator.workspace) if c["state"] == "closed")
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        lst = inbox(app).conversation_list
        await pilot.press("j", "j", "j", "j", "j")
        before = lst.current_item
        assert before is not None and lst.cursor == 5
        count = lst.row_count

        # A customer writes again on a closed conversation: it reopens at the top of Open.
        emulator.workspace.reply(
            closed["id"], {"type": "user", "message_type": "comment", "body": "Still broken"}
        )
        await app.service.sync()
        await pilot.pause()

        assert lst.row_count == count + 1
        assert rows(lst, 1) == [closed["id"]]
        assert lst.current_item is not None and lst.current_item.id == before.id
        assert lst.cursor == 6
        assert lst.scroll_offset.y == 1  # the highlighted line stays where it was on screen


@pytest.mark.parametrize("width", [80, 99, 100, 110, 120, 200])
async def test_the_key_bar_always_ends_with_help(service: InboxService, width: int) -> None:
    """Hints that do not fit are dropped from the right (the palette hint first), but the
    way to find every key stays on the line."""
    app = make_app(service)
    async with app.run_test(size=(width, 30)) as pilot:
        await pilot.pause()
        bar = inbox(app).query_one(KeyBar)
        assert bar.line.cell_length <= width
        assert [hint.action for hint in bar.shown][-1:] in (["help"], ["command_palette"])
        assert "help" in [hint.action for hint in bar.shown]


@pytest.mark.parametrize("size", [(80, 24), (200, 60)])
async def test_rows_render_at_small_and_large_sizes(
    service: InboxService, size: tuple[int, int]
) -> None:
    app = make_app(service)
    async with app.run_test(size=size) as pilot:
        await pilot.press("6")
        lst = inbox(app).conversation_list
        lines = visible_lines(lst)
        assert len(lines) == size[1] - 3  # view bar, status line, footer
        # The six views and every footer key fit on their lines, help included.
        assert cell_len(bar_text(app)) <= size[0] and "6 All 300" in bar_text(app)
        bar = inbox(app).query_one(KeyBar)
        assert bar.shown and bar.line.cell_length <= size[0]
        assert "help" in [hint.action for hint in bar.shown]
        width = lst.scrollable_content_region.width
        for y, line in enumerate(lines):
            item = lst.item_at(y)
            assert item is not None
            assert cell_len(line) == width
            assert item.contact[:10] in line or "—" in line
            assert item.subject[:15].strip() in line
            assert TIME_COLUMN.search(line), line  # the time column ends the line
        if size[0] >= 150:  # wide: tags and assignee columns
            tagged = next(i for i in range(lst.row_count) if lst.item_at(i).tags)  # type: ignore[union-attr]
            item = lst.item_at(tagged)
            assert item is not None
            assert item.tags[0][:10] in lst.render_line(tagged).text
            assigned = next(i for i in range(len(lines)) if lst.item_at(i).assignee)  # type: ignore[union-attr]
            assert lst.item_at(assigned).assignee[:10] in lines[assigned]  # type: ignore[union-attr]


async def test_select_extend_and_clear(service: InboxService) -> None:
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        lst = inbox(app).conversation_list
        ids = rows(lst, 8)
        await pilot.press("x")
        assert lst.selected == {ids[0]} and lst.cursor == 1
        await pilot.press("x", "k", "x")  # select row 1; back up and unselect it
        assert lst.selected == {ids[0]}
        assert lst.cursor == 2
        await pilot.press("J", "J")
        assert lst.selected == {ids[0], ids[2], ids[3], ids[4]} and lst.cursor == 4
        await pilot.press("K")
        assert lst.selected == {ids[0], ids[2], ids[3], ids[4]} and lst.cursor == 3
        assert sorted(lst.selected_ids()) == sorted(lst.selected)
        assert "4 selected" in str(inbox(app).query_one("#status", Static).content)
        assert lst.render_line(0).text.startswith(" ✓")

        await pilot.press("escape")
        assert lst.selected == set()
        assert lst.selected_ids() == [ids[3]]  # the cursor row when nothing is selected
        assert "selected" not in str(inbox(app).query_one("#status", Static).content)


async def test_enter_opens_the_highlighted_conversation(service: InboxService) -> None:
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        lst = inbox(app).conversation_list
        await pilot.press("j", "j")
        item = lst.current_item
        assert item is not None
        await pilot.press("enter")
        screen = app.screen
        assert isinstance(screen, ConversationScreen)
        assert screen.conversation_id == item.id and screen.index == 2
