"""One conversation: the streaming thread, the sidebar, and triage keys.

What the cache has is on screen in the first frame; the full thread is fetched in a
worker and merged in. ``]``/``[`` walk the list view underneath without going back, and
the next conversation is prefetched so that walk never waits.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Static

from intercom_tui.api.errors import ApiError, NotFoundError
from intercom_tui.api.models import Conversation
from intercom_tui.render.safe import clean_line
from intercom_tui.service import actions as A
from intercom_tui.service.inbox import ReferenceChanged, RowsChanged
from intercom_tui.ui.format import author_kind
from intercom_tui.ui.messages import ServiceEvent
from intercom_tui.ui.screens.shared import shared_screen
from intercom_tui.ui.screens.triage import TriageScreen
from intercom_tui.ui.styles import CONVERSATION_CSS
from intercom_tui.ui.widgets.key_bar import KeyBar
from intercom_tui.ui.widgets.sidebar import Sidebar
from intercom_tui.ui.widgets.thread_view import ThreadView

if TYPE_CHECKING:
    from textual.app import App

    from intercom_tui.ui.screens.inbox import InboxScreen

#: Below this width the sidebar moves under the thread.
NARROW = 100


class ConversationScreen(TriageScreen):
    CSS_PATH = CONVERSATION_CSS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="conversation.back"),
        Binding("right_square_bracket", "step(1)", "Next", id="conversation.next"),
        Binding(
            "left_square_bracket", "step(-1)", "Previous", show=False, id="conversation.previous"
        ),
        Binding("s", "toggle_sidebar", "Sidebar", show=False, id="conversation.sidebar"),
        Binding("y", "copy_link", "Copy link", show=False, id="conversation.copy"),
        Binding("e", "export", "Export", show=False, id="conversation.export"),
        Binding("R", "refresh", "Refresh", show=False, id="conversation.refresh"),
    ]

    def __init__(self, conversation_id: str = "", *, index: int | None = None) -> None:
        """``index``: the conversation's row in the list below, for ``]``/``[``.

        The app keeps one of these (``shared``) and ``prepare``s it for each conversation.
        """
        super().__init__()  # no id: a second one may stand over a reply
        self.conversation_id = conversation_id
        self.index = index
        self.conversation: Conversation | None = None
        self._to_load = bool(conversation_id)
        self._composed = False  # its widgets exist (``load`` needs them)

    @classmethod
    def shared(cls, app: App[Any]) -> ConversationScreen:
        """The app's one conversation screen (``ui/screens/shared.py``). Made each time,
        an open took ~25 ms, ~10 of them composing and mounting the same widgets again,
        and going back removed it in the frame that shows the inbox."""
        return shared_screen(app, cls)

    def prepare(self, conversation_id: str, *, index: int | None = None) -> None:
        """Show ``conversation_id``: at once if this screen was shown before (so it is
        ready when pushed again, never showing the last one), else once it is mounted."""
        self.conversation = None
        self.conversation_id, self.index = conversation_id, index
        self._to_load = True
        self._load_prepared()

    def _load_prepared(self) -> None:
        if self._to_load and self._composed:
            self._to_load = False
            self.set_class(self.app.size.width < NARROW, "-narrow")
            self.load(self.conversation_id)

    def compose(self) -> ComposeResult:
        yield Static(id="conversation-header")
        with Horizontal(id="conversation-body"):
            # The app's clock, so relative times agree with the list (and snapshots are fixed).
            yield ThreadView(id="thread", clock=self.inbox_app.clock)
            yield Sidebar(id="sidebar", clock=self.inbox_app.clock)
        yield KeyBar()

    def on_mount(self) -> None:
        # The app's width (in ``_load_prepared``): the screen has no size before its first
        # layout, and a wrong guess restyled every node twice before the first frame.
        self._composed = True
        self._load_prepared()

    def on_resize(self) -> None:
        self.set_class(self.size.width < NARROW, "-narrow")

    # ------------------------------------------------------------------ loading
    def load(self, conversation_id: str) -> None:
        self.conversation_id = conversation_id
        # ``--open``'s conversation may be here already, fetched while the app started.
        fetched = self.service.take_prefetched(conversation_id)
        cached = fetched or self.service.cached_conversation(conversation_id)
        thread = self.query_one(ThreadView)
        if cached is not None:
            self._show(cached, replace=True)
        else:
            thread.clear()
            self.query_one(Sidebar).clear()
            loading = f"Loading #{clean_line(conversation_id, 30)}…"
            self._header_text(Content.styled(loading, "dim"))
        thread.focus()
        if fetched is not None:
            self.call_after_refresh(self.keep, fetched)
        elif not self.service.offline:
            # After this frame: the first fetch of a run also makes the HTTP client (httpx
            # takes ~40 ms to import), and the cached copy must not wait for that.
            self.call_after_refresh(self.fetch, conversation_id)
        if cached is not None and not cached.read:
            self.service.perform(
                [A.Action(A.READ, conversation_id, {"read": True})], undoable=False
            )

    def _show(self, conversation: Conversation, *, replace: bool) -> None:
        self.conversation = conversation
        names = self.service.directory
        thread = self.query_one(ThreadView)
        if replace:
            thread.show(conversation, names=names)
        else:
            thread.update_parts(conversation)
        thread.set_pending(self.service.pending_messages(conversation.id))
        self.query_one(Sidebar).show(conversation, names=names)
        self._header(conversation)

    def _header(self, c: Conversation) -> None:
        title = clean_line(c.title or c.source.subject or "", 120)
        contact = self.service.directory.contact_name(c.contact_ids[0] if c.contact_ids else None)
        author = c.source.author
        if not contact and author_kind(author) == "contact":  # not a bot or teammate's name
            contact = author.name or author.email
        contact = clean_line(contact or "", 40)
        assignee = self.service.directory.assignee_label(c.admin_assignee_id, c.team_assignee_id)
        state_style = {"open": "$success", "snoozed": "$warning", "closed": "dim"}.get(c.state, "")
        self._header_text(
            Content.assemble(
                (f" #{clean_line(c.id, 30)} ", "bold reverse"),
                " ",
                (c.state, f"bold {state_style}"),
                ("  ! priority" if c.priority else "", "bold $error"),
                "  ",
                (title or "(no title)", "bold"),
                ("  · " + contact if contact else "", ""),
                ("  → " + clean_line(assignee, 30) if assignee else "  unassigned", "dim"),
            )
        )

    def _header_text(self, content: Content) -> None:
        header = self.query_one("#conversation-header", Static)
        header.update(content, layout=False)  # one line whatever it says: no layout needed

    @work(exclusive=True, group="thread")
    async def fetch(self, conversation_id: str) -> None:
        def fetched(fresh: Conversation) -> Awaitable[None] | None:
            """Show it; the service caches it once that frame is out."""
            if conversation_id != self.conversation_id:
                return None
            first = self.conversation is None or not self.conversation.parts
            self._show(fresh, replace=first)
            drawn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self.call_after_refresh(lambda: drawn.done() or drawn.set_result(None))
            return drawn

        try:
            await self.service.fetch_conversation(conversation_id, before_storing=fetched)
        except NotFoundError:
            gone = f"Conversation #{clean_line(conversation_id, 30)} no longer exists."
            self.notify(gone, severity="error", markup=False)
            if self.conversation is None and conversation_id == self.conversation_id:
                self._header_text(Content.styled(gone, "dim"))  # not "Loading…" for good
            return
        except ApiError as exc:
            message = f"Showing the cached copy: {clean_line(exc.user_message, 200)}"
            self.notify(message, severity="warning", markup=False)
            return
        self.prefetch_next()

    @work(exclusive=True, group="thread")
    async def keep(self, fetched: Conversation) -> None:
        """Cache a conversation shown fresh from the start-up prefetch, as ``fetch`` does."""
        await self.service.store_conversation(fetched)
        self.prefetch_next()

    @work(exclusive=True, group="prefetch")
    async def prefetch_next(self) -> None:
        """Warm the cache with the next conversation so ``]`` shows it whole at once."""
        inbox = self._inbox()
        if inbox is None or self.index is None:
            return
        item = inbox.conversation_list.item_at(self.index + 1)
        if item is not None and self.service.cache.get_thread(item.id) is None:
            try:
                await self.service.fetch_conversation(item.id)
            except ApiError:
                pass  # a prefetch is a bonus; the real open reports errors

    # ------------------------------------------------------------------ actions
    def target_ids(self) -> list[str]:
        return [self.conversation_id]

    def action_back(self) -> None:
        self.dismiss(None)

    def on_screen_suspend(self) -> None:
        """Gone back (a dialog or a reply over it keeps it in the stack): this screen is
        kept, so Textual does not cancel its workers; a fetch for a conversation no longer
        shown must not report on the inbox, nor prefetch for it."""
        if self not in self.app.screen_stack:
            self.workers.cancel_group(self, "thread")
            self.workers.cancel_group(self, "prefetch")

    def _inbox(self) -> InboxScreen | None:
        from intercom_tui.ui.screens.inbox import InboxScreen

        for screen in self.app.screen_stack:
            if isinstance(screen, InboxScreen):
                return screen
        return None

    def action_step(self, step: int) -> None:
        inbox = self._inbox()
        if inbox is None or self.index is None:
            self.notify("Open a conversation from the list to walk through it.")
            return
        found = inbox.next_id(self.conversation_id, self.index, step)
        if found is None:
            self.notify("No more conversations in this view." if step > 0 else "At the top.")
            return
        conversation_id, index = found
        self.prepare(conversation_id, index=index)

    def action_toggle_sidebar(self) -> None:
        sidebar = self.query_one(Sidebar)
        sidebar.display = not sidebar.display

    def action_copy_link(self) -> None:
        url = self.service.conversation_url(self.conversation_id)
        self.app.copy_to_clipboard(url)
        self.notify(f"Copied {clean_line(url)}", markup=False)

    def action_export(self) -> None:
        if self.conversation is None:
            return
        # The id comes from the API: only safe characters reach the file name.
        from intercom_tui.service.export import to_markdown  # on first use: not at start-up

        name = re.sub(r"[^A-Za-z0-9_-]", "_", self.conversation_id)
        path = Path.cwd() / f"conversation-{name}.md"
        try:
            path.write_text(to_markdown(self.conversation, self.service.directory), "utf-8")
        except OSError as exc:
            failed = f"Could not write {path}: {exc.strerror}"
            self.notify(clean_line(failed), severity="error", markup=False)
            return
        self.notify(clean_line(f"Exported to {path}"), markup=False)

    def action_refresh(self) -> None:
        if not self.service.offline:
            self.fetch(self.conversation_id)

    # ------------------------------------------------------------------ live updates
    def on_service_event(self, message: ServiceEvent) -> None:
        event = message.event
        if isinstance(event, ReferenceChanged) and self.conversation is not None:
            # A first sync has just brought the names of teammates and teams ("#5017709"
            # until now): the thread, the sidebar and the header all show them.
            self.query_one(ThreadView).names_changed()
            self._show(self.conversation, replace=False)
            return
        if not isinstance(event, RowsChanged) or self.conversation_id not in event.ids:
            return
        cache = self.service.cache
        row, thread = cache.get_row(self.conversation_id), cache.get_thread(self.conversation_id)
        stale = (
            thread is not None
            and row is not None
            and row.updated_at > int(thread.get("updated_at") or 0)
        )
        if stale and not self.service.offline:
            self.fetch(self.conversation_id)  # someone else changed it: fetch the new parts
            return
        cached = self.service.cached_conversation(self.conversation_id, shown=self.conversation)
        if cached is not None:
            self._show(cached, replace=False)
