"""Markdown and JSON exports: thinking as a marked collapsible section, meters per reply."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from backends.errors import ConnectionLost
from backends.events import Finished, ReasoningDelta, StopReason, StreamEvent, TextDelta, Usage
from backends.meters import MessageMeter
from backends.pricing import PriceBook, PriceOverride
from backends.request import Message
from backends.store.db import Store
from backends.store.errors import ChatNotFound
from backends.store.export import export_chat
from backends.store.recorder import MessageRecorder

TRICKY_THINKING = "Consider ```code``` and </details> <b>not html</b> [bold]x[/bold]"


@pytest.fixture
def chat(tmp_path: Path) -> Iterator[tuple[Store, int]]:
    with Store.open(tmp_path / "history.db") as store:
        chat_id = store.create_chat("Exports")
        prices = PriceBook({"m": PriceOverride(input=1.0, output=2.0)})
        turns = [
            (
                "first?",
                TRICKY_THINKING,
                "**Answer** one.",
                Finished(
                    StopReason.STOP,
                    usage=Usage(input=10, output=20, reasoning=5),
                    continuation={"format": "f", "sig": "abc"},
                ),
            ),
            ("second?", "", "cut", Finished(StopReason.INTERRUPTED, error=ConnectionLost("gone"))),
        ]
        for prompt, thinking, answer, finished in turns:
            meter = MessageMeter("anthropic", "m", prices, local=False)
            recorder = MessageRecorder(
                store, chat_id, backend="cloud", kind="anthropic", model="m", meter=meter
            )
            recorder.begin([Message("user", prompt)])
            meter.start()
            events: list[StreamEvent] = [ReasoningDelta(thinking), TextDelta(answer), finished]
            for event in events:
                meter.feed(event)
                recorder.feed(event)
            recorder.close()
        yield store, chat_id


def test_markdown_marks_thinking_as_a_collapsed_section(chat: tuple[Store, int]) -> None:
    store, chat_id = chat
    text = export_chat(store, chat_id, "md")
    assert text.startswith("# Exports\n")
    assert text.count("<details>") == 1
    assert text.count("<summary>Thinking · 5 tokens</summary>") == 1
    start = text.index("<summary>Thinking")
    section = text[start : text.index("\n</details>", start)]
    # The thinking sits verbatim inside a fence longer than any backtick run it contains.
    assert "\n````text\n" + TRICKY_THINKING + "\n````\n" in section
    assert text.index("**Answer** one.") > text.index("\n</details>")
    assert "### Assistant · cloud (anthropic: m)" in text


def test_markdown_has_a_meter_line_per_reply_and_marks_endings(chat: tuple[Store, int]) -> None:
    store, chat_id = chat
    text = export_chat(store, chat_id, "md")
    meters = [line for line in text.splitlines() if line.startswith("> meters: ")]
    assert len(meters) == 2
    assert meters[0].startswith("> meters: in 10 (cached 0, 0%) · out 20 · reasoning 5 · $0.00005")
    assert "*[interrupted: the reply stopped here (crash or lost connection): gone]*" in text


def test_json_has_every_field(chat: tuple[Store, int]) -> None:
    store, chat_id = chat
    document = json.loads(export_chat(store, chat_id, "json"))
    assert (document["format"], document["version"]) == ("ponder-chat", 2)
    assert document["chat"]["title"] == "Exports"
    user, reply, _, cut = document["messages"]
    assert (user["role"], user["text"]) == ("user", "first?")
    assert reply["thinking"] == TRICKY_THINKING
    assert reply["usage"]["reasoning"] == 5 and reply["budget"]["reasoning_tokens_spent"] == 5
    assert reply["continuation"] == {"format": "f", "sig": "abc"}
    assert reply["meters"]["line"].startswith("in 10")
    assert reply["cost_usd"] == pytest.approx((10 * 1.0 + 20 * 2.0) / 1_000_000)
    assert (cut["status"], cut["error"]) == ("interrupted", "gone")


def test_unknown_chat_or_format(chat: tuple[Store, int]) -> None:
    store, chat_id = chat
    with pytest.raises(ChatNotFound):
        export_chat(store, chat_id + 100, "md")
    with pytest.raises(ValueError, match="unknown export format"):
        export_chat(store, chat_id, "html")
