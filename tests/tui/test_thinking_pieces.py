"""Long thoughts: drawn in pieces cut at line breaks (the lines of one widget), GC held off."""

from __future__ import annotations

import asyncio
import gc

from textual.content import Content
from textual.widgets import Static

from backends.events import Finished, ReasoningDelta, StopReason, TextDelta, Usage
from tests.tui.helpers import SIZE, app_with, backend_ready, reply_done, send, until
from tests.tui.scripted import ScriptedBackend, Step
from tui.widgets import stream_gc
from tui.widgets.thinking import PIECE_CHARS

DONE = Finished(StopReason.STOP, usage=Usage(input=3, output=4, reasoning=2))

PARAGRAPHS = [f"Thought {n}: " + " ".join(f"word{n}x{i}" for i in range(40)) for n in range(60)]
THOUGHT = "\n".join(PARAGRAPHS) + "\n\x1b[2J the end"  # control characters shown, not run


def drawn_lines(widget: Static) -> list[str]:
    return [strip.text for strip in widget.render_lines(widget.size.region)]


async def test_a_long_thought_is_drawn_in_pieces_with_the_lines_of_one_widget() -> None:
    pieces = [ReasoningDelta(THOUGHT[i : i + 50]) for i in range(0, len(THOUGHT), 50)]
    backend = ScriptedBackend([*pieces, TextDelta("answer"), DONE])
    async with app_with(backend).run_test(size=SIZE) as pilot:
        await backend_ready(pilot)
        view = await send(pilot, "think")
        await reply_done(pilot)
        pane = view.thinking
        pane.collapsed = False
        await pilot.pause()
        shown = [w for w in pane.query(".thinking-text") if isinstance(w, Static)]
        assert len(shown) >= len(THOUGHT) // PIECE_CHARS > 1
        assert "\n".join(str(w.render()) for w in shown) == pane.text
        assert "\x1b" not in pane.text and "␛[2J the end" in pane.text

        whole = Static(Content(pane.text), classes="thinking-text")
        await shown[-1].parent.mount(whole)  # type: ignore[union-attr]
        await until(pilot, lambda: whole.size.height > 0)
        assert sum(w.size.height for w in shown) == whole.size.height
        assert [line for w in shown for line in drawn_lines(w)] == drawn_lines(whole)


async def test_a_thought_taken_back_is_drawn_again_in_one_piece() -> None:
    backend = ScriptedBackend([ReasoningDelta(THOUGHT), TextDelta("answer"), DONE])
    async with app_with(backend).run_test(size=SIZE) as pilot:
        await backend_ready(pilot)
        view = await send(pilot, "think")
        await reply_done(pilot)
        pane = view.thinking
        assert len(pane.query(".thinking-text")) > 1
        pane.truncate(30)
        pane.flush()
        await pilot.pause()
        assert len(pane.query(".thinking-text")) == 1
        assert str(pane.query_one(".thinking-text", Static).render()) == THOUGHT[:30]


async def test_full_collections_wait_from_the_first_thought_until_the_reply_ends() -> None:
    gate = asyncio.Event()
    backend = ScriptedBackend([ReasoningDelta("hmm"), Step(gate=gate), TextDelta("answer"), DONE])
    async with app_with(backend).run_test(size=SIZE) as pilot:
        await backend_ready(pilot)
        before = gc.get_threshold()[2]
        view = await send(pilot, "think")
        await until(pilot, lambda: view.thinking.text == "hmm")
        assert stream_gc.holds() == 1  # thinking streams, no answer yet
        assert gc.get_threshold()[2] == stream_gc.HELD_THRESHOLD
        gate.set()
        await reply_done(pilot)
        assert stream_gc.holds() == 0 and gc.get_threshold()[2] == before
