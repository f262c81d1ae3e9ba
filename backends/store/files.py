"""The history's files on disk: private to the user, and moved aside rather than deleted.

Chats hold prompts, answers and thinking: with a umask of 022 a new database (and its ``-wal``
and ``-shm``) would be readable by every local user. The data dir is created ``0700`` and the
database file ``0600`` before SQLite opens it (SQLite gives the WAL and shm files the database
file's mode); an existing database of ours is tightened to ``0600`` as well.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

from backends.store.errors import HistoryUnavailable

SIDE_FILES = ("-wal", "-shm")
DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(folder: Path) -> None:
    """Create ``folder`` (and missing parents) as ``0700``; an existing folder is left as is.

    Raises ``OSError`` when it cannot be created.
    """
    if folder.is_dir():
        return
    missing = []
    current = folder
    while not current.exists() and current != current.parent:
        missing.append(current)
        current = current.parent
    for part in reversed(missing):
        with contextlib.suppress(FileExistsError):
            part.mkdir(mode=DIR_MODE)
        with contextlib.suppress(OSError):
            os.chmod(part, DIR_MODE)  # mkdir's mode is filtered by the umask


def private_db(path: Path) -> None:
    """Create the database file ``0600`` if missing; make ours (and its side files) ``0600``."""
    if not path.exists():
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    for candidate in (path, *(path.with_name(path.name + s) for s in SIDE_FILES)):
        with contextlib.suppress(OSError):
            info = candidate.stat()
            if info.st_mode & 0o077 and (not hasattr(os, "getuid") or info.st_uid == os.getuid()):
                os.chmod(candidate, FILE_MODE)


def move_aside(path: Path, reason: str = "corrupt") -> Path:
    """Rename ``path`` (and its ``-wal``/``-shm``) to ``<name>.<reason>-<timestamp>``.

    Returns the new path of the database file. Raises ``HistoryUnavailable`` when the rename
    fails; nothing is deleted.
    """
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside = path.with_name(f"{path.name}.{reason}-{stamp}")
    counter = 1
    while aside.exists():
        counter += 1
        aside = path.with_name(f"{path.name}.{reason}-{stamp}-{counter}")
    try:
        if path.exists():
            path.rename(aside)
        for suffix in SIDE_FILES:
            side = path.with_name(path.name + suffix)
            if side.exists():
                side.rename(aside.with_name(aside.name + suffix))
    except OSError as exc:
        raise HistoryUnavailable(
            f"cannot move the chat history {path} aside ({exc.strerror})",
            "check the folder's permissions, or move the file yourself",
            path,
        ) from None
    return aside
