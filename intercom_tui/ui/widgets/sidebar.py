"""The conversation sidebar: every field of a Conversation, readable, in sections.

One Line-API widget, not a widget per section: opening a conversation must not pay
compose, CSS matching, restyles and layout for thirteen mostly hidden blocks. ``show()``
builds the rows; they are laid out as lines for the width (a titled rule, the rows with a
hanging indent under the key column, a blank line), only when drawn, and kept per width
until the next ``show()``. A section with nothing to say is left out, so the reader never
sees "None". Every value from the API goes through ``render.safe`` and is drawn as plain
text (never markup).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from itertools import zip_longest
from typing import Any, ClassVar, NamedTuple

from rich.segment import Segment
from textual import events
from textual.content import Content
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.style import Style

from intercom_tui.api.models import Conversation
from intercom_tui.render.safe import clean_line, clean_url
from intercom_tui.ui.format import (
    NameResolver,
    absolute_time,
    author_kind,
    author_name,
    duration,
    relative_time,
)

#: Width of the key column; longer keys get a line of their own.
KEY_WIDTH = 14
VALUE_MAX = 500
MUTED = "$foreground-muted"
#: Component classes (styled in conversation.tcss) for a section's title and its rule.
TITLE = ".sidebar--title"
RULE = ".sidebar--rule"
#: Cells between the two columns of sections in narrow mode.
NARROW_GAP = 2
_STATE_STYLE = {"open": "bold $text-success", "snoozed": "bold $text-warning"}
_SLA_STYLE = {"hit": "$text-success", "missed": "bold $text-error", "active": "$text-warning"}
#: Short labels for the statistics Intercom sends; other keys are humanised.
_STAT_LABELS = {
    "time_to_assignment": "To assign",
    "time_to_admin_reply": "To reply",
    "time_to_first_close": "To 1st close",
    "time_to_last_close": "To last close",
    "median_time_to_reply": "Median reply",
    "first_contact_reply_at": "1st contact",
    "first_assignment_at": "1st assign",
    "first_admin_reply_at": "1st reply",
    "first_close_at": "1st close",
    "last_assignment_at": "Last assign",
    "last_assignment_admin_reply_at": "Reply to asg",
    "last_contact_reply_at": "Last contact",
    "last_admin_reply_at": "Last reply",
    "last_close_at": "Last close",
    "last_closed_by_id": "Closed by",
    "count_reopens": "Reopens",
    "count_assignments": "Assignments",
    "count_conversation_parts": "Parts",
}


class Row(NamedTuple):
    """One line of a section: ``key`` (empty for a full-width value) and its value."""

    key: str
    value: Content


def _text(value: object, max_len: int = VALUE_MAX) -> str:
    return clean_line(str(value), max_len=max_len)


def _row(key: str, value: object, style: str = "") -> Row | None:
    """A row for a present value; ``None`` (no row) for missing or empty values."""
    if value is None or value == "" or value == {} or value == []:
        return None
    if isinstance(value, Content):
        return Row(key, value) if value.plain else None
    text = _text(value)
    return Row(key, Content.styled(text, style)) if text else None


def stars(rating: object) -> Content | None:
    """★★★★☆ for a 1-5 rating (anything else: no stars)."""
    if isinstance(rating, bool) or not isinstance(rating, int | float):
        return None
    filled = max(0, min(5, round(rating)))
    return Content.assemble(
        ("★" * filled, "$text-warning"), ("☆" * (5 - filled), MUTED), (f" {filled}/5", MUTED)
    )


def _humanise(key: str) -> str:
    return _text(key.replace("_", " "), 40).capitalize()


def compact(value: Any, depth: int = 0) -> str:
    """A custom attribute value on one line: lists joined, dicts as ``k: v``, bools yes/no."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "—"
    if isinstance(value, list):
        return ", ".join(compact(v, depth + 1) for v in value) if depth < 3 else "…"
    if isinstance(value, dict):
        if depth >= 3:
            return "{…}"
        return "{" + ", ".join(f"{k}: {compact(v, depth + 1)}" for k, v in value.items()) + "}"
    return str(value)


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def _timestamp(value: object) -> int | None:
    number = _number(value)
    return None if number is None or number <= 0 else int(number)


class SidebarSection:
    """One titled block of the shown conversation: its rows, laid out per width.

    A slotted class, not a dataclass: this module is on the path to a conversation's
    first frame, and defining a dataclass costs ~0.5 ms there."""

    __slots__ = ("_wrapped", "key", "rows", "title")

    def __init__(self, key: str, title: str, rows: tuple[Row, ...] = ()) -> None:
        self.key = key
        self.title = title
        self.rows = rows
        self._wrapped: dict[int, list[Content]] = {}

    @property
    def display(self) -> bool:
        """Shown at all: a section with nothing to say is left out (never "None")."""
        return bool(self.rows)

    @property
    def text(self) -> str:
        """The section as plain text (for tests and copy)."""
        return "\n".join(f"{r.key} {r.value.plain}".strip() for r in self.rows)

    def lines(self, width: int) -> list[Content]:
        """The rows wrapped to ``width`` cells (kept per width: layouts toggle freely)."""
        width = max(width, 10)
        lines = self._wrapped.get(width)
        if lines is None:
            lines = self._wrapped[width] = [
                line for row in self.rows for line in _layout_row(row, width)
            ]
        return lines

    def block(self, width: int) -> list[Content]:
        """The title on its rule, then the rows: what a bordered section used to draw."""
        title = Content.styled(self.title, TITLE).truncate(max(width - 1, 0), ellipsis=True)
        rest = max(width - 1 - title.cell_length, 0)
        return [Content.assemble(("─", RULE), title, ("─" * rest, RULE)), *self.lines(width)]


def _layout_row(row: Row, width: int) -> list[Content]:
    """Key column then the value, wrapped with a hanging indent under the value."""
    if not row.key:
        return _wrap(row.value, width)
    key = Content.styled(row.key, MUTED)
    if key.cell_length < KEY_WIDTH:
        lines = _wrap(row.value, width - KEY_WIDTH)
        pad = Content(" " * KEY_WIDTH)
        first = key + " " * (KEY_WIDTH - key.cell_length)
        return [(first if i == 0 else pad) + line for i, line in enumerate(lines)]
    indent = Content("  ")
    return [*_wrap(key, width), *(indent + line for line in _wrap(row.value, width - 2))]


def _wrap(value: Content, width: int) -> list[Content]:
    """``value.wrap(width)``; most values fit on their line and are kept as they are, as
    wrapping is most of the cost of a layout (on the path to the first frame)."""
    if value.cell_length <= width and "\n" not in value.plain:
        return [value]
    return value.wrap(width)


class Sidebar(ScrollView):
    """Everything known about a conversation, in the sections of SECTIONS.

    One Line-API widget (no widget per section): the shown sections are laid out as lines
    for the width and the mode (a column, or two side by side under ``-narrow``), kept per
    width until the next ``show()``, and drawn by ``render_line``.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {"sidebar--title", "sidebar--rule"}

    DEFAULT_CSS = """
    Sidebar {
        overflow-x: hidden;
        overflow-y: auto;
    }
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """``clock`` gives "now" for relative times (fix it for snapshots)."""
        super().__init__(name=name, id=id, classes=classes)
        self._clock = clock
        self._sections = _empty_sections()
        self._shown_id: str | None = None
        self._layouts: dict[tuple[int, bool], list[Content]] = {}
        self._shape: tuple[int, bool] | None = None  # (width, narrow) of what is drawn
        self._lines: list[Content] = []
        self._strips: dict[int, Strip] = {}

    @property
    def text(self) -> str:
        """The lines drawn, as plain text (for tests and copying)."""
        return "\n".join(line.plain for line in self._lines)

    def section(self, key: str) -> SidebarSection:
        """The section ``key`` of SECTIONS for the shown conversation."""
        return self._sections[key]

    def show(self, conversation: Conversation, *, names: NameResolver) -> None:
        """Show ``conversation``; sections without content are left out. Another
        conversation than the one shown starts at the top."""
        build = _Builder(conversation, names, self._clock())
        sections = {
            key: SidebarSection(key, title, tuple(r for r in rows(build) if r is not None))
            for key, title, rows in SECTIONS
        }
        self._replace(sections, conversation.id)

    def clear(self) -> None:
        """Show nothing (a conversation not in the cache yet)."""
        self._replace(_empty_sections(), None)

    def _replace(self, sections: dict[str, SidebarSection], shown_id: str | None) -> None:
        self._sections = sections
        self._layouts.clear()
        self._shape = None
        self._laid_out()
        if shown_id != self._shown_id:
            self._shown_id = shown_id
            self.scroll_to(y=0, animate=False, immediate=True, force=True)
        self.refresh()

    # ------------------------------------------------------------------ layout
    def _is_narrow(self) -> bool:
        """Under ``-narrow`` (on the sidebar or, as the screen sets it, an ancestor)."""
        return any(node.has_class("-narrow") for node in self.ancestors_with_self)

    def _layout_for(self, shape: tuple[int, bool]) -> list[Content]:
        lines = self._layouts.get(shape)
        if lines is None:
            shown = [section for section in self._sections.values() if section.display]
            lines = self._layouts[shape] = _layout(shown, *shape)
        return lines

    def _current_shape(self) -> tuple[int, bool]:
        """(width, narrow) to lay out for. Without a scrollbar yet, lines that will need
        one are laid out beside it at once: it appearing then re-wraps nothing."""
        region = self.scrollable_content_region
        narrow = self._is_narrow()
        scrollbar = self.styles.scrollbar_size_vertical
        if self.show_vertical_scrollbar or self.styles.overflow_y != "auto" or not scrollbar:
            return region.width, narrow
        beside = (region.width - scrollbar, narrow)
        return beside if len(self._layout_for(beside)) > region.height else (region.width, narrow)

    def _laid_out(self) -> None:
        """Lay out for the current width and mode if they changed (and size the scroll area)."""
        if not self.scrollable_content_region.width:
            return  # no size yet: laid out on the first paint
        shape = self._current_shape()
        if shape != self._shape:
            self._shape = shape
            self._strips.clear()
            self._lines = self._layout_for(shape)
            self.virtual_size = Size(shape[0], len(self._lines))

    # ------------------------------------------------------------------ drawing
    def render_lines(self, crop: Region) -> list[Strip]:
        """The first paint comes before the first ``Resize``: lay out for it now."""
        self._laid_out()
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.visual_style
        row = int(self.scroll_offset.y) + y
        if row >= len(self._lines):
            return Strip.blank(width, base.rich_style)
        strip = self._strips.get(row)
        if strip is None:
            line = self._lines[row]
            segments = [
                Segment(text, style.rich_style)
                for text, style in line.render(base, end="", parse_style=self._parse_style)
            ]
            strip = self._strips[row] = Strip(segments, line.cell_length)
        return strip.crop_extend(0, width, base.rich_style)

    def _parse_style(self, style: str | Style) -> Style:
        """Theme-variable styles as usual; ``.name`` is one of COMPONENT_CLASSES (the tcss)."""
        if isinstance(style, Style):
            return style
        if style.startswith("."):
            return self.get_visual_style(style[1:], partial=True)
        return Style.parse(style)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()

    def on_resize(self, _event: events.Resize) -> None:
        self._laid_out()


def _empty_sections() -> dict[str, SidebarSection]:
    return {key: SidebarSection(key, title) for key, title, _rows in SECTIONS}


def _layout(sections: Sequence[SidebarSection], width: int, narrow: bool) -> list[Content]:
    """One column of sections, each followed by a blank line; or, narrow, bands of two
    side by side, each as tall as its taller section, a blank line between bands."""
    out: list[Content] = []
    if not narrow:
        for section in sections:
            out.extend(section.block(width))
            out.append(Content())
        return out
    left_width = (width - NARROW_GAP) // 2
    right_width = width - NARROW_GAP - left_width
    gap = Content(" " * NARROW_GAP)
    for start in range(0, len(sections), 2):
        left, *right = sections[start : start + 2]
        if out:
            out.append(Content())
        pairs = zip_longest(
            left.block(left_width),
            right[0].block(right_width) if right else [],
            fillvalue=Content(),
        )
        out.extend(line.truncate(left_width, pad=True) + gap + other for line, other in pairs)
    return out


class _Builder:
    """The rows of every section for one conversation (one method per section)."""

    __slots__ = ("c", "names", "now")

    def __init__(self, c: Conversation, names: NameResolver, now: float) -> None:
        self.c = c
        self.names = names
        self.now = now

    def _time(self, value: object) -> str | None:
        ts = _timestamp(value)
        return None if ts is None else absolute_time(ts, now=self.now)

    def _admin(self, id: object) -> str | None:
        if id in (None, "", 0, "0"):
            return None
        key = str(id)
        return _text(self.names.admin_name(key) or f"#{key}", 60)

    def _team(self, id: object) -> str | None:
        if id in (None, "", 0, "0"):
            return None
        key = str(id)
        return _text(self.names.team_name(key) or f"#{key}", 60)

    def _contact(self, id: object) -> str | None:
        if id in (None, "", 0, "0"):
            return None
        key = str(id)
        return _text(self.names.contact_name(key) or f"#{key}", 60)

    def conversation(self) -> list[Row | None]:
        c = self.c
        state = Content.styled(_text(c.state, 30), _STATE_STYLE.get(c.state, "bold"))
        if c.priority:
            state += Content.styled(" · priority", "bold $text-error")
        waiting = snoozed = None
        if (ts := _timestamp(c.waiting_since)) is not None:
            waiting = f"{relative_time(ts, self.now)} · {absolute_time(ts, now=self.now)}"
        if (ts := _timestamp(c.snoozed_until)) is not None and c.state == "snoozed":
            snoozed = f"{relative_time(ts, self.now)} · {absolute_time(ts, now=self.now)}"
        return [
            _row("Title", c.title, "bold"),
            _row("State", state),
            _row("Read", "yes" if c.read else "unread", "" if c.read else "bold"),
            _row("Created", self._time(c.created_at)),
            _row("Updated", self._time(c.updated_at)),
            _row("Waiting", waiting, "$text-warning"),
            _row("Snoozed till", snoozed),
            _row("ID", c.id, MUTED),
        ]

    def assignment(self) -> list[Row | None]:
        admin, team = self._admin(self.c.admin_assignee_id), self._team(self.c.team_assignee_id)
        if admin is None and team is None:
            return [_row("Assignee", "unassigned", MUTED)]
        return [_row("Admin", admin, "bold"), _row("Team", team, "bold")]

    def tags(self) -> list[Row | None]:
        chips: list[str | tuple[str, str]] = []
        for tag in self.c.tags:
            if name := _text(tag.name, 60):
                chips.extend(((f" {name} ", "$text-accent on $accent-muted"), " "))
        return [_row("", Content.assemble(*chips).rstrip())] if chips else []

    def contacts(self) -> list[Row | None]:
        return [_row("", name, "bold") for name in map(self._contact, self.c.contact_ids)]

    def teammates(self) -> list[Row | None]:
        return [_row("", name) for name in map(self._admin, self.c.teammate_ids)]

    def source(self) -> list[Row | None]:
        s = self.c.source
        author = None
        if s.author.id or s.author.name or s.author.email:
            author = Content.assemble(
                (author_name(s.author, self.names), "bold"), (f" · {author_kind(s.author)}", MUTED)
            )
        return [
            _row("Type", s.type),
            _row("Delivered as", s.delivered_as.replace("_", " ")),
            _row("Subject", s.subject),
            _row("Author", author),
            _row("URL", clean_url(s.url or ""), f"underline {MUTED}"),
        ]

    def rating(self) -> list[Row | None]:
        r = self.c.conversation_rating
        if not r:
            return []
        contact, teammate = _dict(r.get("contact")), _dict(r.get("teammate"))
        return [
            _row("Rating", stars(r.get("rating"))),
            _row("Remark", r.get("remark"), "italic"),
            _row("Contact", self._contact(contact.get("id"))),
            _row("Teammate", self._admin(teammate.get("id"))),
            _row("Rated", self._time(r.get("created_at"))),
        ]

    def sla(self) -> list[Row | None]:
        sla = self.c.sla_applied
        status = sla.get("sla_status")
        return [
            _row("Name", sla.get("sla_name")),
            _row("Status", status, _SLA_STYLE.get(str(status), "")),
        ]

    def statistics(self) -> list[Row | None]:
        rows: list[Row | None] = []
        for key, value in self.c.statistics.items():
            if key == "type" or value is None:
                continue
            label = _STAT_LABELS.get(key) or _humanise(key)
            if key == "last_closed_by_id":
                rows.append(_row(label, self._admin(value)))
            elif key.startswith(("time_to_", "median_time")):
                seconds = _number(value)
                rows.append(_row(label, None if seconds is None else duration(seconds)))
            elif key.endswith("_at"):
                rows.append(_row(label, self._time(value)))
            else:
                rows.append(_row(label, compact(value)))
        return rows

    def first_contact_reply(self) -> list[Row | None]:
        f = self.c.first_contact_reply
        return [
            _row("At", self._time(f.get("created_at"))),
            _row("Type", f.get("type")),
            _row("URL", clean_url(str(f.get("url") or "")), f"underline {MUTED}"),
        ]

    def custom_attributes(self) -> list[Row | None]:
        return [
            _row(_text(key, 40), compact(value))
            for key, value in self.c.custom_attributes.items()
            if value is not None and value != ""
        ]

    def linked_objects(self) -> list[Row | None]:
        linked = self.c.linked_objects
        rows: list[Row | None] = []
        data = [d for d in _list(linked.get("data")) if isinstance(d, dict)]
        for item in data:
            category = item.get("category")
            rows.append(
                _row(
                    "",
                    Content.assemble(
                        (_text(item.get("type") or "object", 30), ""),
                        (f" #{_text(item.get('id') or '?', 40)}", "bold"),
                        (f" · {_text(category, 40)}" if category else "", MUTED),
                    ),
                )
            )
        total = linked.get("total_count")
        if isinstance(total, int) and total > len(data):
            rows.append(_row("", f"{total - len(data)} more not shown", MUTED))
        return rows

    def ai_agent(self) -> list[Row | None]:
        ai = self.c.ai_agent
        if not ai and not self.c.ai_agent_participated:
            return []
        sources = _dict(ai.get("content_sources"))
        rows: list[Row | None] = [
            _row("Participated", "yes" if self.c.ai_agent_participated else "no"),
            _row("Source", _maybe_humanise(ai.get("source_type"))),
            _row("Title", ai.get("source_title")),
            _row("Last answer", _maybe_humanise(ai.get("last_answer_type"))),
            _row("Resolution", _maybe_humanise(ai.get("resolution_state"))),
            _row("Rating", stars(ai.get("rating"))),
            _row("Remark", ai.get("rating_remark"), "italic"),
        ]
        for item in _list(sources.get("content_sources")):
            item = _dict(item)
            title = _text(item.get("title") or item.get("url") or "", 200)
            kind = _maybe_humanise(item.get("content_type"))
            if title:
                rows.append(
                    _row(
                        "Content",
                        Content.assemble((title, ""), (f" · {kind}" if kind else "", MUTED)),
                    )
                )
        return rows


#: Section keys (see ``Sidebar.section``), titles and row builders, in the order they appear.
SECTIONS: tuple[tuple[str, str, Callable[[_Builder], list[Row | None]]], ...] = (
    ("conversation", "Conversation", _Builder.conversation),
    ("assignment", "Assignment", _Builder.assignment),
    ("tags", "Tags", _Builder.tags),
    ("contacts", "Contacts", _Builder.contacts),
    ("teammates", "Teammates", _Builder.teammates),
    ("source", "Source", _Builder.source),
    ("rating", "Rating", _Builder.rating),
    ("sla", "SLA", _Builder.sla),
    ("statistics", "Statistics", _Builder.statistics),
    ("first-contact-reply", "First contact reply", _Builder.first_contact_reply),
    ("custom-attributes", "Custom attributes", _Builder.custom_attributes),
    ("linked-objects", "Linked objects", _Builder.linked_objects),
    ("ai-agent", "AI agent", _Builder.ai_agent),
)


def _maybe_humanise(value: object) -> str | None:
    return _text(str(value).replace("_", " "), 60) if isinstance(value, str) and value else None


def _dict(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []
