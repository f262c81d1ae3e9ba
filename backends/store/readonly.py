"""Open the history for reading when it cannot be opened for writing (a full disk).

``Store.open`` upgrades the schema and marks dead writers' replies interrupted, which needs a
write (and SQLite's ``-wal``/``-shm`` files). On a full disk that fails, but ``ponder history``
and ``ponder export`` only read: they fall back to a read-only connection, and when even the
shared-memory file cannot be created, to SQLite's ``immutable`` mode (which reads the database
file alone; replies still in an uncheckpointed WAL are not seen, which the caller says).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import quote

from backends.store import schema
from backends.store.db import Store, default_path
from backends.store.errors import HistoryTooNew, HistoryUnavailable


def open_for_reading(path: Path | None = None) -> Store:
    """``Store.open``, else a read-only ``Store`` (``read_only`` set to how it was opened).

    Raises what ``Store.open`` raises when the read-only fallbacks fail too.
    """
    path = Path(path) if path is not None else default_path()
    try:
        return Store.open(path)
    except HistoryUnavailable as exc:
        if not path.is_file():
            raise
        failure = exc
    for mode in ("ro", "immutable"):
        store = _try(path, mode)
        if store is not None:
            return store
    raise failure


def _try(path: Path, mode: str) -> Store | None:
    query = "mode=ro" if mode == "ro" else "mode=ro&immutable=1"
    uri = f"file:{quote(str(path.resolve()))}?{query}"
    try:
        conn = sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None)
    except sqlite3.Error:
        return None
    try:
        version = schema.user_version(conn)
        conn.execute("SELECT 1 FROM chats LIMIT 1").fetchall()
    except sqlite3.Error:
        conn.close()
        return None
    if version > schema.SCHEMA_VERSION:
        conn.close()
        raise HistoryTooNew(
            f"the chat history {path} was written by a newer ponder (schema {version})",
            "upgrade ponder, or set PONDER_DATA_DIR to use another history",
            path,
        )
    store = Store(path, conn)
    store.read_only = mode
    return store
