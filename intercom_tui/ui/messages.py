"""Messages the app broadcasts to its screens when data changes underneath them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

from intercom_tui.service.inbox import Event

if TYPE_CHECKING:
    from intercom_tui.service.sync import SyncProgress


class ServiceEvent(Message):
    """Something changed in the cache or the outbox (rows, reference data, pending count)."""

    bubble = False  # delivered to each screen by the app; never back up to it

    def __init__(self, event: Event) -> None:
        super().__init__()
        self.event = event


class SyncStatus(Message):
    """Sync progress or its end; ``error`` is a plain sentence when it failed."""

    bubble = False

    def __init__(self, progress: SyncProgress | None, error: str | None = None) -> None:
        super().__init__()
        self.progress = progress
        self.error = error

    def can_replace(self, message: Message) -> bool:
        """Progress reports supersede each other; errors are never dropped."""
        return isinstance(message, SyncStatus) and message.error is None
