"""The cache's tables and indexes, as migrations applied in order.

``PRAGMA user_version`` counts the migrations a file has seen; ``Cache.open`` applies the
missing ones in one transaction and moves aside a file from a newer version of the app.

Every sort the list offers is "all columns descending", ending with ``rid`` (see
``conversations.rid``), so an index can serve both a page and its keyset continuation,
and each view's filter has an index per sort: a window at any depth never sorts.
"""

from __future__ import annotations

#: Sorts end in the implicit rowid, so each index below ends with it too (SQLite appends
#: the rowid to every index of a rowid table, and the primary key to every index of a
#: WITHOUT ROWID table).
_CORE = (
    # rid: int(id) for canonical numeric ids (all of Intercom's), a negative number for any
    # other id. It is the tie-break of every sort, so ties cost no extra index column, and
    # finding a numeric id needs no index of its own (other ids: conversations_other_id).
    # wait_rank: -waiting_since, or the minimum when not waiting, so "oldest waiting first,
    # not waiting last" is a descending sort like the others.
    """CREATE TABLE conversations (
        rid INTEGER PRIMARY KEY,
        id TEXT NOT NULL,
        updated_at INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        state TEXT NOT NULL,
        open INTEGER NOT NULL,
        read INTEGER NOT NULL,
        priority INTEGER NOT NULL,
        admin_assignee_id TEXT,
        team_assignee_id TEXT,
        waiting_since INTEGER,
        wait_rank INTEGER NOT NULL,
        snoozed_until INTEGER,
        title TEXT NOT NULL,
        preview TEXT NOT NULL,
        contact_name TEXT NOT NULL,
        contact_id TEXT,
        tag_ids TEXT NOT NULL -- JSON array, for display; membership: conversation_tags
    )""",
    "CREATE UNIQUE INDEX conversations_other_id ON conversations (id) WHERE rid < 0",
    # The JSON lives apart so the row table stays narrow: scans and windows touch ~150
    # bytes a conversation, not the few kilobytes Intercom sends.
    "CREATE TABLE conversation_json (rid INTEGER PRIMARY KEY, json TEXT NOT NULL)",
    # Tag membership with the sort columns copied in, so a tag view is an index range.
    """CREATE TABLE conversation_tags (
        tag_id TEXT NOT NULL,
        rid INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        wait_rank INTEGER NOT NULL,
        priority INTEGER NOT NULL,
        PRIMARY KEY (tag_id, rid)
    ) WITHOUT ROWID""",
    # body_text: plain text of every part, kept for the search index (and LIKE fallback).
    """CREATE TABLE threads (
        rid INTEGER PRIMARY KEY,
        fetched_at INTEGER NOT NULL,
        body_text TEXT NOT NULL,
        json TEXT NOT NULL
    )""",
    "CREATE TABLE tags (id TEXT PRIMARY KEY, name TEXT NOT NULL, json TEXT NOT NULL)",
    """CREATE TABLE admins (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL, json TEXT NOT NULL
    )""",
    "CREATE TABLE teams (id TEXT PRIMARY KEY, name TEXT NOT NULL, json TEXT NOT NULL)",
    """CREATE TABLE contacts (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL, json TEXT NOT NULL
    )""",
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE state_counts (state TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID",
)

#: How a query says "no admin and no team"; shared with the partial indexes below. The
#: unary ``+`` stops SQLite from reading ``admin_assignee_id IS NULL`` as an equality on the
#: admin indexes (it would then check the team on 100k+ table rows instead).
UNASSIGNED_SQL = "+admin_assignee_id IS NULL AND +team_assignee_id IS NULL"

#: The views: All, per state (Open, Snoozed, Closed), Mine (admin + state), Unassigned,
#: per team, per tag; each with an index for every sort. (A bulk load drops and rebuilds
#: every index it finds in the file: building from sorted data is several times faster.)
_VIEW_INDEXES = (
    "CREATE INDEX conversations_upd ON conversations (updated_at)",
    "CREATE INDEX conversations_wait ON conversations (wait_rank, updated_at)",
    "CREATE INDEX conversations_prio ON conversations (priority, updated_at)",
    "CREATE INDEX conversations_state_upd ON conversations (state, updated_at)",
    "CREATE INDEX conversations_state_wait ON conversations (state, wait_rank, updated_at)",
    "CREATE INDEX conversations_state_prio ON conversations (state, priority, updated_at)",
    "CREATE INDEX conversations_admin_upd ON conversations (admin_assignee_id, state, updated_at)",
    "CREATE INDEX conversations_admin_wait ON conversations"
    " (admin_assignee_id, state, wait_rank, updated_at)",
    "CREATE INDEX conversations_admin_prio ON conversations"
    " (admin_assignee_id, state, priority, updated_at)",
    "CREATE INDEX conversations_team_upd ON conversations (team_assignee_id, updated_at)",
    "CREATE INDEX conversations_team_wait ON conversations"
    " (team_assignee_id, wait_rank, updated_at)",
    "CREATE INDEX conversations_team_prio ON conversations"
    " (team_assignee_id, priority, updated_at)",
    # SQLite uses a partial index only when the query holds its WHERE text.
    f"CREATE INDEX conversations_unassigned_upd ON conversations (state, updated_at)"
    f" WHERE {UNASSIGNED_SQL}",
    f"CREATE INDEX conversations_unassigned_wait ON conversations"
    f" (state, wait_rank, updated_at) WHERE {UNASSIGNED_SQL}",
    f"CREATE INDEX conversations_unassigned_prio ON conversations"
    f" (state, priority, updated_at) WHERE {UNASSIGNED_SQL}",
    "CREATE INDEX conversation_tags_upd ON conversation_tags (tag_id, updated_at)",
    "CREATE INDEX conversation_tags_wait ON conversation_tags (tag_id, wait_rank, updated_at)",
    "CREATE INDEX conversation_tags_prio ON conversation_tags (tag_id, priority, updated_at)",
    # Rows still waiting for their contact's name (see Cache.upsert_contacts).
    "CREATE INDEX conversations_unnamed ON conversations (contact_id) WHERE contact_name = ''",
)

#: Rows per state kept by triggers (a bulk load drops them and recounts), so the counts
#: of Open/Snoozed/Closed/All cost one lookup instead of a walk over hundreds of thousands
#: of index entries. Writers must INSERT, UPDATE or UPSERT: INSERT OR REPLACE's implicit
#: delete fires none.
_COUNT_TRIGGERS = (
    """CREATE TRIGGER conversations_count_insert AFTER INSERT ON conversations BEGIN
        INSERT INTO state_counts (state, n) VALUES (NEW.state, 1)
            ON CONFLICT (state) DO UPDATE SET n = n + 1;
    END""",
    """CREATE TRIGGER conversations_count_delete AFTER DELETE ON conversations BEGIN
        UPDATE state_counts SET n = n - 1 WHERE state = OLD.state;
    END""",
    """CREATE TRIGGER conversations_count_update AFTER UPDATE OF state ON conversations
    WHEN OLD.state IS NOT NEW.state BEGIN
        UPDATE state_counts SET n = n - 1 WHERE state = OLD.state;
        INSERT INTO state_counts (state, n) VALUES (NEW.state, 1)
            ON CONFLICT (state) DO UPDATE SET n = n + 1;
    END""",
)
RECOUNT_STATES = (
    "DELETE FROM state_counts",
    "INSERT INTO state_counts SELECT state, count(*) FROM conversations GROUP BY state",
)

_OUTBOX_AND_DRAFTS = (
    """CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        key TEXT NOT NULL UNIQUE,
        conversation_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        created_at REAL NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL NOT NULL,
        state TEXT NOT NULL,
        last_error TEXT,
        finished_at REAL
    )""",
    "CREATE INDEX outbox_due ON outbox (state, next_attempt_at)",
    """CREATE TABLE drafts (
        conversation_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        text TEXT NOT NULL,
        saved_at REAL NOT NULL,
        PRIMARY KEY (conversation_id, kind)
    ) WITHOUT ROWID""",
)

#: Migration n (1-based) takes a file from user_version n-1 to n. Append, never edit.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    _CORE + _VIEW_INDEXES + _COUNT_TRIGGERS,
    _OUTBOX_AND_DRAFTS,
)
SCHEMA_VERSION = len(MIGRATIONS)

#: Full-text index, created when the SQLite build has FTS5 (it depends on the build, not on
#: the schema version). Contentless: the text already lives in ``conversations`` and
#: ``threads``, which also supply the old values a contentless delete needs.
#: detail=none keeps it small; queries are single-token prefix terms, which it supports.
FTS_TABLE = "conversation_fts"
CREATE_FTS = (
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5("
    "title, contact_name, preview, bodies, content='', detail=none, columnsize=0, "
    "tokenize='unicode61 remove_diacritics 2')"
)
FILL_FTS = (
    f"INSERT INTO {FTS_TABLE} (rowid, title, contact_name, preview, bodies) "
    "SELECT c.rid, c.title, c.contact_name, c.preview, coalesce(t.body_text, '') "
    "FROM conversations c LEFT JOIN threads t ON t.rid = c.rid"
)
#: meta key: "1" while the FTS table matches the data; a build without FTS5 that writes
#: to the file sets "0" so the next FTS-capable open rebuilds it.
META_FTS_VALID = "store.fts_valid"
