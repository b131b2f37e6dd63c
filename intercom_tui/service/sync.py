"""Keeping the cache fresh: a resumable first walk, then incremental searches.

First run walks ``GET /conversations`` newest first, 150 a page, saving the cursor after
each page so an interrupted walk resumes where it stopped. Every later sync asks
``POST /conversations/search`` for ``updated_at >`` the last watermark (minus a small
overlap for clock skew), so only changes travel. Writes go to a thread so the UI never
waits on SQLite, and the sync slows down by itself when the rate-limit budget runs low.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from intercom_tui.store.cache import Cache

if TYPE_CHECKING:
    from intercom_tui.api.client import IntercomClient

#: Seconds subtracted from the watermark so a change stamped during the last sync is not missed.
OVERLAP = 120
PER_PAGE = 150
#: Below this share of the rate-limit window, wait for the window to reset.
LOW_BUDGET = 0.1

META_FULL_DONE = "sync.full_done"
META_CURSOR = "sync.cursor"
META_STARTED = "sync.walk_started_at"
META_WATERMARK = "sync.watermark"
META_LAST_SYNC = "sync.last_sync_at"


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
    ) -> None:
        self.cache = cache
        self.client = client
        self.per_page = per_page
        self._clock = clock
        self._sleep = sleep
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
        cursor = self.cache.get_meta(META_CURSOR) or None
        if cursor is None:
            # A fresh walk: everything updated after this moment is caught by the next
            # incremental sync, so the watermark is the walk's start, not its end.
            self.cache.set_meta(META_STARTED, str(int(started)))
        fetched = 0
        changed: list[str] = []
        async for page in self.client.iter_conversations(
            per_page=self.per_page, starting_after=cursor
        ):
            await asyncio.to_thread(self._store_page, page.items, page.next_cursor)
            fetched += len(page.items)
            changed += [str(item.get("id")) for item in page.items]
            report(SyncProgress("full", fetched, page.total_count, fetched / self._since(started)))
            await self._respect_budget()
        walk_started = self.cache.get_meta(META_STARTED) or str(int(started))
        self.cache.set_meta(META_WATERMARK, walk_started)
        self.cache.set_meta(META_FULL_DONE, "1")
        self.cache.set_meta(META_CURSOR, "")
        return SyncResult(True, fetched, self._since(started), tuple(changed))

    def _store_page(self, items: tuple[dict, ...], next_cursor: str | None) -> None:
        self.cache.upsert_conversations(items)
        self.cache.set_meta(META_CURSOR, next_cursor or "")

    async def _incremental(self, started: float, report: ProgressCallback) -> SyncResult:
        watermark = int(self.cache.get_meta(META_WATERMARK) or 0)
        query = {"field": "updated_at", "operator": ">", "value": max(0, watermark - OVERLAP)}
        fetched = 0
        newest = watermark
        changed: list[str] = []
        async for page in self.client.iter_search(query, per_page=self.per_page):
            await asyncio.to_thread(self.cache.upsert_conversations, page.items)
            fetched += len(page.items)
            for item in page.items:
                changed.append(str(item.get("id")))
                newest = max(newest, int(item.get("updated_at") or 0))
            report(SyncProgress("incremental", fetched, page.total_count, 0.0))
            await self._respect_budget()
        # Never move the watermark past the moment this sync started: a change made while
        # the pages were walked may carry an earlier stamp than the newest item seen.
        self.cache.set_meta(META_WATERMARK, str(min(newest, int(started)) or int(started)))
        return SyncResult(False, fetched, self._since(started), tuple(changed))

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
