"""Keys typed while an answer streams are drawn before the answer grows (tui/widgets/keys_first).

The oracle is what the app writes out: each frame's prompt text, recorded where Textual hands the
frame to the terminal, as ``bench/stream_render.py`` does.
"""

from __future__ import annotations

import asyncio
from typing import Any

from _pytest.monkeypatch import MonkeyPatch
from textual.pilot import Pilot

from backends.events import Finished, ReasoningDelta, StopReason, TextDelta, Usage
from tests.tui.helpers import SIZE, app_with, backend_ready, chat, key_now, reply_done, send, until
from tests.tui.scripted import ScriptedBackend, Step
from tests.tui.test_long_answer import ANSWER, backend_for
from tui.widgets import keys_first
from tui.widgets.answer_markdown import AnswerMarkdown
from tui.widgets.keys_first import KeysFirst
from tui.widgets.prompt import PromptInput

DONE = Finished(StopReason.STOP, usage=Usage(input=3, output=4, reasoning=2))


def record_frames(pilot: Pilot[Any], prompt: PromptInput) -> list[str]:
    """The prompt's text in every frame written from now on."""
    frames: list[str] = []
    display = pilot.app._display

    def written(screen: Any, update: Any) -> None:
        display(screen, update)
        frames.append(prompt.text)

    pilot.app._display = written  # type: ignore[method-assign,assignment]
    return frames


async def frozen_clock(pilot: Pilot[Any]) -> tuple[PromptInput, KeysFirst, list[float]]:
    """The chat's prompt and its KeysFirst on a clock that moves only when ``now[0]`` does."""
    await backend_ready(pilot)
    screen = chat(pilot)
    now = [100.0]
    screen.keys_first.clock = lambda: now[0]
    return screen.query_one(PromptInput), screen.keys_first, now


async def test_no_answer_step_starts_before_a_typed_key_is_drawn() -> None:
    app = app_with(backend_for(ANSWER, size=7))
    async with app.run_test(size=SIZE) as pilot:
        await backend_ready(pilot)
        screen = chat(pilot)
        prompt = screen.query_one(PromptInput)
        view = await send(pilot, "a long one")
        frames = record_frames(pilot, prompt)
        late: list[str] = []  # prompt texts a step began with, before any frame drew them
        add = AnswerMarkdown.add

        async def step(markdown: AnswerMarkdown, text: str) -> None:
            if prompt.text and prompt.text not in frames:
                late.append(prompt.text)
            await add(markdown, text)

        view.answer.add = step.__get__(view.answer)  # type: ignore[method-assign]
        typed = ""
        while not screen.worker or not screen.worker.is_finished:
            letter = "abcdefghij"[len(typed) % 10]
            typed += letter
            key_now(pilot, letter)
            await asyncio.sleep(0.02)
        await reply_done(pilot)
        await until(pilot, lambda: not view.answer.busy)
        assert len(typed) > 3
        assert prompt.text == typed  # every key reached the prompt
        assert view.answer.source == ANSWER  # and the whole answer reached the screen
        assert late == []
        assert screen.keys_first.steps_held > 0


async def test_an_answer_streams_unheld_once_the_prompt_is_sent() -> None:
    app = app_with(backend_for(ANSWER))
    async with app.run_test(size=SIZE) as pilot:
        await backend_ready(pilot)
        await pilot.press(*"go on")  # typed just before Enter: the reply must not wait for more
        view = await send(pilot, "")
        await reply_done(pilot)
        await until(pilot, lambda: not view.answer.busy)
        assert view.answer.source == ANSWER
        assert chat(pilot).keys_first.steps_held == 0


async def test_a_step_waits_for_the_next_keys_frame_only_while_the_user_types(
    monkeypatch: MonkeyPatch,
) -> None:
    monkeypatch.setattr(keys_first, "HOLD_S", 30.0)  # a slow machine never ends the hold early
    async with app_with(backend_for("short")).run_test(size=SIZE) as pilot:
        prompt, gate, now = await frozen_clock(pilot)

        gate.typed(prompt)
        prompt.insert("x")  # the key's edit: the next frame draws it
        assert gate.waiting
        step = asyncio.create_task(gate.ready())
        await asyncio.sleep(0)
        assert not step.done()  # held until a frame has drawn the key
        await pilot.pause()
        await asyncio.wait_for(step, 1)
        assert not gate.waiting and gate.steps_held == 1

        # Still typing (the last key 1 s ago): the next step waits for the next key's frame.
        now[0] += 1
        step = asyncio.create_task(gate.ready())
        await pilot.pause()
        assert not step.done()
        gate.typed(prompt)
        prompt.insert("y")
        await pilot.pause()
        await asyncio.wait_for(step, 1)
        assert gate.steps_held == 2

        # The typing paused: no wait at all.
        now[0] += keys_first.HOLD_S
        await asyncio.wait_for(gate.ready(), 0.01)
        assert gate.steps_held == 2


async def test_thinking_is_redrawn_right_after_a_keys_frame_while_the_user_types() -> None:
    async with app_with(backend_for("short")).run_test(size=SIZE) as pilot:
        prompt, gate, now = await frozen_clock(pilot)
        redrawn: list[str] = []

        def redraw() -> None:
            redrawn.append(prompt.text)

        gate.soon(redraw)  # nobody types: at once
        assert redrawn == [""]
        gate.typed(prompt)
        prompt.insert("k")
        gate.soon(redraw)
        gate.soon(redraw)  # twice before the frame: once after it
        assert redrawn == [""]
        await pilot.pause()
        assert redrawn == ["", "k"]
        gate.soon(redraw)  # typed 0 s ago: waits for the next key's frame
        now[0] += keys_first.HOLD_S
        gate.soon(redraw)  # the typing paused: the timer's next call draws it
        assert redrawn == ["", "k", "k"]


async def test_a_reply_that_ends_while_the_user_types_shows_all_its_thinking() -> None:
    thought = "".join(f"thinking line {n}\n" for n in range(300))
    pieces = [ReasoningDelta(thought[i : i + 9]) for i in range(0, len(thought), 9)]
    gate = asyncio.Event()
    half = len(pieces) // 2
    backend = ScriptedBackend(
        [*pieces[:half], Step(gate=gate), *pieces[half:], TextDelta("done"), DONE]
    )
    async with app_with(backend).run_test(size=SIZE) as pilot:
        await backend_ready(pilot)
        screen = chat(pilot)
        screen.keys_first.clock = lambda: 100.0  # the last key stays "just now"
        view = await send(pilot, "think")
        for _ in range(20):  # typing while it thinks
            key_now(pilot, "t")
            await asyncio.sleep(0.01)
        await until(pilot, lambda: not screen.keys_first.waiting)  # every key drawn
        gate.set()  # the rest arrives, and the reply ends, right after the keys
        await reply_done(pilot)
        assert screen.keys_first.typing  # so a redraw left for the next key would never come
        assert view.thinking.text == thought
        drawn = "\n".join(str(w.render()) for w in view.thinking.query(".thinking-text"))
        assert drawn == view.thinking.text
        assert view.thinking.title.startswith("Thought for")
