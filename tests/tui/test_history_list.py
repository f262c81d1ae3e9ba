"""The chat list: most recent first, paged, rename, delete with confirmation, resume, search."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.text import Text
from textual.content import Content
from textual.pilot import Pilot
from textual.widgets import Input

from backends.events import Finished, StopReason, TextDelta
from backends.store.db import Store
from tests.tui.helpers import SIZE, backend_ready, chat, reply_done, send, until, until_shown
from tests.tui.history_helpers import history_app, history_ready, rows, seed_chat
from tests.tui.scripted import ScriptedBackend
from tui.history.chat_list import ChatListScreen, ChatOptions, ConfirmDelete
from tui.history.search import MATCH_STYLE
from tui.widgets.messages import AssistantMessage, MessageList, UserMessage

DONE = Finished(StopReason.STOP)
T0 = 1_700_000_000.0
SIGNED = {"anthropic": {"signature": "sig-abc"}}


def turns(prompt: str, answer: str, thinking: str = "") -> list[dict[str, object]]:
    return [
        {"role": "user", "text": prompt},
        {
            "role": "assistant",
            "text": answer,
            "thinking": thinking,
            "backend": "local",
            "model": "tiny.gguf",
            "budget_requested": "1024",
        },
    ]


def option_ids(pilot: Pilot[Any]) -> list[str]:
    options = pilot.app.screen.query_one(ChatOptions)
    return [options.get_option_at_index(i).id or "" for i in range(options.option_count)]


async def open_list(pilot: Pilot[Any], key: str = "f5") -> ChatOptions:
    await pilot.press(key)
    await until(pilot, lambda: isinstance(pilot.app.screen, ChatListScreen))
    screen = pilot.app.screen
    assert isinstance(screen, ChatListScreen)
    await until(pilot, lambda: not screen.fetching)
    return screen.query_one(ChatOptions)


async def test_chats_most_recent_first_rename_and_delete_with_confirmation(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    old = seed_chat(path, "oldest chat", turns("a", "b"), T0)
    mid = seed_chat(path, "middle chat", turns("c", "d"), T0 + 60)
    new = seed_chat(path, "newest chat", turns("e", "f"), T0 + 120)
    app = history_app(ScriptedBackend([DONE]), path)
    async with app.run_test(size=SIZE) as pilot:
        await history_ready(pilot)
        options = await open_list(pilot)
        assert option_ids(pilot) == [f"chat-{new}", f"chat-{mid}", f"chat-{old}"]
        assert "newest chat" in str(options.get_option_at_index(0).prompt)

        await pilot.press("r")
        field = app.screen.query_one("#chat-rename", Input)
        assert field.display and field.has_focus and field.value == "newest chat"
        field.value = "renamed [b]chat[/b]"
        await pilot.press("enter")
        await until(pilot, lambda: options.has_focus)
        assert rows(path, "SELECT title FROM chats WHERE id = ?", (new,)) == [
            ("renamed [b]chat[/b]",)
        ]
        assert "renamed [b]chat[/b]" in str(options.get_option_at_index(0).prompt)

        await pilot.press("down", "d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDelete))
        await pilot.press("n")  # keep it
        await until(pilot, lambda: isinstance(app.screen, ChatListScreen))
        assert rows(path, "SELECT count(*) FROM chats") == [(3,)]
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDelete))
        await pilot.press("y")
        await until(pilot, lambda: option_ids(pilot) == [f"chat-{new}", f"chat-{old}"])
        assert rows(path, "SELECT id FROM chats ORDER BY id") == [(old,), (new,)]
        assert rows(path, "SELECT count(*) FROM messages WHERE chat_id = ?", (mid,)) == [(0,)]


async def test_the_list_loads_a_page_at_a_time_as_the_cursor_nears_the_end(
    tmp_path: Path,
) -> None:
    path = tmp_path / "history.db"
    with Store.open(path) as store, store.write() as conn:
        for n in range(130):
            conn.execute(
                "INSERT INTO chats (title, created_at, updated_at) VALUES (?, ?, ?)",
                (f"chat number {n}", T0 + n, T0 + n),
            )
    app = history_app(ScriptedBackend([DONE]), path)
    async with app.run_test(size=SIZE) as pilot:
        await history_ready(pilot)
        options = await open_list(pilot)
        screen = app.screen
        assert isinstance(screen, ChatListScreen)
        first = options.option_count
        assert screen.page_size is not None
        assert first == screen.page_size < 130  # only the first page was read
        assert option_ids(pilot)[0] == "chat-130"
        await pilot.press("end")  # the last loaded row: the next page is read
        await until(pilot, lambda: options.option_count == 2 * first and not screen.fetching)
        while not screen.exhausted:
            await pilot.press("end")
            await until(pilot, lambda: not screen.fetching)
        assert option_ids(pilot)[-1] == "chat-1" and options.option_count == 130
        assert len(set(option_ids(pilot))) == 130


async def test_resuming_a_chat_shows_it_and_the_next_request_carries_its_history(
    tmp_path: Path,
) -> None:
    path = tmp_path / "history.db"
    stored = turns("first question", "first answer", "first thoughts")
    stored[1]["continuation_json"] = '{"anthropic":{"signature":"sig-abc"}}'
    stored += [
        {"role": "user", "text": "second question"},
        {"role": "assistant", "text": "cut sho", "status": "interrupted", "backend": "local"},
    ]
    chat_id = seed_chat(path, "resumable", stored, T0)
    seed_chat(path, "another", turns("x", "y"), T0 - 60)
    backend = ScriptedBackend([TextDelta("third answer"), DONE])
    app = history_app(backend, path)
    async with app.run_test(size=SIZE) as pilot:
        await history_ready(pilot)
        await backend_ready(pilot)
        await open_list(pilot)
        await pilot.press("enter")
        screen = chat(pilot)
        await until(pilot, lambda: app.screen is screen and len(screen.query(UserMessage)) == 2)
        views = list(screen.query(AssistantMessage))
        assert "first answer" in views[0].answer.source
        assert views[0].thinking.text == "first thoughts" and views[0].thinking.collapsed
        assert views[1].has_class("-interrupted") and "interrupted" in views[1].note_text
        assert "budget 1k" in str(views[0]._header.render())

        await send(pilot, "third question")
        await reply_done(pilot)
        request = backend.requests[0]
        assert [(m.role, m.text) for m in request.messages] == [
            ("user", "first question"),
            ("assistant", "first answer"),
            ("user", "second question"),
            ("assistant", "cut sho"),
            ("user", "third question"),
        ]
        assert request.messages[1].thinking == "first thoughts"
        assert request.messages[1].continuation == SIGNED
        assert request.messages[3].continuation is None  # not from an unfinished reply
        assert request.conversation_id == f"chat-{chat_id}"
    assert rows(
        path, "SELECT role, text, status FROM messages WHERE chat_id = ? AND id > 4", (chat_id,)
    ) == [("user", "third question", "complete"), ("assistant", "third answer", "complete")]


async def test_deleting_the_open_chat_starts_a_new_one(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    backend = ScriptedBackend([TextDelta("ok"), DONE])
    app = history_app(backend, path)
    async with app.run_test(size=SIZE) as pilot:
        await history_ready(pilot)
        await backend_ready(pilot)
        await send(pilot, "soon gone")
        await reply_done(pilot)
        await open_list(pilot)
        assert "●" in str(app.screen.query_one(ChatOptions).get_option_at_index(0).prompt)
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDelete))
        await pilot.press("y")
        await until(pilot, lambda: option_ids(pilot) == ["empty"])
        await pilot.press("escape")
        await until(pilot, lambda: not chat(pilot).conversation.exchanges)
        assert not chat(pilot).query(AssistantMessage)
        await send(pilot, "fresh")
        await reply_done(pilot)
    assert rows(
        path,
        "SELECT c.title, m.text FROM messages m JOIN chats c ON c.id = m.chat_id "
        "WHERE m.role = 'user'",
    ) == [("fresh", "fresh")]


async def test_search_finds_a_word_only_in_thinking_and_jumps_to_that_message(
    tmp_path: Path,
) -> None:
    path = tmp_path / "history.db"
    filler = "\n\n".join(f"paragraph {i} of a long answer" for i in range(12))
    chat_turns: list[dict[str, object]] = []
    for n in range(8):
        thinking = "maybe a zebrafish model explains it" if n == 5 else "plain thoughts"
        chat_turns += turns(f"question {n}", f"answer {n}\n\n{filler}", thinking)
    chat_id = seed_chat(path, "long chat", chat_turns, T0)
    seed_chat(path, "other chat", turns("zebra?", "no fish here"), T0 + 60)
    target_id = rows(path, "SELECT id FROM messages WHERE thinking LIKE '%zebrafish%'")[0][0]
    app = history_app(ScriptedBackend([DONE]), path)
    async with app.run_test(size=SIZE) as pilot:
        await history_ready(pilot)
        await backend_ready(pilot)
        await pilot.press("ctrl+f")
        await until_shown(pilot, ChatListScreen, "#chat-search")
        assert app.screen.query_one("#chat-search", Input).has_focus
        await pilot.press(*"zebrafish")
        await until(pilot, lambda: option_ids(pilot) == [f"hit-{target_id}"])
        prompt = app.screen.query_one(ChatOptions).get_option_at_index(0).prompt
        assert isinstance(prompt, (Text, Content))
        marked = [prompt.plain[s.start : s.end] for s in prompt.spans if s.style == MATCH_STYLE]
        assert marked == ["zebrafish"] and "thinking" in prompt.plain
        await pilot.press("enter", "enter")  # to the results, then open the hit
        screen = chat(pilot)
        await until(pilot, lambda: app.screen is screen and screen.history.chat_id == chat_id)
        messages = screen.query_one(MessageList)
        target = list(screen.query(AssistantMessage))[5]

        def in_view() -> bool:
            top = target.virtual_region.y - messages.scroll_y
            return messages.scroll_y > 0 and 0 <= top < messages.size.height

        await until(pilot, in_view)
        assert not target.thinking.collapsed and "zebrafish" in target.thinking.text
        await pilot.pause()
        assert in_view()  # the list does not snap back to the bottom
