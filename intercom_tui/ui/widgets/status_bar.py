"""One status line: what you are looking at on the left, sync and outbox on the right."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from textual.content import Content
from textual.widgets import Static

from intercom_tui.render.safe import clean_line
from intercom_tui.ui.format import absolute_time

if TYPE_CHECKING:
    from intercom_tui.service.sync import SyncProgress


class StatusBar(Static):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._left = Content("")
        self._sync = Content("")
        self._pending = 0
        self._pending_reason = ""
        self._offline = False

    def update_state(
        self,
        *,
        view: str,
        sort: str,
        total: int,
        selected: int,
        pending: int,
        pending_reason: str = "",
        filter_text: str = "",
        offline: bool = False,
        counting: bool = False,
    ) -> None:
        """``counting``: ``total`` is only the rows found so far (a filter's exact count
        comes from a worker), so the line says so instead of showing it."""
        amount = "counting…" if counting else f"{total:,}"
        parts: list[tuple[str, str] | str] = [(f" {view}", "bold"), f" · {amount}"]
        if filter_text:
            parts.append((f" · filter “{clean_line(filter_text, 30)}”", "italic"))
        parts.append((f" · {sort}", "dim"))
        if selected:
            parts.append((f" · {selected} selected", "bold"))
        self._left = Content.assemble(*parts)
        self._pending = pending
        self._pending_reason = pending_reason
        self._offline = offline
        self._redraw()

    def sync_status(self, progress: SyncProgress | None, error: str | None) -> None:
        if error:
            self._sync = Content.styled(f"sync failed: {clean_line(error, 80)}", "bold $error")
        elif progress is None or progress.phase == "done":
            now = self._now()
            self._sync = Content.styled(f"synced {absolute_time(now, now=now)}", "dim")
        elif progress.phase == "reference":
            self._sync = Content.styled("syncing…", "$accent")
        else:
            total = f"/{progress.total:,}" if progress.total else ""
            rate = f" · {progress.rate:,.0f}/s" if progress.rate else ""
            self._sync = Content.styled(f"syncing {progress.fetched:,}{total}{rate}", "$accent")
        self._redraw()

    def _now(self) -> float:
        return float(getattr(self.app, "clock", time.time)())

    def _redraw(self) -> None:
        right: list[Content] = []
        if self._offline:
            right.append(Content.styled("offline", "bold $warning"))
        else:
            right.append(self._sync)
        if self._pending:
            right.append(Content.styled(f"{self._pending} pending", "bold $warning"))
        if self._pending and self._pending_reason:
            # Why it is still pending (a 503, offline...), so "pending" never just sits there.
            reason = clean_line(self._pending_reason, 50)
            right.append(Content.styled(f"retrying: {reason}", "$warning"))
        right_content = Content(" · ").join(c for c in right if c.cell_length) + Content(" ")
        width = self.size.width or 80
        gap = max(1, width - self._left.cell_length - right_content.cell_length)
        # One line of fixed size: no relayout of the screen on every cursor move.
        self.update(Content.assemble(self._left, " " * gap, right_content), layout=False)

    def on_resize(self) -> None:
        self._redraw()
