"""MessageRecorder: prompt first, partial flushes while streaming, one final write per ending."""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from backends.budget import Budget
from backends.errors import ConnectionLost, ProviderError
from backends.events import (
    Finished,
    ReasoningDelta,
    StopReason,
    StreamEvent,
    TextDelta,
    Usage,
    UsageUpdate,
)
from backends.meters import MessageMeter
from backends.pricing import PriceBook, PriceOverride
from backends.request import Message
from backends.store import history
from backends.store.db import Store
from backends.store.errors import HistoryError
from backends.store.recorder import MessageRecorder


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "history.db") as opened:
        yield opened


def recorder_for(store: Store, **kwargs: object) -> MessageRecorder:
    chat = store.create_chat()
    return MessageRecorder(store, chat, backend="cloud", kind="anthropic", model="m1", **kwargs)  # type: ignore[arg-type]


def reply_row(store: Store, recorder: MessageRecorder) -> history.StoredMessage:
    return history.load_messages(store, recorder.chat_id)[-1]


def test_begin_writes_the_prompt_and_a_partial_reply(store: Store) -> None:
    recorder = recorder_for(store, budget=Budget(1024, 64))
    reply_id = recorder.begin([Message("system", "be brief"), Message("user", "why WAL?")])
    try:
        system, user, reply = history.load_messages(store, recorder.chat_id)
        assert (system.role, system.text, user.role, user.text) == (
            "system",
            "be brief",
            "user",
            "why WAL?",
        )
        assert recorder.prompt_ids == [system.id, user.id]
        assert reply.id == reply_id and reply.status == "partial" and reply.text == ""
        assert (reply.backend, reply.backend_kind, reply.model) == ("cloud", "anthropic", "m1")
        assert (reply.budget_requested, reply.budget_minimum) == ("1024", 64)
        assert history.get_chat(store, recorder.chat_id).title == "why WAL?"
    finally:
        recorder.close()


def test_streamed_thinking_and_text_are_flushed_before_the_reply_ends(store: Store) -> None:
    recorder = recorder_for(store)
    recorder.begin([Message("user", "hi")])
    recorder.feed(ReasoningDelta("let me think"))
    assert recorder.wait_flushed(1, 10)
    first = reply_row(store, recorder)
    assert (first.status, first.thinking, first.text) == ("partial", "let me think", "")
    recorder.feed(TextDelta("Hello"))
    recorder.feed(TextDelta(", world"))
    assert recorder.wait_flushed(2, 10)
    second = reply_row(store, recorder)
    assert (second.status, second.text) == ("partial", "Hello, world")
    recorder.close()
    assert reply_row(store, recorder).status == "interrupted"  # no Finished ever came


def test_flushes_are_never_closer_than_the_interval(store: Store) -> None:
    recorder = recorder_for(store, interval_s=0.05)
    recorder.begin()
    for count in range(1, 6):
        recorder.feed(TextDelta(f"w{count} "))  # new text right after each flush
        assert recorder.wait_flushed(count, 10)
    times = list(recorder.flush_times)
    recorder.close()  # the final write goes at once: a status change is not held back
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert len(gaps) == 4 and min(gaps) >= 0.05
    assert reply_row(store, recorder).text == "w1 w2 w3 w4 w5 "


def test_feed_does_not_wait_for_the_database(store: Store) -> None:
    recorder = recorder_for(store)
    recorder.begin()
    held, release = threading.Event(), threading.Event()

    def hold_the_store() -> None:
        with store.lock:  # a slow write elsewhere: nothing can reach the database
            held.set()
            release.wait(30)

    holder = threading.Thread(target=hold_the_store)
    holder.start()
    assert held.wait(10)
    try:
        for i in range(2000):
            recorder.feed(TextDelta(f"{i} "))  # would hang here if feed wrote itself
        recorder.feed(Finished(StopReason.STOP))
    finally:
        release.set()
        holder.join()
    recorder.close()
    reply = reply_row(store, recorder)
    assert reply.status == "complete"
    assert reply.text == "".join(f"{i} " for i in range(2000))


def test_the_final_write_keeps_usage_meters_cost_and_continuation(store: Store) -> None:
    prices = PriceBook({"m1": PriceOverride(input=3.0, output=15.0)})
    meter = MessageMeter("anthropic", "m1", prices, local=False)
    budget = Budget(1024)
    recorder = recorder_for(store, budget=budget, meter=meter)
    recorder.begin([Message("user", "q")])
    usage = Usage(input=100, cached_input=40, output=50, reasoning=30)
    continuation = {
        "format": "anthropic-messages",
        "content": [
            {"type": "thinking", "thinking": "t", "signature": "c2ln"},
            {"type": "text", "text": "a"},
        ],
    }
    events: list[StreamEvent] = [
        ReasoningDelta("t"),
        UsageUpdate(Usage(input=100, cached_input=40)),
        TextDelta("a"),
        Finished(
            StopReason.LENGTH,
            usage=usage,
            model="m1-2025",
            continuation=continuation,
            budget_applied="thinking.budget_tokens=4096",
        ),
    ]
    meter.start()
    budget.set_limit(4096)  # moved mid-stream
    for event in events:
        meter.feed(event)
        recorder.feed(event)
    recorder.close()
    reply = reply_row(store, recorder)
    assert (reply.status, reply.stop_reason, reply.model) == ("complete", "length", "m1-2025")
    assert reply.usage == usage and reply.reasoning_tokens == 30
    assert not reply.reasoning_estimated
    assert (reply.budget_requested, reply.budget_final) == ("1024", "4096")
    assert reply.budget_applied == "thinking.budget_tokens=4096"
    assert reply.continuation == continuation
    expected_cost = (60 * 3.0 + 40 * 3.0 + 50 * 15.0) / 1_000_000
    assert reply.cost_usd == pytest.approx(expected_cost)
    assert reply.meters is not None and reply.meters.usage == usage
    assert reply.meter_line is not None and reply.meter_line.startswith("in 100 (cached 40, 40%)")
    assert history.conversation(store, recorder.chat_id)[-1].continuation == continuation


@pytest.mark.parametrize(
    ("finished", "status", "error"),
    [
        (Finished(StopReason.STOP), "complete", None),
        (Finished(StopReason.CANCELLED), "cancelled", None),
        (Finished(StopReason.ERROR, error=ProviderError("boom", "retry")), "error", "boom — retry"),
        (
            Finished(StopReason.INTERRUPTED, error=ConnectionLost("dropped")),
            "interrupted",
            "dropped",
        ),
    ],
)
def test_each_stream_ending_gets_its_status(
    store: Store, finished: Finished, status: str, error: str | None
) -> None:
    recorder = recorder_for(store)
    recorder.begin()
    recorder.feed(TextDelta("part"))
    recorder.feed(finished)
    recorder.feed(TextDelta(" ignored after the end"))
    recorder.close()
    reply = reply_row(store, recorder)
    assert (reply.status, reply.error, reply.text) == (status, error, "part")
    assert reply.stop_reason == finished.stop_reason.value


@pytest.mark.parametrize(
    ("raised", "status", "error"),
    [
        (asyncio.CancelledError(), "cancelled", None),
        (KeyboardInterrupt(), "cancelled", None),
        (RuntimeError("worker died"), "error", "RuntimeError: worker died"),
    ],
)
def test_leaving_the_recorder_on_an_exception_records_why(
    store: Store, raised: BaseException, status: str, error: str | None
) -> None:
    recorder = recorder_for(store)
    recorder.begin()
    with pytest.raises(type(raised)), recorder:
        recorder.feed(TextDelta("so far"))
        raise raised
    reply = reply_row(store, recorder)
    assert (reply.status, reply.error, reply.text) == (status, error, "so far")


def test_a_failed_write_is_kept_in_error_not_raised(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "history.db")
    recorder = recorder_for(store)
    recorder.begin()
    store.close()
    recorder.feed(TextDelta("lost"))
    recorder.feed(Finished(StopReason.STOP))
    recorder.close(timeout_s=10)
    assert isinstance(recorder.error, HistoryError)
    assert recorder._thread is not None and not recorder._thread.is_alive()


def test_compare_round_columns_and_the_chosen_one(store: Store) -> None:
    chat = store.create_chat("compare", kind="compare")
    [prompt] = store.insert_messages(chat, [{"role": "user", "text": "2+2?"}])
    round_id = store.create_round(chat, prompt)
    for position, (name, answer) in enumerate([("small", "four"), ("big", "4")]):
        recorder = MessageRecorder(store, chat, backend=name, kind="llama", model=name)
        recorder.begin(compare=(round_id, position))
        recorder.feed(TextDelta(answer))
        recorder.feed(Finished(StopReason.STOP))
        recorder.close()
    stored = history.load_messages(store, chat)
    assert [m.compare for m in stored] == [None, (round_id, 0, True), (round_id, 1, False)]
    assert [m.text for m in history.conversation(store, chat)] == ["2+2?", "four"]
    picked = history.conversation(store, chat, chosen={round_id: 1})
    assert [m.text for m in picked] == ["2+2?", "4"]
    store.choose_column(round_id, 1)
    assert [m.text for m in history.conversation(store, chat)] == ["2+2?", "4"]
    assert history.get_chat(store, chat).kind == "compare"
