"""SVG snapshots of every screen, from the emulator's seeded workspace at a fixed time.

Update with ``make snapshot-update`` after checking the new pictures by eye.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from textual.pilot import Pilot

from intercom_tui.emulator.server import EmulatorServer
from tests.snapshots.snapshot_app import settle, snapshot_app

SnapCompare = Callable[..., bool]
SMALL = (80, 24)
LARGE = (160, 48)


pytestmark = pytest.mark.usefixtures("utc")


def keys(*pressed: str) -> Callable[[Pilot], Awaitable[None]]:
    """Press ``pressed`` (waiting for each screen's data), then hold everything still."""

    async def run(pilot: Pilot) -> None:
        await settle(pilot)
        for key in pressed:
            await pilot.press(key)
            await settle(pilot)

    return run


class TestInbox:
    def test_small(self, snap_compare: SnapCompare, emulator: EmulatorServer) -> None:
        assert snap_compare(snapshot_app(emulator), terminal_size=SMALL, run_before=keys())

    def test_large(self, snap_compare: SnapCompare, emulator: EmulatorServer) -> None:
        assert snap_compare(snapshot_app(emulator), terminal_size=LARGE, run_before=keys())

    def test_selection_and_filter(
        self, snap_compare: SnapCompare, emulator: EmulatorServer
    ) -> None:
        assert snap_compare(
            snapshot_app(emulator),
            terminal_size=SMALL,
            run_before=keys("6", "x", "J", "slash", *"bill"),
        )


class TestConversation:
    def test_small(self, snap_compare: SnapCompare, emulator: EmulatorServer) -> None:
        assert snap_compare(snapshot_app(emulator), terminal_size=SMALL, run_before=keys("enter"))

    def test_large(self, snap_compare: SnapCompare, emulator: EmulatorServer) -> None:
        assert snap_compare(snapshot_app(emulator), terminal_size=LARGE, run_before=keys("enter"))


class TestDialogs:
    def test_tag_editor(self, snap_compare: SnapCompare, emulator: EmulatorServer) -> None:
        assert snap_compare(snapshot_app(emulator), terminal_size=SMALL, run_before=keys("t"))

    def test_assign_picker(self, snap_compare: SnapCompare, emulator: EmulatorServer) -> None:
        assert snap_compare(snapshot_app(emulator), terminal_size=SMALL, run_before=keys("a"))

    def test_snooze_menu(self, snap_compare: SnapCompare, emulator: EmulatorServer) -> None:
        assert snap_compare(snapshot_app(emulator), terminal_size=SMALL, run_before=keys("z"))

    def test_help(self, snap_compare: SnapCompare, emulator: EmulatorServer) -> None:
        assert snap_compare(
            snapshot_app(emulator), terminal_size=SMALL, run_before=keys("question_mark")
        )


class TestCompose:
    def test_reply(self, snap_compare: SnapCompare, emulator: EmulatorServer) -> None:
        assert snap_compare(
            snapshot_app(emulator),
            terminal_size=SMALL,
            run_before=keys("enter", "r", *"Thanks, done!"),
        )


#: Every screen at 80x24, in each packaged theme (the dark one is the default above).
SCREENS = {
    "inbox": (),
    "conversation": ("enter",),
    "tag_editor": ("t",),
    "assign_picker": ("a",),
    "snooze_menu": ("z",),
    "compose": ("enter", "n", *"Internal: refund approved"),
    "help": ("question_mark",),
}


class TestThemes:
    @pytest.mark.parametrize("theme", ["intercom-light", "high-contrast"])
    @pytest.mark.parametrize("screen", list(SCREENS))
    def test_every_screen(
        self, snap_compare: SnapCompare, emulator: EmulatorServer, theme: str, screen: str
    ) -> None:
        assert snap_compare(
            snapshot_app(emulator, theme), terminal_size=SMALL, run_before=keys(*SCREENS[screen])
        )
