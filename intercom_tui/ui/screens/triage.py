"""Triage keys shared by the inbox and the conversation screen.

Both screens act on "the target conversations" (the selection or the cursor row in the
list; the open conversation in the thread), so the bindings and actions live here once
and each screen only says what its targets are.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.binding import Binding, BindingType
from textual.screen import Screen

from intercom_tui.service import actions as A

if TYPE_CHECKING:
    from intercom_tui.service.inbox import InboxService
    from intercom_tui.ui.app import InboxApp
    from intercom_tui.ui.screens.pickers import Choice


class TriageScreen(Screen[None]):
    #: The screen's own lines are its plain background, covered by its widgets. Without
    #: this Textual re-renders them line by line after every dialog and screen switch
    #: (~1 ms of the frame that shows a snoozed or tagged row at 120x36).
    BLANK = True

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("t", "tags", "Tags", id="triage.tags"),
        Binding("a", "assign", "Assign", id="triage.assign"),
        Binding("c", "close", "Close", id="triage.close"),
        Binding("o", "reopen", "Reopen", show=False, id="triage.reopen"),
        Binding("z", "snooze", "Snooze", id="triage.snooze"),
        Binding("r", "reply", "Reply", id="triage.reply"),
        Binding("n", "note", "Note", show=False, id="triage.note"),
        Binding("u", "toggle_read", "Read/unread", show=False, id="triage.read"),
    ]

    @property
    def inbox_app(self) -> InboxApp:
        return self.app  # type: ignore[return-value]

    @property
    def service(self) -> InboxService:
        return self.inbox_app.service

    def target_ids(self) -> list[str]:
        """The conversations an action applies to."""
        raise NotImplementedError

    def after_action(self) -> None:
        """Hook: the list clears its selection once an action was applied to it."""

    def _perform(self, actions: list[A.Action], what: str) -> None:
        count = self.service.perform(actions)
        if count > 1:
            self.notify(f"{what}: {count} conversations")
        self.after_action()

    def action_close(self) -> None:
        ids = self.target_ids()
        self._perform([A.Action(A.CLOSE, cid) for cid in ids], "Closed")

    def action_reopen(self) -> None:
        ids = self.target_ids()
        self._perform([A.Action(A.OPEN, cid) for cid in ids], "Reopened")

    def action_toggle_read(self) -> None:
        ids = self.target_ids()
        rows = [self.service.cache.get_row(cid) for cid in ids]
        make_read = not all(row.read for row in rows if row is not None)
        self._perform(
            [A.Action(A.READ, cid, {"read": make_read}) for cid in ids],
            "Marked read" if make_read else "Marked unread",
        )

    def action_snooze(self) -> None:
        from intercom_tui.ui.screens.pickers import SnoozePicker

        ids = self.target_ids()
        if not ids:
            return

        def chosen(until: int | None) -> None:
            if until is not None:
                self._perform([A.Action(A.SNOOZE, cid, {"until": until}) for cid in ids], "Snoozed")

        picker = SnoozePicker.shared(self.app)
        picker.prepare(now=self.inbox_app.clock())
        self.app.push_screen(picker, chosen)

    def action_assign(self) -> None:
        from intercom_tui.ui.screens.pickers import AssignPicker

        ids = self.target_ids()
        if not ids:
            return

        def chosen(choice: Choice | None) -> None:
            if choice is None:
                return
            kind, _, assignee = choice.value.partition(":")
            actions = [A.assign_action(cid, kind, assignee or None) for cid in ids]
            if kind == "none":  # "Unassign" clears both admin and team
                actions = [a for cid in ids for a in A.unassign_all(cid)]
            self._perform(actions, "Assigned")

        picker = AssignPicker.shared(self.app)
        picker.prepare(self.service)
        self.app.push_screen(picker, chosen)

    def action_tags(self) -> None:
        from intercom_tui.ui.screens.tag_editor import TagEditor

        ids = self.target_ids()
        if ids:
            editor = TagEditor.shared(self.app)
            editor.prepare(ids)
            self.app.push_screen(editor, lambda _=None: self.after_action())

    def _open_compose(self, kind: str) -> None:
        from intercom_tui.ui.screens.compose import ComposeScreen

        ids = self.target_ids()
        if len(ids) != 1:
            self.notify("Reply to one conversation at a time.", severity="warning")
            return
        self.app.push_screen(ComposeScreen(ids[0], kind))

    def action_reply(self) -> None:
        self._open_compose(A.REPLY)

    def action_note(self) -> None:
        self._open_compose(A.NOTE)
