"""Helpers for the history tests: a chat app on a history file, seeded chats, reading the file."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from backends.base import Backend
from backends.config import Settings
from backends.store.db import Store
from tests.tui.helpers import app_with, until
from tui.app import PonderApp


def history_app(
    backend: Backend, path: Path, settings: Settings | None = None, **kwargs: object
) -> PonderApp:
    """The chat app on ``backend`` with its history at ``path`` (opened by the app)."""
    return app_with(backend, settings, store=lambda: Store.open(path), **kwargs)


async def history_ready(pilot: Pilot[Any]) -> None:
    """Wait until the app opened its history (or settled without one)."""
    app = pilot.app
    assert isinstance(app, PonderApp)
    await until(pilot, lambda: app.history.settled)
    await pilot.pause()


def seed_chat(
    path: Path,
    title: str,
    turns: list[dict[str, Any]],
    updated_at: float,
    created_at: float | None = None,
) -> int:
    """Store a chat with ``turns`` (message columns) last active at ``updated_at``; its id."""
    with Store.open(path) as store:
        chat_id = store.create_chat(title)
        stamp = created_at if created_at is not None else updated_at
        rows = [
            {"status": "complete", "created_at": stamp, "updated_at": stamp, **t} for t in turns
        ]
        store.insert_messages(chat_id, rows)
        with store.write() as conn:
            conn.execute(
                "UPDATE chats SET updated_at = ?, created_at = ? WHERE id = ?",
                (updated_at, stamp, chat_id),
            )
    return chat_id


def rows(path: Path, sql: str, params: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
    """Read the history file with a plain connection of its own (as another process would)."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()
