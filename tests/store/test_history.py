"""Chat list paging, rename, delete, search (text and thinking), and resuming a conversation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from backends.events import Finished, ReasoningDelta, StopReason, TextDelta
from backends.request import Message
from backends.store import history
from backends.store.db import Store
from backends.store.errors import ChatNotFound
from backends.store.recorder import MessageRecorder


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "history.db") as opened:
        yield opened


def chat_with(
    store: Store,
    prompt: str,
    thinking: str = "",
    answer: str = "",
    finished: Finished | None = None,
) -> int:
    chat = store.create_chat()
    recorder = MessageRecorder(store, chat, backend="local", kind="llama", model="tiny")
    recorder.begin([Message("user", prompt)])
    if thinking:
        recorder.feed(ReasoningDelta(thinking))
    if answer:
        recorder.feed(TextDelta(answer))
    recorder.feed(finished or Finished(StopReason.STOP, continuation={"format": "x", "n": 1}))
    recorder.close()
    return chat


def fts_is_consistent(store: Store) -> bool:
    with store.write() as conn:
        conn.execute("INSERT INTO messages_fts (messages_fts) VALUES ('integrity-check')")
    return True


def test_chat_list_pages_most_recent_first(store: Store) -> None:
    ids = [store.create_chat(f"chat {n}") for n in range(7)]
    first = history.list_chats(store, limit=3)
    second = history.list_chats(store, limit=3, after=first.next)
    third = history.list_chats(store, limit=3, after=second.next)
    pages = [[c.id for c in page.chats] for page in (first, second, third)]
    assert pages == [ids[6:3:-1], ids[3:0:-1], ids[:1]]
    assert third.next is None
    assert history.count_chats(store) == 7
    store.insert_messages(ids[2], [{"role": "user", "text": "back to this one"}])
    top = history.list_chats(store, limit=1).chats[0]
    assert (top.id, top.title, top.message_count) == (ids[2], "chat 2", 1)


def test_rename_and_delete(store: Store) -> None:
    chat = chat_with(store, "first prompt", thinking="a distinctive armadillo", answer="done")
    history.rename_chat(store, chat, "Armadillo facts")
    assert history.get_chat(store, chat).title == "Armadillo facts"
    assert len(history.search(store, "armadillo")) == 1
    history.delete_chat(store, chat)
    assert history.count_chats(store) == 0
    assert history.search(store, "armadillo") == []
    assert store.query("SELECT count(*) FROM messages")[0][0] == 0
    assert fts_is_consistent(store)
    with pytest.raises(ChatNotFound, match="there is no chat"):
        history.delete_chat(store, chat)
    with pytest.raises(ChatNotFound):
        history.rename_chat(store, chat, "x")
    with pytest.raises(ChatNotFound):
        history.load_messages(store, chat)


def test_search_finds_a_word_that_occurs_only_in_thinking(store: Store) -> None:
    chat_with(store, "tell me about rivers", answer="Rivers flow to the sea.")
    target = chat_with(
        store,
        "and lakes?",
        thinking="The user asks about lakes; recall that the axolotl lives in Lake Xochimilco.",
        answer="Lakes are still water.",
    )
    [hit] = history.search(store, "axolotl")
    assert (hit.chat_id, hit.role, hit.field) == (target, "assistant", "thinking")
    assert hit.chat_title == "and lakes?"
    [(start, end)] = hit.spans
    assert hit.snippet[start:end] == "axolotl"
    assert "\x02" not in hit.snippet and "\x03" not in hit.snippet
    answer_hits = history.search(store, "still water")
    assert [(h.chat_id, h.field) for h in answer_hits] == [(target, "text")]


def test_search_words_prefixes_and_user_syntax(store: Store) -> None:
    chat = chat_with(store, "Pythön packaging", answer="Use a pyproject.toml file.")
    assert [h.chat_id for h in history.search(store, "pyproj")] == [chat]  # last word: prefix
    assert [h.role for h in history.search(store, "python")] == ["user"]  # diacritics folded
    assert history.search(store, "packaging missingword") == []  # every word must match
    for odd in ('AND OR "', "NEAR(a b)", "col:umn *", "'); DROP TABLE chats; --"):
        assert history.search(store, odd) == []
    assert history.search(store, "   ") == []
    assert history.count_chats(store) == 1


def test_search_pages(store: Store) -> None:
    for n in range(5):
        chat_with(store, f"capybara question {n}")
    first = history.search(store, "capybara", limit=3)
    rest = history.search(store, "capybara", limit=3, offset=3)
    assert len(first) == 3 and len(rest) == 2
    recent = [h.message_id for h in first + rest]
    assert recent == sorted(recent, reverse=True)  # newest first by default
    by_rank = history.search(store, "capybara", order="relevance")
    assert sorted(h.message_id for h in by_rank) == sorted(recent)


def test_conversation_is_what_a_backend_needs_to_resume(store: Store) -> None:
    chat = store.create_chat()
    store.insert_messages(chat, [{"role": "system", "text": "be terse"}])
    endings = [
        ("q1", "a1", Finished(StopReason.STOP, continuation={"format": "f", "sig": "s1"})),
        ("q2", "", Finished(StopReason.ERROR)),  # failed before any answer: left out
        ("q3", "half", Finished(StopReason.INTERRUPTED, continuation={"format": "f"})),
    ]
    for prompt, answer, finished in endings:
        recorder = MessageRecorder(store, chat, backend="b", kind="anthropic", model="m")
        recorder.begin([Message("user", prompt)])
        recorder.feed(ReasoningDelta(f"thinking about {prompt}"))
        if answer:
            recorder.feed(TextDelta(answer))
        recorder.feed(finished)
        recorder.close()
    messages = history.conversation(store, chat)
    assert [(m.role, m.text) for m in messages] == [
        ("system", "be terse"),
        ("user", "q1"),
        ("assistant", "a1"),
        ("user", "q2"),
        ("user", "q3"),
        ("assistant", "half"),
    ]
    assert messages[2].continuation == {"format": "f", "sig": "s1"}
    assert messages[2].thinking == "thinking about q1"
    assert messages[5].continuation is None  # an interrupted turn has no valid signature
    assert [m.status for m in history.load_messages(store, chat)][-1] == "interrupted"
    assert fts_is_consistent(store)
