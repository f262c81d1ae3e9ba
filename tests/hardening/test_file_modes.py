"""The history is private: data dir 0700, database and its WAL/shm 0600, whatever the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from backends.store.db import Store


@pytest.fixture
def open_umask() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_history_is_private(tmp_path: Path, open_umask: None) -> None:
    data = tmp_path / "nested" / "ponder"
    with Store.open(data / "history.db") as store:
        store.create_chat("secret plans")
        store.writer_token()
        files = sorted(p.name for p in data.iterdir())
        assert {"history.db", "history.db-wal", "history.db-shm"} <= set(files)
        assert mode(data) == 0o700
        for name in ("history.db", "history.db-wal", "history.db-shm"):
            assert mode(data / name) == 0o600, name
        assert mode(data / "history.db.writers") == 0o700


def test_an_existing_readable_history_is_tightened(tmp_path: Path, open_umask: None) -> None:
    path = tmp_path / "history.db"
    with Store.open(path) as store:
        store.create_chat("x")
    os.chmod(path, 0o644)
    with Store.open(path):
        assert mode(path) == 0o600
        assert mode(path.with_name("history.db-wal")) == 0o600
