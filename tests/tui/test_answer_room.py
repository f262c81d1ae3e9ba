"""Issue 13 in the chat: labels follow a live budget change, max leaves room for the answer,
a too-large budget is clamped with a note, and the starting budget follows what the model can do."""

from __future__ import annotations

import asyncio
import dataclasses

from backends.answer_room import ANSWER_RESERVE
from backends.config import Settings
from backends.events import Finished, ReasoningDelta, StopReason, TextDelta, Usage
from backends.registry import build_backend
from tests.tui.helpers import SIZE, app_with, backend_ready, chat, reply_done, send, until
from tests.tui.scripted import THINKING, ScriptedBackend, Step
from tui.chat.budget_room import free_context, output_cap
from tui.widgets.budget import BudgetSlider
from tui.widgets.meters import StatusBar

DONE = Finished(StopReason.STOP, usage=Usage(input=3, output=4, reasoning=2))


def slider_text(pilot) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    slider = chat(pilot).query_one(BudgetSlider)
    return slider.spent, slider.note


async def test_header_and_spent_follow_a_live_budget_change_at_once() -> None:
    gate = asyncio.Event()
    backend = ScriptedBackend(
        [ReasoningDelta("one two three " * 5), Step(gate=gate), TextDelta("done"), DONE]
    )
    app = app_with(backend, Settings(default_budget=256), tick_s=60.0)  # no tick redraws
    async with app.run_test(size=SIZE) as pilot:
        await backend_ready(pilot)
        view = await send(pilot, "think")
        await until(pilot, lambda: bool(view.thinking.text))
        await pilot.press("ctrl+up")
        assert "budget 512" in str(view._header.render())
        assert slider_text(pilot)[0].endswith("of 512")
        job = chat(pilot).job
        assert job is not None and job.record.budget == "512"
        gate.set()
        await reply_done(pilot)
        assert "budget 512" in str(view._header.render())
        assert slider_text(pilot)[0].endswith("of 512")


async def test_max_never_starves_the_answer_and_big_budgets_are_clamped() -> None:
    backend = ScriptedBackend([TextDelta("ok"), DONE])
    app = app_with(backend, Settings(max_tokens=1024, default_budget=0))
    async with app.run_test(size=SIZE) as pilot:
        await backend_ready(pilot)
        screen = chat(pilot)
        await pilot.press("ctrl+g")
        largest = 1024 - ANSWER_RESERVE
        assert screen.budget_value == largest
        assert f"budget {largest}" in str(screen.query_one(StatusBar).render().plain)
        await send(pilot, "a")
        await reply_done(pilot)
        assert backend.requests[0].budget.limit == largest
        # A step above the room: kept as asked on the slider, sent clamped, and said so.
        screen._set_budget(4096)
        await pilot.pause()
        assert "answer room" in slider_text(pilot)[1]
        assert any("clamped to 768" in str(n.message) for n in app._notifications)
        await send(pilot, "b")
        await reply_done(pilot)
        sent = backend.requests[1].budget.limit
        assert sent == largest and sent + ANSWER_RESERVE <= 1024


def test_the_local_backend_caps_come_from_its_options() -> None:
    backend = build_backend(Settings(), "local")  # built, not loaded
    assert output_cap(Settings(), backend) == 2048
    assert output_cap(Settings(max_tokens=500), backend) == 500
    room = free_context(backend, [])
    assert room is not None and room > 2048
    assert output_cap(Settings(), ScriptedBackend([DONE])) is None


async def test_a_prompted_model_starts_off_with_a_hint_and_a_native_one_thinks() -> None:
    prompted = ScriptedBackend(
        [DONE], capabilities=dataclasses.replace(THINKING, thinking_format="prompted")
    )
    app = app_with(prompted, Settings(budget_steps=[0, 256, 1024, 4096, "auto"]))
    async with app.run_test(size=SIZE) as pilot:
        await backend_ready(pilot)
        screen = chat(pilot)
        assert screen.budget_value == 0
        assert "prompted" in slider_text(pilot)[1] and "turns on" in slider_text(pilot)[1]
        assert "prompted" in screen.query_one(BudgetSlider).precision
        assert any("not trained to reason" in str(n.message) for n in app._notifications)

    native = ScriptedBackend(
        [DONE], capabilities=dataclasses.replace(THINKING, thinking_format="r1")
    )
    app = app_with(native, Settings(budget_steps=[0, 256, 1024, 4096, "auto"]))
    async with app.run_test(size=SIZE) as pilot:
        await backend_ready(pilot)
        assert chat(pilot).budget_value == 1024
        assert "native" in chat(pilot).query_one(BudgetSlider).precision

    # A budget set in the config wins over the capability default.
    app = app_with(native, Settings(default_budget=0))
    async with app.run_test(size=SIZE) as pilot:
        await backend_ready(pilot)
        assert chat(pilot).budget_value == 0


async def test_the_picker_says_where_the_current_models_thinking_comes_from() -> None:
    from tests.tui.helpers import until_shown
    from tui.chat.backend_picker import BackendPicker

    prompted = ScriptedBackend(
        [DONE], name="local", capabilities=dataclasses.replace(THINKING, thinking_format="prompted")
    )
    app = app_with(prompted)
    async with app.run_test(size=SIZE) as pilot:
        await backend_ready(pilot)
        await pilot.press("ctrl+b")
        await until_shown(pilot, BackendPicker, "#picker-thinking")
        text = str(app.screen.query_one("#picker-thinking").render())
        assert text == "local: thinking is prompted (this model was not trained to reason)"
