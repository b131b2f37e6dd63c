"""Starting a conversation as a contact (as if they had written in): pick, type, ctrl+s.

Creating a conversation is not idempotent and Intercom gives no way to find a half-made
one, so it is sent once, directly (not through the outbox), and an uncertain result is
said as such rather than retried.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Label, TextArea

from intercom_tui.api.errors import AmbiguousWriteError, ApiError
from intercom_tui.render.safe import clean_line
from intercom_tui.ui.screens.dialog import Dialog
from intercom_tui.ui.screens.pickers import Choice, Picker

if TYPE_CHECKING:
    from intercom_tui.service.inbox import InboxService


def contact_picker(service: InboxService) -> Picker:
    contacts = sorted(
        service.directory.contacts.values(), key=lambda c: (c.name or c.email).lower()
    )
    choices = [
        Choice(
            clean_line(c.name or c.email or c.id, 40), f"{c.role}:{c.id}", clean_line(c.email, 40)
        )
        for c in contacts
    ]
    return Picker("Start a conversation as…", choices, placeholder="Filter contacts…")


class NewConversation(Dialog[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "send", "Send", priority=True, id="new.send"),
        Binding("escape", "cancel", "Cancel", id="new.cancel"),
    ]

    def __init__(self, choice: Choice) -> None:
        super().__init__(classes="picker")
        self.choice = choice

    @property
    def service(self) -> InboxService:
        return self.app.service  # type: ignore[attr-defined,no-any-return]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(f"New conversation from {self.choice.label}", classes="dialog-title")
            yield TextArea(id="new-body")
            yield Label("ctrl+s send · esc cancel", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_send(self) -> None:
        text = self.query_one(TextArea).text
        if not text.strip():
            self.notify("Nothing to send.", severity="warning")
            return
        role, _, contact_id = self.choice.value.partition(":")
        self.start(role, contact_id, text)

    @work(exclusive=True, group="new-conversation")
    async def start(self, role: str, contact_id: str, text: str) -> None:
        try:
            cid = await self.service.start_conversation(role, contact_id, text)
        except AmbiguousWriteError as exc:
            self.notify(
                f"It may or may not have been created ({exc.user_message}); "
                "check the inbox before trying again.",
                severity="warning",
            )
        except ApiError as exc:
            self.notify(f"Could not start it: {exc.user_message}", severity="error")
            return
        else:
            self.notify(f"Started conversation #{cid}.")
        self.dismiss(None)
