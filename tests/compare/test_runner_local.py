"""Rounds with local columns (the tiny GGUF) and llama-cpp-python's OpenAI-compatible server."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from backends.base import BackendSpec
from backends.budget import Budget
from backends.compare.column import Column
from backends.compare.runner import ColumnOutcome, CompareRound
from backends.compare.session import CompareSession, build_columns
from backends.compare.summary import Winner, completed, summarize
from backends.config import BackendEntry, Settings
from backends.events import ReasoningDelta, StatusNote, StopReason, StreamEvent, TextDelta
from backends.local.backend import LocalBackend
from backends.local.options import LocalOptions
from backends.request import RequestOptions

TINY = {"n_threads": 1, "n_threads_batch": 1, "n_ctx": 512, "seed": 3}


def tiny_settings(tiny_gguf: Path) -> Settings:
    return Settings(
        backends={"tiny": BackendEntry(kind="llama", model=str(tiny_gguf), options=TINY)}
    )


def tiny_backend(tiny_gguf: Path, threads: int) -> LocalBackend:
    options = LocalOptions(**{**TINY, "n_threads": threads, "n_threads_batch": threads})
    return LocalBackend(
        BackendSpec(name="tiny", kind="llama", model=str(tiny_gguf), options=options)
    )


def best_labels(outcomes: tuple[ColumnOutcome, ...], key, lowest: bool = True) -> set[str]:  # type: ignore[no-untyped-def]
    """The labels a summary must name, worked out from the readings themselves."""
    known = [(o.label, key(o.reading)) for o in outcomes if key(o.reading) is not None]
    best = (min if lowest else max)(value for _, value in known)
    return {label for label, value in known if abs(value - best) <= 1e-12}


def names(winner: Winner | None) -> set[str]:
    assert winner is not None
    return set(winner.labels)


@pytest.mark.server
async def test_three_columns_finish_with_their_own_meters_and_the_right_winners(
    tiny_gguf: Path, llama_server: str
) -> None:
    settings = tiny_settings(tiny_gguf)
    columns = build_columns(settings, ["tiny:0", "tiny:64", f"{llama_server}:off"])
    session = CompareSession(columns)
    events: list[tuple[int, StreamEvent]] = []
    try:
        result = await asyncio.wait_for(
            session.ask(
                "Say hello.",
                on_event=lambda i, e: events.append((i, e)),
                options=RequestOptions(max_tokens=80, seed=1),
            ),
            timeout=240,
        )
        outcomes = result.outcomes
        assert [o.label for o in outcomes][:2] == ["tiny @off", "tiny @64"]
        assert all(completed(o) for o in outcomes), [o.finished for o in outcomes]
        for o in outcomes:
            assert o.text.strip(), o.label
            assert o.reading.total_s is not None and o.reading.ttft_s is not None
            assert o.reading.usage.output > 0 and not o.reading.live
        # Budgets are per column: 0 = no thinking; 64 = thinking forced closed at 64 tokens
        # (the backend counts the forced closing tag as thinking too).
        assert outcomes[0].thinking == "" and outcomes[0].reading.usage.reasoning == 0
        assert outcomes[1].thinking and 64 <= (outcomes[1].reading.usage.reasoning or 0) < 80
        # The two tiny columns share one loaded model, so the second one was queued.
        queued = [e for i, e in events if i == 1 and isinstance(e, StatusNote)]
        assert queued and queued[0].kind == "queued" and "tiny @off" in queued[0].text
        assert outcomes[1].queued_s > 0
        assert not any(
            isinstance(e, StatusNote) and e.kind == "queued" for i, e in events if i != 1
        )
        # Each column's events are its own: deltas for index i add up to outcome i.
        for index, o in enumerate(outcomes):
            text = "".join(e.text for i, e in events if i == index and isinstance(e, TextDelta))
            assert text == o.text
        summary = summarize(result)
        assert names(summary.fastest_total) == best_labels(outcomes, lambda r: r.total_s)
        assert names(summary.fastest_ttft) == best_labels(outcomes, lambda r: r.ttft_s)
        assert names(summary.fewest_reasoning) == best_labels(outcomes, lambda r: r.usage.reasoning)
        counts = {
            o.reading.usage.reasoning for o in outcomes if o.reading.usage.reasoning is not None
        }
        if len(counts) >= 3:
            assert names(summary.most_reasoning) == {"tiny @64"}
        else:  # with two different counts "most" is "fewest" read backwards: not repeated
            assert summary.most_reasoning is None
        priced = [o for o in outcomes if o.reading.cost_usd is not None]
        assert set(summary.unpriced) == {o.label for o in outcomes if o not in priced}
        if priced:
            assert names(summary.cheapest) == best_labels(tuple(priced), lambda r: r.cost_usd)

        # Second round: every column continues its own conversation.
        second = await asyncio.wait_for(
            session.ask("Again.", options=RequestOptions(max_tokens=90, seed=2)), timeout=240
        )
        for first, again, column in zip(outcomes, second.outcomes, columns, strict=True):
            assert again.reading.usage.input > first.reading.usage.input, column.label
            assert [m.role for m in column.history] == ["user", "assistant"] * 2
            assert column.history[1].text == first.text
    finally:
        await session.aclose()


async def test_stop_all_keeps_the_partial_reply_and_cancels_the_queued_column(
    tiny_gguf: Path,
) -> None:
    backend = tiny_backend(tiny_gguf, 1)
    columns = [Column(backend, Budget(64)), Column(backend, Budget(0))]
    statuses: list[tuple[int, str]] = []
    seen = {"deltas": 0}

    def on_event(index: int, event: StreamEvent) -> None:
        if index == 0 and isinstance(event, ReasoningDelta):
            seen["deltas"] += 1
            if seen["deltas"] == 5:
                round_.stop_all()

    round_ = CompareRound(
        columns,
        "Count to ten.",
        on_event=on_event,
        on_status=lambda i, s: statuses.append((i, s)),
        options=RequestOptions(max_tokens=200),
    )
    try:
        result = await asyncio.wait_for(round_.run(), timeout=120)
    finally:
        await backend.aclose()
    first, second = result.outcomes
    assert first.finished.stop_reason is StopReason.CANCELLED
    assert first.thinking and first.reading.usage.output >= 5
    assert second.finished.stop_reason is StopReason.CANCELLED and second.text == ""
    assert statuses[:3] == [(0, "loading"), (1, "queued"), (0, "running")]
    assert sorted(statuses[3:]) == [(0, "cancelled"), (1, "cancelled")]
    assert columns[0].history == [] and columns[1].history == []  # no answer text yet


@pytest.mark.parametrize(("threads", "queued"), [(1, False), (2, True)])
async def test_two_loaded_models_run_together_only_if_their_threads_fit(
    tiny_gguf: Path, threads: int, queued: bool
) -> None:
    backends = [tiny_backend(tiny_gguf, threads) for _ in range(2)]
    session = CompareSession([Column(b, Budget(0)) for b in backends], cores=2)
    statuses: list[tuple[int, str]] = []
    try:
        result = await asyncio.wait_for(
            session.ask(
                "Hi",
                on_status=lambda i, s: statuses.append((i, s)),
                options=RequestOptions(max_tokens=24),
            ),
            timeout=120,
        )
    finally:
        await session.aclose()
    assert all(completed(o) for o in result.outcomes)
    notes = [n for n in result.outcomes[1].notes if n.kind == "queued"]
    if queued:
        assert statuses == [
            (0, "loading"),
            (1, "queued"),
            (0, "running"),
            (0, "done"),
            (1, "loading"),
            (1, "running"),
            (1, "done"),
        ]
        assert "2 CPU cores" in notes[0].text and "tiny @off" in notes[0].text
    else:
        # Both entered at once: both loading before either ran, neither queued.
        assert statuses[:2] == [(0, "loading"), (1, "loading")]
        assert notes == [] and (1, "queued") not in statuses
