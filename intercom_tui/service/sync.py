"""Keeping the cache fresh: a resumable first walk, then incremental searches.

First run walks ``GET /conversations`` newest first, 150 a page, saving the cursor after
each page so an interrupted walk resumes where it stopped. Every later sync asks
``POST /conversations/search`` for ``updated_at >`` the last watermark (minus an overlap
for same-second changes and search-index lag), so only changes travel. The watermark is
a server stamp, never our clock: a client clock ahead of Intercom's would otherwise skip
changes for good. Writes go to a thread so the UI never waits on SQLite, and the sync
slows down by itself when the rate-limit budget runs low.

Deleted conversations are not reported by the search; they leave the cache when opened
(``GET`` answers 404) or when the cache is rebuilt.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from intercom_tui.api.models import Page
from intercom_tui.store.cache import Cache

if TYPE_CHECKING:
    from intercom_tui.api.client import IntercomClient

#: Seconds subtracted from the watermark so a change stamped during the last sync is not missed.
OVERLAP = 120
PER_PAGE = 150
#: Below this share of the rate-limit window, wait for the window to reset.
LOW_BUDGET = 0.1
#: Seconds ahead of our clock past which an ``updated_at`` cannot be right.
MAX_FUTURE = 86_400

META_FULL_DONE = "sync.full_done"
META_CURSOR = "sync.cursor"
#: The first walk's watermark, kept until the walk (perhaps resumed) finishes.
META_WALK_WATERMARK = "sync.walk_watermark"
META_WATERMARK = "sync.watermark"
META_LAST_SYNC = "sync.last_sync_at"
META_CONTACTS_DONE = "sync.contacts_done"
#: Pages of ``GET /contacts`` fetched for names (150 each).
MAX_CONTACT_PAGES = 20


@dataclass(frozen=True, slots=True)
class SyncProgress:
    """What the status line shows while a sync runs."""

    phase: str  # "reference" | "full" | "incremental" | "done"
    fetched: int
    total: int | None
    rate: float  # conversations per second so far


@dataclass(frozen=True, slots=True)
class SyncResult:
    full: bool
    fetched: int
    seconds: float
    changed_ids: tuple[str, ...] = ()


ProgressCallback = Callable[[SyncProgress], None]
#: Lays the changes still in the outbox over conversations fresh from the server.
LocalChanges = Callable[[Sequence[dict]], Sequence[dict]]


class SyncEngine:
    """Owns the sync position in the cache's meta table; one sync at a time."""

    def __init__(
        self,
        cache: Cache,
        client: IntercomClient,
        *,
        per_page: int = PER_PAGE,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        local_changes: LocalChanges | None = None,
    ) -> None:
        self.cache = cache
        self.client = client
        self.per_page = per_page
        self._clock = clock
        self._sleep = sleep
        self._local_changes = local_changes
        self._lock = asyncio.Lock()

    @property
    def has_full_copy(self) -> bool:
        return self.cache.get_meta(META_FULL_DONE) == "1"

    @property
    def last_sync_at(self) -> float | None:
        value = self.cache.get_meta(META_LAST_SYNC)
        return float(value) if value else None

    async def sync_reference(self) -> None:
        """Admins, teams and tags: small lists, fetched whole every sync."""
        admins, teams, tags = await asyncio.gather(
            self.client.list_admins(), self.client.list_teams(), self.client.list_tags()
        )
        await asyncio.to_thread(self._store_reference, admins, teams, tags)
        if self.cache.get_meta(META_CONTACTS_DONE) != "1":
            await self._sync_contacts()

    async def _sync_contacts(self) -> None:
        """Names for contacts, once: list items only carry contact ids.

        A workspace can hold millions of contacts, so this is capped: the first
        ``MAX_CONTACT_PAGES`` pages name the people of most conversations in a typical
        inbox; anyone else shows by id until their conversation is opened.
        """
        pages = 0
        async for contacts in self.client.iter_contacts(per_page=self.per_page):
            await asyncio.to_thread(self.cache.upsert_contacts, [c.raw for c in contacts])
            await self._respect_budget()
            pages += 1
            if pages >= MAX_CONTACT_PAGES:
                break
        self.cache.set_meta(META_CONTACTS_DONE, "1")

    def _store_reference(self, admins: list, teams: list, tags: list) -> None:
        self.cache.replace_admins([a.raw for a in admins])
        self.cache.replace_teams([t.raw for t in teams])
        self.cache.replace_tags([t.raw for t in tags])

    async def sync(self, progress: ProgressCallback | None = None) -> SyncResult:
        """One sync: resume or start the full walk if it never finished, else incremental."""
        async with self._lock:
            started = self._clock()
            report = progress or (lambda _p: None)
            report(SyncProgress("reference", 0, None, 0.0))
            await self.sync_reference()
            if self.has_full_copy:
                result = await self._incremental(started, report)
            else:
                result = await self._full(started, report)
            self.cache.set_meta(META_LAST_SYNC, str(started))
            report(SyncProgress("done", result.fetched, result.fetched, _rate(result)))
            return result

    async def _full(self, started: float, report: ProgressCallback) -> SyncResult:
        from intercom_tui.api.errors import ValidationError  # off the start-up path

        cursor = self.cache.get_meta(META_CURSOR) or None
        changed: list[str] = []
        try:
            await self._walk(cursor, started, report, changed)
        except ValidationError:
            if cursor is None or changed:
                raise
            # The saved cursor is no longer accepted (expired): walk again from the top.
            self.cache.set_meta(META_CURSOR, "")
            return await self._full(started, report)
        self.cache.set_meta(META_WATERMARK, self.cache.get_meta(META_WALK_WATERMARK) or "0")
        self.cache.set_meta(META_FULL_DONE, "1")
        self.cache.set_meta(META_CURSOR, "")
        return SyncResult(True, len(changed), self._since(started), tuple(changed))

    async def _walk(
        self, cursor: str | None, started: float, report: ProgressCallback, changed: list[str]
    ) -> None:
        """Walk the list from ``cursor``, storing pages (ids into ``changed``).

        Page N is stored in a thread while page N+1 is fetched. Stores stay in order, so
        the saved cursor always belongs to a page that is really in the cache, and progress
        is reported once a page is stored (rows are then visible).
        """
        storing: asyncio.Future[None] | None = None
        previous: Page | None = None

        async def finish_previous() -> None:
            nonlocal storing
            if storing is None or previous is None:
                return
            await storing
            storing = None
            changed.extend(str(item.get("id")) for item in previous.items)
            rate = len(changed) / self._since(started)
            report(SyncProgress("full", len(changed), previous.total_count, rate))

        pages = self.client.iter_conversations(per_page=self.per_page, starting_after=cursor)
        try:
            async for page in pages:
                if cursor is None and previous is None:
                    # A fresh walk: what changes from now on is for the next incremental
                    # sync, so the watermark is the newest stamp the server had at the start.
                    self.cache.set_meta(META_WALK_WATERMARK, str(self._newest(page.items)))
                await finish_previous()
                storing = asyncio.ensure_future(
                    asyncio.to_thread(self._store_page, page.items, page.next_cursor)
                )
                previous = page
                await self._respect_budget()
            await finish_previous()
        finally:
            if storing is not None:  # a failed fetch never leaves a write running behind it
                await asyncio.wait([storing])

    def _store_page(self, items: tuple[dict, ...], next_cursor: str | None) -> None:
        self._write(items)
        self.cache.set_meta(META_CURSOR, next_cursor or "")

    def _write(self, items: Sequence[dict]) -> None:
        """Store a page, with the user's queued changes laid over the server's copy."""
        if self._local_changes is not None:
            items = self._local_changes(items)
        self.cache.upsert_conversations(items)

    async def _incremental(self, started: float, report: ProgressCallback) -> SyncResult:
        watermark = int(self.cache.get_meta(META_WATERMARK) or 0)
        query = {"field": "updated_at", "operator": ">", "value": max(0, watermark - OVERLAP)}
        newest = watermark
        first_page = True
        changed: list[str] = []
        async for page in self.client.iter_search(query, per_page=self.per_page):
            if first_page:
                # Only the first page: a later one may hold a conversation changed during
                # this walk while others changed at that time were already passed.
                newest = max(newest, self._newest(page.items))
                first_page = False
            await asyncio.to_thread(self._write, page.items)
            changed += [str(item.get("id")) for item in page.items]
            report(SyncProgress("incremental", len(changed), page.total_count, 0.0))
            await self._respect_budget()
        self.cache.set_meta(META_WATERMARK, str(newest))
        return SyncResult(False, len(changed), self._since(started), tuple(changed))

    def _newest(self, items: Sequence[dict]) -> int:
        """The newest ``updated_at`` among ``items``, in the server's clock (ours may be off).

        A stamp far in our future is nonsense (the data is untrusted): taken as the
        watermark it would hide every later change, so it is ignored.
        """
        limit = self._clock() + MAX_FUTURE
        stamps = (item.get("updated_at") for item in items)
        return max(
            (t for t in stamps if isinstance(t, int) and not isinstance(t, bool) and t <= limit),
            default=0,
        )

    async def _respect_budget(self) -> None:
        limit = self.client.rate_limit
        if limit is None or not limit.limit or limit.remaining is None:
            return
        if limit.remaining < limit.limit * LOW_BUDGET and limit.reset_at:
            await self._sleep(min(max(0.0, limit.reset_at - self._clock()), 10.0))

    def _since(self, started: float) -> float:
        return max(self._clock() - started, 1e-6)


def _rate(result: SyncResult) -> float:
    return result.fetched / result.seconds if result.seconds else 0.0
