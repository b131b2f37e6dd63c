"""The durable queue of actions waiting to reach Intercom.

Every action the user takes is applied on screen at once and recorded here, in the cache
file, before anything is sent. Each method is one committed transaction, so a process
killed at any instant leaves a consistent queue: an entry is marked "sending" before its
request leaves, and one still "sending" at the next start is "ambiguous" (it may have
landed), which tells the sender to look before sending it again.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Callable
from typing import Any, NamedTuple

from intercom_tui.store.cache import Cache

PENDING = "pending"
SENDING = "sending"
AMBIGUOUS = "ambiguous"
DONE = "done"
FAILED = "failed"

_COLUMNS = (
    "id, key, conversation_id, kind, payload, created_at, attempts, next_attempt_at, state,"
    " last_error"
)


class OutboxEntry(NamedTuple):
    """One queued action, as stored (a row type: a named tuple, cheap to define)."""

    id: int
    key: str  # client id (uuid4), unique: the same action is never queued twice
    conversation_id: str
    kind: str
    payload: dict[str, Any]
    created_at: float
    attempts: int  # times it was marked "sending"
    next_attempt_at: float
    state: str  # "pending" | "sending" | "ambiguous" | "done" | "failed"
    last_error: str | None

    @classmethod
    def from_row(cls, r: tuple[Any, ...]) -> OutboxEntry:
        return cls(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5], r[6], r[7], r[8], r[9])


class Outbox:
    """Pending actions in the cache's SQLite file (table ``outbox``)."""

    def __init__(self, cache: Cache, *, clock: Callable[[], float] = time.time) -> None:
        self._cache = cache
        self._clock = clock

    def add(
        self, kind: str, conversation_id: str, payload: dict[str, Any], *, key: str | None = None
    ) -> OutboxEntry:
        """Queue an action. Adding an existing ``key`` again returns the queued entry."""
        key = key or str(uuid.uuid4())
        now = self._clock()
        with self._cache.write_transaction() as conn:
            conn.execute(
                "INSERT INTO outbox (key, conversation_id, kind, payload, created_at, attempts,"
                " next_attempt_at, state) VALUES (?, ?, ?, ?, ?, 0, ?, ?)"
                " ON CONFLICT (key) DO NOTHING",
                (key, conversation_id, kind, json.dumps(payload), now, now, PENDING),
            )
            return _one(conn, "key = ?", key)

    def due(self, now: float, limit: int = 50) -> list[OutboxEntry]:
        """Pending and ambiguous entries whose time has come, oldest first."""
        with self._cache.read_transaction() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM outbox WHERE state IN (?, ?) AND next_attempt_at <= ?"
                " ORDER BY id LIMIT ?",
                (PENDING, AMBIGUOUS, now, limit),
            )
            return [OutboxEntry.from_row(r) for r in rows]

    def claim(self, entry: OutboxEntry) -> bool:
        """Atomically move ``entry`` from the state it was read in to "sending".

        Two app instances can share one cache, and so one outbox: both may read the same
        entry as due, but only the one whose claim succeeds sends it. It commits before
        the request goes out, so a crash leaves evidence.
        """
        with self._cache.write_transaction() as conn:
            cursor = conn.execute(
                "UPDATE outbox SET state = ?, attempts = attempts + 1 WHERE id = ? AND state = ?",
                (SENDING, entry.id, entry.state),
            )
            return cursor.rowcount == 1

    def mark_done(self, entry_id: int) -> None:
        self._update(entry_id, "state = ?, last_error = NULL, finished_at = ?", DONE, self._clock())

    def mark_failed(self, entry_id: int, error: str) -> None:
        """A definite failure (the server said no): never retried."""
        self._update(
            entry_id, "state = ?, last_error = ?, finished_at = ?", FAILED, error, self._clock()
        )

    def reschedule(
        self, entry_id: int, delay: float, error: str, *, ambiguous: bool = False
    ) -> None:
        """Try again after ``delay`` seconds; ``ambiguous``: it may have landed, check first."""
        self._update(
            entry_id,
            "state = ?, next_attempt_at = ?, last_error = ?",
            AMBIGUOUS if ambiguous else PENDING,
            self._clock() + delay,
            error,
        )

    def recover_after_crash(self) -> list[OutboxEntry]:
        """Entries a killed process left "sending" become "ambiguous"; returns them."""
        with self._cache.write_transaction() as conn:
            # No UPDATE ... RETURNING: it needs SQLite 3.35, newer than some systems ship.
            sql = f"SELECT {_COLUMNS} FROM outbox WHERE state = ? ORDER BY id"
            stuck = [OutboxEntry.from_row(r) for r in conn.execute(sql, (SENDING,))]
            conn.execute("UPDATE outbox SET state = ? WHERE state = ?", (AMBIGUOUS, SENDING))
        return [e._replace(state=AMBIGUOUS) for e in stuck]

    def unsettled(self, limit: int = 50) -> list[OutboxEntry]:
        """Entries the server may not have applied yet (pending, sending or ambiguous),
        oldest first: what a copy fetched meanwhile may still lack."""
        with self._cache.read_transaction() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM outbox WHERE state IN (?, ?, ?) ORDER BY id LIMIT ?",
                (PENDING, SENDING, AMBIGUOUS, limit),
            )
            return [OutboxEntry.from_row(r) for r in rows]

    def pending_count(self) -> int:
        """Entries not yet settled (pending, sending or ambiguous): the status line's number."""
        with self._cache.read_transaction() as conn:
            sql = "SELECT count(*) FROM outbox WHERE state IN (?, ?, ?)"
            return conn.execute(sql, (PENDING, SENDING, AMBIGUOUS)).fetchone()[0]

    def get(self, entry_id: int) -> OutboxEntry | None:
        with self._cache.read_transaction() as conn:
            return _one(conn, "id = ?", entry_id)

    def forget_done(self, older_than: float) -> int:
        """Drop entries that were sent before ``older_than``; how many. Failures stay."""
        with self._cache.write_transaction() as conn:
            cur = conn.execute(
                "DELETE FROM outbox WHERE state = ? AND finished_at < ?", (DONE, older_than)
            )
            return cur.rowcount

    def _update(self, entry_id: int, assignments: str, *values: Any) -> None:
        with self._cache.write_transaction() as conn:
            conn.execute(f"UPDATE outbox SET {assignments} WHERE id = ?", (*values, entry_id))


def _one(conn: sqlite3.Connection, where: str, value: Any) -> Any:
    r = conn.execute(f"SELECT {_COLUMNS} FROM outbox WHERE {where}", (value,)).fetchone()
    return OutboxEntry.from_row(r) if r else None
