"""Opening the history: schema and migrations, crash recovery, corrupt / locked / foreign files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from backends.request import Message
from backends.store import history, schema
from backends.store.db import Store, title_from
from backends.store.errors import HistoryCorrupt, HistoryLocked, HistoryTooNew
from backends.store.recorder import MessageRecorder, message_row
from backends.store.writers import lock_dir


def raw_connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def garbage(size: int = 8192) -> bytes:
    return bytes((i * 7 + 3) % 256 for i in range(size))


def make_history(path: Path) -> None:
    with Store.open(path) as store:
        chat = store.create_chat()
        store.insert_messages(chat, [message_row(Message("user", "keep me " * 200))])


def test_new_history_is_current_schema_in_wal_mode(tmp_path: Path) -> None:
    with Store.open(tmp_path / "h.db") as store:
        assert schema.user_version(store.conn) == schema.SCHEMA_VERSION
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.upgraded_from == 0
        assert history.count_chats(store) == 0


def test_opening_a_version_1_database_upgrades_it_and_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = raw_connect(path)
    conn.execute("BEGIN")
    schema.migrate(conn, target=1)
    conn.execute("INSERT INTO chats (id, title, created_at, updated_at) VALUES (1, 'old', 1, 2)")
    conn.executemany(
        "INSERT INTO messages (chat_id, role, text, thinking, status, created_at, updated_at) "
        "VALUES (1, ?, ?, ?, ?, 1, 1)",
        [
            ("user", "what is a quokka", "", "complete"),
            ("assistant", "a marsupial", "recall the wallaby family", "complete"),
            ("assistant", "cut off mid", "half a numbat thought", "partial"),
        ],
    )
    conn.execute("COMMIT")
    conn.close()

    with Store.open(path) as store:
        assert store.upgraded_from == 1
        assert schema.user_version(store.conn) == schema.SCHEMA_VERSION
        assert store.recovered == 1
        [chat] = history.list_chats(store).chats
        assert (chat.title, chat.kind, chat.message_count) == ("old", "chat", 3)
        statuses = [m.status for m in history.load_messages(store, 1)]
        assert statuses == ["complete", "complete", "interrupted"]
        # Old rows were indexed by the search migration; the recovered one on recovery.
        assert [hit.message_id for hit in history.search(store, "wallaby")] == [2]
        assert [hit.message_id for hit in history.search(store, "numbat")] == [3]
        assert store.create_round(1, 1) > 0  # the compare tables of version 3 exist


def test_a_newer_schema_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    make_history(path)
    conn = raw_connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(HistoryTooNew, match="newer ponder") as caught:
        Store.open(path)
    assert "upgrade ponder" in str(caught.value)
    assert path.read_bytes() == before


@pytest.mark.parametrize("damage", ["garbage", "pages", "schema page"])
def test_a_corrupt_file_gets_a_clear_message_and_is_never_overwritten(
    tmp_path: Path, damage: str
) -> None:
    path = tmp_path / "history.db"
    if damage == "garbage":
        path.write_bytes(garbage())
    else:
        make_history(path)
        data = bytearray(path.read_bytes())
        start = 4096 if damage == "pages" else 100  # keep the 100-byte header
        end = len(data) if damage == "pages" else 4096
        data[start:end] = garbage(end - start)
        path.write_bytes(bytes(data))
    before = path.read_bytes()
    with pytest.raises(HistoryCorrupt) as caught:
        Store.open(path)
    message = str(caught.value)
    assert str(path) in message and "left untouched" in message
    assert "ponder history --start-fresh" in message
    assert path.read_bytes() == before
    assert caught.value.path == path


def test_start_fresh_keeps_the_old_file_aside(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    path.write_bytes(garbage())
    before = path.read_bytes()
    with Store.start_fresh(path) as store:
        assert store.moved_aside is not None
        assert store.moved_aside.name.startswith("history.db.corrupt-")
        assert store.moved_aside.read_bytes() == before
        assert history.count_chats(store) == 0
        store.create_chat("a new start")
    with Store.open(path) as store:
        assert [c.title for c in history.list_chats(store).chats] == ["a new start"]


def test_start_fresh_moves_the_write_ahead_log_with_the_file(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    store = Store.open(path)
    store.conn.execute("PRAGMA wal_autocheckpoint = 0")  # keep the rows in the WAL only
    store.create_chat("only in the wal")
    wal = path.with_name("history.db-wal")
    assert wal.stat().st_size > 0
    aside = None
    try:
        fresh = Store.start_fresh(path, reason="old")
        aside = fresh.moved_aside
        fresh.close()
    finally:
        store.close()
    assert aside is not None and aside.name.startswith("history.db.old-")
    with Store.open(aside) as old:
        assert [c.title for c in history.list_chats(old).chats] == ["only in the wal"]


@pytest.mark.parametrize("journal", ["wal", "delete"])
def test_a_locked_database_gets_a_clear_message_and_is_untouched(
    tmp_path: Path, journal: str
) -> None:
    path = tmp_path / "history.db"
    make_history(path)
    holder = raw_connect(path)
    holder.execute(f"PRAGMA journal_mode = {journal}")
    before = path.read_bytes()
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(HistoryLocked) as caught:
            Store.open(path, busy_timeout_s=0.2)
        message = str(caught.value)
        assert "locked by another program" in message and str(path) in message
        assert "close the other ponder" in message
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert path.read_bytes() == before
    with Store.open(path) as store:  # usable again once the lock is gone
        assert history.count_chats(store) == 1


def test_someone_elses_sqlite_file_is_not_touched(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    conn = raw_connect(path)
    conn.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY)")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(HistoryCorrupt, match="not a ponder chat history"):
        Store.open(path)
    assert path.read_bytes() == before


def test_partial_replies_of_a_running_writer_are_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    writer = Store.open(path)
    chat = writer.create_chat()
    recorder = MessageRecorder(writer, chat, backend="b", kind="k", model="m")
    recorder.begin([Message("user", "hi")])
    try:
        with Store.open(path) as other:  # e.g. `ponder ask` while the TUI streams
            assert other.recovered == 0
            assert history.load_messages(other, chat)[-1].status == "partial"
        writer.close()  # the writer "dies": its lock is gone, its row still partial
        with Store.open(path) as after:
            assert after.recovered == 1
            assert history.load_messages(after, chat)[-1].status == "interrupted"
        assert list(lock_dir(path).iterdir()) == []
    finally:
        recorder.close()  # the final write fails on the closed store: kept, not raised
    assert recorder.error is not None


def test_title_is_the_first_line_of_the_first_prompt() -> None:
    assert title_from("\n  Explain WAL mode  \nin detail") == "Explain WAL mode"
    long = title_from("x" * 100)
    assert len(long) == 60 and long.endswith("…")
