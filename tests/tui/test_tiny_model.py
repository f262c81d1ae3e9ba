"""The chat on the real local backend running the tiny random-weight model (fast, real decoding)."""

from __future__ import annotations

from pathlib import Path

from backends.answer_room import ANSWER_RESERVE
from backends.base import BackendSpec
from backends.config import Settings
from backends.local.backend import LocalBackend
from backends.local.options import LocalOptions
from tests.tui.helpers import (
    SIZE,
    app_with,
    backend_ready,
    chat,
    key_now,
    reply_done,
    screen_text,
    send,
    send_now,
    until,
)
from tui.app import make_app
from tui.widgets.budget import BudgetSlider
from tui.widgets.messages import AssistantMessage
from tui.widgets.meters import StatusBar

STEPS: list[int | str] = [0, 16, 32, "auto"]
CLOSE_TAG = 5  # the local backend counts the forced "\n</think>\n\n" as thinking tokens


def tiny_backend(path: Path, max_tokens: int) -> LocalBackend:
    options = LocalOptions(
        n_threads=1, n_threads_batch=1, n_ctx=2048, max_tokens=max_tokens, seed=7
    )
    return LocalBackend(BackendSpec("local", "llama", str(path), options=options))


def settings(budget: int) -> Settings:
    return Settings(budget_steps=STEPS, default_budget=budget)  # type: ignore[arg-type]


def record(pilot, index: int = -1):  # type: ignore[no-untyped-def]
    return chat(pilot).conversation.exchanges[index].replies[-1]


async def test_prompt_in_thinking_and_answer_land_and_meters_fill(tiny_gguf: Path) -> None:
    backend = tiny_backend(tiny_gguf, max_tokens=16 + ANSWER_RESERVE + 16)  # room for an answer
    async with app_with(backend, settings(16)).run_test(size=SIZE) as pilot:
        await backend_ready(pilot)
        view = await send(pilot, "Hello there")
        await reply_done(pilot)
        reply = record(pilot)
        assert reply.status == "complete"
        assert reply.thinking and reply.answer
        assert view.thinking.display and view.thinking.text
        assert view.thinking.collapsed  # collapsed once the answer started
        assert view.answer_text == reply.answer.replace("\r", "")
        assert 0 < (reply.reasoning_tokens or 0) <= 16 + CLOSE_TAG  # exact budget forcing
        assert view.thinking.title.startswith(f"Thought for {reply.reasoning_tokens} tokens")

        meter = str(view.meter.render())
        assert meter.startswith("in ") and "out " in meter and "TTFT" in meter
        assert f"reasoning {reply.reasoning_tokens}" in meter
        assert not view.meter.has_class("-live")
        spent = chat(pilot).query_one(BudgetSlider).spent
        assert spent == f"spent {reply.reasoning_tokens} of 16"
        status = chat(pilot).query_one(StatusBar)
        assert "session" in status.totals and "1 reply" not in status.state
        assert "local · tiny.gguf · budget 16" in screen_text(pilot)
    await backend.aclose()


async def test_a_budget_the_output_cap_cannot_hold_is_sent_clamped(tiny_gguf: Path) -> None:
    backend = tiny_backend(tiny_gguf, max_tokens=48)  # no room for 16 thinking + the answer
    async with app_with(backend, settings(16)).run_test(size=SIZE) as pilot:
        await backend_ready(pilot)
        chat(pilot)._set_budget(16)
        note = chat(pilot).query_one(BudgetSlider).note
        assert note == "→ off (answer room)"
        await send(pilot, "Hello there")
        await reply_done(pilot)
        reply = record(pilot)
        assert reply.budget == "off" and reply.thinking == "" and reply.answer
    await backend.aclose()


async def test_budget_keys_move_the_slider_and_bound_the_thinking(tiny_gguf: Path) -> None:
    backend = tiny_backend(tiny_gguf, max_tokens=32 + ANSWER_RESERVE + 8)
    async with app_with(backend, settings(32)).run_test(size=SIZE) as pilot:
        await backend_ready(pilot)
        slider = chat(pilot).query_one(BudgetSlider)
        await pilot.press("ctrl+down")
        assert slider.value == 16
        await send(pilot, "one")
        await reply_done(pilot)
        assert 0 < (record(pilot).reasoning_tokens or 0) <= 16 + CLOSE_TAG

        await pilot.press("ctrl+o")
        assert slider.value == 0
        view = await send(pilot, "two")
        await reply_done(pilot)
        assert record(pilot).thinking == "" and not view.thinking.display
        assert record(pilot).answer
    await backend.aclose()


async def test_escape_cancels_the_real_stream_and_keeps_the_partial_reply(
    tiny_gguf: Path,
) -> None:
    backend = tiny_backend(tiny_gguf, max_tokens=1900)
    async with app_with(backend, settings(0)).run_test(size=SIZE) as pilot:
        await backend_ready(pilot)
        view = await send_now(pilot, "talk for a long time")
        await until(pilot, lambda: len(view.answer_text) > 0)
        key_now(pilot, "escape")
        await reply_done(pilot)
        reply = record(pilot)
        assert reply.status == "cancelled"
        assert reply.answer and view.answer_text == reply.answer.replace("\r", "")
        assert view.has_class("-cancelled") and "cancelled" in view.note_text
        meter = str(view.meter.render())
        output = int(meter.split("out ")[1].split(" ")[0].lstrip("~"))
        assert output < 1900  # it really stopped early
        # The backend is free again: the next message gets a full reply.
        await send(pilot, "short one")
        await reply_done(pilot)
        assert len(chat(pilot).query(AssistantMessage)) == 2
    await backend.aclose()


async def test_a_bad_model_path_error_lands_on_its_message(tmp_path: Path) -> None:
    bogus = tmp_path / "not-a-model.gguf"
    bogus.write_bytes(b"this is not a gguf file at all")
    app = make_app(Settings(), backend=f"llama:{bogus}")
    async with app.run_test(size=SIZE) as pilot:
        await backend_ready(pilot)
        await until(pilot, lambda: "✗" in chat(pilot).query_one(StatusBar).state)
        view = await send(pilot, "hello?")
        await reply_done(pilot)
        error = str(view.error.render())
        assert "not-a-model.gguf" in error and "fix:" in error
        assert "^r: retry" in error
        assert record(pilot).status == "error"
