"""What can go wrong with the history database, each with what the user can do about it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from backends.errors import PonderError, redact


class HistoryError(PonderError):
    """The history database cannot be used; ``path`` is the file concerned."""

    def __init__(self, message: str, hint: str = "", path: Path | None = None) -> None:
        super().__init__(message, hint)
        self.path = path


class HistoryCorrupt(HistoryError):
    """The file is not a SQLite database or is damaged."""


class HistoryLocked(HistoryError):
    """Another program holds a lock on the database for longer than the wait allows."""


class HistoryTooNew(HistoryError):
    """The database was written by a newer ponder with a schema this one does not know."""


class HistoryUnavailable(HistoryError):
    """The file or its folder cannot be created, read or written (permissions, disk full)."""


FRESH_HINT = "run `ponder history --start-fresh` to keep it aside and start a new history"

_CORRUPT = {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB}
_LOCKED = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}


def translate(exc: sqlite3.Error, path: Path) -> HistoryError:
    """Turn a SQLite error into the ``HistoryError`` that tells the user what to do."""
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    detail = redact(str(exc))
    if primary in _CORRUPT:
        return HistoryCorrupt(
            f"the chat history {path} is damaged or not a ponder database ({detail}); "
            "it was left untouched",
            FRESH_HINT,
            path,
        )
    if primary in _LOCKED:
        return HistoryLocked(
            f"the chat history {path} is locked by another program ({detail})",
            "close the other ponder (or whatever holds the file) and try again, or " + FRESH_HINT,
            path,
        )
    return HistoryUnavailable(
        f"the chat history {path} cannot be used ({detail})",
        "check the file's permissions and free disk space, or " + FRESH_HINT,
        path,
    )


class ChatNotFound(HistoryError):
    """No chat has the id asked for (deleted, or a typo)."""
