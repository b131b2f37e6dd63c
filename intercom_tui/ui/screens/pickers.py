"""Small modal pickers: assignee, snooze time, view. Type to filter, enter picks, esc cancels."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from intercom_tui.render.safe import clean_line
from intercom_tui.ui.format import absolute_time
from intercom_tui.ui.fuzzy import fuzzy_filter
from intercom_tui.ui.screens.dialog import Dialog

if TYPE_CHECKING:
    from intercom_tui.service.inbox import InboxService


@dataclass(frozen=True, slots=True)
class Choice:
    label: str
    value: str
    hint: str = ""


class Picker(Dialog[Choice | None]):
    """A fuzzy list of choices; the filter box keeps focus, arrows move the highlight."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_none", "Cancel", id="picker.cancel"),
        Binding("down", "move(1)", "Down", show=False, id="picker.down"),
        Binding("up", "move(-1)", "Up", show=False, id="picker.up"),
    ]

    def __init__(self, title: str, choices: Sequence[Choice], placeholder: str = "Filter…") -> None:
        super().__init__(classes="picker")
        self.title_text = title
        self.choices = list(choices)
        self.placeholder = placeholder
        self._shown: list[Choice] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield Input(placeholder=self.placeholder, id="picker-filter", validate_on=())
            yield OptionList(id="picker-options")

    def on_mount(self) -> None:
        self._fill("")
        self.query_one(Input).focus()

    def set_choices(self, choices: Sequence[Choice]) -> None:
        """New choices, nothing typed (a shared picker's next use)."""
        self.choices = list(choices)
        if self.is_mounted:
            self.query_one(Input).value = ""
            self._fill("")

    @on(Input.Changed, "#picker-filter")
    def _filter(self, event: Input.Changed) -> None:
        self._fill(event.value)

    def _fill(self, query: str) -> None:
        options = self.query_one(OptionList)
        matches = fuzzy_filter(query, self.choices, lambda c: c.label)
        self._shown = [choice for choice, _ in matches]
        options.clear_options()
        options.add_options(
            Option(Content.assemble(label, (f"  {c.hint}", "dim")) if c.hint else label)
            for c, label in matches
        )
        if self._shown:
            options.highlighted = 0

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        if self._shown:
            current = options.highlighted or 0
            options.highlighted = max(0, min(len(self._shown) - 1, current + step))

    @on(Input.Submitted, "#picker-filter")
    def _submit(self) -> None:
        index = self.query_one(OptionList).highlighted
        if index is not None and index < len(self._shown):
            self.dismiss(self._shown[index])
        else:
            self.pick_typed(self.query_one(Input).value)

    @on(OptionList.OptionSelected)
    def _clicked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self._shown[event.option_index])

    def pick_typed(self, text: str) -> None:
        """Hook for pickers that accept free text (custom snooze time)."""

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


class AssignPicker(Picker):
    def __init__(self) -> None:
        super().__init__("Assign to", [])

    def prepare(self, service: InboxService) -> None:
        """Admins (me first), teams and "Unassign", as the directory is now."""
        me = service.me_id
        directory = service.directory
        admins = sorted(directory.admins.values(), key=lambda a: (a.id != me, a.name.lower()))
        choices = [
            Choice(clean_line(a.name or a.email, 40), f"admin:{a.id}", "me" if a.id == me else "")
            for a in admins
        ]
        choices += [
            Choice(clean_line(t.name, 40), f"team:{t.id}", "team")
            for t in sorted(directory.teams.values(), key=lambda t: t.name.lower())
        ]
        choices.append(Choice("Unassign", "none:", "clear admin and team"))
        self.set_choices(choices)


def snooze_presets(now: float) -> list[tuple[str, datetime]]:
    """1 hour, this evening, tomorrow 9:00, next Monday 9:00, in the local time zone."""
    local = datetime.fromtimestamp(now).astimezone()
    nine = local.replace(hour=9, minute=0, second=0, microsecond=0)
    presets = [("In 1 hour", local + timedelta(hours=1))]
    evening = local.replace(hour=18, minute=0, second=0, microsecond=0)
    if evening - local > timedelta(hours=1):
        presets.append(("This evening", evening))
    presets.append(("Tomorrow 9:00", nine + timedelta(days=1)))
    days_to_monday = (7 - local.weekday()) % 7 or 7
    presets.append(("Next Monday 9:00", nine + timedelta(days=days_to_monday)))
    return presets


def parse_when(text: str, now: float) -> datetime | None:
    """Custom snooze: ``2h``, ``3d``, ``45m``, ``2026-03-01 14:30`` or ``14:30`` (local)."""
    text = text.strip().lower().removeprefix("+")
    local = datetime.fromtimestamp(now).astimezone()
    units = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
    if text[:-1].isdigit() and text[-1:] in units:
        return local + timedelta(**{units[text[-1]]: int(text[:-1])})
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).astimezone()
        except ValueError:
            pass
    try:
        t = datetime.strptime(text, "%H:%M")
    except ValueError:
        return None
    when = local.replace(hour=t.hour, minute=t.minute, second=0, microsecond=0)
    return when if when > local else when + timedelta(days=1)


class SnoozePicker(Dialog[int | None]):
    """Presets, or type a time (``2h``, ``3d``, ``14:30``, ``2026-03-01 09:00``)."""

    BINDINGS: ClassVar[list[BindingType]] = Picker.BINDINGS

    def __init__(self) -> None:
        super().__init__(classes="picker")
        self.prepare(time.time())

    def prepare(self, now: float) -> None:
        """Presets from ``now``, nothing typed: ready for another use (``Dialog.shared``)."""
        self.now = now
        self.presets = snooze_presets(now)
        if self.is_mounted:
            self.query_one(Input).value = ""
            self.query_one("#snooze-error", Label).update("")
            options = self.query_one(OptionList)
            options.set_options(self._options())
            options.highlighted = 0

    def _options(self) -> list[Option]:
        return [
            Option(
                Content.assemble(label, (f"  {absolute_time(w.timestamp(), now=self.now)}", "dim"))
            )
            for label, w in self.presets
        ]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Snooze until", classes="dialog-title")
            yield Input(
                placeholder="or type: 2h, 3d, 14:30, 2026-03-01 09:00",
                id="snooze-custom",
                validate_on=(),
            )
            yield OptionList(*self._options(), id="picker-options")
            yield Label("", id="snooze-error", classes="dialog-error")

    def on_mount(self) -> None:
        self.query_one(OptionList).highlighted = 0
        self.query_one(Input).focus()

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        current = options.highlighted or 0
        options.highlighted = max(0, min(len(self.presets) - 1, current + step))

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            index = self.query_one(OptionList).highlighted or 0
            self.dismiss(int(self.presets[index][1].timestamp()))
            return
        when = parse_when(event.value, self.now)
        if when is None or when.timestamp() <= self.now:
            self.query_one("#snooze-error", Label).update(
                "Not a future time. Try 2h, 3d, 14:30 or 2026-03-01 09:00."
            )
            return
        self.dismiss(int(when.timestamp()))

    @on(OptionList.OptionSelected)
    def _clicked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(int(self.presets[event.option_index][1].timestamp()))

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


class ViewPicker(Picker):
    @classmethod
    def for_views(cls, service: InboxService, counts: dict[str, int]) -> ViewPicker:
        choices = [
            Choice(
                v.name,
                v.key,
                f"{v.group} · {counts[v.key]:,}" if v.key in counts else v.group,
            )
            for v in service.views
        ]
        return cls("Go to view", choices)
