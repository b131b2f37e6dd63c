"""The conversation thread: every part of a conversation, read like a chat.

A Line-API ``ScrollView`` (as Textual's ``Log`` and Toolong's ``LogLines``): no widget per
part, so a 500-part thread costs one widget. Parts are laid out lazily, newest first: on
``show()`` only the parts that fill the screen are wrapped (the view is anchored to the
bottom like a chat), the screen paints, and older parts are laid out above in small batches
after each refresh, the visible lines staying put. Wrapped lines are kept per part and per
width; rendered strips sit in an ``LRUCache`` keyed by part, line, width and style
generation.

Every string from the API reaches the screen through ``render.safe`` and is drawn as plain
text with theme-variable styles (never markup), see DESIGN.md §10.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import count
from typing import Any, ClassVar, Protocol

from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.content import Content
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from intercom_tui.api.models import Attachment, Author, Conversation, Part, Source
from intercom_tui.render.html import Document, parse_html
from intercom_tui.render.safe import clean_line, clean_url
from intercom_tui.ui.document import STYLES, render_document
from intercom_tui.ui.format import (
    NAME_MAX,
    NameResolver,
    absolute_time,
    author_kind,
    author_name,
    filesize,
    time_ago,
)
from intercom_tui.ui.widgets.virtual_size import set_virtual_size

#: Part types that record an event rather than carry a message: drawn as one muted line.
SYSTEM_PART_TYPES = frozenset(
    {
        "assignment",
        "default_assignment",
        "away_mode_assignment",
        "assign_and_reopen",
        "assign_and_unsnooze",
        "open",
        "close",
        "snoozed",
        "unsnoozed",
        "timer_unsnooze",
        "participant_added",
        "participant_removed",
        "conversation_attribute_updated_by_admin",
        "conversation_attribute_updated_by_workflow",
        "conversation_attribute_updated_by_user",
        "title_changed",
        "priority_changed",
        "conversation_rating_changed",
        "conversation_rating_remark_added",
        "language_detection_details",
        "channel_and_reply_to_switched",
    }
)
_ASSIGNMENTS = frozenset(
    {
        "assignment",
        "default_assignment",
        "away_mode_assignment",
        "assign_and_reopen",
        "assign_and_unsnooze",
    }
)
_ATTRIBUTE_UPDATES = frozenset(
    {
        "conversation_attribute_updated_by_admin",
        "conversation_attribute_updated_by_workflow",
        "conversation_attribute_updated_by_user",
    }
)

_MUTED = STYLES["muted"]
#: Gutter bar colour and name style per author kind: customers stand out in the primary
#: colour, teammates stay neutral, notes (below) are the only warm block of the thread.
_BAR_STYLE = {
    "contact": "$primary",
    "admin": "$foreground 35%",
    "bot": "$secondary",
    "team": "$success",
}
_NAME_STYLE = {
    "contact": "bold $text-primary",
    "admin": "bold $foreground",
    "bot": "bold $text-secondary",
    "team": "bold $text-success",
}
NOTE_BAR = "▌"
MESSAGE_BAR = "▎"
NOTE_STYLE = "on $warning 12%"
NOTE_LABEL_STYLE = "bold $text-warning"
SUBJECT_STYLE = "bold $text-primary"
PENDING_STYLE = "italic $text-warning"
_GUTTER = 3  # " ▎ "
_SOURCE_KEY = "\0source"  # part ids never hold NUL
_PENDING_KEY = "\0pending:"
_FRAME_BUDGET = 0.012  # seconds of layout per streamed batch
_NO_LIMIT = 1 << 30
_MIN_WIDTH = 20


class _Entry:
    """One message of the thread (the opening message or a part) and its layout cache."""

    __slots__ = ("created_at", "document", "index", "item", "pending", "serial", "wrapped")

    def __init__(self, serial: int, index: int, item: Part | Source, created_at: int) -> None:
        self.serial = serial
        self.index = index
        self.item = item
        self.created_at = created_at
        self.pending = False  # a reply or note still in the outbox
        self.document: Document | None = None
        self.wrapped: dict[int, list[Content]] = {}

    @property
    def key(self) -> str:
        return self.item.id if isinstance(self.item, Part) else _SOURCE_KEY

    @property
    def is_system(self) -> bool:
        item = self.item
        if not isinstance(item, Part):
            return False
        if item.part_type in SYSTEM_PART_TYPES:
            return True
        return not item.body.strip() and not item.attachments and not item.redacted

    @property
    def is_note(self) -> bool:
        return isinstance(self.item, Part) and self.item.part_type == "note"

    def parsed(self) -> Document:
        if self.document is None:
            self.document = parse_html(self.item.body)
        return self.document


class _Painter:
    """Lays out one entry as lines of ``Content`` for a width: headers, bodies, events.

    Needs no widget or app: the look of a part is plain data until ``render_line``.
    """

    __slots__ = ("names", "now")

    def __init__(self, names: NameResolver, now: float) -> None:
        self.names = names
        self.now = now

    def lines(self, entry: _Entry, previous: _Entry | None, width: int) -> list[Content]:
        width = max(width, _MIN_WIDTH)
        out: list[Content] = []
        if previous is not None and not (entry.is_system and previous.is_system):
            out.append(Content())
        item = entry.item
        if isinstance(item, Source):
            out.extend(self._subject(item, width))
        if entry.is_system:
            assert isinstance(item, Part)
            out.extend(self._system(entry, item, width))
        else:
            out.extend(self._message(entry, width))
        return out

    def _when(self, ts: int) -> str:
        return f"{time_ago(ts, self.now)} ({absolute_time(ts, now=self.now)})"

    def _subject(self, source: Source, width: int) -> list[Content]:
        subject = clean_line(source.subject)
        if not subject:
            return []
        lines = Content.styled(subject, SUBJECT_STYLE).wrap(width - 2)
        return [Content(" ") + line for line in lines] + [Content()]

    def _message(self, entry: _Entry, width: int) -> list[Content]:
        item = entry.item
        kind = author_kind(item.author)
        note = entry.is_note
        bar_style = "$warning" if note else _BAR_STYLE.get(kind, _MUTED)
        bar = Content.assemble(" ", (NOTE_BAR if note else MESSAGE_BAR, bar_style), " ")
        inner = width - _GUTTER - 1
        lines = [self._header(entry, kind).truncate(inner, ellipsis=True)]
        if item.redacted:
            lines.append(Content.styled("[redacted]", f"italic {_MUTED}"))
        else:
            if item.body.strip():
                lines.extend(render_document(entry.parsed(), inner))
            lines.extend(_attachment_lines(item.attachments, inner))
        out = [bar + line for line in lines]
        if note:
            out = [line.pad_right(max(width - 1 - line.cell_length, 0)) for line in out]
            out = [line.stylize_before(NOTE_STYLE) for line in out]
        return out

    def _header(self, entry: _Entry, kind: str) -> Content:
        item = entry.item
        if isinstance(item, Source):
            label, label_style = _source_label(item), _MUTED
        elif entry.is_note:
            label, label_style = "Note", NOTE_LABEL_STYLE
        else:
            label, label_style = _part_label(item.part_type), _MUTED
        when = (" · sending…", PENDING_STYLE)
        if not entry.pending:
            when = (f" · {self._when(entry.created_at)}", _MUTED)
        return Content.assemble(
            (author_name(item.author, self.names), _NAME_STYLE.get(kind, "bold")),
            (f" · {kind} · ", _MUTED),
            (label, label_style),
            when,
        )

    def _system(self, entry: _Entry, part: Part, width: int) -> list[Content]:
        text = f"— {self._event(part)} · {time_ago(part.created_at, self.now)}"
        line = Content.styled(text, f"italic {_MUTED}").truncate(width - 2, ellipsis=True)
        out = [Content(" ") + line]
        if part.body.strip() and not part.redacted:  # e.g. a close that carried a message
            pad = Content(" " * _GUTTER)
            out.extend(pad + body for body in render_document(entry.parsed(), width - _GUTTER - 1))
        return out

    def _event(self, part: Part) -> str:
        """The sentence for a system part: "Ada assigned to Billing", "Closed by Ada"."""
        actor = author_name(part.author, self.names)
        kind = part.part_type
        if kind in _ASSIGNMENTS:
            target = self._assignee(part)
            verb = "reopened and assigned" if kind == "assign_and_reopen" else "assigned"
            text = f"{actor} {verb} to {target}" if target else f"{actor} unassigned"
            return f"{text} (away mode)" if kind == "away_mode_assignment" else text
        if kind == "open":
            return f"Reopened by {actor}"
        if kind == "close":
            return f"Closed by {actor}"
        if kind == "snoozed":
            until = part.raw.get("snoozed_until")
            if isinstance(until, int | float) and until > 0:
                return f"Snoozed by {actor} until {absolute_time(until, now=self.now)}"
            return f"Snoozed by {actor}"
        if kind in ("unsnoozed", "timer_unsnooze"):
            return "Snooze ended" if kind == "timer_unsnooze" else f"Unsnoozed by {actor}"
        if kind == "participant_added":
            return f"{actor} added a participant"
        if kind == "participant_removed":
            return f"{actor} removed a participant"
        if kind in _ATTRIBUTE_UPDATES:
            return f"{actor} updated conversation data"
        if kind == "title_changed":
            return f"{actor} changed the title"
        if kind == "priority_changed":
            return f"{actor} changed the priority"
        return f"{actor}: {_part_label(kind)}"

    def _assignee(self, part: Part) -> str | None:
        if part.assigned_to is None:
            return None
        ref = part.raw.get("assigned_to")
        ref_type = ref.get("type") if isinstance(ref, dict) else None
        if ref_type == "nobody_admin":
            return None
        lookups: tuple[Callable[[str], str | None], ...]
        if ref_type == "team":
            lookups = (self.names.team_name,)
        elif ref_type == "contact":
            lookups = (self.names.contact_name,)
        else:
            lookups = (self.names.admin_name, self.names.team_name)
        fallback = clean_line(f"#{part.assigned_to}", max_len=40)
        for lookup in lookups:
            if name := lookup(part.assigned_to):
                return clean_line(name, max_len=NAME_MAX) or fallback
        return fallback


def _part_label(part_type: str) -> str:
    return clean_line(part_type.replace("_", " "), max_len=40) or "message"


def _source_label(source: Source) -> str:
    kind = source.type if source.type not in ("", "conversation") else "message"
    return _part_label(kind)


def _attachment_lines(attachments: Iterable[Attachment], width: int) -> list[Content]:
    out: list[Content] = []
    for attachment in attachments:
        size = f" ({filesize(attachment.filesize)})" if attachment.filesize is not None else ""
        url = clean_url(attachment.url)
        line = Content.assemble(
            "📎 ",
            (clean_line(attachment.name, max_len=200) or "attachment", "bold"),
            (size, _MUTED),
            (f" {url}" if url else "", f"underline {_MUTED}"),
        )
        wrapped = line.wrap(max(width - 3, 8))
        out.extend((Content("   ") if i else Content()) + w for i, w in enumerate(wrapped))
    return out


class ThreadView(ScrollView, can_focus=True, inherit_bindings=False):
    """A conversation's opening message and parts, oldest at the top, streamed in lazily."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j,down", "scroll_down", "Down", show=False, id="thread.down"),
        Binding("k,up", "scroll_up", "Up", show=False, id="thread.up"),
        Binding("space,pagedown", "page_down", "Page down", show=False, id="thread.page_down"),
        Binding("b,pageup", "page_up", "Page up", show=False, id="thread.page_up"),
        Binding("g,home", "scroll_home", "Top", show=False, id="thread.top"),
        Binding("G,end", "scroll_end", "Bottom", show=False, id="thread.bottom"),
        Binding("h,left", "scroll_left", "Left", show=False, id="thread.left"),
        Binding("l,right", "scroll_right", "Right", show=False, id="thread.right"),
    ]

    DEFAULT_CSS = """
    ThreadView {
        background: $surface;
        color: $foreground;
        scrollbar-gutter: stable;  /* a scrollbar appearing must not re-wrap every line */
        scrollbar-size-vertical: 1;
        overflow-x: auto;
        overflow-y: auto;
        &:focus {
            background-tint: $foreground 3%;
        }
    }
    """

    class Rendered(Message):
        """Every part of the shown conversation is laid out (``count`` parts).

        Posted after ``show()`` and again after a re-layout (a new width, an update)."""

        def __init__(self, thread_view: ThreadView, count: int) -> None:
            super().__init__()
            self.thread_view = thread_view
            self.count = count

        @property
        def control(self) -> ThreadView:
            return self.thread_view

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        batch_size: int = 25,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        """``clock`` gives "now" for relative times (fix it for snapshots); ``batch_size``
        is how many older parts are laid out per refresh while streaming."""
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._clock = clock
        self._batch_size = max(1, batch_size)
        self._serials = count()
        self._entries: list[_Entry] = []
        self._rows: list[tuple[_Entry, int]] = []
        self._first = 0  # entries[_first:] are laid out (into _above, then _rows)
        #: Rows laid out above ``_rows`` while the view follows the bottom: spliced in
        #: once streaming ends or the reader scrolls (``_splice``), not per batch.
        self._above: list[tuple[_Entry, int]] = []
        self._above_entries = 0  # how many entries those rows are
        self._width = 0  # layout width; 0 until the widget has a size
        self._widest = 0
        self._epoch = 0  # bumps on show/clear/re-layout so stale batches stop
        self._style_generation = 0
        self._strips: LRUCache[tuple[int, int, int, int], Strip] = LRUCache(1024)
        self._painter = _Painter(_NoNames(), clock())
        self._pinned = True
        self._adjusting = False
        self._conversation_id: str | None = None

    # ----------------------------------------------------------------- public API
    @property
    def is_anchored(self) -> bool:
        """True while the view follows the bottom (new parts scroll into view)."""
        return self._pinned

    @property
    def line_count(self) -> int:
        """Lines laid out so far."""
        return len(self._rows)

    @property
    def part_count(self) -> int:
        """Parts shown (neither the opening message nor pending messages count)."""
        return sum(_is_part(e) for e in self._entries)

    @property
    def rendered_count(self) -> int:
        """Parts laid out into the view so far; equals ``part_count`` once ``Rendered``
        was posted (those set aside above the followed bottom do not count yet)."""
        return sum(_is_part(e) for e in self._entries[self._first + self._above_entries :])

    @property
    def text(self) -> str:
        """Plain text of the laid-out lines, top to bottom (for tests and copying)."""
        return "\n".join(self._lines(entry)[offset].plain for entry, offset in self._rows)

    def show(self, conversation: Conversation, *, names: NameResolver) -> None:
        """Replace the thread with ``conversation``: its opening message, then its parts."""
        self._painter = _Painter(names, self._clock())
        self._conversation_id = conversation.id
        self._reset()
        source = conversation.source
        if source.id or source.body.strip() or source.subject.strip():
            self._entries.append(self._entry(source, conversation.created_at))
        for part in conversation.parts:
            self._entries.append(self._entry(part, part.created_at))
        self._first = len(self._entries)
        self._stream()

    def append_parts(self, parts: Sequence[Part]) -> None:
        """Add ``parts`` at the bottom (a reply just sent, a poll); the view follows them
        if it was at the bottom, and stays where the reader is otherwise."""
        known = {e.key for e in self._entries}
        fresh = [p for p in parts if p.id not in known]
        if fresh:
            pending = self._pop_pending()
            self._append(fresh, pending=False)
            self._append(pending, pending=True)

    def names_changed(self) -> None:
        """Names of teammates, teams or contacts were learnt (a first sync): lay every
        line out again, keeping the reader where they are."""
        for entry in self._entries:
            entry.wrapped.clear()
        if self._width:
            self._relayout(self._width, force=True)

    def set_pending(self, messages: Sequence[PendingMessage]) -> None:
        """Show replies and notes still in the outbox after the last part, marked
        "sending…"; replaces the previous pending ones (pass ``[]`` once they are sent)."""
        parts = [_pending_part(i, m) for i, m in enumerate(messages)]
        if parts == [e.item for e in self._entries if e.pending]:
            return
        self._pop_pending()
        self._append(parts, pending=True)

    def update_parts(self, conversation: Conversation) -> None:
        """Merge a fresher copy of the shown conversation: changed parts are redrawn in
        place, new ones appended; the reader's position is kept. Another conversation
        than the one shown is shown instead (with the last names given)."""
        if conversation.id != self._conversation_id:
            self.show(conversation, names=self._painter.names)
            return
        by_key = {e.key: e for e in self._entries}
        changed = False
        source = by_key.get(_SOURCE_KEY)
        if source is not None and source.item != conversation.source:
            self._replace(source, conversation.source)
            changed = True
        fresh: list[Part] = []
        for part in conversation.parts:
            entry = by_key.get(part.id)
            if entry is None:
                fresh.append(part)
            elif entry.item != part:
                self._replace(entry, part)
                changed = True
        if changed and self._width:
            self._relayout(self._width, force=True)
        if fresh:
            self.append_parts(fresh)

    def clear(self) -> None:
        """Show nothing."""
        self._conversation_id = None
        self._reset()
        self._update_virtual_size()
        self.refresh()

    # -------------------------------------------------------------- layout engine
    def _entry(self, item: Part | Source, created_at: int) -> _Entry:
        return _Entry(next(self._serials), len(self._entries), item, created_at)

    def _pop_pending(self) -> list[Part]:
        """Take the pending entries off the end (new parts go in above them)."""
        items: list[Part] = []
        while self._entries and self._entries[-1].pending:
            item = self._entries.pop().item
            assert isinstance(item, Part)
            items.append(item)
        while self._rows and self._rows[-1][0].pending:
            self._rows.pop()
        self._first = min(self._first, len(self._entries))
        return items[::-1]

    def _append(self, parts: Sequence[Part], *, pending: bool) -> None:
        for part in parts:
            entry = self._entry(part, part.created_at)
            entry.pending = pending
            self._entries.append(entry)
        if not self._width:  # nothing laid out yet: the first resize lays out the bottom
            self._first = len(self._entries)
            return
        # Laid out below the rendered rows, even mid-stream (older parts stream above).
        for entry in self._entries[len(self._entries) - len(parts) :]:
            self._rows.extend(self._entry_rows(entry))
        self._after_growth(0)

    def _reset(self) -> None:
        self._epoch += 1
        self._entries = []
        self._rows = []
        self._above, self._above_entries = [], 0
        self._first = 0
        self._widest = 0
        self._strips.clear()
        self._pinned = True

    def _replace(self, entry: _Entry, item: Part | Source) -> None:
        entry.item = item
        entry.serial = next(self._serials)
        entry.document = None
        entry.wrapped.clear()
        if entry.index + 1 < len(self._entries):  # its separator may depend on this one
            self._entries[entry.index + 1].wrapped.clear()
            self._entries[entry.index + 1].serial = next(self._serials)

    def _lines(self, entry: _Entry) -> list[Content]:
        width = self._width
        lines = entry.wrapped.get(width)
        if lines is None:
            previous = self._entries[entry.index - 1] if entry.index else None
            lines = self._painter.lines(entry, previous, width)
            if len(entry.wrapped) >= 3:  # keep a few widths: toggling layouts is free
                entry.wrapped.pop(next(iter(entry.wrapped)))
            entry.wrapped[width] = lines
        return lines

    def _entry_rows(self, entry: _Entry) -> list[tuple[_Entry, int]]:
        lines = self._lines(entry)
        if lines:
            self._widest = max(self._widest, max(line.cell_length for line in lines))
        return [(entry, offset) for offset in range(len(lines))]

    def _content_width(self) -> int:
        return self.scrollable_content_region.width

    def _prepend(self, max_entries: int, max_lines: int, budget: float | None = None) -> None:
        """Lay out entries above the laid-out ones, into ``_above`` (``_splice`` moves
        them into the view). Stops after ``max_entries`` entries, ``max_lines`` lines or
        ``budget`` seconds.
        """
        rows: list[list[tuple[_Entry, int]]] = []
        lines = 0
        deadline = None if budget is None else time.perf_counter() + budget
        while self._first > 0 and len(rows) < max_entries and lines < max_lines:
            self._first -= 1
            entry_rows = self._entry_rows(self._entries[self._first])
            rows.append(entry_rows)
            lines += len(entry_rows)
            if deadline is not None and time.perf_counter() > deadline:
                break
        self._above[0:0] = [row for entry_rows in reversed(rows) for row in entry_rows]
        self._above_entries += len(rows)

    def _splice(self) -> None:
        """Put the rows laid out above into the view, keeping what it shows in place.

        Older parts stream in above the bottom, which the view follows: a splice per batch
        changed the scroll offset each time, and Textual then repainted the whole thread
        (~10 KB to the terminal per batch, ~250 KB for a 500-part thread) to show the same
        lines. Kept aside, they cost one repaint when streaming ends or the reader scrolls.
        """
        if self._above:
            added = len(self._above)
            self._rows[0:0] = self._above
            self._above, self._above_entries = [], 0
            self._after_growth(added)

    def _stream(self) -> None:
        """First screen now (bottom first), older parts on later refreshes."""
        self._width = self._content_width()
        if not self._width:
            return  # laid out on the first resize
        height = max(self.scrollable_content_region.height, 1)
        self._prepend(len(self._entries), height + 1)
        if self._above:
            self._splice()  # the first screen: into the view at once
        else:
            self._after_growth(0)
        self._schedule()

    def _schedule(self) -> None:
        if self._first > 0:
            self.call_after_refresh(self._stream_batch, self._epoch)
        else:
            self.post_message(self.Rendered(self, self.part_count))

    def _stream_batch(self, epoch: int) -> None:
        if epoch != self._epoch or not self.is_attached or self._first == 0:
            return
        self._prepend(self._batch_size, _NO_LIMIT, _FRAME_BUDGET)
        short = len(self._rows) <= self.scrollable_content_region.height  # taller now
        if not self._pinned or self._first == 0 or short:
            self._splice()
        self._schedule()

    def _finish_stream(self) -> None:
        """Lay out everything left at once (the reader jumped to the top)."""
        if self._width and (self._first > 0 or self._above):
            self._prepend(len(self._entries), _NO_LIMIT)
            self._splice()
            self._epoch += 1
            self.post_message(self.Rendered(self, self.part_count))

    def _after_growth(self, added_above: int) -> None:
        """Rows changed: resize, then keep the bottom in view or the visible lines still."""
        pinned = self._pinned
        self._update_virtual_size()
        if pinned:
            self._scroll_quietly(self.max_scroll_y)
        elif added_above:
            self._scroll_quietly(self.scroll_y + added_above)
        self.refresh()

    def _update_virtual_size(self) -> None:
        set_virtual_size(self, Size(max(self._widest, self._width), len(self._rows)))

    def _scroll_quietly(self, y: float) -> None:
        """Scroll for the layout's sake without touching the reader's pinned state."""
        self._adjusting = True
        try:
            self.scroll_to(y=y, animate=False, immediate=True, force=True)
        finally:
            self._adjusting = False

    def _relayout(self, width: int, *, force: bool = False) -> None:
        """Re-wrap for a new width, keeping the line at the top of the view in place."""
        if width == self._width and not force:
            return
        anchor: tuple[_Entry, int] | None = None
        if not self._pinned and self._rows:
            row = min(round(self.scroll_y), len(self._rows) - 1)
            anchor = self._rows[row]
        self._epoch += 1
        self._strips.clear()
        self._width = width
        self._widest = 0
        self._rows = []
        self._above, self._above_entries = [], 0
        if not self._entries:
            self._first = 0
            return
        if anchor is None:
            self._first = len(self._entries)
            self._stream()
            return
        entry, offset = anchor
        self._first = entry.index
        self._rows = [r for e in self._entries[self._first :] for r in self._entry_rows(e)]
        self._update_virtual_size()
        self._scroll_quietly(min(offset, len(self._lines(entry)) - 1))
        self.refresh()
        self._schedule()

    # ------------------------------------------------------------------ rendering
    def render_lines(self, crop: Region) -> list[Strip]:
        """The first paint comes before the first ``Resize`` is handled: lay out the
        screenful now, rather than paint an empty thread and lay it out a frame later."""
        if not self._width and self._entries and self._content_width():
            self._stream()
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self._content_width()
        base = self.visual_style
        row = scroll_y + y
        if row >= len(self._rows) or not self._width:
            return Strip.blank(width, base.rich_style)
        entry, offset = self._rows[row]
        key = (entry.serial, offset, self._width, self._style_generation)
        strip = self._strips.get(key)
        if strip is None:
            line = self._lines(entry)[offset]
            strip = Strip(line.render_segments(base), line.cell_length)
            self._strips[key] = strip
        return strip.crop_extend(scroll_x, scroll_x + width, base.rich_style)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._style_generation += 1
        self._strips.clear()

    # ------------------------------------------------------------- events, keys
    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, self._on_theme_changed)

    def _on_theme_changed(self, _theme: object) -> None:
        self.notify_style_update()
        self.refresh()

    def on_resize(self, _event: events.Resize) -> None:
        width = self._content_width()
        if width != self._width:
            self._relayout(width)
        elif self._pinned:
            self._scroll_quietly(self.max_scroll_y)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if not self._adjusting:
            self._pinned = round(new_value) >= self.max_scroll_y
            if not self._pinned:
                self._splice()  # the reader left the bottom (wheel, scrollbar)

    def _on_mouse_scroll_up(self, _event: events.MouseScrollUp) -> None:
        """Textual calls this before ``Widget``'s own handler (each class's in turn), which
        scrolls, clamped to the rows in the view: the rows set aside go in first."""
        self._splice()

    # Key actions scroll at once (no animation: lines streaming in above would move an
    # animation's target) and with force, as scrollbars appear only after the next layout.
    def action_scroll_down(self) -> None:
        self.scroll_relative(y=1, animate=False, force=True)

    def action_scroll_up(self) -> None:
        self._splice()  # first: the lines above must be there to scroll to
        self.scroll_relative(y=-1, animate=False, force=True)

    def action_page_down(self) -> None:
        self.scroll_page_down(animate=False, force=True)

    def action_page_up(self) -> None:
        self._splice()
        self.scroll_page_up(animate=False, force=True)

    def action_scroll_home(self) -> None:
        self._finish_stream()
        self.scroll_to(y=0, animate=False, immediate=True, force=True)

    def action_scroll_end(self) -> None:
        self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True, force=True)

    def action_scroll_left(self) -> None:
        self.scroll_relative(x=-4, animate=False, force=True)

    def action_scroll_right(self) -> None:
        self.scroll_relative(x=4, animate=False, force=True)


def _is_part(entry: _Entry) -> bool:
    return isinstance(entry.item, Part) and not entry.pending


class PendingMessage(Protocol):
    """A reply or note waiting in the outbox (``service.actions.Action`` fits)."""

    @property
    def kind(self) -> str: ...  # "reply" or "note"

    @property
    def params(self) -> Mapping[str, Any]: ...  # "body": the HTML to send


def _pending_part(index: int, message: PendingMessage) -> Part:
    body = message.params.get("body")
    return Part(
        id=f"{_PENDING_KEY}{index}",
        part_type="note" if message.kind == "note" else "comment",
        body=body if isinstance(body, str) else "",
        created_at=0,  # not shown: a pending message says "sending…"
        author=Author(type="admin", id="", name="You"),
    )


class _NoNames:
    """Resolver used before the first ``show()``: every name falls back to the part's."""

    def admin_name(self, id: str) -> str | None:
        return None

    def team_name(self, id: str) -> str | None:
        return None

    def contact_name(self, id: str) -> str | None:
        return None
