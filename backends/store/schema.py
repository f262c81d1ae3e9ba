"""The history database's schema, as numbered migrations.

The version lives in ``PRAGMA user_version``. ``MIGRATIONS[n - 1]`` takes a database from version
``n - 1`` to ``n``; ``migrate`` runs the missing ones inside the caller's transaction, so an
upgrade either happens completely or not at all. Never edit a released migration: add one.

Full-text search (FTS5, external content) indexes a message's text and thinking once the message
is no longer ``partial``: streaming flushes rewrite the same row several times a second, and
re-indexing a growing text on every flush would make them slow. A partial row is indexed as soon
as its final status is written (or it is marked ``interrupted`` after a crash).
"""

from __future__ import annotations

import sqlite3

STATUSES = ("complete", "partial", "interrupted", "error", "cancelled")

_V1_CHATS_AND_MESSAGES = (
    """
    CREATE TABLE chats (
        id INTEGER PRIMARY KEY,
        title TEXT NOT NULL DEFAULT '',
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        backend TEXT,
        model TEXT
    )
    """,
    "CREATE INDEX chats_recent ON chats (updated_at DESC, id DESC)",
    """
    CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        chat_id INTEGER NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
        role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
        text TEXT NOT NULL DEFAULT '',
        thinking TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL DEFAULT 'complete'
            CHECK (status IN ('complete', 'partial', 'interrupted', 'error', 'cancelled')),
        backend TEXT,
        backend_kind TEXT,
        model TEXT,
        budget_requested TEXT,
        budget_final TEXT,
        budget_minimum INTEGER NOT NULL DEFAULT 0,
        budget_applied TEXT,
        reasoning_tokens INTEGER,
        reasoning_estimated INTEGER NOT NULL DEFAULT 0,
        usage_json TEXT,
        meters_json TEXT,
        cost_usd REAL,
        stop_reason TEXT,
        error TEXT,
        continuation_json TEXT,
        writer TEXT,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    )
    """,
    "CREATE INDEX messages_by_chat ON messages (chat_id, id)",
    # Crash recovery looks only at partial rows; this index keeps that O(partial rows).
    "CREATE INDEX messages_partial ON messages (writer) WHERE status = 'partial'",
)

_V2_SEARCH = (
    """
    CREATE VIRTUAL TABLE messages_fts USING fts5 (
        text, thinking,
        content = 'messages', content_rowid = 'id',
        tokenize = 'unicode61 remove_diacritics 2'
    )
    """,
    """
    CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages
    WHEN new.status != 'partial' BEGIN
        INSERT INTO messages_fts (rowid, text, thinking) VALUES (new.id, new.text, new.thinking);
    END
    """,
    """
    CREATE TRIGGER messages_fts_unindex AFTER UPDATE OF text, thinking, status ON messages
    WHEN old.status != 'partial' BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, text, thinking)
        VALUES ('delete', old.id, old.text, old.thinking);
    END
    """,
    """
    CREATE TRIGGER messages_fts_reindex AFTER UPDATE OF text, thinking, status ON messages
    WHEN new.status != 'partial' BEGIN
        INSERT INTO messages_fts (rowid, text, thinking) VALUES (new.id, new.text, new.thinking);
    END
    """,
    """
    CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
    WHEN old.status != 'partial' BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, text, thinking)
        VALUES ('delete', old.id, old.text, old.thinking);
    END
    """,
    # Index what an older database already holds (partial rows are indexed when they end).
    """
    INSERT INTO messages_fts (rowid, text, thinking)
    SELECT id, text, thinking FROM messages WHERE status != 'partial'
    """,
)

_V3_COMPARE = (
    "ALTER TABLE chats ADD COLUMN kind TEXT NOT NULL DEFAULT 'chat'",
    """
    CREATE TABLE compare_rounds (
        id INTEGER PRIMARY KEY,
        chat_id INTEGER NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
        prompt_message_id INTEGER REFERENCES messages (id) ON DELETE SET NULL,
        chosen_position INTEGER NOT NULL DEFAULT 0,
        created_at REAL NOT NULL
    )
    """,
    "CREATE INDEX compare_rounds_by_chat ON compare_rounds (chat_id, id)",
    """
    CREATE TABLE compare_columns (
        round_id INTEGER NOT NULL REFERENCES compare_rounds (id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        backend TEXT,
        model TEXT,
        budget TEXT,
        message_id INTEGER REFERENCES messages (id) ON DELETE CASCADE,
        PRIMARY KEY (round_id, position)
    )
    """,
    "CREATE UNIQUE INDEX compare_columns_by_message ON compare_columns (message_id)",
)

# The chat list shows message counts; counting 50 chats' messages on every page load cost more
# than the rest of startup's database work, so the count is kept on the chat.
_V4_MESSAGE_COUNT = (
    "ALTER TABLE chats ADD COLUMN message_count INTEGER NOT NULL DEFAULT 0",
    "UPDATE chats SET message_count = (SELECT count(*) FROM messages m WHERE m.chat_id = chats.id)",
    """
    CREATE TRIGGER messages_count_insert AFTER INSERT ON messages BEGIN
        UPDATE chats SET message_count = message_count + 1 WHERE id = new.chat_id;
    END
    """,
    """
    CREATE TRIGGER messages_count_delete AFTER DELETE ON messages BEGIN
        UPDATE chats SET message_count = message_count - 1 WHERE id = old.chat_id;
    END
    """,
)

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    _V1_CHATS_AND_MESSAGES,
    _V2_SEARCH,
    _V3_COMPARE,
    _V4_MESSAGE_COUNT,
)
SCHEMA_VERSION = len(MIGRATIONS)


def user_version(conn: sqlite3.Connection) -> int:
    """Return the schema version stored in the database (0 for a new, empty file)."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, target: int = SCHEMA_VERSION) -> int:
    """Apply the migrations from the stored version up to ``target``; return the old version.

    Runs inside the caller's transaction (``conn`` must be in autocommit mode with a ``BEGIN``
    issued), so a failed upgrade leaves the file as it was. Raises ``ValueError`` when the
    database is newer than ``target`` (the caller turns that into a ``HistoryTooNew``).
    """
    current = user_version(conn)
    if current > target:
        raise ValueError(f"schema version {current} is newer than {target}")
    for version in range(current + 1, target + 1):
        for statement in MIGRATIONS[version - 1]:
            conn.execute(statement)
        # PRAGMA takes no parameters; the value is an int we computed.
        conn.execute(f"PRAGMA user_version = {int(version)}")
    return current
