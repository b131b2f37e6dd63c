"""The inbox list: a Line-API view over any number of cached conversations.

No widget per row and no list of all rows in memory: ``virtual_size`` says how many rows
there are, ``render_line`` draws the ones on screen from a small window of ``ListItem``s
fetched around the viewport (a windowed SQL query), like Textual's own ``Log`` and
Toolong's ``LogLines``. So 1,000,000 rows scroll like 100.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import ClassVar, NamedTuple, Protocol

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from intercom_tui.service.directory import ListItem
from intercom_tui.ui.format import relative_time
from intercom_tui.ui.widgets.virtual_size import set_virtual_size

#: Rows fetched beyond the viewport on each side, so small moves need no query.
MARGIN = 40
#: Rows read around the visible ones when data changes under the list (see ``reload``).
RELOAD_MARGIN = 4


class RowSource(Protocol):
    """What the list reads: a count and windows of rows (the service, bound to a view)."""

    def count(self) -> int: ...

    def window(self, offset: int, limit: int) -> Sequence[ListItem]: ...

    def index_of(self, conversation_id: str) -> int | None: ...


class Columns(NamedTuple):
    """Column widths for a given terminal width; narrow terminals drop the extras."""

    contact: int
    assignee: int
    tags: int
    time: int = 6  # "in 3d", "Jan 15"

    @classmethod
    def for_width(cls, width: int) -> Columns:
        if width >= 150:
            return cls(contact=22, assignee=18, tags=30)
        if width >= 110:
            return cls(contact=20, assignee=16, tags=22)
        if width >= 90:
            return cls(contact=18, assignee=14, tags=0)
        return cls(contact=14, assignee=0, tags=0)


class ConversationList(ScrollView, can_focus=True):
    """Keyboard-first list with a cursor and multi-select."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j,down", "cursor_down", "Down", show=False, id="list.down"),
        Binding("k,up", "cursor_up", "Up", show=False, id="list.up"),
        Binding("g,home", "first", "Top", show=False, id="list.top"),
        Binding("G,end", "last", "Bottom", show=False, id="list.bottom"),
        Binding("pagedown,ctrl+f,space", "page_down", "Page down", show=False, id="list.page_down"),
        Binding("pageup,ctrl+b", "page_up", "Page up", show=False, id="list.page_up"),
        Binding("enter", "open", "Open", id="list.open"),
        Binding("x", "toggle_select", "Select", show=False, id="list.select"),
        Binding("J,shift+down", "extend_down", "Extend down", show=False, id="list.extend_down"),
        Binding("K,shift+up", "extend_up", "Extend up", show=False, id="list.extend_up"),
        Binding("ctrl+a", "select_visible", "Select page", show=False, id="list.select_page"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "conversation-list--cursor",
        "conversation-list--selected",
        "conversation-list--unread",
        "conversation-list--priority",
        "conversation-list--muted",
        "conversation-list--tag",
        "conversation-list--waiting",
        "conversation-list--empty",
    }

    cursor: reactive[int] = reactive(0, init=False)

    class Highlighted(Message):
        def __init__(self, item: ListItem | None, index: int) -> None:
            super().__init__()
            self.item = item
            self.index = index

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, ConversationList.Highlighted)

    class Opened(Message):
        def __init__(self, item: ListItem, index: int) -> None:
            super().__init__()
            self.item = item
            self.index = index

    class SelectionChanged(Message):
        def __init__(self, count: int) -> None:
            super().__init__()
            self.count = count

    def __init__(
        self,
        source: RowSource | None = None,
        *,
        clock: Callable[[], float] = time.time,
        empty_text: str = "No conversations in this view.",
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._source = source
        self._clock = clock
        self._count = 0
        self._window_start = 0
        self._window: list[ListItem] = []
        self.selected: set[str] = set()
        self._styles: dict[str, Style] = {}
        self._lines: LRUCache[tuple[object, ...], Strip] = LRUCache(512)
        self._looks: tuple[Style, ...] = ()
        self.empty_text = empty_text

    # ------------------------------------------------------------------ data
    @property
    def row_count(self) -> int:
        return self._count

    @property
    def source(self) -> RowSource | None:
        return self._source

    def index_of(self, conversation_id: str) -> int | None:
        """Where a conversation is in what the list shows (its source decides how)."""
        return None if self._source is None else self._source.index_of(conversation_id)

    def set_source(
        self,
        source: RowSource,
        *,
        count: int | None = None,
        rows: Sequence[ListItem] | None = None,
    ) -> None:
        """Show another view (or the same one with a new filter), cursor at the top.

        ``count`` and ``rows`` (the first window) may have been read in a worker, for
        queries too slow for the UI thread (full-text search on a big cache).
        """
        self._source = source
        self._count = source.count() if count is None else count
        self._window = list(rows or [])
        self._window_start = 0
        if rows is None and self._count:
            # One screenful: this is on the path to the first frame; scrolling reads more.
            self._fetch(0, (self.size.height or self.app.size.height) + RELOAD_MARGIN)
        self.selected.clear()
        set_virtual_size(self, Size(self.size.width, self._count))
        self.set_cursor(0, scroll=False)
        self.scroll_to(y=0, animate=False, immediate=True)
        self.refresh()
        self.post_message(self.SelectionChanged(0))

    def set_count(self, count: int) -> None:
        self._count = count
        set_virtual_size(self, Size(self.size.width, count))
        self.refresh()

    def reload(self, *, count: int | None = None) -> None:
        """Re-read after the data changed, keeping the cursor on the same conversation."""
        if self._source is None:
            return
        current = self.current_item
        top_gap = self.cursor - int(self.scroll_offset.y)
        top = int(self.scroll_offset.y)
        shown = range(top, top + self.size.height)
        before = [self._cached(index) for index in shown]
        self._count = self._source.count() if count is None else count
        set_virtual_size(self, Size(self.size.width, self._count))
        # Just the rows on screen (and a few around): this runs in the frame that shows a
        # triage action, and scrolling on fetches the usual wider window when it needs to.
        self._fetch(max(0, top - RELOAD_MARGIN), self.size.height + 2 * RELOAD_MARGIN)
        still_here = self.item_at(self.cursor)
        if current is not None and still_here is not None and still_here.id == current.id:
            index: int | None = self.cursor  # the common case: no search needed
        else:
            index = self._source.index_of(current.id) if current else None
        if index is None:
            index = min(self.cursor, max(0, self._count - 1))
        self.set_cursor(index, scroll=False)
        target = max(0, index - top_gap)
        if target != top:  # even a scroll to where it is costs a full repaint
            self.scroll_to(y=target, animate=False, immediate=True)
        if int(self.scroll_offset.y) != top:
            self.refresh()
            return
        # Only the rows that changed: one toggled tag redraws one line, not the screen
        # (and not every line of a dialog's backdrop above it).
        changed = [i for i, old in zip(shown, before, strict=True) if old != self.item_at(i)]
        if len(changed) > len(shown) // 2:
            self.refresh()  # rows moved (a close, a snooze): one region is cheaper
        else:
            for index in changed:
                self.refresh_line(index)

    def _cached(self, index: int) -> ListItem | None:
        """The row at ``index`` if it is in the window already (no query)."""
        offset = index - self._window_start
        return self._window[offset] if 0 <= offset < len(self._window) else None

    def item_at(self, index: int) -> ListItem | None:
        if self._source is None or not 0 <= index < self._count:
            return None
        item = self._cached(index)
        if item is None:
            self._fetch(max(0, index - MARGIN), max(self.size.height, 24) + 2 * MARGIN)
            item = self._cached(index)
        return item

    def _fetch(self, start: int, limit: int) -> None:
        assert self._source is not None
        self._window = list(self._source.window(start, limit))
        self._window_start = start

    @property
    def current_item(self) -> ListItem | None:
        return self.item_at(self.cursor)

    def selected_ids(self) -> list[str]:
        """Selected rows, or the cursor row when nothing is selected."""
        if self.selected:
            return sorted(self.selected)
        item = self.current_item
        return [item.id] if item else []

    # ------------------------------------------------------------------ cursor
    def set_cursor(self, index: int, *, scroll: bool = True) -> None:
        index = max(0, min(index, self._count - 1)) if self._count else 0
        old = self.cursor
        self.set_reactive(ConversationList.cursor, index)
        self.refresh_line(old)
        self.refresh_line(index)
        if scroll:
            self._scroll_cursor_into_view()
        self.post_message(self.Highlighted(self.current_item, index))

    def _scroll_cursor_into_view(self) -> None:
        top = int(self.scroll_offset.y)
        height = self.scrollable_content_region.height or self.size.height
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False, immediate=True)

    def _page(self) -> int:
        return max(1, (self.scrollable_content_region.height or self.size.height) - 1)

    def action_cursor_down(self) -> None:
        self.set_cursor(self.cursor + 1)

    def action_cursor_up(self) -> None:
        self.set_cursor(self.cursor - 1)

    def action_first(self) -> None:
        self.set_cursor(0)

    def action_last(self) -> None:
        self.set_cursor(self._count - 1)

    def action_page_down(self) -> None:
        page = self._page()
        self.scroll_to(y=self.scroll_offset.y + page, animate=False, immediate=True)
        self.set_cursor(self.cursor + page)

    def action_page_up(self) -> None:
        page = self._page()
        self.scroll_to(y=max(0, self.scroll_offset.y - page), animate=False, immediate=True)
        self.set_cursor(self.cursor - page)

    def action_open(self) -> None:
        item = self.current_item
        if item is not None:
            self.post_message(self.Opened(item, self.cursor))

    def action_toggle_select(self) -> None:
        item = self.current_item
        if item is None:
            return
        self.selected.symmetric_difference_update({item.id})
        self.set_cursor(self.cursor + 1)  # redraws the old and new cursor lines: enough
        self.post_message(self.SelectionChanged(len(self.selected)))

    def _extend(self, step: int) -> None:
        item = self.current_item
        if item is None:
            return
        self.selected.add(item.id)
        self.set_cursor(self.cursor + step)
        nxt = self.current_item
        if nxt is not None:
            self.selected.add(nxt.id)  # both lines were marked for redraw by set_cursor
        self.post_message(self.SelectionChanged(len(self.selected)))

    def action_extend_down(self) -> None:
        self._extend(1)

    def action_extend_up(self) -> None:
        self._extend(-1)

    def action_select_visible(self) -> None:
        top = int(self.scroll_offset.y)
        for index in range(top, min(self._count, top + self.size.height)):
            item = self.item_at(index)
            if item is not None:
                self.selected.add(item.id)
        self.refresh()
        self.post_message(self.SelectionChanged(len(self.selected)))

    def clear_selection(self) -> None:
        if self.selected:
            self.selected.clear()
            self.refresh()
            self.post_message(self.SelectionChanged(0))

    def on_click(self, event: events.Click) -> None:
        index = int(self.scroll_offset.y) + event.y
        if 0 <= index < self._count:
            if self.cursor == index and event.chain >= 2:
                self.action_open()
            self.set_cursor(index)

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(event.size.width, self._count)

    # ------------------------------------------------------------------ drawing
    def notify_style_update(self) -> None:
        """Styles were recomputed: redraw the lines only if what they use changed.

        Textual recomputes styles on every focus change and screen switch, most of the
        time to the same values; dropping the lines each time made closing a picker redraw
        every row.
        """
        super().notify_style_update()
        try:
            looks = (
                self.rich_style,
                *(self.get_component_rich_style(name, partial=True) for name in _COMPONENTS),
            )
        except KeyError:  # component styles not applied yet (mounting)
            looks = ()
        if not looks or looks != self._looks:
            self._looks = looks
            self._styles.clear()
            self._lines.clear()

    def _style(self, name: str) -> Style:
        """A component's own style (partial, so it layers over the row), cached."""
        style = self._styles.get(name)
        if style is None:
            style = self._styles[name] = self.get_component_rich_style(name, partial=True)
        return style

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width or self.size.width
        index = int(self.scroll_offset.y) + y
        base = self._styles.get("") or self._styles.setdefault("", self.rich_style)
        if self._count == 0:
            if y == 1:
                text = set_cell_size(f"  {self.empty_text}", width)
                return Strip([Segment(text, base + self._style("conversation-list--empty"))], width)
            return Strip.blank(width, base)
        item = self.item_at(index)
        if item is None:
            return Strip.blank(width, base)
        # Time columns change by the minute; everything else that changes the look is here.
        key = (
            item,
            index == self.cursor,
            item.id in self.selected,
            width,
            int(self._clock()) // 60,
        )
        strip = self._lines.get(key)
        if strip is None:
            strip = self._lines[key] = Strip(self._segments(item, index, width, base), width)
        return strip

    def _segments(self, item: ListItem, index: int, width: int, base: Style) -> list[Segment]:
        cols = Columns.for_width(width)
        style = self._style
        muted = style("conversation-list--muted")
        row = base
        if item.id in self.selected:
            row = row + style("conversation-list--selected")
        if index == self.cursor:
            row = row + style("conversation-list--cursor")
        text = row + (style("conversation-list--unread") if not item.read else Style())
        mark = "✓" if item.id in self.selected else ("●" if not item.read else " ")
        segs: list[Segment] = [
            Segment(f" {mark}", row + style("conversation-list--unread")),
            Segment("!" if item.priority else " ", row + style("conversation-list--priority")),
            Segment(_STATE_ICON.get(item.state, " ") + " ", row + muted),
            Segment(_fit(item.contact or "—", cols.contact) + "  ", text),
        ]
        when, waiting = self._when(item)
        right: list[Segment] = []
        if cols.tags:
            tags = ", ".join(item.tags)
            right.append(
                Segment(_fit(tags, cols.tags) + " ", row + style("conversation-list--tag"))
            )
        if cols.assignee:
            right.append(Segment(_fit(item.assignee or "·", cols.assignee) + " ", row + muted))
        time_style = row + (style("conversation-list--waiting") if waiting else muted)
        right.append(Segment(when.rjust(cols.time)[: cols.time] + " ", time_style))
        used = sum(cell_len(s.text) for s in segs) + sum(cell_len(s.text) for s in right)
        subject_width = max(0, width - used - 1)  # one space before the next column
        subject = item.subject
        if not cols.tags and item.tags and subject_width > 20:
            subject = f"{subject}  [{', '.join(item.tags)}]" if subject else ", ".join(item.tags)
        segs.append(Segment(_fit(subject, subject_width) + " ", text))
        segments = segs + right
        if index == self.cursor:
            # One readable colour across the cursor row, whatever the theme's cursor is.
            ink = self._cursor_ink()
            segments = [Segment(seg.text, (seg.style or Style()) + ink) for seg in segments]
        return segments

    def _cursor_ink(self) -> Style:
        """Black or white text, whichever reads better on the cursor's background."""
        ink = self._styles.get("ink")
        if ink is None:
            background = (self._style("conversation-list--cursor") or Style()).bgcolor
            if background is None:
                ink = Style()
            else:
                r, g, b = background.get_truecolor()
                light = (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255 > 0.5
                ink = Style(color="#111111" if light else "#ffffff")
            self._styles["ink"] = ink
        return ink

    def _when(self, item: ListItem) -> tuple[str, bool]:
        """Snoozed-until for snoozed rows ("in 3d"), waiting time when a contact waits,
        else updated."""
        now = self._clock()
        if item.state == "snoozed" and item.snoozed_until:
            return relative_time(item.snoozed_until, now), False
        if item.state != "closed" and item.waiting_since:
            return relative_time(item.waiting_since, now), True
        return relative_time(item.updated_at, now), False


_STATE_ICON = {"open": "○", "snoozed": "◔", "closed": "✓"}
_COMPONENTS = tuple(sorted(ConversationList.COMPONENT_CLASSES))


def _fit(text: str, width: int) -> str:
    """``text`` in exactly ``width`` cells; a cut shows as "…" so it is not read as whole."""
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(text, width - 1) + "…" if width > 1 else set_cell_size(text, width)
