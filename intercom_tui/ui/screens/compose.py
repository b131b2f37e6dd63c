"""Writing a reply or a note: a TextArea, ``ctrl+e`` for $EDITOR, ``ctrl+s`` to send.

The draft is saved as you type (a second after the last key), so a crash, a closed SSH
session or ``esc`` never loses text; sending goes through the outbox like every other
action, so it is never sent twice.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult, SuspendNotSupported
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Button, Label, TextArea

from intercom_tui.render.safe import clean_line
from intercom_tui.service import actions as A
from intercom_tui.ui.screens.dialog import Dialog
from intercom_tui.ui.styles import DIALOGS_CSS
from intercom_tui.ui.widgets.key_bar import KeyBar

if TYPE_CHECKING:
    from intercom_tui.service.inbox import InboxService

SAVE_DELAY = 1.0


class ConfirmDiscard(Dialog[bool]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Discard", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "Keep writing", id="confirm.no"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog confirm"):
            yield Label("Discard this draft?", classes="dialog-title")
            yield Label("y discard · n keep writing", classes="dialog-hint")
            with Horizontal(classes="buttons"):
                yield Button("Discard", variant="error", id="yes")
                yield Button("Keep writing", variant="primary", id="no")

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class ComposeScreen(Screen[None]):
    CSS_PATH = DIALOGS_CSS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "send", "Send", priority=True, id="compose.send"),
        Binding("ctrl+e", "editor", "$EDITOR", priority=True, id="compose.editor"),
        Binding("escape", "cancel", "Cancel", id="compose.cancel"),
    ]

    def __init__(self, conversation_id: str, kind: str) -> None:
        super().__init__(classes=f"compose -{kind}")
        self.conversation_id = conversation_id
        self.kind = kind
        self._save_timer: Timer | None = None

    @property
    def service(self) -> InboxService:
        return self.app.service  # type: ignore[attr-defined,no-any-return]

    def compose(self) -> ComposeResult:
        what = "Reply to" if self.kind == A.REPLY else "Internal note on"
        row = self.service.cache.get_row(self.conversation_id)
        subject = clean_line(row.title or row.preview, 100) if row else ""
        title = Content(f"{what} #{clean_line(self.conversation_id, 30)}")  # never markup
        yield Label(title + (f" · {subject}" if subject else ""), classes="compose-title")
        draft = self.service.cache.get_draft(self.conversation_id, self.kind) or ""
        yield TextArea(draft, id="compose-text", soft_wrap=True, show_line_numbers=False)
        yield Label(
            "Blank line = new paragraph · **bold** _italic_ `code` · links are linked",
            classes="compose-hint",
        )
        yield KeyBar()

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        area.focus()
        area.move_cursor(area.document.end)

    @property
    def text(self) -> str:
        return self.query_one(TextArea).text

    @on(TextArea.Changed)
    def _changed(self) -> None:
        if self._save_timer is not None:
            self._save_timer.stop()
        self._save_timer = self.set_timer(SAVE_DELAY, self.save_draft)

    def save_draft(self) -> None:
        if self.text.strip():
            self.service.cache.save_draft(self.conversation_id, self.kind, self.text)
        else:
            self.service.cache.delete_draft(self.conversation_id, self.kind)

    def action_send(self) -> None:
        if not self.text.strip():
            self.notify("Nothing to send.", severity="warning")
            return
        self.service.send_message(self.conversation_id, self.kind, self.text)
        self.service.cache.delete_draft(self.conversation_id, self.kind)
        if self._save_timer is not None:
            self._save_timer.stop()
        self.notify("Note added." if self.kind == A.NOTE else "Reply queued for sending.")
        self.dismiss(None)

    def action_cancel(self) -> None:
        if not self.text.strip():
            self.service.cache.delete_draft(self.conversation_id, self.kind)
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.service.cache.delete_draft(self.conversation_id, self.kind)
                if self._save_timer is not None:
                    self._save_timer.stop()
                self.dismiss(None)

        self.app.push_screen(ConfirmDiscard(), answered)

    def action_editor(self) -> None:
        """Edit in $VISUAL/$EDITOR with the terminal handed over, then come back."""
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
        with tempfile.NamedTemporaryFile("w", suffix=".md", delete=False) as fh:
            fh.write(self.text)
            path = Path(fh.name)
        try:
            with self.app.suspend():
                result = subprocess.run([*shlex.split(editor), str(path)], check=False)
            if result.returncode == 0:
                self.query_one(TextArea).text = path.read_text(encoding="utf-8")
            else:
                message = f"{editor} exited with {result.returncode}; text unchanged."
                self.notify(clean_line(message), markup=False)
        except (OSError, ValueError, SuspendNotSupported) as exc:
            failed = clean_line(f"Could not run {editor}: {exc}")
            self.notify(failed, severity="error", markup=False)
        finally:
            path.unlink(missing_ok=True)
