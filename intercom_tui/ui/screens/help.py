"""``?``: every key of the screen underneath, grouped by purpose, as remapped by the keymap."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Label, Static

from intercom_tui.ui.screens.dialog import Dialog

GROUPS = {
    "list": "Moving",
    "thread": "Reading",
    "inbox": "Views and search",
    "conversation": "Conversation",
    "triage": "Triage",
    "app": "Anywhere",
}


class HelpScreen(Dialog[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "dismiss", "Close", id="help.close"),
    ]

    def __init__(self, screen: Screen) -> None:
        super().__init__(classes="picker", id="help")
        self.target = screen

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog help"):
            yield Label("Keys", classes="dialog-title")
            yield Static(self._table(), id="help-table")
            yield Label(
                "ctrl+p: every action in the command palette · esc close", classes="dialog-hint"
            )

    def _table(self) -> Content:
        grouped: dict[str, dict[str, list[str]]] = defaultdict(dict)
        for key, active in self.target.active_bindings.items():
            binding = active.binding
            if not binding.id or not binding.description:
                continue
            group = GROUPS.get(binding.id.split(".")[0], "Other")
            keys = grouped[group].setdefault(binding.description, [])
            display = self.app.get_key_display(replace(binding, key=key))
            if display not in keys:
                keys.append(display)
        lines: list[Content] = []
        for group in [*GROUPS.values(), "Other"]:
            if group not in grouped:
                continue
            lines.append(Content.styled(group, "bold $accent"))
            for description, keys in sorted(grouped[group].items()):
                lines.append(Content.assemble((f"  {' '.join(keys):<16}", "bold"), description))
            lines.append(Content(""))
        return Content("\n").join(lines)
