"""Rounds on real HTTP backends: concurrency, per-column conversations, stop-all, failures."""

from __future__ import annotations

import asyncio

from backends.budget import Budget
from backends.compare.column import Column
from backends.compare.runner import CompareRound, run_round
from backends.compare.session import CompareSession, build_columns
from backends.config import BackendEntry, Settings
from backends.errors import Unreachable
from backends.events import Finished, StatusNote, StopReason, StreamEvent, TextDelta
from backends.registry import build_backend
from backends.request import RequestOptions
from tests.compare.chat_server import ChatServer, Script
from tests.conftest import free_port


def remote_column(url: str, budget: int | None = None) -> Column:
    return Column(build_backend(Settings(), url), Budget(budget))


async def test_remote_columns_stream_concurrently_each_with_its_meters(
    chat_server: ChatServer, other_server: ChatServer
) -> None:
    # Column 0's server holds its reply until column 1 has finished: run one after the other,
    # the round would never end.
    chat_server.script = Script(answer="it is four", reasoning="two plus two", hold=True)
    other_server.script = Script(answer="Four.")
    columns = [remote_column(chat_server.url, 64), remote_column(other_server.url, 0)]
    seen: list[tuple[int, StreamEvent]] = []

    def on_event(index: int, event: StreamEvent) -> None:
        seen.append((index, event))
        if index == 1 and isinstance(event, Finished):
            chat_server.released.set()

    result = await asyncio.wait_for(run_round(columns, "2+2?", on_event), timeout=30)
    assert [o.text for o in result.outcomes] == ["it is four", "Four."]
    assert result.outcomes[0].thinking == "two plus two"
    assert result.outcomes[0].reading.usage.reasoning == 3
    assert result.outcomes[1].reading.usage.reasoning == 0
    for index in (0, 1):
        finishes = [e for i, e in seen if i == index and isinstance(e, Finished)]
        assert len(finishes) == 1 and finishes[0].stop_reason is StopReason.STOP
        assert result.outcomes[index].reading.total_s is not None
    assert [o.label.split(" @")[1] for o in result.outcomes] == ["64", "off"]


async def test_each_column_continues_its_own_conversation(
    chat_server: ChatServer, other_server: ChatServer
) -> None:
    chat_server.script = Script(answer="Paris")
    other_server.script = Script(answer="Lyon")
    session = CompareSession([remote_column(chat_server.url), remote_column(other_server.url)])
    await session.ask("Capital of France?")
    await session.ask("And its population?")
    for server, answer in ((chat_server, "Paris"), (other_server, "Lyon")):
        second = server.requests[1]["messages"]
        assert [(m["role"], m["content"]) for m in second] == [
            ("user", "Capital of France?"),
            ("assistant", answer),
            ("user", "And its population?"),
        ]
    assert [len(c.history) for c in session.columns] == [4, 4]
    assert len(session.rounds) == 2


async def test_stop_all_keeps_partial_replies(
    chat_server: ChatServer, other_server: ChatServer
) -> None:
    chat_server.script = Script(answer="one two three four", hold=True)
    other_server.script = Script(answer="alpha beta gamma", hold=True)
    columns = [remote_column(chat_server.url), remote_column(other_server.url)]
    texts = {0: "", 1: ""}
    statuses: list[tuple[int, str]] = []

    def on_event(index: int, event: StreamEvent) -> None:
        if isinstance(event, TextDelta):
            texts[index] += event.text
            if texts[0] == "one two" and texts[1] == "alpha beta":
                round_.stop_all()

    round_ = CompareRound(
        columns, "count", on_event=on_event, on_status=lambda i, s: statuses.append((i, s))
    )
    result = await asyncio.wait_for(round_.run(), timeout=30)
    assert [o.text for o in result.outcomes] == ["one two", "alpha beta"]
    assert all(o.finished.stop_reason is StopReason.CANCELLED for o in result.outcomes)
    assert all(o.reading.total_s is not None for o in result.outcomes)
    assert (0, "cancelled") in statuses and (1, "cancelled") in statuses
    # The partial answer stays in each conversation.
    assert columns[0].history[-1].text == "one two"


async def test_a_failing_column_does_not_stop_the_others(chat_server: ChatServer) -> None:
    dead = BackendEntry(
        kind="openai-compat",
        base_url=f"http://127.0.0.1:{free_port()}/v1",
        options={"max_retries": 0},
    )
    columns = [
        Column(build_backend(Settings(backends={"dead": dead}), "dead")),
        remote_column(chat_server.url),
    ]
    result = await asyncio.wait_for(
        run_round(columns, "hi", options=RequestOptions(max_tokens=8)), timeout=60
    )
    failed, ok = result.outcomes
    assert isinstance(failed.finished.error, Unreachable)
    assert ok.finished.stop_reason is StopReason.STOP and ok.text == "The answer is 4."
    assert columns[0].history == []  # no answer: the conversation is unchanged
    assert len(columns[1].history) == 2


async def test_build_columns_shares_a_backend_between_budgets(chat_server: ChatServer) -> None:
    columns = build_columns(Settings(), [f"{chat_server.url}:0", f"{chat_server.url}:64"])
    assert columns[0].backend is columns[1].backend
    assert [c.budget.limit for c in columns] == [0, 64]
    result = await run_round(columns, "hi")
    assert [o.text for o in result.outcomes] == ["The answer is 4."] * 2
    assert len(chat_server.requests) == 2
    # Remote columns never queue, even on one shared backend object.
    assert not any(isinstance(n, StatusNote) for o in result.outcomes for n in o.notes)


async def test_session_add_remove_move(chat_server: ChatServer) -> None:
    a, b, c = (remote_column(chat_server.url, n) for n in (0, 64, None))
    session = CompareSession([a, b])
    session.add(c, 0)
    assert session.columns == [c, a, b]
    session.move(0, 5)
    assert session.columns == [a, b, c]
    assert session.remove(1) is b
    result = await session.ask("hi")
    assert [o.label.split(" @")[1] for o in result.outcomes] == ["off", "auto"]
    await session.aclose()


def test_column_labels_are_short_and_show_the_budget() -> None:
    settings = Settings()
    labels = [
        Column(build_backend(settings, spec), Budget(budget)).label
        for spec, budget in (
            ("local", 64),
            ("llama:/models/Qwen3-1.7B.gguf", 0),
            ("http://127.0.0.1:8080/v1", None),
            ("openai-compat:http://10.0.0.2:9000/v1", 4096),
            ("anthropic:claude-sonnet-4-5", 8000),
        )
    ]
    assert labels == [
        "local @64",
        "Qwen3-1.7B @off",
        "127.0.0.1:8080 @auto",
        "10.0.0.2:9000 @4096",
        "claude-sonnet-4-5 @8000",
    ]
    column = Column(build_backend(settings, "local"), Budget(0), title="small")
    column.budget.set_limit(256)  # the label follows the live budget
    assert column.label == "small @256"
