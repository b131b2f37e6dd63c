"""The tag editor: ``t``, a few letters, ``enter``, ``esc``.

Typing only filters (tag names contain spaces, so no key both types and toggles);
``enter`` toggles the highlighted tag on every target conversation at once, clears the
filter and stays open for the next tag. With several conversations a tag is on, off or
partly on; ``enter`` turns it on everywhere, or off if all had it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from intercom_tui.api.errors import ApiError
from intercom_tui.api.models import Tag
from intercom_tui.render.safe import clean_line
from intercom_tui.service import actions as A
from intercom_tui.ui.fuzzy import fuzzy_filter
from intercom_tui.ui.screens.dialog import Dialog

if TYPE_CHECKING:
    from intercom_tui.service.inbox import InboxService

ON, OFF, PARTIAL = "on", "off", "partial"

#: Seconds from ``enter`` to the filter's clearing (see ``TagEditor.toggle``): after the
#: frame that shows the tagged row, quicker than a person types the next tag's name.
RESET_DELAY = 0.05
_MARK = {ON: "☑ ", OFF: "☐ ", PARTIAL: "◐ "}


@dataclass(frozen=True, slots=True)
class Row:
    tag: Tag | None  # None: the "Create tag NAME" row
    label: str


class TagEditor(Dialog[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="tags.close"),
        Binding("down", "move(1)", "Down", show=False, id="tags.down"),
        Binding("up", "move(-1)", "Up", show=False, id="tags.up"),
    ]

    def __init__(self) -> None:
        super().__init__(classes="picker", id="tag-editor")
        self.conversation_ids: list[str] = []
        self._rows: list[Row] = []

    def prepare(self, conversation_ids: list[str]) -> None:
        """Edit these conversations' tags, nothing typed (``Dialog.shared``)."""
        self.conversation_ids = list(conversation_ids)
        if self.is_mounted:
            self.query_one(".dialog-title", Label).update(self._title())
            self.query_one(OptionList).highlighted = None
            self._reset_filter()

    @property
    def service(self) -> InboxService:
        return self.app.service  # type: ignore[attr-defined,no-any-return]

    def _title(self) -> Content:
        n = len(self.conversation_ids)
        if n == 1:
            return Content(f"Tags · #{clean_line(self.conversation_ids[0], 30)}")  # never markup
        return Content(f"Tags · {n} conversations")

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self._title(), classes="dialog-title")
            yield Input(
                placeholder="Type to filter or create a tag…", id="tag-filter", validate_on=()
            )
            yield OptionList(id="tag-options")
            yield Label("enter toggle · esc done", classes="dialog-hint")

    def on_mount(self) -> None:
        self._fill("")
        self.query_one(Input).focus()

    # ------------------------------------------------------------------ state
    def tag_states(self) -> dict[str, str]:
        """Tag id -> on / partial for the target conversations (absent means off)."""
        counts: dict[str, int] = {}
        for cid in self.conversation_ids:
            data = self.service.cache.get_conversation(cid) or {}
            for tag in (data.get("tags") or {}).get("tags") or []:
                tid = str(tag.get("id"))
                counts[tid] = counts.get(tid, 0) + 1
        total = len(self.conversation_ids)
        return {tid: ON if c == total else PARTIAL for tid, c in counts.items()}

    def _fill(self, query: str) -> None:
        states = self.tag_states()
        tags = self.service.tags()
        matches = fuzzy_filter(query, tags, lambda t: clean_line(t.name, 60))
        # Applied tags first when not filtering, so the current state reads at a glance.
        if not query:
            matches.sort(key=lambda m: states.get(m[0].id, OFF) == OFF)
        self._rows = [Row(tag, label.plain) for tag, label in matches]
        options = [
            Option(Content.assemble((_MARK[states.get(t.id, OFF)], "bold"), label))
            for t, label in matches
        ]
        name = query.strip()
        if name and not any(t.name.lower() == name.lower() for t in tags):
            self._rows.append(Row(None, name))
            options.append(Option(Content.assemble(("+ Create tag ", "bold"), clean_line(name))))
        widget = self.query_one(OptionList)
        highlighted = widget.highlighted
        widget.clear_options()
        widget.add_options(options)
        if options:
            widget.highlighted = min(highlighted or 0, len(options) - 1) if not query else 0

    def action_move(self, step: int) -> None:
        widget = self.query_one(OptionList)
        if self._rows:
            current = widget.highlighted or 0
            widget.highlighted = max(0, min(len(self._rows) - 1, current + step))

    @on(Input.Changed, "#tag-filter")
    def _filter(self, event: Input.Changed) -> None:
        self._fill(event.value)

    @on(Input.Submitted, "#tag-filter")
    def _submit(self) -> None:
        index = self.query_one(OptionList).highlighted
        if index is not None and index < len(self._rows):
            self.toggle(self._rows[index])

    @on(OptionList.OptionSelected)
    def _clicked(self, event: OptionList.OptionSelected) -> None:
        self.toggle(self._rows[event.option_index])

    # ------------------------------------------------------------------ toggling
    def toggle(self, row: Row) -> None:
        if row.tag is None:
            self.create_and_attach(row.label)
            return
        on = self.tag_states().get(row.tag.id, OFF) != ON
        actions = [
            A.tag_action(cid, row.tag.id, row.tag.name, on=on) for cid in self.conversation_ids
        ]
        typed = self.query_one(Input).value
        self.service.perform(actions)
        # The tagged row (on the screen below) is what the frame after ``enter`` must
        # show. The editor's own list (marks, filter cleared) re-fills after it: its
        # re-layout was ~2.5 ms of that frame's ~16 at 1M cached. ``call_after_refresh``
        # is not enough: the editor has nothing to refresh until the screen below has
        # drawn the row, so the callback ran before, in the same frame.
        self.set_timer(RESET_DELAY, partial(self._reset_filter, typed))

    @work(exclusive=True, group="create-tag")
    async def create_and_attach(self, name: str) -> None:
        """Creating a tag needs its id from the server before it can be attached.

        The request goes on if the editor is closed meanwhile (the tag is then attached,
        as asked), to the conversations it was asked for even if the editor is reused.
        """
        ids = list(self.conversation_ids)
        typed = self.query_one(Input).value
        if self.service.offline:
            self.notify("Creating a tag needs a connection.", severity="warning")
            return
        try:
            tag = await self.service.create_tag(name)
        except ApiError as exc:
            message = f"Could not create tag: {clean_line(exc.user_message, 200)}"
            self.notify(message, severity="error", markup=False)
            return
        self.service.perform([A.tag_action(cid, tag.id, tag.name, on=True) for cid in ids])
        if ids == self.conversation_ids:
            self._reset_filter(typed)

    def _reset_filter(self, typed: str | None = None) -> None:
        """Clear the filter ``typed`` before ``enter`` (all of it if None); keys typed
        since are kept, as the start of the next filter."""
        box = self.query_one(Input)
        value = box.value
        if typed is None or not value.startswith(typed):
            typed = value
        if typed:
            box.value = value[len(typed) :]  # triggers _fill via Input.Changed
            box.cursor_position = len(box.value)
        else:
            self._fill(value)

    def action_close(self) -> None:
        self.dismiss(None)
