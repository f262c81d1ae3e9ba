"""The history database: one SQLite file (WAL) in ponder's data dir.

``Store.open`` opens (or creates) it, upgrades the schema and marks replies a crashed process left
``partial`` as ``interrupted``, keeping their text. Every problem with the file is a
``HistoryError`` that says what happened and what to do; the file itself is never overwritten or
deleted. ``Store.start_fresh`` moves a broken file aside (``history.db.corrupt-<timestamp>``) and
creates a new one.

One connection per ``Store``, shared by threads (the recorder flushes from its own thread) behind
a lock. Writes use ``synchronous=NORMAL``: a commit reaches the OS before it returns, so a killed
process loses nothing that was committed; an OS crash or power cut may lose the last commits.
Secret values registered with ``register_secret`` are redacted from every string written.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from backends.config import data_dir
from backends.errors import redact, redact_urls
from backends.safe_text import storable
from backends.store import schema, writers
from backends.store.errors import (
    FRESH_HINT,
    HistoryCorrupt,
    HistoryTooNew,
    HistoryUnavailable,
    translate,
)
from backends.store.files import move_aside, private_db, private_dir

DB_NAME = "history.db"
# fmt: off
MESSAGE_COLUMNS = frozenset((
    "role", "text", "thinking", "status", "backend", "backend_kind", "model",
    "budget_requested", "budget_final", "budget_minimum", "budget_applied", "reasoning_tokens",
    "reasoning_estimated", "usage_json", "meters_json", "cost_usd", "stop_reason", "error",
    "continuation_json", "writer", "created_at", "updated_at",
))
# fmt: on


def default_path() -> Path:
    """Return where the history lives: ``<data dir>/history.db``."""
    return data_dir() / DB_NAME


# Columns that name endpoints or carry error text: URL credentials are redacted there too.
# (Message text is the model's and the user's: only registered secrets are redacted from it.)
URL_COLUMNS = frozenset(("backend", "model", "error"))


def clean(value: Any, column: str = "") -> Any:
    """Return ``value`` ready to store: secrets redacted, lone surrogates made U+FFFD.

    SQLite stores UTF-8; a reply holding a lone surrogate (a broken ``\\ud83d`` escape from a
    server) would otherwise fail every write and lose the whole reply.
    """
    if not isinstance(value, str):
        return value
    value = storable(redact(value))
    return redact_urls(value) if column in URL_COLUMNS else value


class Store:
    """An open history database. Build it with ``Store.open`` or ``Store.start_fresh``.

    ``moved_aside`` is where ``start_fresh`` put the old file (``None`` otherwise).
    """

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self.conn = conn
        self.lock = threading.RLock()
        self.moved_aside: Path | None = None
        self.recovered = 0
        self.upgraded_from = schema.SCHEMA_VERSION
        self._writer: writers.WriterLock | None = None
        self.read_only = ""  # "ro" / "immutable" when opened by ``readonly.open_for_reading``

    # ---- opening ----------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path | None = None, *, busy_timeout_s: float = 5.0) -> Store:
        """Open or create the history at ``path`` (default: ``default_path()``).

        Upgrades an older schema and marks replies left ``partial`` by a dead process as
        ``interrupted``. Raises ``HistoryCorrupt``, ``HistoryLocked`` (after waiting
        ``busy_timeout_s``), ``HistoryTooNew`` or ``HistoryUnavailable``; the file is never
        modified when one is raised.
        """
        path = Path(path) if path is not None else default_path()
        try:
            private_dir(path.parent)
            private_db(path)
        except OSError as exc:
            raise HistoryUnavailable(
                f"cannot create the chat history {path} or its folder ({exc.strerror})",
                "check the permissions of the data dir or set PONDER_DATA_DIR",
                path,
            ) from None
        try:
            conn = sqlite3.connect(
                path, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise translate(exc, path) from None
        store = cls(path, conn)
        try:
            store._prepare()
        except BaseException:
            conn.close()
            raise
        return store

    @classmethod
    def start_fresh(cls, path: Path | None = None, reason: str = "corrupt") -> Store:
        """Move the file at ``path`` aside (with its WAL) and open a new, empty history.

        The old file is renamed to ``<name>.<reason>-<timestamp>``, never deleted; the new
        store's ``moved_aside`` names it. Raises ``HistoryUnavailable`` when it cannot be moved.
        """
        path = Path(path) if path is not None else default_path()
        aside = move_aside(path, reason)
        store = cls.open(path)
        store.moved_aside = aside
        return store

    def _prepare(self) -> None:
        try:
            self.conn.execute("PRAGMA foreign_keys = ON")
            self._refuse_foreign()  # before WAL mode, which rewrites the file's header
            self.conn.execute("PRAGMA journal_mode = WAL")
            self.conn.execute("PRAGMA synchronous = NORMAL")
            with self.write():
                old = schema.migrate(self.conn)
                self.recovered = self._recover(self.conn)
        except ValueError:
            raise HistoryTooNew(
                f"the chat history {self.path} was written by a newer ponder (schema "
                f"{schema.user_version(self.conn)}, this one knows {schema.SCHEMA_VERSION})",
                "upgrade ponder, or set PONDER_DATA_DIR to use another history",
                self.path,
            ) from None
        except sqlite3.Error as exc:
            raise translate(exc, self.path) from None
        self.upgraded_from = old

    def _refuse_foreign(self) -> None:
        """A SQLite file with tables but no ponder schema version is someone else's: keep out."""
        if (
            schema.user_version(self.conn) == 0
            and self.conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone()
        ):
            raise HistoryCorrupt(
                f"{self.path} is a SQLite database but not a ponder chat history; "
                "it was left untouched",
                "set PONDER_DATA_DIR to another folder, or " + FRESH_HINT,
                self.path,
            )

    def _recover(self, conn: sqlite3.Connection) -> int:
        """Mark partial replies of writers that are no longer running as interrupted."""
        tokens = [
            row[0]
            for row in conn.execute("SELECT DISTINCT writer FROM messages WHERE status = 'partial'")
        ]
        count = 0
        for token in tokens:
            if writers.is_alive(self.path, token):
                continue  # another ponder is streaming that reply right now
            cursor = conn.execute(
                "UPDATE messages SET status = 'interrupted', updated_at = ?, "
                "stop_reason = COALESCE(stop_reason, 'interrupted') "
                "WHERE status = 'partial' AND writer IS ?",
                (time.time(), token),
            )
            count += cursor.rowcount
            writers.forget(self.path, token)
        return count

    def close(self) -> None:
        """Close the connection and release this process's writer lock. Safe to call twice."""
        with self.lock:
            if self._writer is not None:
                self._writer.release()
                self._writer = None
            self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- transactions -----------------------------------------------------------------------

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (``BEGIN IMMEDIATE`` … ``COMMIT``); rolls back on any error.

        Raises the ``HistoryError`` matching a SQLite failure.
        """
        with self.lock:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise translate(exc, self.path) from None
            try:
                yield self.conn
                self.conn.execute("COMMIT")
            except BaseException as exc:
                with contextlib.suppress(sqlite3.Error):
                    self.conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise translate(exc, self.path) from None
                raise

    def query(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> list[sqlite3.Row]:
        """Run a read query and return its rows. Raises the matching ``HistoryError``."""
        with self.lock:
            try:
                cursor = self.conn.execute(sql, params)
                cursor.row_factory = sqlite3.Row
                return cursor.fetchall()
            except sqlite3.Error as exc:
                raise translate(exc, self.path) from None

    def writer_token(self) -> str:
        """This process's writer id, stamped on partial rows (held until ``close``)."""
        with self.lock:
            if self._writer is None:
                self._writer = writers.WriterLock.acquire(self.path)
            return self._writer.token

    # ---- writes -----------------------------------------------------------------------------

    def create_chat(self, title: str = "", kind: str = "chat") -> int:
        """Create a chat and return its id."""
        now = time.time()
        with self.write() as conn:
            cursor = conn.execute(
                "INSERT INTO chats (title, kind, created_at, updated_at) VALUES (?, ?, ?, ?)",
                (clean(title), kind, now, now),
            )
            return int(cursor.lastrowid or 0)

    def insert_messages(
        self,
        chat_id: int,
        rows: Sequence[Mapping[str, Any]],
        *,
        compare: tuple[int, int] | None = None,
    ) -> list[int]:
        """Insert messages into a chat in one transaction; return their ids in order.

        Each row maps column names (``MESSAGE_COLUMNS``) to values; a chat without a title gets
        the first line of its first user message. ``compare=(round_id, position)`` makes the
        last row that column of a compare round. Raises ``ValueError`` for an unknown column.
        """
        now = time.time()
        ids: list[int] = []
        with self.write() as conn:
            for row in rows:
                fields = {"created_at": now, "updated_at": now, **row}
                ids.append(_insert(conn, chat_id, fields))
            if compare is not None and ids:
                last = rows[-1]
                conn.execute(
                    "INSERT INTO compare_columns (round_id, position, backend, model, budget, "
                    "message_id) VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        compare[0],
                        compare[1],
                        clean(last.get("backend"), "backend"),
                        clean(last.get("model"), "model"),
                        last.get("budget_requested"),
                        ids[-1],
                    ),
                )
            first_user = next((r["text"] for r in rows if r.get("role") == "user"), None)
            self._touch(conn, chat_id, now, rows, first_user)
        return ids

    def create_round(self, chat_id: int, prompt_message_id: int | None) -> int:
        """Start a compare round for the prompt message; return the round's id."""
        with self.write() as conn:
            cursor = conn.execute(
                "INSERT INTO compare_rounds (chat_id, prompt_message_id, created_at) "
                "VALUES (?, ?, ?)",
                (chat_id, prompt_message_id, time.time()),
            )
            return int(cursor.lastrowid or 0)

    def choose_column(self, round_id: int, position: int) -> None:
        """Make ``position`` the column whose reply a resumed chat continues from."""
        with self.write() as conn:
            conn.execute(
                "UPDATE compare_rounds SET chosen_position = ? WHERE id = ?", (position, round_id)
            )

    def update_message(self, message_id: int, fields: Mapping[str, Any]) -> None:
        """Update columns of one message (and its chat's ``updated_at`` when it ends)."""
        _check_columns(fields)
        now = time.time()
        values = {key: clean(value, key) for key, value in fields.items()}
        values["updated_at"] = now
        assignments = ", ".join(f"{key} = :{key}" for key in values)
        with self.write() as conn:
            conn.execute(
                f"UPDATE messages SET {assignments} WHERE id = :message_id",
                {**values, "message_id": message_id},
            )
            if fields.get("status", "partial") != "partial":
                conn.execute(
                    "UPDATE chats SET updated_at = ? WHERE id = "
                    "(SELECT chat_id FROM messages WHERE id = ?)",
                    (now, message_id),
                )

    def _touch(
        self,
        conn: sqlite3.Connection,
        chat_id: int,
        now: float,
        rows: Sequence[Mapping[str, Any]],
        first_user: str | None,
    ) -> None:
        last = next((r for r in reversed(rows) if r.get("backend")), None)
        conn.execute(
            "UPDATE chats SET updated_at = ?, backend = COALESCE(?, backend), "
            "model = COALESCE(?, model), "
            "title = CASE WHEN title = '' AND ? IS NOT NULL THEN ? ELSE title END WHERE id = ?",
            (
                now,
                clean(last.get("backend"), "backend") if last else None,
                clean(last.get("model"), "model") if last else None,
                clean(first_user),
                title_from(clean(first_user or "")),
                chat_id,
            ),
        )


def _check_columns(fields: Mapping[str, Any]) -> None:
    unknown = set(fields) - MESSAGE_COLUMNS
    if unknown:
        raise ValueError(f"unknown message columns: {sorted(unknown)}")


def _insert(conn: sqlite3.Connection, chat_id: int, fields: Mapping[str, Any]) -> int:
    _check_columns(fields)
    names = ["chat_id", *fields]
    placeholders = ", ".join("?" for _ in names)
    values = [chat_id, *(clean(value, key) for key, value in fields.items())]
    cursor = conn.execute(
        f"INSERT INTO messages ({', '.join(names)}) VALUES ({placeholders})", values
    )
    return int(cursor.lastrowid or 0)


def title_from(text: str, width: int = 60) -> str:
    """Return a chat title from a prompt: its first non-empty line, cut to ``width``.

    Secrets are redacted before the cut, so no fragment of one survives in the title.
    """
    text = redact(text)
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    return line if len(line) <= width else line[: width - 1].rstrip() + "…"
