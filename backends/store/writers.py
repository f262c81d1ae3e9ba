"""Which processes are still writing to the history: one locked file per writer.

A recorder stamps its partial rows with its process's writer token. The process holds an
exclusive lock on ``<db>.writers/<token>.lock`` for as long as its ``Store`` is open; the OS
drops the lock when the process dies, however it dies (SIGKILL included). On open, a partial row
whose writer's lock can be taken belongs to a dead process and is marked interrupted; one whose
lock is held is a reply another ponder is streaming right now, and is left alone.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path
from typing import IO

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

try:  # Windows
    import msvcrt
except ImportError:
    msvcrt = None  # type: ignore[assignment]


def lock_dir(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".writers")


def _lock_path(db_path: Path, token: str) -> Path:
    return lock_dir(db_path) / f"{token}.lock"


def _try_lock(handle: IO[bytes]) -> bool:
    """Take an exclusive, non-blocking lock on ``handle``; return whether it was taken."""
    try:
        if fcntl is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        elif msvcrt is not None:  # pragma: no cover - Windows
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
    except OSError:
        return False
    return True


class WriterLock:
    """This process's writer token and the lock that proves it is alive."""

    def __init__(self, token: str, path: Path, handle: IO[bytes] | None) -> None:
        self.token = token
        self.path = path
        self._handle = handle

    @classmethod
    def acquire(cls, db_path: Path) -> WriterLock:
        """Create and lock a fresh token file next to the database.

        When the folder cannot be written, the token still works but is not protected: a
        concurrent ``Store.open`` would then see this writer's partial rows as interrupted.
        """
        token = f"{os.getpid()}-{secrets.token_hex(6)}"
        path = _lock_path(db_path, token)
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            handle = path.open("wb")
        except OSError:
            return cls(token, path, None)
        if not _try_lock(handle):  # pragma: no cover - a fresh random name is never locked
            handle.close()
            return cls(token, path, None)
        return cls(token, path, handle)

    def release(self) -> None:
        """Drop the lock and remove the token file. Safe to call twice."""
        if self._handle is None:
            return
        self._handle.close()
        self._handle = None
        with contextlib.suppress(OSError):
            self.path.unlink()


def is_alive(db_path: Path, token: str | None) -> bool:
    """Return whether the writer ``token`` still holds its lock (its process is running)."""
    if not token:
        return False
    path = _lock_path(db_path, token)
    try:
        handle = path.open("rb+")
    except OSError:
        return False  # no lock file: the writer is gone (or never had one)
    with handle:
        return not _try_lock(handle)  # closing the handle drops a lock we just took


def forget(db_path: Path, token: str | None) -> None:
    """Remove a dead writer's lock file (ignored when it is already gone)."""
    if token:
        with contextlib.suppress(OSError):
            _lock_path(db_path, token).unlink()
