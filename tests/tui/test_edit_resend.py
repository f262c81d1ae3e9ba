"""Edit a sent message and resend it: the new branch is sent and stored, the old one is kept."""

from __future__ import annotations

from pathlib import Path

from backends.events import Finished, StopReason, StreamEvent, TextDelta, Usage
from tests.tui.helpers import SIZE, backend_ready, chat, reply_done, send
from tests.tui.history_helpers import history_app, history_ready, rows
from tests.tui.scripted import ScriptedBackend, Step
from tui.widgets.messages import AssistantMessage, UserMessage
from tui.widgets.prompt import PromptInput

DONE = Finished(StopReason.STOP, usage=Usage(input=3, output=4))


def answers(*texts: str) -> list[list[StreamEvent | Step]]:
    return [[TextDelta(text), DONE] for text in texts]


async def test_editing_the_last_message_resends_it_and_keeps_the_old_branch(
    tmp_path: Path,
) -> None:
    backend = ScriptedBackend(*answers("four", "nine", "six"))
    db = tmp_path / "history.db"
    app = history_app(backend, db)
    async with app.run_test(size=SIZE) as pilot:
        await history_ready(pilot)
        await backend_ready(pilot)
        await send(pilot, "2+2?")
        await reply_done(pilot)
        await send(pilot, "3*3?")
        await reply_done(pilot)
        screen = chat(pilot)
        old_chat = app.history.chat_id
        prompt = screen.query_one(PromptInput)
        prompt.insert("draft")
        await pilot.press("ctrl+e")
        assert prompt.text == "3*3?"
        assert "editing message 2 of 2" in str(prompt.border_title)
        await pilot.press("escape")  # leaves the chat as it is, gives the draft back
        assert prompt.text == "draft" and screen.editing is None
        prompt.clear()
        await pilot.press("ctrl+e")
        prompt.text = "3+3?"
        await pilot.press("enter")
        await reply_done(pilot)

        # Sent: the earlier exchange, then the edited prompt (not the old one).
        sent = [(m.role, m.text) for m in backend.requests[-1].messages]
        assert sent == [("user", "2+2?"), ("assistant", "four"), ("user", "3+3?")]
        # Shown: the new branch only.
        shown = [str(w.render()) for w in screen.query(UserMessage)]
        assert shown == ["2+2?", "3+3?"]
        views = list(screen.query(AssistantMessage))
        assert [v.answer_text for v in views] == ["four", "six"]
        assert prompt.border_title is None

        # Stored: the old chat unchanged (its reply "nine" kept), the branch as a new chat.
        new_chat = app.history.chat_id
        assert new_chat is not None and new_chat != old_chat
        old = rows(db, "SELECT role, text FROM messages WHERE chat_id = ? ORDER BY id", (old_chat,))
        assert old == [
            ("user", "2+2?"),
            ("assistant", "four"),
            ("user", "3*3?"),
            ("assistant", "nine"),
        ]
        new = rows(db, "SELECT role, text FROM messages WHERE chat_id = ? ORDER BY id", (new_chat,))
        assert new == [
            ("user", "2+2?"),
            ("assistant", "four"),
            ("user", "3+3?"),
            ("assistant", "six"),
        ]
        title = rows(db, "SELECT title FROM chats WHERE id = ?", (new_chat,))
        assert title == [(f"2+2? · edit of #{old_chat}",)]


async def test_ctrl_e_again_edits_an_earlier_message() -> None:
    from tests.tui.helpers import app_with

    backend = ScriptedBackend(*answers("a1", "a2", "b1"))
    app = app_with(backend)
    async with app.run_test(size=SIZE) as pilot:
        await backend_ready(pilot)
        for text in ("first", "second"):
            await send(pilot, text)
            await reply_done(pilot)
        screen = chat(pilot)
        prompt = screen.query_one(PromptInput)
        await pilot.press("up")  # in the empty prompt: the last message, as ctrl+e
        assert prompt.text == "second"
        await pilot.press("ctrl+e")
        assert prompt.text == "first"
        assert "editing message 1 of 2" in str(prompt.border_title)
        prompt.text = "first, edited"
        await pilot.press("enter")
        await reply_done(pilot)
        assert [(m.role, m.text) for m in backend.requests[-1].messages] == [
            ("user", "first, edited")
        ]
        assert [str(w.render()) for w in screen.query(UserMessage)] == ["first, edited"]
        assert len(screen.conversation.exchanges) == 1
