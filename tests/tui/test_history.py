"""The chat saves every reply to its history: the prompt before the request, the reply as it ends.

Also what happens at startup when the history file is damaged (a choice, the file kept aside
byte for byte) and when history is off.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from pathlib import Path

from backends.config import Settings
from backends.events import Finished, ReasoningDelta, StopReason, StreamEvent, TextDelta, Usage
from backends.request import ChatRequest
from backends.store import history
from backends.store.db import Store
from tests.tui.helpers import SIZE, backend_ready, chat, reply_done, send, until, until_shown
from tests.tui.history_helpers import history_app, history_ready, rows
from tests.tui.scripted import ScriptedBackend, Step
from tui.app import PonderApp
from tui.chat.history_error import HistoryErrorScreen

DONE = Finished(StopReason.STOP, usage=Usage(input=5, output=7, reasoning=3))
MESSAGES = "SELECT role, text, thinking, status FROM messages ORDER BY id"


class PeekingBackend(ScriptedBackend):
    """Reads the history file (with its own connection) when its stream starts."""

    def __init__(self, path: Path, *replies: list[StreamEvent | Step]) -> None:
        super().__init__(*replies)
        self.path = path
        self.seen: list[list[tuple[object, ...]]] = []

    async def _stream(self, request: ChatRequest) -> AsyncGenerator[StreamEvent, None]:
        self.seen.append(rows(self.path, MESSAGES))
        async for event in super()._stream(request):
            yield event


async def test_the_prompt_is_saved_before_the_request_and_the_reply_with_thinking_after(
    tmp_path: Path,
) -> None:
    path = tmp_path / "history.db"
    backend = PeekingBackend(path, [ReasoningDelta("think it over"), TextDelta("the answer"), DONE])
    async with history_app(backend, path).run_test(size=SIZE) as pilot:
        await history_ready(pilot)
        await backend_ready(pilot)
        await send(pilot, "hello there\nsecond line")
        await reply_done(pilot)
        assert backend.seen == [
            [("user", "hello there\nsecond line", "", "complete"), ("assistant", "", "", "partial")]
        ]
        assert rows(path, MESSAGES) == [
            ("user", "hello there\nsecond line", "", "complete"),
            ("assistant", "the answer", "think it over", "complete"),
        ]
    with Store.open(path) as store:
        (summary,) = history.list_chats(store).chats
        assert summary.title == "hello there"
        reply = history.load_messages(store, summary.id)[1]
        assert reply.backend == "scripted" and reply.model == "scripted-1"
        assert reply.usage is not None and reply.usage.reasoning == 3
        assert reply.meter_line is not None


async def test_a_cancelled_reply_is_stored_as_cancelled_with_its_partial_text(
    tmp_path: Path,
) -> None:
    path = tmp_path / "history.db"
    gate = asyncio.Event()
    backend = ScriptedBackend(
        [ReasoningDelta("hm"), TextDelta("partial "), Step(gate=gate), TextDelta("never"), DONE]
    )
    async with history_app(backend, path).run_test(size=SIZE) as pilot:
        await history_ready(pilot)
        await backend_ready(pilot)
        view = await send(pilot, "go")
        await until(pilot, lambda: view.answer_text == "partial ")
        await pilot.press("escape")
        await reply_done(pilot)
        assert rows(path, MESSAGES) == [
            ("user", "go", "", "complete"),
            ("assistant", "partial ", "hm", "cancelled"),
        ]
        # A retry stores a second reply to the same prompt, not the prompt again.
        gate.set()
        await pilot.press("ctrl+r")
        await reply_done(pilot)
    assert [r[0] for r in rows(path, MESSAGES)] == ["user", "assistant", "assistant"]
    assert rows(path, "SELECT stop_reason FROM messages WHERE status = 'cancelled'") == [
        ("cancelled",)
    ]


async def test_a_second_exchange_goes_to_the_same_chat_and_new_chat_starts_another(
    tmp_path: Path,
) -> None:
    path = tmp_path / "history.db"
    backend = ScriptedBackend([TextDelta("ok"), DONE])
    async with history_app(backend, path).run_test(size=SIZE) as pilot:
        await history_ready(pilot)
        await backend_ready(pilot)
        for prompt in ("one", "two"):
            await send(pilot, prompt)
            await reply_done(pilot)
        await pilot.press("ctrl+n")
        await send(pilot, "three")
        await reply_done(pilot)
    chats = rows(path, "SELECT chat_id, role, text FROM messages WHERE role = 'user' ORDER BY id")
    assert [(c, t) for c, _, t in chats] == [(1, "one"), (1, "two"), (2, "three")]


async def test_a_damaged_history_offers_a_fresh_start_and_keeps_the_old_file_unchanged(
    tmp_path: Path,
) -> None:
    path = tmp_path / "history.db"
    damaged = b"this is not a SQLite database " * 200
    path.write_bytes(damaged)
    backend = ScriptedBackend([TextDelta("saved now"), DONE])
    app = history_app(backend, path)
    async with app.run_test(size=SIZE) as pilot:
        await until_shown(pilot, HistoryErrorScreen, "#history-error-message")
        shown = str(app.screen.query_one("#history-error-message").render())
        assert str(path) in shown and "damaged" in shown
        assert path.read_bytes() == damaged  # nothing was written while asking
        await pilot.press("f")
        await history_ready(pilot)
        store = app.history.store
        assert store is not None and store.moved_aside is not None
        aside = store.moved_aside
        assert aside.read_bytes() == damaged
        assert any(str(aside) in n.message for n in app._notifications)
        await backend_ready(pilot)
        await send(pilot, "after the fresh start")
        await reply_done(pilot)
    assert aside.read_bytes() == damaged
    assert rows(path, "SELECT text FROM messages WHERE role = 'user'") == [
        ("after the fresh start",)
    ]


async def test_continuing_without_history_leaves_the_damaged_file_alone(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    damaged = b"\x00garbage" * 512
    path.write_bytes(damaged)
    backend = ScriptedBackend([TextDelta("fine"), DONE])
    app = history_app(backend, path)
    async with app.run_test(size=SIZE) as pilot:
        await until_shown(pilot, HistoryErrorScreen, "#history-error-message")
        await pilot.press("c")
        await history_ready(pilot)
        assert app.history.store is None
        await backend_ready(pilot)
        view = await send(pilot, "q")
        await reply_done(pilot)
        assert view.answer_text == "fine"
        await pilot.press("f5")
        assert any("without history" in n.message for n in app._notifications)
    assert path.read_bytes() == damaged
    assert sorted(p.name for p in tmp_path.iterdir()) == ["history.db"]


async def test_history_off_in_settings_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    backend = ScriptedBackend([TextDelta("ok"), DONE])
    app = history_app(backend, path, Settings(history=False))
    async with app.run_test(size=SIZE) as pilot:
        await history_ready(pilot)
        await backend_ready(pilot)
        await send(pilot, "private")
        await reply_done(pilot)
        await pilot.press("f5")
        assert any("history = false" in n.message for n in app._notifications)
    assert not path.exists()


async def test_replies_a_crash_left_partial_are_reported_as_kept(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    with Store.open(path) as store:
        chat_id = store.create_chat("crashed")
        store.insert_messages(
            chat_id,
            [
                {"role": "user", "text": "q"},
                {
                    "role": "assistant",
                    "text": "half",
                    "status": "partial",
                    "writer": "12345-deadbeef",
                },
            ],
        )
    app = history_app(ScriptedBackend([DONE]), path)
    async with app.run_test(size=SIZE) as pilot:
        await history_ready(pilot)
        assert isinstance(app, PonderApp) and app.history.store is not None
        assert any("1 interrupted reply was kept" in n.message for n in app._notifications)
        assert chat(pilot).history.store is app.history.store
    assert rows(path, "SELECT status, text FROM messages WHERE role = 'assistant'") == [
        ("interrupted", "half")
    ]


async def test_a_failing_history_write_is_warned_about_once_and_the_chat_goes_on(
    tmp_path: Path,
) -> None:
    path = tmp_path / "history.db"
    with Store.open(path) as store, store.write() as conn:
        conn.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON messages "
            "BEGIN SELECT RAISE(ABORT, 'the disk is full'); END"
        )
    backend = ScriptedBackend([TextDelta("still answered"), DONE])
    app = history_app(backend, path)
    async with app.run_test(size=SIZE) as pilot:
        await history_ready(pilot)
        await backend_ready(pilot)
        for prompt in ("one", "two"):
            view = await send(pilot, prompt)
            await reply_done(pilot)
            assert view.answer_text == "still answered"
        warnings = [n.message for n in app._notifications if "History not saved" in n.message]
        assert len(warnings) == 1 and "the disk is full" in warnings[0]
