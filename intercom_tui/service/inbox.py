"""The one object the UI talks to: views over the cache, sync, conversations, actions.

``InboxService`` knows nothing of Textual. It reads the cache synchronously (windowed
reads take well under a millisecond), does network work in coroutines the UI runs as
workers, and reports changes through ``listener`` callbacks the UI turns into messages.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from intercom_tui.api.models import Tag, as_dict, as_int, as_list
from intercom_tui.service import actions as A
from intercom_tui.service.directory import Directory, ListItem
from intercom_tui.service.views import View, standard_views
from intercom_tui.store.cache import Cache, CacheUnavailable, Filter, Sort
from intercom_tui.store.outbox import Outbox

if TYPE_CHECKING:
    from intercom_tui.api.client import IntercomClient
    from intercom_tui.api.models import Conversation
    from intercom_tui.service.prefetch import Prefetch
    from intercom_tui.service.sender import SendOutcome
    from intercom_tui.service.sync import SyncEngine, SyncProgress, SyncResult

# sync and sender are imported where they are used: the first frame needs neither.

#: Pages of results a server search brings into the cache.
SEARCH_PAGES = 3
#: How many of my unread conversations are compared to tell what a sync brought.
MAX_NOTIFY_SCAN = 500
META_ME = "me.admin_id"
META_WORKSPACE = "me.workspace_id"
META_WORKSPACE_NAME = "me.workspace_name"


class RowsChanged(NamedTuple):
    ids: tuple[str, ...]


class ActionFailed(NamedTuple):
    message: str
    ids: tuple[str, ...]


class OutboxChanged(NamedTuple):
    pending: int


class ReferenceChanged(NamedTuple):
    """Admins, teams or tags changed: views and pickers should refresh."""


Event = RowsChanged | ActionFailed | OutboxChanged | ReferenceChanged


class SearchRows(NamedTuple):
    """A window of a filtered view; ``complete`` when no row of the view comes after it."""

    items: list[ListItem]
    complete: bool


class UndoStep:
    """What one ctrl+z sends. ``possible`` is False for a step that cannot be undone (a
    reply): ctrl+z says so instead."""

    __slots__ = ("actions", "description", "possible")

    def __init__(self, description: str, actions: list[A.Action], possible: bool = True) -> None:
        self.description = description
        self.actions = actions
        self.possible = possible


#: How many steps ctrl+z can go back.
UNDO_DEPTH = 50


class Connection:
    """Where the API is; ``client`` is created on first use so httpx stays off start-up.

    A plain class: its default repr shows no field, so never the token.
    """

    __slots__ = ("_lock", "base_url", "client", "token")

    def __init__(self, base_url: str, token: str, client: IntercomClient | None = None) -> None:
        self.base_url = base_url
        self.token = token
        self.client = client
        self._lock = threading.Lock()  # the app may make it in a warm-up thread

    def get_client(self) -> IntercomClient:
        with self._lock:
            if self.client is None:
                from intercom_tui.api.client import IntercomClient

                self.client = IntercomClient(self.token, self.base_url)
            return self.client


class InboxService:
    def __init__(
        self,
        cache: Cache,
        connection: Connection | None = None,
        *,
        saved_searches: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        prefetch: Prefetch | None = None,
    ) -> None:
        self.cache = cache
        self.connection = connection
        #: The ``--open`` conversation, on its way from a child process (``prefetch.py``).
        self.prefetch = prefetch
        self.outbox = Outbox(cache, clock=clock)
        self.directory = Directory()
        self.saved_searches = saved_searches or {}
        self.listeners: list[Callable[[Event], None]] = []
        self.undo_stack: list[UndoStep] = []
        self._clock = clock
        self._sleep = sleep
        self._wake = asyncio.Event()
        self._sync: SyncEngine | None = None
        self._making_client: asyncio.Future[None] | None = None
        self.reload_directory()
        self.views: list[View] = self._build_views()

    # ----------------------------------------------------------------- identity
    @property
    def offline(self) -> bool:
        return self.connection is None

    @property
    def me_id(self) -> str | None:
        return self.cache.get_meta(META_ME)

    @property
    def workspace_name(self) -> str:
        return self.cache.get_meta(META_WORKSPACE_NAME) or ""

    async def connect(self) -> None:
        """Ask ``/me`` who we are; raises the client's typed errors (401 and so on)."""
        await self._ready_client()
        me = await self.client.me()
        self.cache.set_meta(META_ME, me.admin.id)
        self.cache.set_meta(META_WORKSPACE, me.workspace_id)
        self.cache.set_meta(META_WORKSPACE_NAME, me.workspace_name)

    @property
    def client(self) -> IntercomClient:
        if self.connection is None:
            raise RuntimeError("offline: no API connection")
        return self.connection.get_client()

    def prepare_client(self) -> None:
        """Make the HTTP client now; safe from a worker thread. Importing httpx and loading
        the TLS certificates take ~100 ms that the first request should not wait for."""
        if self.connection is not None:
            self.connection.get_client()

    async def _ready_client(self) -> None:
        """Make the client in a worker thread if it is not made yet: the event loop (the
        UI) must not stop for the ~100 ms. The fetch, the sync and the outbox all ask at
        start; they wait for one thread rather than hold one each while it works."""
        if self.connection is None or self.connection.client is not None:
            return
        making = self._making_client
        if making is None or making.done() or making.get_loop() is not asyncio.get_running_loop():
            making = self._making_client = asyncio.ensure_future(
                asyncio.to_thread(self.prepare_client)
            )
        await asyncio.shield(making)  # one caller cancelled must not cancel the others

    async def aclose(self) -> None:
        """Close the HTTP client; the next network call (in any loop) makes a new one."""
        if self.connection and self.connection.client:
            await self.connection.client.aclose()
            self.connection.client = None
        self._sync = None

    def emit(self, event: Event) -> None:
        for listener in list(self.listeners):
            listener(event)

    # ----------------------------------------------------------------- views and rows
    def reload_directory(self) -> None:
        self.directory.load(
            admins=self.cache.admins(), teams=self.cache.teams(), tags=self.cache.tags()
        )

    def load_contacts(self) -> None:
        """Names for contact ids: not at start-up (there can be thousands), after a sync."""
        self.directory.load(contacts=self.cache.contacts())

    def _build_views(self) -> list[View]:
        return standard_views(
            self.me_id,
            self.directory.teams.values(),
            self.directory.tags.values(),
            self.saved_searches,
        )

    def refresh_views(self) -> None:
        self.reload_directory()
        self.views = self._build_views()
        if not self.directory.contacts:
            self.load_contacts()

    def view(self, key: str) -> View:
        for view in self.views:
            if view.key == key:
                return view
        return self.views[0]

    def count(self, view: View) -> int:
        return self.cache.count(view.filter)

    def window(self, view: View, offset: int, limit: int) -> list[ListItem]:
        rows = self.cache.window(view.filter, view.sort, offset, limit)
        return [self.directory.item(row) for row in rows]

    def index_of(self, view: View, conversation_id: str) -> int | None:
        return self.cache.index_of(view.filter, view.sort, conversation_id)

    def search_window(
        self,
        view: View,
        offset: int,
        limit: int,
        *,
        max_rows: int | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> SearchRows | None:
        """``window`` for a filter as it is typed: ``Cache.search_window`` says when it is
        None (``max_rows``: the UI thread's quick try did not settle it; ``stop``: given up)."""
        found = self.cache.search_window(
            view.filter, view.sort, offset, limit, max_rows=max_rows, stop=stop
        )
        if found is None:
            return None
        return SearchRows([self.directory.item(row) for row in found.rows], found.complete)

    def search_count(self, view: View, *, stop: Callable[[], bool] | None = None) -> int | None:
        """``count`` of a filtered view, for a worker: None once ``stop()`` turned true."""
        return self.cache.search_count(view.filter, stop=stop)

    def view_counts(self, views: Sequence[View] | None = None) -> dict[str, int]:
        return self.cache.view_counts({v.key: v.filter for v in (views or self.views)})

    async def create_tag(self, name: str) -> Tag:
        """Create (or find, Intercom matches by name) a tag and cache it."""
        tag = await self.client.create_tag(name)
        await asyncio.to_thread(self.cache.upsert_tag, tag.raw)
        self.refresh_views()
        self.emit(ReferenceChanged())
        return tag

    def tags(self) -> list[Tag]:
        return sorted(self.directory.tags.values(), key=lambda t: t.name.lower())

    # ----------------------------------------------------------------- sync
    @property
    def sync_engine(self) -> SyncEngine:
        """The engine for the current client (a new event loop gets a new client)."""
        client = self.client
        if self._sync is None or self._sync.client is not client:
            from intercom_tui.service.sync import SyncEngine

            self._sync = SyncEngine(
                self.cache,
                client,
                clock=self._clock,
                sleep=self._sleep,
                local_changes=self._with_pending_changes_all,
            )
        return self._sync

    async def sync(self, progress: Callable[[SyncProgress], None] | None = None) -> SyncResult:
        await self._ready_client()
        result = await self.sync_engine.sync(progress)
        before = [(v.key, v.name) for v in self.views]
        self.refresh_views()
        if [(v.key, v.name) for v in self.views] != before:
            self.emit(ReferenceChanged())
        self.emit(RowsChanged(result.changed_ids))
        return result

    def unread_in_mine(self) -> set[str]:
        """Open, unread conversations assigned to me (the newest ``MAX_NOTIFY_SCAN``).

        Compared before and after a sync, it says what newly needs me, without counting
        the conversations every incremental sync re-reads in its overlap window.
        """
        me = self.me_id
        if not me:
            return set()
        mine = Filter(state="open", admin_assignee_id=me, unread=True)
        return {row.id for row in self.cache.window(mine, Sort.UPDATED, 0, MAX_NOTIFY_SCAN)}

    async def server_search(self, text: str, *, max_pages: int = SEARCH_PAGES) -> int:
        """Intercom's own search for ``text`` (title, subject, first message), into the cache.

        The local filter only sees what is cached; this finds older conversations a first
        sync has not reached yet. Returns how many matched (up to ``max_pages`` pages).
        """
        query = {
            "operator": "OR",
            "value": [
                {"field": field, "operator": "~", "value": text}
                for field in ("title", "source.subject", "source.body")
            ],
        }
        found: list[str] = []
        async for page in self.client.iter_search(query):
            await asyncio.to_thread(self.cache.upsert_conversations, page.items)
            found += [str(item.get("id")) for item in page.items]
            if len(found) >= max_pages * 150:
                break
        if found:
            self.emit(RowsChanged(tuple(found)))
        return len(found)

    async def start_conversation(self, role: str, contact_id: str, text: str) -> str:
        """Start a conversation as a contact; its id. Sent once: creation is not idempotent."""
        from intercom_tui.render.compose import text_to_html

        from_type = role if role in ("user", "lead") else "contact"
        message = await self.client.create_conversation(
            from_type=from_type, from_id=contact_id, body=text_to_html(text)
        )
        return str(message.get("conversation_id") or message.get("id") or "")

    # ----------------------------------------------------------------- one conversation
    def cached_conversation(
        self, conversation_id: str, *, shown: Conversation | None = None
    ) -> Conversation | None:
        """The thread if cached, else the list item (no parts); None if unknown.

        ``shown``: the copy on screen. Fetched but not stored yet (or fresher than the
        thread stored), its parts stand in for the cached ones, so that a change to the
        row re-shown meanwhile never drops or ages the parts on screen.
        """
        data = self._local(conversation_id, shown.raw if shown is not None else None)
        from intercom_tui.api.models import Conversation

        return Conversation.from_api(data) if data else None

    def _local(
        self, conversation_id: str, shown: Mapping[str, Any] | None = None
    ) -> dict[str, Any] | None:
        """The cached conversation: the list JSON, with the thread's parts when cached.

        A sync refreshes the list JSON only, so it is the newest head; a thread fetched
        earlier holds an older one that must not win (or an action would undo the sync).
        """
        head = self.cache.get_conversation(conversation_id)
        if head is None:
            return None
        thread = self.cache.get_thread(conversation_id)
        fresher = thread is None or (shown is not None and _updated(shown) >= _updated(thread))
        if shown is not None and _has_parts(shown) and fresher:
            thread = dict(shown)
        return {**thread, **head} if thread else head

    async def fetch_conversation(
        self,
        conversation_id: str,
        *,
        before_storing: Callable[[Conversation], Awaitable[None] | None] | None = None,
    ) -> Conversation:
        """Fetch with parts and cache it; a 404 removes it from the cache too.

        ``before_storing`` gets the conversation as soon as it is parsed, and what it
        returns is awaited before caching: caching a long thread (its JSON and its words
        for the filter) takes tens of ms of CPU, which the frame showing the parts to a
        waiting reader should not share.
        """
        from intercom_tui.api.errors import NotFoundError

        raw = await self._prefetched(conversation_id)
        if raw is None:
            await self._ready_client()
            try:
                raw = await self.client.get_conversation_raw(conversation_id)
            except NotFoundError:
                await asyncio.to_thread(self.cache.delete_conversations, [conversation_id])
                self.emit(RowsChanged((conversation_id,)))
                raise
        conversation = self._fetched(raw, conversation_id)
        if before_storing is not None:
            shown = before_storing(conversation)
            if shown is not None:
                await shown
        await self.store_conversation(conversation)
        return conversation

    def take_prefetched(self, conversation_id: str) -> Conversation | None:
        """The conversation the start-up prefetch brought, if it is here now; never waits.

        Taken once: its caller shows it and stores it (``store_conversation``).
        """
        from intercom_tui.api.errors import ApiError

        prefetch = self.prefetch
        if prefetch is None or prefetch.conversation_id != conversation_id:
            return None
        raw = prefetch.result_now()
        if raw is None:
            return None  # not here yet (``fetch_conversation`` waits for it), or failed
        self.prefetch = None
        try:
            return self._fetched(raw, conversation_id)
        except ApiError:
            return None  # of the wrong shape: the screen's own fetch will say so

    async def store_conversation(self, conversation: Conversation) -> None:
        """Cache a fetched conversation: its row, thread and words (in a thread).

        Actions queued since it was fetched are applied again first, so the copy kept
        never undoes them (opening marks read after taking the start-up prefetch).
        """

        def store() -> None:
            with self.cache.write_transaction():  # no action queued between read and write
                raw = dict(conversation.raw)
                merged = self._with_pending_changes(raw)  # ``raw`` itself if none is queued
                self.cache.store_thread(merged, model=conversation if merged is raw else None)

        await asyncio.to_thread(store)

    async def _prefetched(self, conversation_id: str) -> dict[str, Any] | None:
        """The start-up prefetch's answer for this conversation, waited for; None if
        there is none or it failed (the caller then asks the API itself)."""
        prefetch = self.prefetch
        if prefetch is None or prefetch.conversation_id != conversation_id:
            return None
        self.prefetch = None
        return await prefetch.result()

    def _fetched(self, raw: dict[str, Any], conversation_id: str) -> Conversation:
        """The model of a fetched conversation, with queued actions re-applied so a fetch
        never shows an optimistic change undone."""
        from intercom_tui.api.conversations import conversation_from_api

        return conversation_from_api(self._with_pending_changes(raw), conversation_id)

    def _with_pending_changes(self, data: dict[str, Any]) -> dict[str, Any]:
        """Re-apply queued actions so a fetch never shows an optimistic change undone."""
        return self._with_pending_changes_all([data])[0]

    def _with_pending_changes_all(self, items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """``_with_pending_changes`` for a page of conversations (one outbox read)."""
        pending: dict[str, list[A.Action]] = {}
        from intercom_tui.service.sender import MAX_QUEUE

        for entry in self.outbox.unsettled(limit=MAX_QUEUE):  # re-applying is harmless
            action = A.Action(entry.kind, entry.conversation_id, entry.payload.get("params", {}))
            pending.setdefault(entry.conversation_id, []).append(action)
        out = []
        for data in items:
            for action in pending.get(str(data.get("id")), ()):
                data = A.apply(action, data)
            out.append(data)
        return out

    def conversation_url(self, conversation_id: str) -> str:
        workspace = self.cache.get_meta(META_WORKSPACE) or "_"
        return f"https://app.intercom.com/a/inbox/{workspace}/inbox/conversation/{conversation_id}"

    # ----------------------------------------------------------------- actions
    def perform(self, actions: Iterable[A.Action], *, undoable: bool = True) -> int:
        """Apply at once to the cache, queue for sending; returns how many were queued."""
        actions = list(actions)
        undo: list[A.Action] = []
        changed: list[str] = []
        final: list[A.Action] = []
        for action in actions:
            before = self._local(action.conversation_id)
            if before is None:
                continue
            after = A.apply(action, before)
            payload = {"params": dict(action.params), "restore": A.restore_patch(action, before)}
            try:
                # One transaction: a crash can never leave a change shown but not queued.
                with self.cache.write_transaction():
                    self._store_local(after)
                    self.outbox.add(action.kind, action.conversation_id, payload)
            except CacheUnavailable as exc:  # disk full, folder gone: say so, keep running
                self.emit(
                    ActionFailed(f"Could not {action.describe()}: {exc}", (action.conversation_id,))
                )
                continue
            changed.append(action.conversation_id)
            back = A.inverse(action, before)
            if back is None:
                final.append(action)
            else:
                undo += back
        if undoable and changed:
            names = ", ".join(sorted({a.describe() for a in actions}))
            # A step that cannot be undone still goes on the stack, so ctrl+z says so
            # instead of silently undoing an older step.
            self.undo_stack.append(UndoStep(names, [] if final else undo, possible=not final))
            del self.undo_stack[:-UNDO_DEPTH]
        if changed:
            self.emit(RowsChanged(tuple(changed)))
            self.emit(OutboxChanged(self.outbox.pending_count()))
            self._wake.set()
        return len(changed)

    def send_message(self, conversation_id: str, kind: str, text: str) -> None:
        """Queue a reply or note typed by the user (plain text, converted to HTML)."""
        from intercom_tui.render.compose import text_to_html

        body = text_to_html(text)
        self.perform([A.Action(kind, conversation_id, {"body": body})])

    def pending_messages(self, conversation_id: str) -> list[A.Action]:
        """Replies and notes still in the outbox, shown as "sending" in the thread."""
        return [
            A.Action(e.kind, e.conversation_id, e.payload.get("params", {}))
            for e in self.outbox.due(float("inf"), limit=1000)
            if e.conversation_id == conversation_id and e.kind in A.NON_IDEMPOTENT
        ]

    def pending_reason(self) -> str:
        """Why the oldest queued action has not gone out yet ("" if it simply has not tried)."""
        waiting = self.outbox.due(float("inf"), limit=20)
        return next((e.last_error for e in waiting if e.last_error), "")

    def undo(self) -> str | None:
        """Queue the inverse of the last action; what was undone, or None.

        When the last action cannot be undone (a reply or note is already on its way) it
        is dropped from the stack, ``ActionFailed`` says so, and None is returned.
        """
        if not self.undo_stack:
            return None
        step = self.undo_stack.pop()
        if not step.possible:
            self.emit(ActionFailed(f"Cannot undo {step.description}: it cannot be taken back.", ()))
            return None
        self.perform(step.actions, undoable=False)
        return step.description

    def _store_local(self, data: dict[str, Any]) -> None:
        """Write a conversation over the cached one: the list row, and the thread when
        ``data`` has parts (a local change, or the server's answer to one)."""
        if "conversation_parts" in data:
            self.cache.store_thread(data, force=True)
        else:
            self.cache.upsert_conversations([data], force=True)

    async def run_outbox(self, *, idle: float = 5.0) -> None:
        """Send queued actions forever (the UI runs this as a worker)."""
        from intercom_tui.service.sender import wait_or_wake

        if self.connection is None:
            return
        await self._ready_client()
        self.outbox.recover_after_crash()
        while True:
            await self.flush_outbox()
            await wait_or_wake(self._wake, idle)

    async def flush_outbox(self) -> list[SendOutcome]:
        me = self.me_id
        if self.connection is None or me is None:
            return []
        from intercom_tui.service.sender import OutboxSender

        sender = OutboxSender(self.cache, self.outbox, self.client, me, clock=self._clock)
        outcomes = await sender.send_due()
        for outcome in outcomes:
            self._settle(outcome)
        if outcomes:
            self.emit(OutboxChanged(self.outbox.pending_count()))
        if sender.stopped is not None:
            raise sender.stopped  # the worker reports it; the entries stay queued
        return outcomes

    def _settle(self, outcome: SendOutcome) -> None:
        entry = outcome.entry
        cid = entry.conversation_id
        if outcome.ok and outcome.conversation:
            self._store_local(self._with_pending_changes(outcome.conversation))
            self.emit(RowsChanged((cid,)))
        elif not outcome.ok and outcome.final:
            action = A.Action(entry.kind, cid, entry.payload.get("params", {}))
            current = self._local(cid)
            if current is not None:
                restored = A.rollback(action, current, entry.payload.get("restore", {}))
                self._store_local(restored)
            self.emit(RowsChanged((cid,)))
            self.emit(
                ActionFailed(f"Could not {action.describe()} on #{cid}: {outcome.message}", (cid,))
            )


def _updated(data: Mapping[str, Any]) -> int:
    return as_int(data.get("updated_at")) or 0


def _has_parts(data: Mapping[str, Any]) -> bool:
    """A conversation JSON with parts (a list item has none)."""
    return bool(as_list(as_dict(data.get("conversation_parts")).get("conversation_parts")))
