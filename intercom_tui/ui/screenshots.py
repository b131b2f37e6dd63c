"""``make screenshots``: SVGs of every screen, drawn from the demo workspace.

``python -m intercom_tui.ui.screenshots DIR`` starts the emulator in-process on loopback
with the demo data (``Workspace.generate(seed=1)``, the data ``intercom-tui --demo``
shows), syncs it into an in-memory cache and walks the real app through its screens at
120x36. The clock, the time zone and the cursors are held still, the user's config is
left out and nothing runs in the background, so running it twice writes identical files.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from intercom_tui.config import Settings
from intercom_tui.emulator.server import EmulatorServer
from intercom_tui.emulator.workspace import DEMO_TOKEN, Workspace
from intercom_tui.service.inbox import Connection, InboxService
from intercom_tui.store.cache import Cache
from intercom_tui.ui.app import InboxApp
from intercom_tui.ui.widgets.thread_view import ThreadView

#: "Now" in every screenshot: 2026-01-15 12:00 UTC, a Thursday.
NOW = 1768478400
SIZE = (120, 36)


@dataclass(frozen=True, slots=True)
class Shot:
    """One picture: the keys that lead to it from the previous one, and its file name."""

    name: str
    keys: tuple[str, ...]
    back: tuple[str, ...] = ()


SHOTS = (
    Shot("inbox", ()),
    Shot("tag-editor", ("t",), back=("escape",)),
    Shot("assign-picker", ("a",), back=("escape",)),
    Shot("snooze-picker", ("z",), back=("escape",)),
    Shot("help", ("question_mark",), back=("escape",)),
    Shot("conversation", ("enter",)),
    Shot("compose", ("r", *"Thanks for your patience: the fix ships tomorrow.")),
)


async def _settle(pilot: Pilot) -> None:
    """Wait for fetches and for the thread to be laid out, then stop cursors blinking."""
    app = pilot.app
    await app.workers.wait_for_complete()
    await pilot.pause()
    for thread in app.screen.query(ThreadView):
        for _ in range(500):
            if thread.rendered_count == thread.part_count:
                break
            await pilot.pause()
    for widget in app.screen.query("Input, TextArea"):
        if isinstance(widget, Input | TextArea):
            widget.cursor_blink = False
    await pilot.pause()


async def _service(server: EmulatorServer) -> InboxService:
    """A service on a RAM cache (the user's own cache is never touched), fully synced."""
    service = InboxService(Cache.memory(), Connection(server.url, DEMO_TOKEN), clock=lambda: NOW)
    await service.connect()
    await service.sync()
    await service.aclose()  # the app's loop makes its own client
    return service


async def _walk(service: InboxService, folder: Path) -> list[Path]:
    app = InboxApp(service, Settings(), clock=lambda: float(NOW), background=False)
    written: list[Path] = []
    async with app.run_test(size=SIZE) as pilot:
        await _settle(pilot)
        for shot in SHOTS:
            await pilot.press(*shot.keys)
            await _settle(pilot)
            path = folder / f"{shot.name}.svg"
            path.write_text(app.export_screenshot(), encoding="utf-8", newline="\n")
            written.append(path)
            await pilot.press(*shot.back)
    await service.aclose()
    return written


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    folder = Path(args[0] if args else "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["TZ"] = "UTC"  # dates and snooze presets are local times
    time.tzset()
    server = EmulatorServer(Workspace.generate(seed=1, now=NOW), host="127.0.0.1", port=0)
    server.start()
    try:
        with tempfile.TemporaryDirectory() as config_home:
            os.environ["XDG_CONFIG_HOME"] = config_home  # the user's themes stay out
            service = asyncio.run(_service(server))
            written = asyncio.run(_walk(service, folder))
    finally:
        server.stop()
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
