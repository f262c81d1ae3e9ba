"""Budget slider and chat keys: they move the slider, reach the live budget, can be remapped."""

from __future__ import annotations

import asyncio

import pytest
from textual.binding import Binding

from backends.capabilities import Capabilities
from backends.config import Settings
from backends.events import Finished, ReasoningDelta, StopReason, TextDelta, Usage
from tests.tui.helpers import SIZE, app_with, backend_ready, chat, reply_done, send, until
from tests.tui.keys_shown import help_rows
from tests.tui.scripted import ScriptedBackend, Step
from tui.bindings import KEY_SPECS, chat_bindings
from tui.widgets.budget import BudgetSlider
from tui.widgets.meters import StatusBar

DONE = Finished(StopReason.STOP, usage=Usage(input=3, output=4, reasoning=2))


def active_step(slider: BudgetSlider) -> str:
    """The label drawn in the active step's style (what the user sees highlighted)."""
    content = slider.render()
    active = slider.get_visual_style("budget-slider--step", "budget-slider--active", partial=True)
    texts = [
        content.plain[span.start : span.end].strip()
        for span in content.spans
        if span.style == active
    ]
    (label,) = {text for text in texts if text}
    return label


async def test_budget_keys_move_the_slider_and_set_the_next_request() -> None:
    backend = ScriptedBackend([TextDelta("ok"), DONE])
    app = app_with(backend, Settings(default_budget=1024))
    async with app.run_test(size=SIZE) as pilot:
        await backend_ready(pilot)
        slider = chat(pilot).query_one(BudgetSlider)
        assert active_step(slider) == "1k"
        await pilot.press("ctrl+up")
        assert (slider.value, active_step(slider)) == (2048, "2k")
        await pilot.press("ctrl+down", "ctrl+down")
        assert (slider.value, active_step(slider)) == (512, "512")
        await pilot.press("ctrl+o")
        assert (slider.value, active_step(slider)) == (0, "off")
        await pilot.press("ctrl+down")  # clamps at the first step
        assert slider.value == 0
        await pilot.press("ctrl+g")
        assert (slider.value, active_step(slider)) == (32768, "32k")
        await pilot.press("ctrl+up")
        assert (slider.value, active_step(slider)) == (None, "auto")
        assert "budget auto" in str(chat(pilot).query_one(StatusBar).render().plain)

        await pilot.press("ctrl+g")
        await send(pilot, "hello")
        await reply_done(pilot)
        assert backend.requests[0].budget.limit == 32768


async def test_clicking_a_step_sets_the_budget() -> None:
    app = app_with(ScriptedBackend([DONE]))
    async with app.run_test(size=SIZE) as pilot:
        slider = chat(pilot).query_one(BudgetSlider)
        start, _, _ = next(span for span in slider.spans() if span[2] == 4096)
        await pilot.click(slider, offset=(start + 1, 0))
        assert slider.value == 4096
        assert active_step(slider) == "4k"
        await pilot.click(slider, offset=(1, 0))  # the title is not a step
        assert slider.value == 4096


@pytest.mark.parametrize(
    ("live", "expected"),
    [(True, "applies to this reply now"), (False, "applies to the next request")],
)
async def test_moving_the_budget_mid_reply_changes_the_live_budget(
    live: bool, expected: str
) -> None:
    gate = asyncio.Event()
    caps = Capabilities(
        can_think=True, thinking_text="full", budget_precision="exact", live_budget=live
    )
    backend = ScriptedBackend(
        [ReasoningDelta("hmm"), Step(gate=gate), TextDelta("done"), DONE], capabilities=caps
    )
    app = app_with(backend, Settings(default_budget=512))
    async with app.run_test(size=SIZE) as pilot:
        await backend_ready(pilot)
        view = await send(pilot, "think")
        await until(pilot, lambda: bool(view.thinking.text))
        await pilot.press("ctrl+up")
        live_budget = backend.requests[0].budget
        assert live_budget.limit == 1024
        assert view.note_text.startswith("budget → 1k: ")
        assert expected in view.note_text
        gate.set()
        await reply_done(pilot)
        assert "applies" in view.note_text  # the note stays on the message it concerned


async def test_stop_thinking_and_think_longer_reach_the_live_budget() -> None:
    gate = asyncio.Event()
    backend = ScriptedBackend([ReasoningDelta("a b c"), Step(gate=gate), TextDelta("x"), DONE])
    app = app_with(backend, Settings(default_budget=256))
    async with app.run_test(size=SIZE) as pilot:
        await backend_ready(pilot)
        view = await send(pilot, "think")
        await until(pilot, lambda: bool(view.thinking.text))
        budget = backend.requests[0].budget
        await pilot.press("ctrl+l")
        assert budget.minimum >= 256
        assert budget.limit is not None and budget.limit >= budget.minimum  # raised to fit
        assert chat(pilot).query_one(BudgetSlider).value == budget.limit
        assert "think longer: at least" in view.note_text
        await pilot.press("ctrl+s")
        assert budget.stop_requested
        assert "stop thinking" in view.note_text
        gate.set()
        await reply_done(pilot)


async def test_keys_can_be_remapped_from_settings() -> None:
    app = app_with(ScriptedBackend([DONE]), Settings(keys={"budget_up": "f12"}, default_budget=0))
    async with app.run_test(size=SIZE) as pilot:
        slider = chat(pilot).query_one(BudgetSlider)
        await pilot.press("ctrl+up")  # no longer bound
        assert slider.value == 0
        await pilot.press("f12")
        assert slider.value == 256


async def test_every_binding_is_in_the_command_palette_and_runs() -> None:
    app = app_with(ScriptedBackend([DONE]), Settings(default_budget=0))
    async with app.run_test(size=SIZE) as pilot:
        screen = chat(pilot)
        commands = {command.title: command for command in app.get_system_commands(screen)}
        for spec in KEY_SPECS:
            assert spec.description in commands
            assert spec.id in commands[spec.description].help
        await commands["Thinking budget: the largest that leaves room for the answer"].callback()
        assert screen.query_one(BudgetSlider).value == 32768


def test_every_binding_has_an_id_and_a_description() -> None:
    ids = [spec.id for spec in KEY_SPECS]
    assert len(ids) == len(set(ids))
    for binding in chat_bindings():
        assert isinstance(binding, Binding)
        assert binding.id and binding.description and binding.priority
        keys = binding.key.split(",")
        assert all(len(key.strip()) > 1 for key in keys), "no plain printable keys"


async def test_help_screen_lists_keys_with_their_ids() -> None:
    app = app_with(ScriptedBackend([DONE]), Settings(keys={"retry": "f8"}))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f1")
        await pilot.pause()
        table = str(app.screen.query_one("#help-table").render())
        rows = {row.binding_id: row for row in help_rows(table)}
        for spec in KEY_SPECS:
            assert rows[spec.id].description == spec.description
        assert "f8" in table and "shift+enter" in table
        await pilot.press("escape")
        assert app.screen is chat(pilot)


async def test_the_slider_line_keeps_spent_and_cuts_the_rest_on_a_short_line() -> None:
    app = app_with(ScriptedBackend([DONE]))
    async with app.run_test(size=(120, 32)) as pilot:
        await backend_ready(pilot)
        slider = chat(pilot).query_one(BudgetSlider)
        slider.set_note("→ off (answer room)")
        slider.set_spent(312, "1k", estimated=True)
        await pilot.pause()
        line = slider.render().plain
        assert line.startswith("think ") and "auto" in line and "exact · live" in line
        assert "→ off (answer room)" in line and line.endswith("spent ~312 of 1k")
        assert len(line) == slider.content_size.width
        await pilot.resize_terminal(60, 24)
        await pilot.pause()
        short = slider.render().plain
        assert short.endswith("spent ~312 of 1k") and "…" in short
        assert len(short) == slider.content_size.width
