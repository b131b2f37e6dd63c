"""The conversation sidebar: every field of a Conversation, readable, in sections.

Sections are composed once and only updated on ``show()`` (no mounting while the reader
walks conversations with ``]``/``[``); a section with nothing to say is hidden, so the
reader never sees "None". Each section draws its rows itself as ``Content`` wrapped to
its width with a hanging indent under the key column. Every value from the API goes
through ``render.safe`` and is drawn as plain text (never markup).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.geometry import Size
from textual.widget import Widget

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


class SidebarSection(Widget):
    """A titled block of rows laid out for its own width (hanging indent, no markup)."""

    def __init__(self, title: str, *, id: str) -> None:
        super().__init__(id=id, classes="sidebar-section")
        self.border_title = title
        self.rows: tuple[Row, ...] = ()
        self._cache: tuple[int, tuple[Row, ...], list[Content]] | None = None

    def update(self, rows: Iterable[Row | None]) -> None:
        """Show ``rows`` (``None`` entries skipped); hidden when none are left."""
        self.rows = tuple(r for r in rows if r is not None)
        self.display = bool(self.rows)
        self.refresh(layout=True)

    @property
    def text(self) -> str:
        """The section as plain text (for tests and copy)."""
        return "\n".join(f"{r.key} {r.value.plain}".strip() for r in self.rows)

    def lines(self, width: int) -> list[Content]:
        width = max(width, 10)
        if self._cache is not None and self._cache[0] == width and self._cache[1] is self.rows:
            return self._cache[2]
        out: list[Content] = []
        for row in self.rows:
            out.extend(_layout_row(row, width))
        self._cache = (width, self.rows, out)
        return out

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.lines(width))

    def render(self) -> Content:
        return Content("\n").join(self.lines(self.content_region.width))


def _layout_row(row: Row, width: int) -> list[Content]:
    """Key column then the value, wrapped with a hanging indent under the value."""
    if not row.key:
        return row.value.wrap(width)
    key = Content.styled(row.key, MUTED)
    if key.cell_length < KEY_WIDTH:
        lines = row.value.wrap(width - KEY_WIDTH)
        pad = Content(" " * KEY_WIDTH)
        first = key + " " * (KEY_WIDTH - key.cell_length)
        return [(first if i == 0 else pad) + line for i, line in enumerate(lines)]
    indent = Content("  ")
    return [*key.wrap(width), *(indent + line for line in row.value.wrap(width - 2))]


class Sidebar(VerticalScroll):
    """Everything known about a conversation; sections ``#sidebar-<name>`` (see SECTIONS)."""

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

    def compose(self) -> ComposeResult:
        for key, title, _rows in SECTIONS:
            section = SidebarSection(title, id=f"sidebar-{key}")
            section.display = False
            yield section

    def section(self, key: str) -> SidebarSection:
        return self.query_one(f"#sidebar-{key}", SidebarSection)

    def show(self, conversation: Conversation, *, names: NameResolver) -> None:
        """Show ``conversation``; sections without content are hidden."""
        build = _Builder(conversation, names, self._clock())
        for key, _title, rows in SECTIONS:
            self.section(key).update(rows(build))


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


#: Section ids (``#sidebar-<id>``), titles and row builders, in the order they appear.
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
