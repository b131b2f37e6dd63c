"""Triage by keys from the inbox and the conversation screen, checked on the emulator.

Actions are optimistic and queued; each test sends the queue with ``flush_outbox`` and
then reads the emulator's own state, so a passing test means the server changed.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static

from intercom_tui.emulator.faults import Fault
from intercom_tui.emulator.server import EmulatorServer
from intercom_tui.service.inbox import InboxService
from intercom_tui.ui.app import InboxApp
from intercom_tui.ui.format import absolute_time
from intercom_tui.ui.screens.compose import ComposeScreen
from intercom_tui.ui.screens.conversation import ConversationScreen
from intercom_tui.ui.screens.inbox import InboxScreen
from intercom_tui.ui.screens.pickers import AssignPicker, SnoozePicker
from intercom_tui.ui.screens.tag_editor import RESET_DELAY, TagEditor
from intercom_tui.ui.widgets.conversation_list import ConversationList
from tests.harness import make_app

SIZE = (120, 36)
BOTH = pytest.mark.parametrize("where", ["inbox", "conversation"])


@pytest.fixture
def now() -> float:
    """Real time: the emulator refuses snoozes that end before its own clock."""
    return float(int(time.time()))


def on_server(emulator: EmulatorServer, cid: str) -> dict[str, Any]:
    return emulator.workspace.conversation(cid)


def tag_ids(data: dict[str, Any]) -> set[str]:
    return {str(t["id"]) for t in data["tags"]["tags"]}


def parts(data: dict[str, Any]) -> list[dict[str, Any]]:
    return data["conversation_parts"]["conversation_parts"]


def notices(app: InboxApp) -> str:
    return "\n".join(n.message for n in app._notifications)


def prompts(screen: object) -> list[str]:
    """The lines of a picker or the tag editor, as shown."""
    assert isinstance(screen, TagEditor | AssignPicker | SnoozePicker)
    options = screen.query_one(OptionList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def filter_cleared(pilot: Pilot) -> None:
    """The tag editor clears its filter ``RESET_DELAY`` after ``enter``: wait for that."""
    editor = pilot.app.screen
    assert isinstance(editor, TagEditor)
    await pilot.pause(RESET_DELAY)
    for _ in range(100):
        if not editor.query_one(Input).value:
            break
        await pilot.pause(0.01)
    await pilot.pause()


def the_list(app: InboxApp) -> ConversationList:
    inbox = app.screen_stack[0]
    assert isinstance(inbox, InboxScreen)
    return inbox.conversation_list


async def target(pilot: Pilot, where: str) -> str:
    """Go to the All view (rows stay put whatever their state) and pick the top row;
    open it when the test is about the conversation screen."""
    app = pilot.app
    assert isinstance(app, InboxApp)
    await pilot.press("6")
    item = the_list(app).current_item
    assert item is not None
    if where == "conversation":
        await pilot.press("enter")
        assert isinstance(app.screen, ConversationScreen)
        await app.workers.wait_for_complete()
        await app.service.flush_outbox()  # opening marks it read; send that first
    return item.id


async def flush(app: InboxApp) -> None:
    outcomes = await app.service.flush_outbox()
    assert outcomes and all(o.ok for o in outcomes), [o.message for o in outcomes]


@BOTH
async def test_tag_attach_then_detach_keeps_the_editor_open(
    emulator: EmulatorServer, service: InboxService, where: str
) -> None:
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        cid = await target(pilot, where)
        name, tid = min(  # a short name: typing costs a frame per key
            (
                (t["name"], str(t["id"]))
                for t in emulator.workspace.tags()["data"]
                if str(t["id"]) not in tag_ids(on_server(emulator, cid))
            ),
            key=lambda t: (len(t[0]), t[0]),
        )
        await pilot.press("t")
        assert isinstance(app.screen, TagEditor)
        await pilot.press(*name, "enter")
        assert isinstance(app.screen, TagEditor)  # stays open for the next tag
        await flush(app)
        assert tid in tag_ids(on_server(emulator, cid))
        await filter_cleared(pilot)
        assert f"☑ {name}" in prompts(app.screen)

        await pilot.press(*name, "enter")  # enter again: off
        await flush(app)
        await filter_cleared(pilot)
        assert tid not in tag_ids(on_server(emulator, cid))
        assert f"☐ {name}" in prompts(app.screen)
        await pilot.press("escape")
        assert not isinstance(app.screen, TagEditor)


async def test_create_a_tag_from_the_editor(
    emulator: EmulatorServer, service: InboxService
) -> None:
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        cid = await target(pilot, "conversation")
        await pilot.press("t", *"Renewal q3")
        assert prompts(app.screen) == ["+ Create tag Renewal q3"]
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await flush(app)
        created = [t for t in emulator.workspace.tags()["data"] if t["name"] == "Renewal q3"]
        assert len(created) == 1
        assert str(created[0]["id"]) in tag_ids(on_server(emulator, cid))
        assert isinstance(app.screen, TagEditor)
        assert "☑ Renewal q3" in prompts(app.screen)


@BOTH
async def test_assign_to_an_admin_a_team_then_unassign(
    emulator: EmulatorServer, service: InboxService, where: str
) -> None:
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        cid = await target(pilot, where)
        before = on_server(emulator, cid)
        admin = next(
            a
            for a in emulator.workspace.admins()["admins"]
            if a["id"] not in (emulator.workspace.me_id, str(before["admin_assignee_id"]))
        )
        team = next(
            t
            for t in emulator.workspace.teams()["teams"]
            if str(t["id"]) != str(before["team_assignee_id"])
        )
        await pilot.press("a")
        assert isinstance(app.screen, AssignPicker)
        await pilot.press(*admin["name"][:3], "enter")  # a few letters pick it
        await flush(app)
        assert str(on_server(emulator, cid)["admin_assignee_id"]) == admin["id"]

        await pilot.press("a", *team["name"][:3], "enter")
        await flush(app)
        after = on_server(emulator, cid)
        assert str(after["team_assignee_id"]) == str(team["id"])
        assert str(after["admin_assignee_id"]) == admin["id"]  # a team leaves the admin

        await pilot.press("a", *"Un", "enter")
        await flush(app)
        after = on_server(emulator, cid)
        assert after["admin_assignee_id"] in (None, 0, "0")
        assert after["team_assignee_id"] in (None, 0, "0")
        assert service.cache.get_row(cid).admin_assignee_id is None  # type: ignore[union-attr]


@BOTH
async def test_close_reopen_snooze_and_read(
    emulator: EmulatorServer, service: InboxService, now: float, where: str
) -> None:
    app = make_app(service, clock=lambda: now)
    async with app.run_test(size=SIZE) as pilot:
        cid = await target(pilot, where)
        assert on_server(emulator, cid)["state"] != "closed"
        await pilot.press("c")
        assert service.cache.get_row(cid).state == "closed"  # type: ignore[union-attr]
        await flush(app)
        assert on_server(emulator, cid)["state"] == "closed"

        await pilot.press("o")
        await flush(app)
        assert on_server(emulator, cid)["state"] == "open"

        await pilot.press("z")
        assert isinstance(app.screen, SnoozePicker)
        await pilot.press("enter")  # the first preset: in 1 hour
        await flush(app)
        data = on_server(emulator, cid)
        assert data["state"] == "snoozed" and data["snoozed_until"] == now + 3600

        await pilot.press("z", "2", "h", "enter")
        await flush(app)
        assert on_server(emulator, cid)["snoozed_until"] == now + 7200

        read = on_server(emulator, cid)["read"]
        await pilot.press("u")
        await flush(app)
        assert on_server(emulator, cid)["read"] is (not read)
        await pilot.press("u")
        await flush(app)
        assert on_server(emulator, cid)["read"] is read


async def test_a_snooze_in_the_past_is_refused_in_the_picker(
    emulator: EmulatorServer, service: InboxService, now: float
) -> None:
    app = make_app(service, clock=lambda: now)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("z", *"yesterday", "enter")
        assert isinstance(app.screen, SnoozePicker)
        assert "Not a future time" in str(app.screen.query_one("#snooze-error", Static).content)
        await pilot.press("escape")
        assert service.outbox.pending_count() == 0


async def test_dialogs_are_kept_between_uses_and_start_afresh(
    emulator: EmulatorServer, service: InboxService, now: float
) -> None:
    """The snooze picker and the tag editor are installed once (closing one used to remove
    it, in the frame that shows the choice); each use starts from its own arguments."""
    clock = [now]
    app = make_app(service, clock=lambda: clock[0])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("6")  # All: rows stay put whatever their state
        await pilot.press("z", *"yesterday", "enter")
        picker = app.screen
        assert isinstance(picker, SnoozePicker)
        assert "Not a future time" in str(picker.query_one("#snooze-error", Static).content)
        await pilot.press("escape")

        clock[0] = now + 2 * 86400
        await pilot.press("z")
        assert app.screen is picker  # the same screen, not composed again
        assert picker.query_one(Input).value == ""
        assert str(picker.query_one("#snooze-error", Static).content) == ""
        in_an_hour = absolute_time(clock[0] + 3600, now=clock[0])
        assert prompts(picker)[0] == f"In 1 hour  {in_an_hour}"
        await pilot.press("enter")
        assert service.outbox.pending_count() == 1  # one snooze, from the new clock
        entry = service.outbox.due(float("inf"))[0]
        assert entry.payload["params"]["until"] == clock[0] + 3600

        first = the_list(app).current_item
        await pilot.press("t", *"vi")
        editor = app.screen
        assert isinstance(editor, TagEditor) and first is not None
        assert editor.conversation_ids == [first.id]
        await pilot.press("escape", "j")
        second = the_list(app).current_item
        assert second is not None and second.id != first.id
        await pilot.press("t")
        assert app.screen is editor
        assert editor.conversation_ids == [second.id]
        assert str(editor.query_one(".dialog-title", Static).content) == f"Tags · #{second.id}"
        assert editor.query_one(Input).value == ""
        applied = {
            t.name for t in service.tags() if t.id in tag_ids(on_server(emulator, second.id))
        }
        shown_on = {line[2:] for line in prompts(editor) if line.startswith("☑")}
        assert shown_on == applied


async def test_the_tag_filter_clears_after_the_tagged_row_keeping_keys_typed_since(
    emulator: EmulatorServer, service: InboxService
) -> None:
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t", *"vi")
        editor = app.screen
        assert isinstance(editor, TagEditor)
        box = editor.query_one(Input)
        box.value = "vipx"  # "vi", enter, then "px" typed before the filter cleared
        editor._reset_filter("vi")
        assert box.value == "px" and box.cursor_position == 2
        editor._reset_filter("zz")  # edited since: not a type-ahead, all of it goes
        assert box.value == ""
        box.value = "abc"
        editor._reset_filter(None)
        assert box.value == ""
        await pilot.pause()
        assert len(prompts(editor)) == len(service.tags())  # the whole list is back


@BOTH
async def test_reply_and_note_each_add_exactly_one_part(
    emulator: EmulatorServer, service: InboxService, where: str
) -> None:
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        cid = await target(pilot, where)
        count = len(parts(on_server(emulator, cid)))

        await pilot.press("r")
        assert isinstance(app.screen, ComposeScreen)
        await pilot.press(*"Fixed!", "ctrl+s")
        assert not isinstance(app.screen, ComposeScreen)
        await flush(app)
        assert await app.service.flush_outbox() == []  # nothing left: never sent twice
        added = parts(on_server(emulator, cid))[count:]
        assert [p["part_type"] for p in added] == ["comment"]
        assert "Fixed!" in added[0]["body"]
        assert added[0]["author"]["id"] == emulator.workspace.me_id

        await pilot.press("n", *"Plan", "ctrl+s")
        await flush(app)
        added = parts(on_server(emulator, cid))[count + 1 :]
        assert [p["part_type"] for p in added] == ["note"]
        assert "Plan" in added[0]["body"]


async def test_bulk_close_of_fifty_selected_rows(
    emulator: EmulatorServer, service: InboxService
) -> None:
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        lst = the_list(app)
        open_before = lst.row_count
        await pilot.press(*["J"] * 49)
        assert len(lst.selected) == 50
        chosen = set(lst.selected)
        await pilot.press("c")
        assert "Closed: 50 conversations" in notices(app)
        assert lst.selected == set()
        assert lst.row_count == open_before - 50  # gone from Open at once
        await flush(app)
        states = {on_server(emulator, cid)["state"] for cid in chosen}
        assert states == {"closed"}
        assert service.outbox.pending_count() == 0


async def test_bulk_tags_show_partial_state_and_set_on_all(
    emulator: EmulatorServer, service: InboxService
) -> None:
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        lst = the_list(app)
        first = on_server(emulator, lst.item_at(0).id)  # type: ignore[union-attr]
        other, tid = next(
            (i, tid)
            for i in range(1, lst.row_count)
            for tid in sorted(tag_ids(first))
            if tid not in tag_ids(on_server(emulator, lst.item_at(i).id))  # type: ignore[union-attr]
        )
        name = next(t["name"] for t in first["tags"]["tags"] if str(t["id"]) == tid)
        await pilot.press("x")
        lst.set_cursor(other)
        await pilot.press("x")
        chosen = set(lst.selected)
        assert len(chosen) == 2

        await pilot.press("t")
        editor = app.screen
        assert isinstance(editor, TagEditor)
        assert f"◐ {name}" in prompts(editor)
        await pilot.press(*name, "enter")
        await filter_cleared(pilot)
        assert f"☑ {name}" in prompts(editor)
        await pilot.press("escape")
        await flush(app)
        for cid in chosen:
            assert tid in tag_ids(on_server(emulator, cid))


async def test_ctrl_z_undoes_a_close_on_the_server(
    emulator: EmulatorServer, service: InboxService
) -> None:
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        cid = await target(pilot, "inbox")
        state = on_server(emulator, cid)["state"]
        assert state != "closed"
        await pilot.press("c")
        await flush(app)
        assert on_server(emulator, cid)["state"] == "closed"
        await pilot.press("ctrl+z")
        assert "Undone: close" in notices(app)
        await flush(app)
        assert on_server(emulator, cid)["state"] == state


async def test_a_refused_close_is_rolled_back_with_a_notification(
    emulator: EmulatorServer, service: InboxService
) -> None:
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        lst = the_list(app)
        cid = lst.current_item.id  # type: ignore[union-attr]
        count = lst.row_count
        emulator.faults.add(Fault(kind="status", status=404, method="POST", path=r"/parts$"))
        await pilot.press("c")
        assert lst.row_count == count - 1  # optimistic: gone from Open at once
        outcomes = await app.service.flush_outbox()
        assert [o.ok for o in outcomes] == [False]
        await pilot.pause()
        assert lst.row_count == count
        index = service.index_of(service.view("open"), cid)
        assert index is not None
        assert lst.item_at(index).state == "open"  # type: ignore[union-attr]
        assert f"Could not close on #{cid}" in notices(app)
        assert on_server(emulator, cid)["state"] == "open"
        assert service.outbox.pending_count() == 0


async def test_a_hostile_error_message_is_shown_as_plain_text(
    emulator: EmulatorServer, service: InboxService
) -> None:
    """Server text in a notification is never parsed as markup (a stray ``[/x]`` used to
    crash the app) and loses its escape sequences."""
    body = (
        b'{"type": "error.list", "request_id": "r1", "errors": [{"code": "parameter_invalid",'
        b' "message": "name [/x] is taken \\u001b]52;c;aGk=\\u0007"}]}'
    )
    emulator.faults.add(Fault(kind="status", status=422, method="POST", path=r"^/tags$", body=body))
    app = make_app(service)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("t", *"Zq", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        shown = notices(app)
        assert "Could not create tag" in shown and "[/x]" in shown
        assert "\x1b" not in shown
        assert isinstance(app.screen, TagEditor)  # still running, still editing


async def test_the_status_line_says_why_an_action_is_still_pending(
    emulator: EmulatorServer, service: InboxService
) -> None:
    app = make_app(service)
    emulator.faults.add(Fault(kind="status", status=503, method="POST", path=r"/parts$", times=20))
    async with app.run_test(size=(160, 36)) as pilot:
        await target(pilot, "inbox")
        await pilot.press("c")
        outcomes = await app.service.flush_outbox()
        assert outcomes and not outcomes[0].ok and not outcomes[0].final  # kept, to retry
        await pilot.pause()
        status = str(app.screen.query_one("#status", Static).content)
        assert "1 pending" in status and "retrying:" in status and "503" in status
