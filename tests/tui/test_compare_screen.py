"""The compare screen: columns side by side, per-column budget keys, stop all, promote, summary.

Scripted backends give exact text and a gate to hold a reply mid-stream; the snapshot runs on a
fixed clock. The three-column test decodes for real: the tiny model at two budgets and
llama-cpp-python's OpenAI-compatible server. Update the snapshot after an intended change with
``pytest tests/tui/test_compare_screen.py --snapshot-update`` and look at the SVG first.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.worker import WorkerCancelled, WorkerFailed

from backends.base import Backend
from backends.capabilities import Capabilities
from backends.config import BackendEntry, Settings
from backends.events import Finished, ReasoningDelta, StopReason, StreamEvent, TextDelta, Usage
from backends.pricing import PriceBook, PriceOverride
from tests.tui.helpers import app_with, backend_ready, chat, key_now, reply_done, send, until
from tests.tui.scripted import FakeClock, ScriptedBackend, Step
from tui.compare.column import CompareColumn
from tui.compare.picker import ColumnPicker
from tui.compare.screen import CompareScreen
from tui.compare.summary import CompareSummary
from tui.widgets.messages import AssistantMessage
from tui.widgets.prompt import PromptInput

SIZE = (120, 40)
SNAP = (150, 44)
STEPS: list[int | str] = [0, 256, 1024, "auto"]
LOCAL = Capabilities(
    can_think=True, thinking_text="full", budget_precision="exact", live_budget=True, local=True
)


def settings(**backends: BackendEntry) -> Settings:
    return Settings(budget_steps=STEPS, default_budget=1024, backends=backends)  # type: ignore[arg-type]


def by_name(**backends: Backend) -> Callable[[str], Backend]:
    return lambda name: backends[name]


def compare(pilot: Pilot[Any]) -> CompareScreen:
    return next(s for s in pilot.app.screen_stack if isinstance(s, CompareScreen))


async def open_compare(pilot: Pilot[Any]) -> CompareScreen:
    await backend_ready(pilot)
    await pilot.press("f7")
    await until(pilot, lambda: isinstance(pilot.app.screen, CompareScreen))
    return compare(pilot)


async def start_round(pilot: Pilot[Any], text: str) -> CompareScreen:
    screen = compare(pilot)
    screen.query_one(PromptInput).insert(text)
    key_now(pilot, "enter")
    await until(pilot, lambda: screen.worker is not None and screen.round is not None)
    return screen


async def round_done(pilot: Pilot[Any]) -> None:
    worker = compare(pilot).worker
    assert worker is not None
    with suppress(WorkerCancelled, WorkerFailed):
        await worker.wait()
    await pilot.pause()


async def add_column(pilot: Pilot[Any], backend_downs: int, budget_downs: int) -> None:
    """ctrl+n, then move down the backend list and the budget list, Enter on each."""
    await pilot.press("ctrl+n")
    await until(pilot, lambda: isinstance(pilot.app.screen, ColumnPicker))
    await pilot.press(*["down"] * backend_downs, "enter", *["down"] * budget_downs, "enter")
    await until(pilot, lambda: isinstance(pilot.app.screen, CompareScreen))
    await pilot.pause()


def reply(text: str, *, thought: str = "", gate: asyncio.Event | None = None) -> list:
    items: list = [ReasoningDelta(thought)] if thought else []
    items.append(TextDelta(text))
    if gate is not None:
        items.append(Step(gate=gate))
    return [*items, Finished(StopReason.STOP, usage=Usage(input=5, output=4, reasoning=1))]


def request_of(backend: ScriptedBackend, view: CompareColumn):  # type: ignore[no-untyped-def]
    """The (last) request this column sent (columns of one backend differ by conversation)."""
    ours = [r for r in backend.requests if r.conversation_id == view.column.conversation_id]
    assert ours, "the column sent no request"
    return ours[-1]


# ---- opening from the chat -------------------------------------------------------------------


async def test_opening_from_a_chat_carries_its_history_into_every_column() -> None:
    backend = ScriptedBackend(reply("Hi there."), reply("Four."), reply("4"))
    async with app_with(backend, settings()).run_test(size=SIZE) as pilot:
        await backend_ready(pilot)
        await send(pilot, "Hello")
        await reply_done(pilot)
        screen = await open_compare(pilot)
        labels = [view.column.label for view in screen.views]
        assert labels == ["scripted @1024", "scripted @off"]  # chat's budget, then off
        assert all(
            "1 earlier exchange" in str(v.query_one(".compare-carried").render())
            for v in screen.views
        )
        await start_round(pilot, "2+2?")
        await round_done(pilot)
        for view in screen.views:
            sent = [(m.role, m.text) for m in request_of(backend, view).messages]
            assert sent == [("user", "Hello"), ("assistant", "Hi there."), ("user", "2+2?")]
        assert [v.view.answer_text for v in screen.views if v.view] == ["Four.", "4"]


async def test_compare_is_in_the_command_palette_and_refused_while_a_reply_streams() -> None:
    gate = asyncio.Event()
    backend = ScriptedBackend(reply("slow", gate=gate))
    async with app_with(backend, settings()).run_test(size=SIZE) as pilot:
        await backend_ready(pilot)
        commands = [c.title for c in pilot.app.get_system_commands(pilot.app.screen)]
        assert any(title.startswith("Compare side by side") for title in commands)
        await send(pilot, "Hello")
        await pilot.press("f7")
        assert not isinstance(pilot.app.screen, CompareScreen)
        assert any("cancel it first" in n.message for n in pilot.app._notifications)
        gate.set()
        await reply_done(pilot)


# ---- keys on the focused column ----------------------------------------------------------------


async def test_budget_keys_act_on_the_focused_column_only() -> None:
    gates = [asyncio.Event(), asyncio.Event()]
    # Both replies are held while they think.
    replies: list[list[StreamEvent | Step]] = [
        [ReasoningDelta("thinking"), Step(gate=gate), TextDelta("ok"), Finished(StopReason.STOP)]
        for gate in gates
    ]
    backend = ScriptedBackend(*replies)
    async with app_with(backend, settings()).run_test(size=SIZE) as pilot:
        screen = await open_compare(pilot)
        first, second = screen.views
        await start_round(pilot, "go")
        await until(pilot, lambda: first.state == "running" and second.state == "running")
        await pilot.press("tab")  # focus the second column
        assert screen.focus_index == 1 and second.has_class("-focused")
        await pilot.press("ctrl+up")
        assert request_of(backend, second).budget.limit == 256  # live, on the request in flight
        assert request_of(backend, first).budget.limit == 1024
        assert second.column.label == "scripted @256" and first.column.label == "scripted @1024"
        await pilot.press("ctrl+s")
        assert request_of(backend, second).budget.stop_requested
        assert not request_of(backend, first).budget.stop_requested
        await pilot.press("shift+tab", "ctrl+o")
        assert (first.column.budget.limit, second.column.budget.limit) == (0, 256)
        for gate in gates:
            gate.set()
        await round_done(pilot)
        assert [v.state for v in screen.views] == ["done", "done"]


async def test_a_remapped_chat_budget_key_works_in_compare_too() -> None:
    config = settings()
    config.keys = {"budget_up": "ctrl+k"}
    async with app_with(ScriptedBackend(reply("ok")), config).run_test(size=SIZE) as pilot:
        screen = await open_compare(pilot)
        await pilot.press("ctrl+k")
        assert [v.column.budget.limit for v in screen.views] == [None, 0]  # 1024 -> auto
        assert all("Unknown key" not in n.message for n in pilot.app._notifications)


async def test_stop_all_keeps_every_partial_reply() -> None:
    never = asyncio.Event()
    backend = ScriptedBackend(
        reply("partial one", thought="hmm", gate=never), reply("partial two", gate=never)
    )
    async with app_with(backend, settings()).run_test(size=SIZE) as pilot:
        screen = await open_compare(pilot)
        await start_round(pilot, "go")
        await until(pilot, lambda: all(v.view and v.view.answer_text for v in screen.views))
        await pilot.press("escape")
        await round_done(pilot)
        assert isinstance(pilot.app.screen, CompareScreen)  # stopping does not close
        assert [v.state for v in screen.views] == ["cancelled", "cancelled"]
        assert [v.view.answer_text for v in screen.views if v.view] == [
            "partial one",
            "partial two",
        ]
        assert all(v.view and "partial reply is kept" in v.view.note_text for v in screen.views)
        # The partial replies continue each column's conversation.
        assert [v.column.history[-1].text for v in screen.views] == ["partial one", "partial two"]
        summary = screen.query_one(CompareSummary)
        assert "not compared (stopped or failed)" in summary.lines[-1]
        await pilot.press("escape")  # nothing runs now: closes compare
        assert not isinstance(pilot.app.screen, CompareScreen)


# ---- columns: add, reorder, remove, promote ------------------------------------------------------


async def test_add_move_and_remove_columns() -> None:
    local = ScriptedBackend(reply("L"), name="local")
    other = ScriptedBackend(reply("O"), name="other", model="other-1")
    app = app_with(by_name(local=local, other=other), settings(other=BackendEntry(kind="x")))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_compare(pilot)
        await add_column(pilot, backend_downs=1, budget_downs=1)  # other, one step past 1024
        labels = [v.column.label for v in screen.views]
        assert labels == ["local @1024", "local @off", "other @auto"]
        assert screen.focus_index == 2
        await pilot.press("ctrl+shift+left")
        assert [v.column.label for v in screen.views][1] == "other @auto"
        assert [c.label for c in screen.session.columns] == [v.column.label for v in screen.views]
        await pilot.press("ctrl+shift+right")
        order = [view.column.label for view in screen.query(CompareColumn)]  # on screen
        assert order == ["local @1024", "local @off", "other @auto"]
        await start_round(pilot, "x")
        await round_done(pilot)
        assert other.requests and len(local.requests) == 2
        await pilot.press("ctrl+d")
        assert [v.column.label for v in screen.views] == ["local @1024", "local @off"]
        await pilot.press("ctrl+d")  # two is the minimum
        assert len(screen.views) == 2 and len(screen.query(CompareColumn)) == 2
        await pilot.press("escape")  # nothing runs: closes compare
        await until(pilot, lambda: other.closed)  # built by compare: closed with it
        assert not local.closed  # the chat's own backend is only borrowed


async def test_a_promoted_column_becomes_the_chat() -> None:
    local = ScriptedBackend(reply("Hi."), reply("Local answer."))
    other = ScriptedBackend(
        reply("Other answer.", thought="other thinks"),
        reply("Next."),
        name="other",
        model="other-1",
    )
    app = app_with(by_name(local=local, other=other), settings(other=BackendEntry(kind="x")))
    async with app.run_test(size=SIZE) as pilot:
        await backend_ready(pilot)
        await send(pilot, "Hello")
        await reply_done(pilot)
        await open_compare(pilot)
        await add_column(pilot, backend_downs=1, budget_downs=0)  # other @1024, then ctrl+o
        await pilot.press("ctrl+o")
        await start_round(pilot, "Question?")
        await round_done(pilot)
        await pilot.press("f8")
        await until(pilot, lambda: not isinstance(pilot.app.screen, CompareScreen))
        await pilot.pause()
        screen_ = chat(pilot)
        assert screen_.slot.backend is other and screen_.slot.name == "other"
        assert screen_.budget_value == 0
        last = screen_.conversation.exchanges[-1]
        assert (last.prompt, last.replies[-1].answer) == ("Question?", "Other answer.")
        views = screen_.query(AssistantMessage)
        assert "Other answer." in str(views.last().answer.source)
        await send(pilot, "And then?")
        await reply_done(pilot)
        sent = [(m.role, m.text) for m in other.requests[-1].messages]
        assert sent == [
            ("user", "Hello"),
            ("assistant", "Hi."),
            ("user", "Question?"),
            ("assistant", "Other answer."),
            ("user", "And then?"),
        ]
        assert other.requests[-1].budget.limit == 0
        assert not other.closed and local.closed  # the chat's old backend was retired


# ---- real decoding: the tiny model at two budgets and an OpenAI-compatible server --------------

TINY = {"n_threads": 1, "n_threads_batch": 1, "n_ctx": 512, "seed": 3}


def real_settings(tiny_gguf: Path, server_url: str) -> Settings:
    return Settings(
        budget_steps=[0, 64, "auto"],  # type: ignore[list-item]
        default_budget=0,
        default_backend="tiny",
        max_tokens=96,
        backends={
            "tiny": BackendEntry(
                kind="llama", model=str(tiny_gguf), options=TINY, hardware_cost_per_hour=3.6
            ),
            "server": BackendEntry(kind="openai-compat", base_url=server_url, model="smollm2"),
        },
    )


def best(outcomes, key, lowest: bool = True) -> set[str]:  # type: ignore[no-untyped-def]
    """The labels that must win a metric, worked out from the runner's readings."""
    known = [(o.label, key(o.reading)) for o in outcomes if key(o.reading) is not None]
    top = (min if lowest else max)(value for _, value in known)
    return {label for label, value in known if abs(value - top) <= 1e-12}


def named_first(lines: list[str], metric: str, labels: list[str]) -> set[str]:
    """The labels in the winner part of ``metric``'s summary line (before the first " · ")."""
    line = next(line for line in lines if line.startswith(f"{metric}: "))
    head = line.removeprefix(f"{metric}: ").split(" · ")[0]
    return {label for label in labels if head.startswith(label) or f"= {label} " in head}


@pytest.mark.server
async def test_three_real_columns_finish_with_their_own_meters_and_the_right_winners(
    tiny_gguf: Path, llama_server: str
) -> None:
    from backends.meter_lines import format_meter_line
    from backends.registry import build_backend

    config = real_settings(tiny_gguf, llama_server)
    app = app_with(lambda name: build_backend(config, name), config)
    async with app.run_test(size=SNAP) as pilot:
        screen = await open_compare(pilot)
        await add_column(pilot, backend_downs=1, budget_downs=0)  # local, [tiny], server: @off
        labels = [view.column.label for view in screen.views]
        assert labels == ["tiny @off", "tiny @64", "server @off"]
        await start_round(pilot, "Say hello.")
        await asyncio.wait_for(round_done(pilot), timeout=240)

        result = screen.session.rounds[-1]
        outcomes = result.outcomes
        assert [view.state for view in screen.views] == ["done", "done", "done"]
        for view, outcome in zip(screen.views, outcomes, strict=True):
            assert view.view is not None and outcome.text.strip()
            assert outcome.reading.total_s is not None and outcome.reading.ttft_s is not None
            assert outcome.reading.usage.output > 0 and not outcome.reading.live
            # Each column's meter line is drawn from that column's own final reading.
            shown = str(view.view.meter.render())
            assert shown == format_meter_line(outcome.reading) and not shown.startswith("live")
        assert len({str(v.view.meter.render()) for v in screen.views if v.view}) == 3
        # Per-column budgets: off thinks not at all; 64 is forced closed at 64 (+ closing tag).
        assert outcomes[0].thinking == "" and outcomes[0].reading.usage.reasoning == 0
        assert 64 <= (outcomes[1].reading.usage.reasoning or 0) < 80
        # The two tiny columns share one loaded model: the second waited its turn.
        assert any(note.kind == "queued" for note in outcomes[1].notes)

        lines = screen.query_one(CompareSummary).lines
        reading_of = {
            "cheapest": lambda r: r.cost_usd,
            "fastest TTFT": lambda r: r.ttft_s,
            "fastest total": lambda r: r.total_s,
            "fewest reasoning": lambda r: r.usage.reasoning,
        }
        for metric, key in reading_of.items():
            assert named_first(lines, metric, labels) == best(outcomes, key), (metric, lines)
        if any(line.startswith("most reasoning: ") for line in lines):
            expected = best(outcomes, lambda r: r.usage.reasoning, lowest=False)
            assert named_first(lines, "most reasoning", labels) == expected


# ---- snapshot --------------------------------------------------------------------------------

THOUGHT = "17 × 20 = 340 and 17 × 3 = 51, so 340 + 51 = 391. Check: 391 / 17 = 23."


def snapshot_app():  # type: ignore[no-untyped-def]
    """A local model at 1k and off (one loaded model: the second column waits its turn) and a
    priced remote model, on a fixed clock."""
    clock = FakeClock()
    local = ScriptedBackend(
        [
            Step(0.2),
            ReasoningDelta(THOUGHT),
            Step(1.6),
            TextDelta("**391**"),
            Step(0.2),
            Finished(StopReason.STOP, usage=Usage(input=24, output=58, reasoning=52)),
        ],
        [
            Step(0.1),
            TextDelta("391"),
            Step(0.3),
            Finished(StopReason.STOP, usage=Usage(input=24, output=4, reasoning=0)),
        ],
        name="local",
        model="/models/SmolLM2-135M.gguf",
        capabilities=LOCAL,
        clock=clock,
    )
    local.spec = dataclasses.replace(local.spec, hardware_cost_per_hour=3.6)
    remote = ScriptedBackend(
        [
            Step(0.5),
            ReasoningDelta("Multiply: 17 × 23."),
            Step(0.9),
            TextDelta("It is 391."),
            Step(0.3),
            Finished(StopReason.STOP, usage=Usage(input=30, output=40, reasoning=31)),
        ],
        name="gpt",
        model="big-1",
        clock=clock,
    )
    prices = PriceBook({"big-1": PriceOverride(input=2.0, output=8.0)})
    return app_with(
        by_name(local=local, gpt=remote),
        settings(gpt=BackendEntry(kind="openai", model="big-1")),
        clock=clock,
        prices=prices,
    )


def test_compare_screen_with_a_summary_row(snap_compare) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[Any]) -> None:
        await open_compare(pilot)
        await add_column(pilot, backend_downs=1, budget_downs=1)  # gpt @auto
        await start_round(pilot, "What is 17 × 23?")
        await round_done(pilot)
        await pilot.press("tab")  # focus back on the first column
        compare(pilot).query_one(PromptInput).cursor_blink = False
        await pilot.pause()

    assert snap_compare(snapshot_app(), terminal_size=SNAP, run_before=run_before)
