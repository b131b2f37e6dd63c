"""Compose: drafts saved as you type and restored (also after a restart), esc asks first."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot
from textual.widgets import TextArea

from intercom_tui.emulator.server import EmulatorServer
from intercom_tui.service import actions as A
from intercom_tui.service.inbox import InboxService
from intercom_tui.ui.app import InboxApp
from intercom_tui.ui.screens import compose
from intercom_tui.ui.screens.compose import ComposeScreen, ConfirmDiscard
from intercom_tui.ui.screens.inbox import InboxScreen
from tests.harness import make_app, service_for

SIZE = (100, 30)


@pytest.fixture(autouse=True)
def quick_drafts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Save drafts 50 ms after the last key instead of a second: same path, faster test."""
    monkeypatch.setattr(compose, "SAVE_DELAY", 0.05)


def compose_screen(app: InboxApp) -> ComposeScreen:
    screen = app.screen
    assert isinstance(screen, ComposeScreen)
    return screen


def current_id(app: InboxApp) -> str:
    inbox = app.screen_stack[0]
    assert isinstance(inbox, InboxScreen)
    item = inbox.conversation_list.current_item
    assert item is not None
    return item.id


async def wait_for_draft(
    pilot: Pilot, service: InboxService, cid: str, kind: str, text: str
) -> None:
    """Until the save timer has stored ``text`` (polled, never a fixed sleep)."""
    for _ in range(200):
        if service.cache.get_draft(cid, kind) == text:
            return
        await pilot.pause(0.01)
    raise AssertionError(f"draft is {service.cache.get_draft(cid, kind)!r}, not {text!r}")


async def test_draft_is_saved_while_typing_and_restored(service: InboxService) -> None:
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        cid = current_id(app)
        await pilot.press("r", *"Hello")
        await wait_for_draft(pilot, service, cid, A.REPLY, "Hello")
        assert service.cache.get_draft(cid, A.NOTE) is None  # replies and notes apart

        await pilot.press("escape", "n")  # keep writing
        assert compose_screen(app).text == "Hello"
        await pilot.press("escape", "y")  # discard... the draft is deleted
        assert isinstance(app.screen, InboxScreen)
        assert service.cache.get_draft(cid, A.REPLY) is None

        await pilot.press("r", *"Again")
        await wait_for_draft(pilot, service, cid, A.REPLY, "Again")
        app.pop_screen()  # leave without answering (a crash, a closed SSH session)
        await pilot.pause()
        await pilot.press("r")
        screen = compose_screen(app)
        assert screen.text == "Again"
        area = screen.query_one(TextArea)
        assert area.has_focus and area.cursor_location == area.document.end


async def test_draft_survives_a_restart(emulator: EmulatorServer, service: InboxService) -> None:
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        cid = current_id(app)
        await pilot.press("n", *"Call")
        await wait_for_draft(pilot, service, cid, A.NOTE, "Call")
    service.cache.close()

    # A new process: a new service on the same cache file, a new app.
    again = await service_for(emulator, synced=False)
    try:
        assert again.cache.get_draft(cid, A.NOTE) == "Call"
        app = make_app(again)
        async with app.run_test(size=SIZE) as pilot:
            assert current_id(app) == cid
            await pilot.press("n")
            assert compose_screen(app).text == "Call"
    finally:
        await again.aclose()


async def test_esc_asks_before_dropping_text(service: InboxService) -> None:
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r", "escape")  # empty: leaves at once, nothing to ask
        assert isinstance(app.screen, InboxScreen)

        await pilot.press("r", *"Hm", "escape")
        assert isinstance(app.screen, ConfirmDiscard)
        await pilot.press("escape")  # esc on the question means "no, keep writing"
        assert compose_screen(app).text == "Hm"
        await pilot.press("escape")
        await pilot.click("#yes")
        assert isinstance(app.screen, InboxScreen)
        assert service.outbox.pending_count() == 0


async def test_ctrl_s_with_nothing_written_sends_nothing(service: InboxService) -> None:
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r", *"   ", "enter", "ctrl+s")
        assert compose_screen(app)  # still writing
        assert "Nothing to send." in "\n".join(n.message for n in app._notifications)
        assert service.outbox.pending_count() == 0
