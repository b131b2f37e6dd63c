"""The SQLite cache: every conversation the app has seen, read one screenful at a time.

The inbox opens from here before the network answers, so reads must stay fast at a
million conversations: the list asks for a count and a window of rows, and every view's
filter and sort is an index range (see ``schema``). A window remembers the sort keys at
its edges ("anchors"), so the next window near it is a keyset continuation, not an
OFFSET walk from the top; a deep jump walks from whichever end is nearer.

Threads: each thread gets its own connection (WAL lets the UI read while the sync
worker writes), writes are short ``BEGIN IMMEDIATE`` transactions, and a damaged or
foreign file is moved aside and rebuilt rather than crashing the app.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import random
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import urlsplit

from intercom_tui.api.models import Admin, Contact, Tag, Team, norm_assignee, norm_id
from intercom_tui.store import schema

if TYPE_CHECKING:
    from intercom_tui.api.models import Conversation

JSON = dict[str, Any]

BUSY_TIMEOUT_MS = 5000
#: Page cache per connection (KiB). Windows touch a few dozen pages; the OS caches the rest.
PAGE_CACHE_KIB = 4096
#: Files up to this size get a full ``PRAGMA quick_check`` at open (it reads every page:
#: ~1.5 ms a MB, which the first frame waits for). Bigger files rely on the cheap checks
#: (header against size, b-tree right edges) and on SQLite's own errors later.
QUICK_CHECK_MAX_BYTES = 4 * 1024 * 1024
#: Times Cache.open looks again while another instance holds the file (creating it).
OPEN_BUSY_TRIES = 20
#: Plain text of a thread kept for search; a 500-part thread rarely needs more.
MAX_BODY_CHARS = 200_000
#: Anchors remembered per view and thread; each is a few ints.
MAX_ANCHORS = 32
#: Below this many rows to skip, an OFFSET walk is cheap enough to not count the view first.
CHEAP_SKIP = 2000
#: wait_rank of a conversation nobody is waiting on: sorts after every waiting one.
NOT_WAITING = -(2**62)
#: Timestamps are clamped inside +-2**61, well clear of NOT_WAITING and SQLite's int64.
_TIME_LIMIT = 2**61
_SQLITE_CORRUPT, _SQLITE_NOTADB, _SQLITE_FULL = 11, 26, 13
_AUTHOR_CONTACT_TYPES = frozenset({"user", "lead", "contact"})
_TOKEN = re.compile(r"[^\W_]+")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class CacheUnavailable(Exception):
    """The cache file cannot be used (read-only folder, full disk); use ``Cache.memory()``."""


class _Damaged(Exception):
    """The file must be moved aside and rebuilt; ``args[0]`` names why (file suffix)."""


class Filter(NamedTuple):
    """Which conversations a view shows; every field narrows (AND)."""

    state: str | None = None  # "open" | "snoozed" | "closed" | None = any
    admin_assignee_id: str | None = None
    team_assignee_id: str | None = None
    unassigned: bool = False  # neither admin nor team assignee
    tag_id: str | None = None
    unread: bool | None = None
    text: str = ""  # words matched as prefixes in title, contact, preview and bodies


class Sort(StrEnum):
    UPDATED = "updated"  # updated_at desc, id desc
    WAITING = "waiting"  # oldest waiting first, not waiting last (then as UPDATED)
    PRIORITY = "priority"  # priority first, then as UPDATED


class Snapshot(NamedTuple):
    """A conversation before a local change; ``Cache.restore`` puts it back."""

    conversation: JSON
    thread: JSON | None


class ConversationRow(NamedTuple):
    """What one list line needs, nothing more."""

    id: str
    updated_at: int
    created_at: int
    state: str
    read: bool
    priority: bool
    admin_assignee_id: str | None
    team_assignee_id: str | None
    waiting_since: int | None
    snoozed_until: int | None
    title: str
    preview: str
    contact_name: str
    tag_ids: tuple[str, ...]


def cache_path_for(base_url: str, workspace_id: str) -> Path:
    """One file per server and workspace; built from the host only, never credentials."""
    import platformdirs

    parts = urlsplit(base_url if "//" in base_url else f"//{base_url}")
    host = (parts.hostname or "local") + (f"_{parts.port}" if parts.port else "")
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{host}-{workspace_id or 'default'}").strip("._")
    return platformdirs.user_cache_path("intercom-tui") / f"{slug[:120]}.sqlite3"


# ---------------------------------------------------------------------------- row derivation
class _Derived(NamedTuple):
    """The indexed columns of one conversation, all derived from its JSON."""

    id: str
    updated_at: int
    created_at: int
    state: str
    open: bool
    read: bool
    priority: bool
    admin_assignee_id: str | None
    team_assignee_id: str | None
    waiting_since: int | None
    snoozed_until: int | None
    title: str
    preview: str
    contact_name: str
    contact_id: str | None
    tag_ids: tuple[str, ...]

    @property
    def wait_rank(self) -> int:
        return -self.waiting_since if self.waiting_since else NOT_WAITING

    @property
    def text(self) -> tuple[str, str, str]:
        return (self.title, self.contact_name, self.preview)

    def columns(self, rid: int) -> tuple[Any, ...]:
        return (
            rid,
            self.id,
            self.updated_at,
            self.created_at,
            self.state,
            int(self.open),
            int(self.read),
            int(self.priority),
            self.admin_assignee_id,
            self.team_assignee_id,
            self.waiting_since,
            self.wait_rank,
            self.snoozed_until,
            self.title,
            self.preview,
            self.contact_name,
            self.contact_id,
            json.dumps(self.tag_ids, separators=(",", ":")),
        )


_COLUMNS = (
    "rid, id, updated_at, created_at, state, open, read, priority, admin_assignee_id,"
    " team_assignee_id, waiting_since, wait_rank, snoozed_until, title, preview,"
    " contact_name, contact_id, tag_ids"
)
_COLUMN_NAMES = tuple(_COLUMNS.replace(" ", "").split(","))
#: An UPSERT, so the state-count triggers see an update (REPLACE would skip the delete).
_UPSERT_CONVERSATION = (
    f"INSERT INTO conversations ({_COLUMNS}) VALUES ({', '.join('?' * len(_COLUMN_NAMES))})"
    " ON CONFLICT (rid) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _COLUMN_NAMES[1:])
)
#: Positions in a ``_COLUMNS`` row.
_UPDATED_AT, _TAG_IDS = _COLUMN_NAMES.index("updated_at"), _COLUMN_NAMES.index("tag_ids")
#: The searchable columns in ``_Derived.text`` order (the FTS row is deleted by its values).
_TEXT = tuple(_COLUMN_NAMES.index(c) for c in ("title", "contact_name", "preview"))
#: What each ``conversation_tags`` row copies from its conversation (for sorting).
_TAG_SORT_KEYS = tuple(_COLUMN_NAMES.index(c) for c in ("updated_at", "wait_rank", "priority"))


def _derive(conv: Conversation, contact_name: Callable[[str], str]) -> _Derived:
    from intercom_tui.render.html import first_line_preview  # only writes need it

    author = conv.source.author
    is_contact = author.type in _AUTHOR_CONTACT_TYPES
    contact_id = conv.contact_ids[0] if conv.contact_ids else (author.id if is_contact else "")
    name = (author.name or author.email) if is_contact else ""
    if not name and contact_id:
        name = contact_name(_text(contact_id))
    preview = first_line_preview(conv.source.body) or first_line_preview(conv.source.subject)
    return _Derived(
        id=_text(conv.id),
        updated_at=_clamp(conv.updated_at),
        created_at=_clamp(conv.created_at),
        state=_text(conv.state),
        open=conv.open,
        read=conv.read,
        priority=conv.priority,
        admin_assignee_id=_opt_text(conv.admin_assignee_id),
        team_assignee_id=_opt_text(conv.team_assignee_id),
        waiting_since=_clamp(conv.waiting_since) or None,
        snoozed_until=_clamp(conv.snoozed_until) or None,
        title=_text(conv.title),
        preview=_text(preview),
        contact_name=_text(name),
        contact_id=_opt_text(contact_id),
        tag_ids=tuple(dict.fromkeys(_text(t) for t in conv.tag_ids if t)),
    )


def _text(value: str) -> str:
    """``value`` as SQLite can bind it. JSON can carry a lone surrogate (``\\ud800``),
    UTF-8 cannot: it becomes U+FFFD in the derived columns, while the stored JSON keeps
    the original (escaped) so export stays faithful."""
    return value if value.isascii() else _LONE_SURROGATE.sub("\ufffd", value)


def _opt_text(value: str | None) -> str | None:
    return _text(value) if value else None


def _clamp(value: int | None) -> int:
    """A timestamp SQLite can store (the API is untrusted: 10**30 must not break a page)."""
    return max(-_TIME_LIMIT, min(value or 0, _TIME_LIMIT))


def _numeric_rid(conversation_id: str) -> int | None:
    """The rowid of a canonical decimal id (no sign, no leading zero), else None."""
    cid = conversation_id
    if cid.isascii() and cid.isdigit() and len(cid) <= 18 and (cid == "0" or cid[0] != "0"):
        return int(cid)
    return None


def _thread_text(conv: Conversation) -> str:
    """Plain text of the opening message and every part, bounded, for the search index."""
    from intercom_tui.render.html import html_to_text

    chunks: list[str] = []
    left = MAX_BODY_CHARS
    for body in (conv.source.body, *(p.body for p in conv.parts)):
        if left <= 0:
            break
        if body:
            text = html_to_text(body, max_chars=left)
            chunks.append(text)
            left -= len(text) + 1
    return _text("\n".join(chunks))


# ---------------------------------------------------------------------------- view queries
_SORT_KEYS = {
    Sort.UPDATED: ("updated_at", "rid"),
    Sort.WAITING: ("wait_rank", "updated_at", "rid"),
    Sort.PRIORITY: ("priority", "updated_at", "rid"),
}


def fts_query(text: str) -> str | None:
    """User text as an FTS5 query: each word a quoted prefix term, ANDed; None if no words.

    Words are runs of letters and digits (what the unicode61 tokenizer indexes), so quotes,
    ``*``, ``-``, ``AND``, ``NEAR(`` and the like are either dropped or searched literally.
    """
    words = _TOKEN.findall(text)
    return " ".join(f'"{w}"*' for w in words) if words else None


def _like_pattern(word: str) -> str:
    return "%" + re.sub(r"([\\%_])", r"\\\1", word) + "%"


class _ViewSql(NamedTuple):
    """One view as SQL: rows come from ``source`` (a table, no join) WHERE ``where``."""

    source: str
    where: str
    params: tuple[Any, ...]
    keys: tuple[str, ...]

    @property
    def key_list(self) -> str:
        return ", ".join(self.keys)

    def order(self, direction: str) -> str:
        return ", ".join(f"{k} {direction}" for k in self.keys)


def _view_sql(f: Filter, sort: Sort, *, fts: bool) -> _ViewSql:
    keys = _SORT_KEYS[sort]
    words = _TOKEN.findall(f.text)
    if f.tag_id is not None and f == Filter(tag_id=f.tag_id, text=f.text) and not words:
        return _ViewSql("conversation_tags", "tag_id = ?", (f.tag_id,), keys)
    where: list[str] = []
    params: list[Any] = []
    if f.state is not None:
        where.append("state = ?")
        params.append(f.state)
    if f.admin_assignee_id is not None:
        where.append("admin_assignee_id = ?")
        params.append(f.admin_assignee_id)
    if f.team_assignee_id is not None:
        where.append("team_assignee_id = ?")
        params.append(f.team_assignee_id)
    if f.unassigned:
        where.append(schema.UNASSIGNED_SQL)
    if f.unread is not None:
        where.append("read = 0" if f.unread else "read = 1")  # literals: plannable
    if f.tag_id is not None:
        where.append("rid IN (SELECT rid FROM conversation_tags WHERE tag_id = ?)")
        params.append(f.tag_id)
    if words and fts:
        where.append(
            f"rid IN (SELECT rowid FROM {schema.FTS_TABLE} WHERE {schema.FTS_TABLE} MATCH ?)"
        )
        params.append(fts_query(f.text))
    for word in words if not fts else ():
        like = "LIKE ? ESCAPE '\\'"
        where.append(
            f"(title {like} OR contact_name {like} OR preview {like}"
            f" OR rid IN (SELECT rid FROM threads WHERE body_text {like}))"
        )
        params += [_like_pattern(word)] * 4
    return _ViewSql("conversations", " AND ".join(where) or "1", tuple(params), keys)


def _prefix_search(f: Filter, sort: Sort) -> tuple[_ViewSql, tuple[str, ...], str] | None:
    """``f``'s view without its text, its words as the index folds them, and its FTS5
    query; None unless the text is plain prefix words, which ``search`` can test row by row."""
    from intercom_tui.store import search  # filters only: not on the path to the first frame

    terms, match = search.prefix_terms(_TOKEN.findall(f.text)), fts_query(f.text)
    if terms is None or match is None:
        return None
    return _view_sql(f._replace(text=""), sort, fts=False), terms, match


def _is_state_only(f: Filter) -> bool:
    """True for the views ``state_counts`` answers: All, Open, Snoozed, Closed."""
    return f == Filter(state=f.state, text=f.text) and not _TOKEN.search(f.text)


class _ViewMemo:
    """Per thread: counts and window anchors, valid while the data does not change."""

    __slots__ = ("anchors", "counts", "version")

    def __init__(self, version: tuple[int, int]) -> None:
        self.version = version
        self.counts: dict[Filter, int] = {}
        self.anchors: dict[tuple[Filter, Sort], dict[int, tuple[Any, ...]]] = {}


_ROW_COLUMNS = (
    "rid, id, updated_at, created_at, state, read, priority, admin_assignee_id,"
    " team_assignee_id, waiting_since, snoozed_until, title, preview, contact_name, tag_ids"
)


def _row(r: tuple[Any, ...]) -> ConversationRow:
    return ConversationRow(
        id=r[1],
        updated_at=r[2],
        created_at=r[3],
        state=r[4],
        read=bool(r[5]),
        priority=bool(r[6]),
        admin_assignee_id=r[7],
        team_assignee_id=r[8],
        waiting_since=r[9],
        snoozed_until=r[10],
        title=r[11],
        preview=r[12],
        contact_name=r[13],
        tag_ids=tuple(json.loads(r[14])),
    )


def _rows_in_order(conn: sqlite3.Connection, keys: list[tuple[Any, ...]]) -> list[ConversationRow]:
    """The rows whose sort keys (``rid`` last) are ``keys``, in that order."""
    rids = [k[-1] for k in keys]
    marks = ",".join("?" * len(rids))
    sql = f"SELECT {_ROW_COLUMNS} FROM conversations WHERE rid IN ({marks})"
    found = {r[0]: r for r in conn.execute(sql, rids)}
    return [_row(found[rid]) for rid in rids if rid in found]


class Matches(NamedTuple):
    """A view's first rows; ``complete`` when no other row is in it (its count is theirs)."""

    rows: list[ConversationRow]
    complete: bool


# ---------------------------------------------------------------------------- the cache
class Cache:
    """The workspace's local copy. Create with ``Cache.open(path)`` or ``Cache.memory()``."""

    def __init__(
        self, connect: Callable[[], sqlite3.Connection], *, shared: bool, use_fts: bool
    ) -> None:
        self._connect = connect
        self._use_fts = use_fts
        self._fts = False
        #: One connection for every thread (in-memory cache) needs every call serialised.
        self._shared: sqlite3.Connection | None = None
        self._serial: contextlib.AbstractContextManager[Any] = (
            threading.RLock() if shared else contextlib.nullcontext()
        )
        self._is_shared = shared
        self._local = threading.local()
        self._lock = threading.Lock()
        self._conns: list[sqlite3.Connection] = []
        self._closed = False
        self.path: Path | None = None
        #: Where a damaged (or newer-version) file was moved; the UI shows a notice.
        self.recovered_from: Path | None = None

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(cls, path: Path, *, use_fts: bool = True, full_check: bool | None = None) -> Cache:
        """Open (or create) the cache file, rebuilding it if damaged.

        ``full_check`` runs ``PRAGMA quick_check`` (reads the whole file); by default only
        for files up to ``QUICK_CHECK_MAX_BYTES`` so a big cache still opens at once.
        Cheaper checks (header against file size, schema, b-tree edges) always run.
        ``use_fts=False`` forces the LIKE search even when SQLite has FTS5.
        """
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise CacheUnavailable(
                f"Cannot create the cache folder {path.parent}: {e.strerror}."
            ) from None
        recovered: Path | None = None
        busy_tries = 0
        while True:
            cache = cls(lambda: _connect_file(path), shared=False, use_fts=use_fts)
            cache.path = path
            try:
                _check_header(path)
                check = full_check
                if check is None:
                    check = path.exists() and path.stat().st_size <= QUICK_CHECK_MAX_BYTES
                cache._prepare(full_check=check)
            except _Damaged as e:
                cache.close()
                if recovered is not None:
                    raise CacheUnavailable(f"The cache file {path} could not be rebuilt.") from None
                recovered = _move_aside(path, e.args[0])
                continue
            except sqlite3.OperationalError as e:
                cache.close()
                # Another instance is creating or migrating this file right now (switching
                # to WAL does not wait on the busy timeout): wait a moment and look again.
                if "locked" in str(e) and busy_tries < OPEN_BUSY_TRIES:
                    busy_tries += 1
                    time.sleep(0.05 * busy_tries)
                    continue
                if not _is_damage(e) or recovered is not None:
                    raise CacheUnavailable(_plain_error(e, path)) from None
                recovered = _move_aside(path, "corrupt")
                continue
            except sqlite3.DatabaseError as e:
                cache.close()
                if not _is_damage(e) or recovered is not None:
                    raise CacheUnavailable(_plain_error(e, path)) from None
                recovered = _move_aside(path, "corrupt")
                continue
            except BaseException:
                cache.close()
                raise
            cache.recovered_from = recovered
            return cache

    @classmethod
    def memory(cls, *, use_fts: bool = True) -> Cache:
        """A cache that lives in RAM only, with the same API (when the disk cannot be used)."""

        def connect() -> sqlite3.Connection:
            conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA foreign_keys = OFF")
            return conn

        cache = cls(connect, shared=True, use_fts=use_fts)
        cache._prepare(full_check=False)
        return cache

    def _prepare(self, *, full_check: bool) -> None:
        conn = self._conn()
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > schema.SCHEMA_VERSION:
            raise _Damaged("newer")
        if version == 0 and tables:
            raise _Damaged("corrupt")  # somebody else's database
        if full_check:
            result = [r[0] for r in conn.execute("PRAGMA quick_check")]
            if result != ["ok"]:
                raise _Damaged("corrupt")
        if self.path is not None:
            conn.execute("PRAGMA journal_mode = WAL")
        if version < schema.SCHEMA_VERSION:
            with self._write() as w:
                current = w.execute("PRAGMA user_version").fetchone()[0]  # another process?
                for statements in schema.MIGRATIONS[current:]:
                    for sql in statements:
                        w.execute(sql)
                w.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION}")
        # The right edge of each big b-tree: a truncated or zeroed tail shows up here.
        for table in ("conversations", "conversation_json", "threads"):
            conn.execute(f"SELECT * FROM {table} ORDER BY rid DESC LIMIT 1").fetchall()
        self._setup_search(conn)

    def _setup_search(self, conn: sqlite3.Connection) -> None:
        """Use FTS5 when the build has it, (re)building the index if missing or stale."""
        self._fts = bool(
            self._use_fts
            and conn.execute("SELECT sqlite_compileoption_used('ENABLE_FTS5')").fetchone()[0]
        )
        if self._search_repair(conn) is None:
            return
        with self._write() as w:
            repair = self._search_repair(w)  # again: another process may have done it
            if repair == "rebuild":
                w.execute(f"DROP TABLE IF EXISTS {schema.FTS_TABLE}")
                w.execute(schema.CREATE_FTS)
                w.execute(schema.FILL_FTS)
                self._set_meta(w, schema.META_FTS_VALID, "1")
            elif repair == "stale":  # writes from now on leave the index behind
                self._set_meta(w, schema.META_FTS_VALID, "0")

    def _search_repair(self, conn: sqlite3.Connection) -> str | None:
        sql = "SELECT 1 FROM sqlite_master WHERE name = ?"
        has_table = conn.execute(sql, (schema.FTS_TABLE,)).fetchone() is not None
        valid = self._meta(conn, schema.META_FTS_VALID)
        if self._fts and (not has_table or valid != "1"):
            return "rebuild"
        if not self._fts and has_table and valid != "0":
            return "stale"
        return None

    @property
    def has_fts(self) -> bool:
        """True when text filters use the FTS5 index, False when they fall back to LIKE."""
        return self._fts

    def verify(self) -> bool:
        """Full ``PRAGMA quick_check`` (seconds on a big file: call it from a worker)."""
        with self._read() as conn:
            try:
                return [r[0] for r in conn.execute("PRAGMA quick_check")] == ["ok"]
            except sqlite3.DatabaseError:
                return False

    def defer_checkpoints(self) -> None:
        """Commits from the calling thread no longer fold the WAL into the database file.

        SQLite does that on the commit that takes the WAL past 1,000 pages; at a million
        conversations it took ~0.4 s, which on the UI thread froze the frame of about one
        triage action in ten. The UI calls this, and ``checkpoint`` from a worker.
        """
        if not self._is_shared:  # an in-memory cache has no WAL
            with self._serial:
                self._conn().execute("PRAGMA wal_autocheckpoint = 0")

    def checkpoint(self) -> None:
        """Fold the WAL into the database file as far as readers allow, without waiting
        for them (PASSIVE). Call from a worker thread; a busy file is left for next time."""
        if self._is_shared:
            return
        with self._serial, contextlib.suppress(sqlite3.OperationalError):
            self._conn().execute("PRAGMA wal_checkpoint(PASSIVE)")

    def close(self) -> None:
        """Close every thread's connection (call once workers have stopped)."""
        with self._lock:
            self._closed = True
            conns, self._conns = self._conns, []
        for conn in conns:
            with contextlib.suppress(sqlite3.Error):
                conn.close()

    # ------------------------------------------------------------------ connections
    def _conn(self) -> sqlite3.Connection:
        conn = self._shared if self._is_shared else getattr(self._local, "conn", None)
        if conn is None:
            with self._lock:
                if self._closed:
                    raise sqlite3.ProgrammingError("the cache is closed")
                conn = self._connect()
                self._conns.append(conn)
            if self._is_shared:
                self._shared = conn
            else:
                self._local.conn = conn
        return conn

    @contextlib.contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: the statements inside see one snapshot."""
        with self._serial:
            conn = self._conn()
            if conn.in_transaction:
                yield conn
                return
            conn.execute("BEGIN")
            try:
                yield conn
            finally:
                if conn.in_transaction:
                    conn.execute("COMMIT")

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A short write transaction, taken up front so it never deadlocks on upgrade.

        A write inside another one on the same thread joins it, so a caller can make
        several writes one atomic step (a change shown at once and its outbox entry: a
        crash must not keep one without the other).
        """
        with self._serial:
            conn = self._conn()
            if getattr(self._local, "writing", False):
                yield conn
                return
            try:
                conn.execute("BEGIN IMMEDIATE")
                self._local.writing = True
                try:
                    yield conn
                except BaseException:
                    if conn.in_transaction:  # SQLite itself rolls back on some errors (full)
                        conn.execute("ROLLBACK")
                    raise
                finally:
                    self._local.writing = False
                conn.execute("COMMIT")
            except sqlite3.OperationalError as e:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                if _error_code(e) == _SQLITE_FULL:
                    raise CacheUnavailable("The disk is full; the cache cannot be saved.") from None
                raise

    def read_transaction(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        """For store modules sharing this file (outbox): a consistent read."""
        return self._read()

    def write_transaction(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        """For store modules sharing this file (outbox): one committed transaction; cache
        writes made inside it (on this thread) commit or roll back with it."""
        return self._write()

    # ------------------------------------------------------------------ view reads
    def _memo(self, conn: sqlite3.Connection) -> _ViewMemo:
        """This thread's memo, emptied when anyone (this or another connection) wrote."""
        version = (conn.execute("PRAGMA data_version").fetchone()[0], conn.total_changes)
        memo: _ViewMemo | None = getattr(self._local, "memo", None)
        if memo is None or memo.version != version:
            memo = _ViewMemo(version)
            self._local.memo = memo
        return memo

    def _run_view(self, f: Filter, sort: Sort, run: Callable[[_ViewSql], Any]) -> Any:
        """Run a view query, retrying with LIKE if FTS5 rejects the text (never raises)."""
        try:
            return run(_view_sql(f, sort, fts=self._fts))
        except sqlite3.OperationalError as e:
            if not (self._fts and f.text and "fts5" in str(e)):
                raise
            return run(_view_sql(f, sort, fts=False))

    def count(self, filter: Filter) -> int:
        with self._read() as conn:
            memo = self._memo(conn)
            return self._count(conn, memo, filter)

    def _count(self, conn: sqlite3.Connection, memo: _ViewMemo, f: Filter) -> int:
        if f in memo.counts:
            return memo.counts[f]
        if _is_state_only(f):
            sql, params = "SELECT coalesce(sum(n), 0) FROM state_counts", ()
            if f.state is not None:
                sql, params = sql + " WHERE state = ?", (f.state,)
            n = conn.execute(sql, params).fetchone()[0]
        else:

            def run(v: _ViewSql) -> int:
                sql = f"SELECT count(*) FROM {v.source} WHERE {v.where}"
                return conn.execute(sql, v.params).fetchone()[0]

            n = self._run_view(f, Sort.UPDATED, run)
        memo.counts[f] = n
        return n

    def view_counts(self, filters: Mapping[str, Filter]) -> dict[str, int]:
        """Counts for many views in one snapshot (may take a while: call from a worker)."""
        with self._read() as conn:
            memo = self._memo(conn)
            return {name: self._count(conn, memo, f) for name, f in filters.items()}

    def window(self, filter: Filter, sort: Sort, offset: int, limit: int) -> list[ConversationRow]:
        """Rows ``offset`` .. ``offset + limit - 1`` of a view, in the view's order."""
        offset = max(0, offset)
        if limit <= 0:
            return []
        with self._read() as conn:
            memo = self._memo(conn)
            anchors = memo.anchors.setdefault((filter, sort), {})
            keys: list[tuple[Any, ...]] = self._run_view(
                filter,
                sort,
                lambda v: self._window_keys(conn, memo, v, filter, anchors, offset, limit),
            )
            if not keys:
                return []
            anchors.pop(offset, None)
            anchors[offset] = keys[0]
            anchors.pop(offset + len(keys) - 1, None)
            anchors[offset + len(keys) - 1] = keys[-1]
            while len(anchors) > MAX_ANCHORS:
                del anchors[next(iter(anchors))]
            return _rows_in_order(conn, keys)

    def search_window(
        self,
        filter: Filter,
        sort: Sort,
        offset: int,
        limit: int,
        *,
        max_rows: int | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> Matches | None:
        """``window(filter, sort, offset, limit)`` for a text filter as it is typed (``search``).

        With ``max_rows``: only a walk of the view from the top, testing at most that many
        rows: cheap enough for the UI thread; None when that does not settle it. Without:
        driven by the full-text index (by the view SQL for text that is not plain prefix
        words); None only when ``stop()`` turned true meanwhile.
        """
        from intercom_tui.store import search

        offset = max(0, offset)
        prefix = _prefix_search(filter, sort) if self._fts else None
        if prefix is None and max_rows is not None:
            return None
        if prefix is None:
            rows = self.window(filter, sort, offset, limit)
            return None if stop is not None and stop() else Matches(rows, len(rows) < limit)
        base, terms, match = prefix
        with self._read() as conn:
            if max_rows is not None:
                walked = search.walk(conn, base, terms, offset + limit, max_rows)
                if walked is None:
                    return None
                keys, complete = walked.keys, walked.complete
            else:
                top = search.indexed_top(conn, base, match, offset + limit, stop)
                if top is None:
                    return None
                keys, complete = top, len(top) < offset + limit
            if complete:
                self._memo(conn).counts[filter] = len(keys)
            return Matches(_rows_in_order(conn, keys[offset:]), complete)

    def search_count(self, filter: Filter, *, stop: Callable[[], bool] | None = None) -> int | None:
        """``count(filter)``, driven by the full-text index when the text is plain prefix
        words (about half the time); None when ``stop()`` turned true meanwhile."""
        from intercom_tui.store import search

        prefix = _prefix_search(filter, Sort.UPDATED) if self._fts else None
        if prefix is None:
            n = self.count(filter)
            return None if stop is not None and stop() else n
        base, _, match = prefix
        with self._read() as conn:
            memo = self._memo(conn)
            if filter in memo.counts:
                return memo.counts[filter]
            n = search.indexed_count(conn, base, match, stop)
            if n is not None:
                memo.counts[filter] = n
            return n

    def _window_keys(
        self,
        conn: sqlite3.Connection,
        memo: _ViewMemo,
        v: _ViewSql,
        f: Filter,
        anchors: dict[int, tuple[Any, ...]],
        offset: int,
        limit: int,
    ) -> list[tuple[Any, ...]]:
        """Sort keys of the window's rows, from the cheapest start: top, anchor or bottom."""
        # (rows to skip, direction, anchor key or None, rows to read)
        best: tuple[int, str, tuple[Any, ...] | None, int] = (offset, "DESC", None, limit)
        for pos, key in anchors.items():
            if pos < offset and offset - pos - 1 < best[0]:
                best = (offset - pos - 1, "DESC", key, limit)
            elif pos >= offset + limit and pos - offset - limit < best[0]:
                best = (pos - offset - limit, "ASC", key, limit)
        if best[0] > CHEAP_SKIP:
            total = self._count(conn, memo, f)
            if offset >= total:
                return []
            from_end = max(0, total - offset - limit)
            if from_end < best[0]:
                best = (from_end, "ASC", None, min(limit, total - offset))
        skip, direction, key, n = best
        where, params = v.where, v.params
        if key is not None:
            marks = ", ".join("?" * len(key))
            where += f" AND ({v.key_list}) {'<' if direction == 'DESC' else '>'} ({marks})"
            params += key
        sql = (
            f"SELECT {v.key_list} FROM {v.source} WHERE {where}"
            f" ORDER BY {v.order(direction)} LIMIT ? OFFSET ?"
        )
        keys = [tuple(r) for r in conn.execute(sql, (*params, n, skip))]
        return keys if direction == "DESC" else keys[::-1]

    def index_of(self, filter: Filter, sort: Sort, conversation_id: str) -> int | None:
        """Where a conversation sits in a view (to keep the cursor on it), or None."""
        with self._read() as conn:
            rid = self._rid(conn, conversation_id)
            if rid is None:
                return None

            memo = self._memo(conn)
            known = _is_state_only(filter) or filter in memo.counts
            total = self._count(conn, memo, filter) if known else None

            def run(v: _ViewSql) -> int | None:
                key = conn.execute(
                    f"SELECT {v.key_list} FROM {v.source} WHERE {v.where} AND rid = ?",
                    (*v.params, rid),
                ).fetchone()
                if key is None:
                    return None
                marks = ", ".join("?" * len(key))
                rows = f"FROM {v.source} WHERE {v.where} AND ({v.key_list}) {{}} ({marks})"
                params = (*v.params, *key)
                if total is None:
                    return conn.execute(f"SELECT count(*) {rows.format('>')}", params).fetchone()[0]
                # Count the rows above it, but at most half: past that, the rows below are fewer.
                half = total // 2
                above = conn.execute(
                    f"SELECT count(*) FROM (SELECT 1 {rows.format('>')} LIMIT ?)",
                    (*params, half + 1),
                ).fetchone()[0]
                if above <= half:
                    return above
                below = conn.execute(f"SELECT count(*) {rows.format('<')}", params).fetchone()[0]
                return total - below - 1

            return self._run_view(filter, sort, run)

    # ------------------------------------------------------------------ single reads
    @staticmethod
    def _find(conn: sqlite3.Connection, conversation_id: str, columns: str) -> Any:
        """``columns`` of one conversation's row, or None; see ``conversations.rid``."""
        rid = _numeric_rid(conversation_id)
        where, key = (
            ("rid = ?", rid) if rid is not None else ("id = ? AND rid < 0", _text(conversation_id))
        )
        sql = f"SELECT {columns} FROM conversations WHERE {where}"
        return conn.execute(sql, (key,)).fetchone()

    def _rid(self, conn: sqlite3.Connection, conversation_id: str) -> int | None:
        r = self._find(conn, conversation_id, "rid")
        return r[0] if r else None

    def _json(self, table: str, conversation_id: str) -> JSON | None:
        with self._read() as conn:
            rid = self._rid(conn, conversation_id)
            return (
                None if rid is None else _load(conn, f"SELECT json FROM {table} WHERE rid = ?", rid)
            )

    def get_row(self, conversation_id: str) -> ConversationRow | None:
        with self._read() as conn:
            r = self._find(conn, conversation_id, _ROW_COLUMNS)
            return _row(r) if r else None

    def get_conversation(self, conversation_id: str) -> JSON | None:
        """The list-item JSON as last received (or as changed locally)."""
        return self._json("conversation_json", conversation_id)

    def get_thread(self, conversation_id: str) -> JSON | None:
        """The full conversation with parts, if it was ever opened."""
        return self._json("threads", conversation_id)

    def _named(self, table: str, parse: Callable[[JSON], Any]) -> list[Any]:
        with self._read() as conn:
            sql = f"SELECT json FROM {table} ORDER BY name COLLATE NOCASE, id"
            return [parse(json.loads(r[0])) for r in conn.execute(sql)]

    def tags(self) -> list[Tag]:
        return self._named("tags", Tag.from_api)

    def admins(self) -> list[Admin]:
        return self._named("admins", Admin.from_api)

    def teams(self) -> list[Team]:
        return self._named("teams", Team.from_api)

    def contacts(self) -> list[Contact]:
        return self._named("contacts", Contact.from_api)

    # ------------------------------------------------------------------ conversation writes
    def upsert_conversations(
        self, items: Iterable[Mapping[str, Any]], *, force: bool = False
    ) -> int:
        """Store list items or full conversations (one transaction); how many were written.

        An item older (``updated_at``) than the cached copy is skipped unless ``force``:
        a late page must not undo a newer state, but local edits and server confirmations
        always win.
        """
        written = 0
        with self._write() as conn:
            for item in items:
                data = {k: v for k, v in item.items() if k != "conversation_parts"}
                if self._put(conn, data, force=force) is not None:
                    written += 1
        return written

    def store_thread(
        self,
        conversation: Mapping[str, Any],
        *,
        force: bool = False,
        model: Conversation | None = None,
    ) -> None:
        """Keep a full conversation with its parts; updates its row and the search index.

        ``model``: the same conversation already parsed, if the caller has it."""
        data = dict(conversation)
        from intercom_tui.api.models import Conversation  # writes only: not at start-up

        conv = model if model is not None else Conversation.from_api(data)
        if not conv.id:
            return
        with self._write() as conn:
            list_item = {k: v for k, v in data.items() if k != "conversation_parts"}
            self._put(conn, list_item, force=force, conv=conv)
            rid = self._rid(conn, conv.id)
            if rid is None:
                return
            old = conn.execute("SELECT body_text FROM threads WHERE rid = ?", (rid,)).fetchone()
            old_bodies = old[0] if old else ""
            bodies = _thread_text(conv)
            conn.execute(
                "INSERT OR REPLACE INTO threads (rid, fetched_at, body_text, json)"
                " VALUES (?, ?, ?, ?)",
                (rid, int(time.time()), bodies, json.dumps(data, separators=(",", ":"))),
            )
            text = conn.execute(
                "SELECT title, contact_name, preview FROM conversations WHERE rid = ?", (rid,)
            ).fetchone()
            self._reindex(conn, rid, (*text, old_bodies), (*text, bodies))

    def _put(
        self,
        conn: sqlite3.Connection,
        data: JSON,
        *,
        force: bool,
        conv: Conversation | None = None,
    ) -> int | None:
        """Write one conversation's row, JSON and tags; its rid, or None when skipped."""
        if conv is None:
            from intercom_tui.api.models import Conversation

            conv = Conversation.from_api(data)
        if not conv.id:
            return None
        old = self._find(conn, conv.id, _COLUMNS)
        if old is not None and not force and conv.updated_at < old[_UPDATED_AT]:
            return None
        d = _derive(conv, lambda cid: self._contact_name(conn, cid))
        rid = old[0] if old else self._new_rid(conn, conv.id)
        new = d.columns(rid)
        conn.execute(
            "INSERT OR REPLACE INTO conversation_json (rid, json) VALUES (?, ?)",
            (rid, json.dumps(data, separators=(",", ":"))),
        )
        if old is None:
            conn.execute(_UPSERT_CONVERSATION, new)
            self._reindex(conn, rid, None, (*d.text, ""))
        else:
            _update_changed(conn, old, new)
            old_text = tuple(old[i] for i in _TEXT)
            if old_text != d.text:
                bodies = self._bodies(conn, rid)
                self._reindex(conn, rid, (*old_text, bodies), (*d.text, bodies))
        _write_tags(conn, old, new, d.tag_ids)
        return rid

    @staticmethod
    def _new_rid(conn: sqlite3.Connection, conversation_id: str) -> int:
        rid = _numeric_rid(conversation_id)
        if rid is not None:
            return rid
        lowest = conn.execute("SELECT min(rid) FROM conversations").fetchone()[0]
        return min(lowest or 0, 0) - 1

    @staticmethod
    def _bodies(conn: sqlite3.Connection, rid: int) -> str:
        r = conn.execute("SELECT body_text FROM threads WHERE rid = ?", (rid,)).fetchone()
        return r[0] if r else ""

    @staticmethod
    def _contact_name(conn: sqlite3.Connection, contact_id: str) -> str:
        r = conn.execute("SELECT name, email FROM contacts WHERE id = ?", (contact_id,)).fetchone()
        return (r[0] or r[1]) if r else ""

    def _reindex(
        self,
        conn: sqlite3.Connection,
        rid: int,
        old: tuple[str, ...] | None,
        new: tuple[str, ...] | None,
    ) -> None:
        """Keep the contentless FTS row of ``rid`` in step: delete needs the old values."""
        if not self._fts or old == new:
            return
        columns = "rowid, title, contact_name, preview, bodies"
        table = schema.FTS_TABLE
        if old is not None:
            conn.execute(
                f"INSERT INTO {table} ({table}, {columns}) VALUES ('delete', ?, ?, ?, ?, ?)",
                (rid, *old),
            )
        if new is not None:
            conn.execute(f"INSERT INTO {table} ({columns}) VALUES (?, ?, ?, ?, ?)", (rid, *new))

    def apply_local_change(self, conversation_id: str, **changes: Any) -> Snapshot | None:
        """An optimistic edit of one conversation; what it was before (None if unknown).

        ``changes``: state, read, priority (bool), admin_assignee_id, team_assignee_id,
        snoozed_until, waiting_since, title, updated_at, tag_ids (names come from the
        conversation or the tags table). The JSON is patched the way Intercom would write
        it and the row derived from it, so the list, the JSON and a cached thread agree.
        ``restore(snapshot)`` rolls it back.
        """
        unknown = set(changes) - _LOCAL_FIELDS
        if unknown:
            raise ValueError(f"cannot change {', '.join(sorted(unknown))} locally")
        with self._write() as conn:
            rid = self._rid(conn, conversation_id)
            if rid is None:
                return None
            before = Snapshot(
                _load(conn, "SELECT json FROM conversation_json WHERE rid = ?", rid) or {},
                _load(conn, "SELECT json FROM threads WHERE rid = ?", rid),
            )
            tags = {r[0]: r[1] for r in conn.execute("SELECT id, json FROM tags")}
            self._put(conn, _patched(before.conversation, changes, tags), force=True)
            if before.thread is not None:
                _set_thread_json(conn, rid, _patched(before.thread, changes, tags))
            return before

    def restore(self, snapshot: Snapshot) -> None:
        """Undo a local change: the conversation (and its thread) as in ``snapshot``."""
        with self._write() as conn:
            rid = self._put(conn, dict(snapshot.conversation), force=True)
            if rid is not None and snapshot.thread is not None:
                _set_thread_json(conn, rid, snapshot.thread)

    def delete_conversations(self, ids: Iterable[str]) -> int:
        """Forget conversations (deleted or no longer visible on the server)."""
        deleted = 0
        with self._write() as conn:
            for cid in ids:
                old = self._find(conn, cid, "rid, tag_ids, title, contact_name, preview")
                if old is None:
                    continue
                rid = old[0]
                self._reindex(conn, rid, (*old[2:], self._bodies(conn, rid)), None)
                _delete_tags(conn, rid, json.loads(old[1]))
                for table in ("conversations", "conversation_json", "threads"):
                    conn.execute(f"DELETE FROM {table} WHERE rid = ?", (rid,))
                deleted += 1
        return deleted

    # ------------------------------------------------------------------ reference data
    def replace_tags(self, items: Iterable[Mapping[str, Any]]) -> None:
        self._replace("tags", [(t.id, t.name, t.raw) for t in map(Tag.from_api, items)])

    def upsert_tag(self, item: Mapping[str, Any]) -> None:
        tag = Tag.from_api(item)
        with self._write() as conn:
            self._insert_named(conn, "tags", [(tag.id, tag.name, tag.raw)])

    def replace_admins(self, items: Iterable[Mapping[str, Any]]) -> None:
        admins = [Admin.from_api(a) for a in items]
        self._replace("admins", [(a.id, a.name, a.email, a.raw) for a in admins])

    def replace_teams(self, items: Iterable[Mapping[str, Any]]) -> None:
        self._replace("teams", [(t.id, t.name, t.raw) for t in map(Team.from_api, items)])

    def upsert_contacts(self, items: Iterable[Mapping[str, Any]]) -> None:
        """Store contacts and give their name to rows that had none (admin-started ones)."""
        contacts = [c for c in map(Contact.from_api, items) if c.id]
        with self._write() as conn:
            self._insert_named(conn, "contacts", [(c.id, c.name, c.email, c.raw) for c in contacts])
            for c in contacts:
                name = _text(c.name or c.email)
                if not name:
                    continue
                rows = conn.execute(
                    "SELECT rid, title, preview FROM conversations"
                    " WHERE contact_id = ? AND contact_name = ''",
                    (_text(c.id),),
                ).fetchall()
                for rid, title, preview in rows:
                    conn.execute(
                        "UPDATE conversations SET contact_name = ? WHERE rid = ?", (name, rid)
                    )
                    bodies = self._bodies(conn, rid)
                    self._reindex(
                        conn, rid, (title, "", preview, bodies), (title, name, preview, bodies)
                    )

    def _replace(self, table: str, rows: list[tuple[Any, ...]]) -> None:
        with self._write() as conn:
            conn.execute(f"DELETE FROM {table}")
            self._insert_named(conn, table, rows)

    @staticmethod
    def _insert_named(conn: sqlite3.Connection, table: str, rows: list[tuple[Any, ...]]) -> None:
        """Rows end with the raw JSON dict; ids that parse empty are not stored."""
        if not rows:
            return
        marks = ", ".join("?" * len(rows[0]))
        conn.executemany(
            f"INSERT OR REPLACE INTO {table} VALUES ({marks})",
            [(*map(_text, r[:-1]), json.dumps(r[-1], separators=(",", ":"))) for r in rows if r[0]],
        )

    # ------------------------------------------------------------------ meta and drafts
    @staticmethod
    def _meta(conn: sqlite3.Connection, key: str) -> str | None:
        r = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return r[0] if r else None

    @staticmethod
    def _set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, _text(value)))

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        """Sync state and the like; survives restarts."""
        with self._read() as conn:
            value = self._meta(conn, key)
        return default if value is None else value

    def set_meta(self, key: str, value: str) -> None:
        with self._write() as conn:
            self._set_meta(conn, key, value)

    def save_draft(self, conversation_id: str, kind: str, text: str) -> None:
        """Keep an unsent reply or note (``kind``) so quitting never loses it."""
        with self._write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO drafts (conversation_id, kind, text, saved_at)"
                " VALUES (?, ?, ?, ?)",
                (conversation_id, kind, text, time.time()),
            )

    def get_draft(self, conversation_id: str, kind: str) -> str | None:
        with self._read() as conn:
            r = conn.execute(
                "SELECT text FROM drafts WHERE conversation_id = ? AND kind = ?",
                (conversation_id, kind),
            ).fetchone()
            return r[0] if r else None

    def delete_draft(self, conversation_id: str, kind: str) -> None:
        with self._write() as conn:
            conn.execute(
                "DELETE FROM drafts WHERE conversation_id = ? AND kind = ?", (conversation_id, kind)
            )

    # ------------------------------------------------------------------ synthetic data
    def bulk_load_synthetic(self, n: int, *, seed: int = 0, now: int) -> None:
        """Add ``n`` made-up conversations (and their admins, teams, tags) for benchmarks.

        One transaction: indexes and triggers are dropped, rows go in with ``executemany``
        in chunks, then indexes are rebuilt from sorted data (with a big sorter cache),
        states recounted and the search index filled by SQL. Each row's JSON is a small
        list item from which the row derives exactly as stored.
        """
        from intercom_tui.store.synthetic import ADMINS, TAGS, TEAMS, synthetic_rows

        rng = random.Random(seed)
        with self._write() as conn:
            start = max(conn.execute("SELECT max(rid) FROM conversations").fetchone()[0] or 0, 0)
            self._insert_named(
                conn, "admins", [(a["id"], a["name"], a["email"], a) for a in ADMINS]
            )
            self._insert_named(conn, "teams", [(t["id"], t["name"], t) for t in TEAMS])
            self._insert_named(conn, "tags", [(t["id"], t["name"], t) for t in TAGS])
            rebuilt = conn.execute(
                "SELECT type, name, sql FROM sqlite_master WHERE type IN ('index', 'trigger')"
                " AND tbl_name IN ('conversations', 'conversation_tags') AND sql IS NOT NULL"
            ).fetchall()
            for kind, name, _ in rebuilt:
                conn.execute(f"DROP {kind} {name}")
            rows = synthetic_rows(rng, n, start + 1, now)
            while chunk := list(itertools.islice(rows, 20_000)):
                conn.executemany(_UPSERT_CONVERSATION, (r[0] for r in chunk))
                conn.executemany(
                    "INSERT INTO conversation_json (rid, json) VALUES (?, ?)",
                    ((r[0][0], r[1]) for r in chunk),
                )
                conn.executemany(
                    "INSERT INTO conversation_tags (tag_id, rid, updated_at, wait_rank, priority)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (t for r in chunk for t in r[2]),
                )
            conn.execute("PRAGMA cache_size = -262144")  # the index sorter works in RAM
            try:
                for _, _, sql in rebuilt:
                    conn.execute(sql)
            finally:
                conn.execute(f"PRAGMA cache_size = -{PAGE_CACHE_KIB}")
            for sql in schema.RECOUNT_STATES:
                conn.execute(sql)
            if self._fts:
                conn.execute(schema.FILL_FTS + " WHERE c.rid > ?", (start,))


def _load(conn: sqlite3.Connection, sql: str, rid: int) -> JSON | None:
    r = conn.execute(sql, (rid,)).fetchone()
    return json.loads(r[0]) if r else None


def _set_thread_json(conn: sqlite3.Connection, rid: int, data: JSON) -> None:
    """Replace a thread's JSON when only conversation fields changed (bodies are the same)."""
    conn.execute(
        "UPDATE threads SET json = ? WHERE rid = ?", (json.dumps(data, separators=(",", ":")), rid)
    )


def _update_changed(conn: sqlite3.Connection, old: Sequence[Any], new: Sequence[Any]) -> None:
    """Set only the columns whose value changed.

    SQLite rewrites the entry of every index that covers a column in the SET list, changed
    or not: an upsert of all 18 columns touched all 16 view indexes (13 pages into the WAL
    for a tag toggle, which changes none of them; one page this way).
    """
    changed = [i for i in range(1, len(new)) if old[i] != new[i]]
    if changed:
        assignments = ", ".join(f"{_COLUMN_NAMES[i]} = ?" for i in changed)
        conn.execute(
            f"UPDATE conversations SET {assignments} WHERE rid = ?",
            (*(new[i] for i in changed), new[0]),
        )


def _write_tags(
    conn: sqlite3.Connection, old: Sequence[Any] | None, new: Sequence[Any], tag_ids: Sequence[str]
) -> None:
    """Keep ``conversation_tags`` in step with a row: only the tags added and removed, unless
    the sort keys they copy changed (then every membership is written again)."""
    rid = new[0]
    keep: set[str] = set()
    if old is not None:
        before = json.loads(old[_TAG_IDS])
        if all(old[i] == new[i] for i in _TAG_SORT_KEYS):
            keep = set(before) & set(tag_ids)
        _delete_tags(conn, rid, (t for t in before if t not in keep))
    updated_at, wait_rank, priority = (new[i] for i in _TAG_SORT_KEYS)
    conn.executemany(
        "INSERT INTO conversation_tags (tag_id, rid, updated_at, wait_rank, priority)"
        " VALUES (?, ?, ?, ?, ?)",
        [(t, rid, updated_at, wait_rank, priority) for t in tag_ids if t not in keep],
    )


def _delete_tags(conn: sqlite3.Connection, rid: int, tag_ids: Iterable[str]) -> None:
    """Remove a row's tag memberships by primary key (its tag_ids column lists them)."""
    conn.executemany(
        "DELETE FROM conversation_tags WHERE tag_id = ? AND rid = ?", [(t, rid) for t in tag_ids]
    )


_LOCAL_FIELDS = frozenset(
    {
        "state",
        "read",
        "priority",
        "admin_assignee_id",
        "team_assignee_id",
        "snoozed_until",
        "waiting_since",
        "title",
        "updated_at",
        "tag_ids",
    }
)


def _patched(data: JSON, changes: Mapping[str, Any], tags: Mapping[str, str]) -> JSON:
    """``data`` with local changes written the way Intercom writes them."""
    out = dict(data)
    for key, value in changes.items():
        match key:
            case "state":
                out["state"], out["open"] = value, value != "closed"
            case "priority":
                out["priority"] = "priority" if value else "not_priority"
            case "admin_assignee_id" | "team_assignee_id":
                out[key] = norm_assignee(value)
            case "tag_ids":
                held = out.get("tags")
                held = held.get("tags") if isinstance(held, dict) else None
                current = {
                    norm_id(t.get("id")): t
                    for t in (held if isinstance(held, list) else [])
                    if isinstance(t, dict)
                }
                listed = []
                for tag_id in value:
                    tag = current.get(str(tag_id))
                    if tag is None and str(tag_id) in tags:
                        tag = json.loads(tags[str(tag_id)])
                    listed.append(tag or {"type": "tag", "id": str(tag_id), "name": ""})
                out["tags"] = {"type": "tag.list", "tags": listed}
            case _:
                out[key] = value
    return out


# ---------------------------------------------------------------------------- file safety
def _connect_file(path: Path) -> sqlite3.Connection:
    """A connection for one thread (closed by ``Cache.close`` from any thread, hence the flag).

    WAL mode is set by ``Cache._prepare`` once the file passed its checks (a file about to
    be moved aside is not touched), and is a property of the file from then on.
    """
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute(f"PRAGMA cache_size = -{PAGE_CACHE_KIB}")
    except BaseException:
        conn.close()
        raise
    return conn


def _check_header(path: Path) -> None:
    """Catch a non-SQLite or truncated file from its 100-byte header, before SQLite reads it.

    SQLite only notices a missing tail when a query reaches it; the header says how many
    pages the file should hold. The size check waits while a WAL file exists (it may hold
    the tail until the next checkpoint).
    """
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return
    if size == 0:
        return
    try:
        with path.open("rb") as fh:
            head = fh.read(100)
    except PermissionError:
        raise _Damaged("corrupt") from None  # unreadable: rebuilt if the folder allows it
    if len(head) < 100 or not head.startswith(b"SQLite format 3\x00"):
        raise _Damaged("corrupt")
    page_size = int.from_bytes(head[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(head[28:32], "big")
    size_valid = pages and head[24:28] == head[92:96]
    wal = Path(f"{path}-wal")
    if size_valid and pages * page_size > size and not (wal.exists() and wal.stat().st_size):
        raise _Damaged("corrupt")


def _move_aside(path: Path, why: str) -> Path:
    """Rename the file (and its -wal/-shm) to ``<name>.<why>-<timestamp>``; the new name."""
    stamp = time.strftime("%Y%m%dT%H%M%S")
    target = path.with_name(f"{path.name}.{why}-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.{why}-{stamp}-{n}")
    try:
        if path.exists():
            path.rename(target)
        for suffix in ("-wal", "-shm"):
            side = Path(f"{path}{suffix}")
            if side.exists():
                side.rename(Path(f"{target}{suffix}"))
    except OSError as e:
        raise CacheUnavailable(
            f"The cache file {path} is damaged and cannot be moved aside: {e.strerror}."
        ) from None
    return target


def _error_code(e: sqlite3.Error) -> int:
    return getattr(e, "sqlite_errorcode", 0) & 0xFF


def _is_damage(e: sqlite3.DatabaseError) -> bool:
    if _error_code(e) in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
        return True
    message = str(e).lower()
    return "malformed" in message or "not a database" in message


def _plain_error(e: sqlite3.Error, path: Path) -> str:
    """Why the file cannot be used, in words a user can act on."""
    name = getattr(e, "sqlite_errorname", "")
    if name.startswith("SQLITE_FULL"):
        return "The disk is full; the cache cannot be saved."
    if name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_AUTH")):
        return f"The cache file {path} cannot be written (read-only folder or file)."
    return f"The cache file {path} cannot be used ({e})."
