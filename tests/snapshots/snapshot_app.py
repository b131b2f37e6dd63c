"""The real app set up for SVG snapshots: everything that moves on its own is held still.

Fixed clock (``FIXED_NOW``), no background sync or sender, a cache filled before the app
starts, and a ``settle`` step that waits for the thread fetch and its streaming, then
stops cursors blinking, so two runs draw the same picture.
"""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from intercom_tui.config import DEFAULT_THEME, Settings
from intercom_tui.emulator.server import EmulatorServer
from intercom_tui.ui.app import InboxApp
from intercom_tui.ui.widgets.thread_view import ThreadView
from tests.harness import make_app, synced_service


def snapshot_app(server: EmulatorServer, theme: str = DEFAULT_THEME) -> InboxApp:
    """The app on a fresh cache synced from ``server``; nothing runs in the background."""
    return make_app(synced_service(server), background=False, settings=Settings(theme=theme))


async def settle(pilot: Pilot) -> None:
    """Wait until nothing is left to arrive, then freeze the cursors."""
    app = pilot.app
    await app.workers.wait_for_complete()
    await pilot.pause()
    for thread in app.screen.query(ThreadView):
        for _ in range(200):  # older parts are laid out a batch per refresh
            if thread.rendered_count == thread.part_count:
                break
            await pilot.pause()
    for screen in app.screen_stack:
        for widget in screen.query("Input, TextArea"):
            assert isinstance(widget, Input | TextArea)
            widget.cursor_blink = False
    await pilot.pause()
