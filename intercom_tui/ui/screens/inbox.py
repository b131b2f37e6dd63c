"""The inbox list screen: view bar, the virtual conversation list, filter box, status line."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.cells import cell_len
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.geometry import Size
from textual.reactive import Reactive
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input, Static
from textual.worker import get_current_worker

from intercom_tui.render.safe import clean_line
from intercom_tui.service.directory import ListItem
from intercom_tui.service.inbox import InboxService, ReferenceChanged, RowsChanged, SearchRows
from intercom_tui.service.views import View
from intercom_tui.store.cache import Sort
from intercom_tui.ui.messages import ServiceEvent, SyncStatus
from intercom_tui.ui.screens.triage import TriageScreen
from intercom_tui.ui.widgets.conversation_list import ConversationList
from intercom_tui.ui.widgets.key_bar import KeyBar
from intercom_tui.ui.widgets.status_bar import StatusBar

#: Filter text starting with this is also sent to Intercom's search (like ctrl+/).
SERVER_PREFIX = "?"
#: Rows a filter's worker reads first (when the quick walk gave up): a tall terminal plus
#: a page of scrolling.
FIRST_WINDOW = 160
#: Rows of the view a filter may test on the UI thread (~4 µs each at a million cached)
#: for its first screenful, before a worker asks the full-text index instead.
QUICK_MAX_ROWS = 1000
#: The same when a filtered list scrolls beyond the rows it holds.
SCROLL_MAX_ROWS = 3000
#: Seconds of quiet after a change before the view counts are recomputed.
COUNTS_DELAY = 0.4
_SORTS = [Sort.UPDATED, Sort.WAITING, Sort.PRIORITY]
_SORT_NAMES = {Sort.UPDATED: "newest", Sort.WAITING: "oldest waiting", Sort.PRIORITY: "priority"}


class ViewSource:
    """Binds the service to one view: what ``ConversationList`` reads."""

    def __init__(self, service: InboxService, view: View) -> None:
        self.service = service
        self.view = view

    def count(self) -> int:
        return self.service.count(self.view)

    def window(self, offset: int, limit: int) -> Sequence[ListItem]:
        return self.service.window(self.view, offset, limit)

    def index_of(self, conversation_id: str) -> int | None:
        return self.service.index_of(self.view, conversation_id)


class FilterSource(ViewSource):
    """A view with filter text: windows near the top come from a walk of the view (a few
    ms), deeper ones from the full-text query (hundreds of ms for a short prefix at 1M)."""

    def window(self, offset: int, limit: int) -> Sequence[ListItem]:
        found = self.service.search_window(self.view, offset, limit, max_rows=SCROLL_MAX_ROWS)
        return super().window(offset, limit) if found is None else found.items

    def index_of(self, conversation_id: str) -> int | None:
        """Where a row is, if the walk near the top finds it; None (the list keeps the
        cursor's place) rather than a full-text count on the UI thread."""
        found = self.service.search_window(self.view, 0, SCROLL_MAX_ROWS, max_rows=SCROLL_MAX_ROWS)
        ids = [item.id for item in found.items] if found is not None else []
        return ids.index(conversation_id) if conversation_id in ids else None


class FilterBox(Input):
    """The filter's Input, minus a layout of the whole screen on every keystroke.

    Textual's Input sets its ``virtual_size`` (text width, for scrolling) as each character
    is typed, and ``virtual_size`` asks for a layout (~5 ms here); this box has a fixed
    size, so its scroll range is all that changes: a repaint is enough.
    """

    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)


class InboxScreen(TriageScreen):
    #: Focus straight to the list (the default, the first focusable, then a second focus
    #: change from on_mount, restyled the screen twice before the first frame).
    AUTO_FOCUS = "#conversations"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", id="inbox.filter"),
        Binding(
            "ctrl+slash,ctrl+underscore",
            "server_search",
            "Search Intercom",
            show=False,
            priority=True,
            id="inbox.server_search",
        ),
        Binding("R", "refresh", "Refresh", show=False, id="inbox.refresh"),
        Binding("S", "cycle_sort", "Sort", show=False, id="inbox.sort"),
        Binding("v", "pick_view", "Views", id="inbox.views"),
        Binding("escape", "clear", "Clear", show=False, id="inbox.clear"),
        *(
            Binding(str(n), f"view_number({n - 1})", f"View {n}", show=False, id=f"inbox.view{n}")
            for n in range(1, 7)
        ),
    ]

    def __init__(self, *, at: str | None = None) -> None:
        """``at``: a conversation opened over the inbox at start-up (``--open``).

        The inbox is then built when it is first shown, with the cursor on that
        conversation: the first frame is the conversation's alone.
        """
        super().__init__(id="inbox")
        self._build_at = at
        self._last_sync: SyncStatus | None = None  # heard before the inbox was built
        self._covered = False
        self.view_key = "open"
        self.sort = Sort.UPDATED
        self.filter_text = ""
        self.counts: dict[str, int] = {}
        self._counts_timer: Timer | None = None
        self._status_soon = False
        #: The filtered view whose exact count a worker is still computing.
        self._counting: View | None = None

    def compose(self) -> ComposeResult:
        if self.built:
            yield from self._widgets()

    def _widgets(self) -> list[Widget]:
        return [
            Static(id="view-bar"),
            ConversationList(id="conversations", clock=self.inbox_app.clock),
            StatusBar(id="status"),
            KeyBar(),
        ]

    @property
    def built(self) -> bool:
        return self._build_at is None

    def _filter_box(self) -> FilterBox | None:
        """The filter box, once ``/`` has made it (an Input costs ~4 ms to mount, which the
        first frame need not pay)."""
        return next(self.query("#filter").results(FilterBox), None)

    @property
    def conversation_list(self) -> ConversationList:
        return self.query_one(ConversationList)

    @property
    def current_view(self) -> View:
        view = self.service.view(self.view_key).with_sort(self.sort)
        return view.with_text(self.filter_text) if self.filter_text else view

    def on_mount(self) -> None:
        if self.built:
            self._start()

    def _start(self) -> None:
        self._show_view()
        # The counts are a side panel: their queries (a thread) start once the rows show.
        self.call_after_refresh(self.refresh_counts)

    def on_screen_suspend(self) -> None:
        self._covered = True

    async def on_screen_resume(self) -> None:
        if self._build_at is None or not self._covered:
            return  # built, or the resume at start-up (the conversation not yet over it)
        at, self._build_at = self._build_at, None
        await self.mount_all(self._widgets())
        self._start()
        self.conversation_list.focus()
        if self._last_sync is not None:
            self.query_one(StatusBar).sync_status(self._last_sync.progress, self._last_sync.error)
        self.call_after_refresh(self._go_to, at)  # scrolling to it needs the list's height

    def _go_to(self, conversation_id: str) -> None:
        index = self.conversation_list.index_of(conversation_id)
        if index is not None:
            self.conversation_list.set_cursor(index)

    # ------------------------------------------------------------------ views
    def _show_view(self) -> None:
        if self.filter_text:  # a new sort with a filter on: rows first, count after
            self._apply_filter(self.current_view)
        else:
            self.conversation_list.set_source(ViewSource(self.service, self.current_view))
        self._update_bar()
        self._update_status()

    def switch_view(self, key: str) -> None:
        self.view_key = key
        if not self.built:  # shown when it is
            return
        self.filter_text = ""
        filter_box = self._filter_box()
        if filter_box is not None:
            filter_box.value = ""
            filter_box.display = False
        self._show_view()
        self.conversation_list.focus()

    def action_view_number(self, index: int) -> None:
        standard = [v for v in self.service.views if v.group == "Inbox"]
        if index < len(standard):
            self.switch_view(standard[index].key)

    def action_pick_view(self) -> None:
        def chosen(choice: object) -> None:
            if choice is not None:
                self.switch_view(choice.value)  # type: ignore[attr-defined]

        from intercom_tui.ui.screens.pickers import ViewPicker

        self.app.push_screen(ViewPicker.for_views(self.service, self.counts), chosen)

    def action_cycle_sort(self) -> None:
        self.sort = _SORTS[(_SORTS.index(self.sort) + 1) % len(_SORTS)]
        self._show_view()
        self.notify(f"Sorted by {_SORT_NAMES[self.sort]}")

    def _update_bar(self) -> None:
        found = self.query("#view-bar").results(Static)
        bar = next(found, None)
        if bar is None:  # a late worker result while the app shuts down
            return
        width = bar.size.width or self.app.size.width
        # Roomy first; tighter spacing, then numbers only, until the views fit the width.
        for roomy, named in ((True, True), (False, True), (False, False)):
            content = self._bar_content(roomy=roomy, named=named)
            if content.cell_length <= width:
                break
        workspace = clean_line(self.service.workspace_name, 40)  # from the API: untrusted
        if workspace and content.cell_length + cell_len(workspace) + 2 <= width:
            content += Content.styled(f"  {workspace}", "dim italic")
        bar.update(content, layout=False)

    def _bar_content(self, *, roomy: bool, named: bool) -> Content:
        parts: list[tuple[str, str]] = []
        current = self.service.view(self.view_key)
        standard = [v for v in self.service.views if v.group == "Inbox"]
        shown = standard if current in standard else [*standard, current]
        for n, view in enumerate(shown, start=1):
            selected = view.key == self.view_key
            count = self.counts.get(view.key)
            words = [view.name] if named or selected or view not in standard else []
            if n <= 6 and view in standard:
                words.insert(0, str(n))
            if count is not None:
                words.append(f"{count:,}")
            pad = " " if roomy or selected else ""
            style = "reverse bold" if selected else "dim" if not count else ""
            parts.append((f"{pad}{' '.join(words)}{pad}", style))
            parts.append((" " if roomy else "  ", ""))
        return Content.assemble(*parts)

    def on_resize(self) -> None:
        if self.built:
            self._update_bar()

    @work(thread=True, exclusive=True, group="counts")
    def refresh_counts(self) -> None:
        """View counts can take tens of ms on a big cache: off the UI thread."""
        counts = self.service.view_counts()
        self.app.call_from_thread(self._set_counts, counts)

    def _set_counts(self, counts: dict[str, int]) -> None:
        self.counts = counts
        if self.built:
            self._update_bar()

    # ------------------------------------------------------------------ filter
    async def action_filter(self) -> None:
        box = self._filter_box()
        if box is None:
            # No validators: validate_on=() spares a restyle on every keystroke and enter.
            box = FilterBox(
                placeholder="Filter this view (title, contact, text)…", id="filter", validate_on=()
            )
            await self.mount(box, before="#status")  # keys typed meanwhile wait for it
        box.display = True
        box.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value.strip().removeprefix(SERVER_PREFIX).strip()
        if not self.filter_text:
            self.workers.cancel_group(self, "filter")
            self._show_view()
        else:
            self._apply_filter(self.current_view)

    def _apply_filter(self, view: View) -> None:
        """Rows first, count after: the first screenful, when a short walk of the view finds
        it, shows in this very frame, and a worker counts once the frame is out (so it does
        not compete with it); when the walk gave up, a worker finds the rows through the
        full-text index, then counts."""
        screenful = max(self.conversation_list.size.height, 24) + 8
        found = self.service.search_window(view, 0, screenful, max_rows=QUICK_MAX_ROWS)
        if found is None:
            self._run_filter(view, rows_shown=False)
            return
        self.workers.cancel_group(self, "filter")
        self._show_filtered(view, found)
        if not found.complete:
            self.call_after_refresh(self._count_filtered, view)

    def _count_filtered(self, view: View) -> None:
        if view == self._counting and view == self.current_view:  # else typing went on
            self._run_filter(view, rows_shown=True)

    @work(thread=True, exclusive=True, group="filter")
    def _run_filter(self, view: View, *, rows_shown: bool) -> None:
        """Full-text queries take 100+ ms on a million rows: off the UI thread.

        Typing on cancels this worker (exclusive), which abandons its query, and only a
        result for the view still on screen is shown.
        """
        worker = get_current_worker()

        def stop() -> bool:
            return worker.is_cancelled

        if not rows_shown:
            found = self.service.search_window(view, 0, FIRST_WINDOW, stop=stop)
            if found is None:
                return
            self.app.call_from_thread(self._show_filtered, view, found)
            if found.complete:
                return
        count = self.service.search_count(view, stop=stop)
        if count is not None:
            self.app.call_from_thread(self._show_count, view, count)

    def _show_filtered(self, view: View, found: SearchRows) -> None:
        if view != self.current_view:
            return  # a newer keystroke is on its way
        rows = found.items
        self._counting = None if found.complete else view
        source = FilterSource(self.service, view)
        self.conversation_list.set_source(source, count=len(rows), rows=rows)
        self._update_status()
        # The list's own repaint request reaches the screen after the tick that draws the
        # box's new text, so the rows would come a frame (~17 ms) later: repaint the whole
        # screen in that tick instead.
        self.refresh()

    def _show_count(self, view: View, count: int) -> None:
        """The exact count: the list grows to it, the cursor stays where it is."""
        if view != self._counting or view != self.current_view:
            return
        self._counting = None
        self.conversation_list.set_count(count)
        self._update_status()

    @on(Input.Submitted, "#filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        if event.value.strip().startswith(SERVER_PREFIX):
            self.action_server_search()
        self.conversation_list.focus()

    def action_server_search(self) -> None:
        """Ask Intercom's search for the filter text: finds what the cache does not hold yet.

        Results land in the cache, so the local filter (already showing) picks them up.
        """
        if not self.filter_text:
            self.notify("Type what to search for first (/ then the words).")
            return
        if self.service.offline:
            self.notify("Offline: searching Intercom needs a connection.", severity="warning")
            return
        self.notify(f"Searching Intercom for “{self.filter_text}”…")
        self._server_search(self.filter_text)

    @work(exclusive=True, group="server-search", exit_on_error=False)
    async def _server_search(self, text: str) -> None:
        found = await self.service.server_search(text)
        self.notify(f"Intercom found {found:,} conversation{'s' if found != 1 else ''}.")
        if text == self.filter_text:
            self._apply_filter(self.current_view)

    def action_clear(self) -> None:
        box = self._filter_box()
        if self.conversation_list.selected:
            self.conversation_list.clear_selection()
        elif box is not None and box.display:
            box.value = ""
            box.display = False
            self.filter_text = ""
            self._show_view()
            self.conversation_list.focus()

    # ------------------------------------------------------------------ triage hooks
    def target_ids(self) -> list[str]:
        return self.conversation_list.selected_ids()

    def after_action(self) -> None:
        self.conversation_list.clear_selection()

    # ------------------------------------------------------------------ events
    @on(ConversationList.Opened)
    def _open(self, event: ConversationList.Opened) -> None:
        self.inbox_app.open_conversation(event.item.id, index=event.index)

    @on(ConversationList.SelectionChanged)
    def _selection(self) -> None:
        self._update_status()

    def on_service_event(self, message: ServiceEvent) -> None:
        if not self.built:  # it reads everything afresh when it is
            return
        event = message.event
        if isinstance(event, ReferenceChanged):
            self._update_bar()
        if isinstance(event, RowsChanged | ReferenceChanged):
            self._reload()
            self._counts_soon()
        if not self._status_soon:  # an action sends two events: one status update
            self._status_soon = True
            self.call_later(self._flush_status)

    def _flush_status(self) -> None:
        self._status_soon = False
        self._update_status()

    def _reload(self) -> None:
        """Data changed under the list: re-read it where it is.

        With a filter on, counting again is a full-text query (hundreds of ms for a short
        prefix at 1M): the list keeps its length for now and a worker recounts.
        """
        lst = self.conversation_list
        if self.filter_text and isinstance(lst.source, FilterSource):
            lst.reload(count=lst.row_count)
            self._counting = lst.source.view
            self._count_filtered(lst.source.view)
        else:
            lst.reload()

    def _counts_soon(self) -> None:
        """Recount the views once a burst of changes is over, not on every keypress.

        The counts are a side panel; the changed row is what must show in the same frame,
        and recounting 50 views of a big cache competes with it for the interpreter.
        """
        if self._counts_timer is not None:
            self._counts_timer.stop()
        self._counts_timer = self.set_timer(COUNTS_DELAY, self.refresh_counts)

    def on_sync_status(self, message: SyncStatus) -> None:
        if not self.built:
            self._last_sync = message
            return
        self.query_one(StatusBar).sync_status(message.progress, message.error)
        if message.progress is None and message.error is None:
            self.refresh_counts()

    def _update_status(self) -> None:
        status = self.query_one(StatusBar)
        pending = self.service.outbox.pending_count()
        status.update_state(
            view=self.current_view.name,
            sort=_SORT_NAMES[self.sort],
            total=self.conversation_list.row_count,
            selected=len(self.conversation_list.selected),
            pending=pending,
            pending_reason=self.service.pending_reason() if pending else "",
            filter_text=self.filter_text,
            offline=self.service.offline,
            counting=self._counting is not None and self._counting == self.current_view,
        )

    def action_refresh(self) -> None:
        self.inbox_app.request_sync()

    def next_id(self, current_id: str, index: int, step: int) -> tuple[str, int] | None:
        """The conversation ``step`` rows after ``current_id`` in this view, for ``]``/``[``.

        If the current one has left the view (closed from Open, snoozed...), the row that
        took its place is the next one, so ``c`` then ``]`` never skips a conversation.
        """
        here = self.conversation_list.index_of(current_id)
        gone = index if step > 0 else index - 1
        target = gone if here is None else here + step
        item = self.conversation_list.item_at(target) if target >= 0 else None
        if item is None:
            return None
        self.conversation_list.set_cursor(target)
        return item.id, target
