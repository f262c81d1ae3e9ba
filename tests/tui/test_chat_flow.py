"""The chat's flow on scripted replies: prompt keys, cancel, switching backend, copy, new chat."""

from __future__ import annotations

import asyncio
import threading

from rich.text import Text
from textual.content import Content

from backends.base import Backend
from backends.capabilities import Capabilities
from backends.config import BackendEntry, Settings
from backends.events import (
    Finished,
    ReasoningDelta,
    StatusNote,
    StopReason,
    StreamEvent,
    TextDelta,
    Usage,
)
from backends.pricing import PriceBook, PriceOverride
from tests.tui.helpers import SIZE, app_with, backend_ready, chat, reply_done, send, until
from tests.tui.scripted import ScriptedBackend, Step
from tui.chat.backend_picker import BackendPicker
from tui.safe_text import printable
from tui.widgets.messages import AssistantMessage, UserMessage
from tui.widgets.meters import StatusBar
from tui.widgets.prompt import PromptInput
from tui.widgets.thinking import HIDDEN_BY_PROVIDER

DONE = Finished(StopReason.STOP, usage=Usage(input=3, output=4, reasoning=2))
CODE_ANSWER = "Here:\n\n```python\nprint(1)\nprint(2)\n```\n\nand\n\n```\nlast()\n```\n"


async def test_enter_sends_and_ctrl_j_inserts_a_newline() -> None:
    backend = ScriptedBackend([TextDelta("ok"), DONE])
    async with app_with(backend).run_test(size=SIZE) as pilot:
        await backend_ready(pilot)
        prompt = chat(pilot).query_one(PromptInput)
        await pilot.press("a", "ctrl+j", "b")
        assert prompt.text == "a\nb"
        await pilot.press("enter")
        await until(pilot, lambda: bool(backend.requests))
        await reply_done(pilot)
        assert prompt.text == ""
        assert backend.requests[0].messages[-1].text == "a\nb"
        shown = chat(pilot).query_one(UserMessage).render()
        assert isinstance(shown, (Text, Content)) and shown.plain == "a\nb"


async def test_escape_cancels_and_keeps_the_partial_reply() -> None:
    gate = asyncio.Event()
    backend = ScriptedBackend(
        [ReasoningDelta("hm"), TextDelta("partial "), Step(gate=gate), TextDelta("never"), DONE]
    )
    async with app_with(backend).run_test(size=SIZE) as pilot:
        await backend_ready(pilot)
        view = await send(pilot, "go")
        await until(pilot, lambda: view.answer_text == "partial ")
        await pilot.press("escape")
        await reply_done(pilot)
        record = chat(pilot).conversation.exchanges[0].replies[0]
        assert record.status == "cancelled"
        assert record.answer == "partial "
        assert "partial" in view.answer.source and "never" not in view.answer.source
        assert view.has_class("-cancelled")
        assert "cancelled" in view.note_text
        # The cancelled partial answer is part of the history of the next request.
        gate.set()
        await send(pilot, "again")
        await reply_done(pilot)
        assert [m.text for m in backend.requests[1].messages] == ["go", "partial ", "again"]


async def test_a_message_sent_while_a_reply_streams_is_refused_and_kept() -> None:
    gate = asyncio.Event()
    backend = ScriptedBackend([TextDelta("a"), Step(gate=gate), DONE])
    async with app_with(backend).run_test(size=SIZE) as pilot:
        await backend_ready(pilot)
        view = await send(pilot, "first")
        await until(pilot, lambda: view.answer_text == "a")
        prompt = chat(pilot).query_one(PromptInput)
        prompt.insert("second")
        await pilot.press("enter")
        assert prompt.text == "second"
        assert len(chat(pilot).query(AssistantMessage)) == 1
        gate.set()
        await reply_done(pilot)


async def test_thinking_collapses_when_the_answer_starts_and_toggles_all() -> None:
    gate = asyncio.Event()
    backend = ScriptedBackend(
        [ReasoningDelta("step one"), Step(gate=gate), TextDelta("answer"), DONE],
        [ReasoningDelta("again"), TextDelta("answer 2"), DONE],
    )
    async with app_with(backend).run_test(size=SIZE) as pilot:
        await backend_ready(pilot)
        view = await send(pilot, "q1")
        await until(pilot, lambda: view.thinking.text == "step one")
        assert view.thinking.display and not view.thinking.collapsed  # open while thinking
        gate.set()
        await reply_done(pilot)
        assert view.thinking.collapsed
        assert view.thinking.title.startswith("Thought for 2 tokens")
        second = await send(pilot, "q2")
        await reply_done(pilot)
        await pilot.press("ctrl+t")
        assert not view.thinking.collapsed and not second.thinking.collapsed
        await pilot.press("ctrl+t")
        assert view.thinking.collapsed and second.thinking.collapsed


async def test_count_only_provider_shows_the_count_and_says_text_is_hidden() -> None:
    caps = Capabilities(can_think=True, thinking_text="count", budget_precision="bucketed")
    backend = ScriptedBackend(
        [TextDelta("42"), Finished(StopReason.STOP, usage=Usage(input=9, output=50, reasoning=42))],
        capabilities=caps,
    )
    async with app_with(backend).run_test(size=SIZE) as pilot:
        await backend_ready(pilot)
        view = await send(pilot, "q")
        await reply_done(pilot)
        assert view.thinking.display
        assert view.thinking.title.startswith("Thought for 42 tokens")
        await pilot.press("ctrl+t")
        assert HIDDEN_BY_PROVIDER in str(view.thinking._body.render())


async def test_loading_note_shows_until_the_first_token() -> None:
    gate = asyncio.Event()
    backend = ScriptedBackend(
        [StatusNote("loading", "loading model"), Step(gate=gate), TextDelta("hi"), DONE]
    )
    async with app_with(backend).run_test(size=SIZE) as pilot:
        await backend_ready(pilot)
        view = await send(pilot, "q")
        await until(pilot, lambda: "loading model" in view.note_text)
        status = chat(pilot).query_one(StatusBar)
        assert "loading model" in status.state
        gate.set()
        await reply_done(pilot)
        assert view.note_text == "" and status.state == ""


async def test_prompt_is_usable_while_the_backend_is_still_being_built() -> None:
    release = threading.Event()
    backend = ScriptedBackend([TextDelta("late hello"), DONE])

    def slow_factory(name: str) -> Backend:
        release.wait(timeout=30)
        return backend

    async with app_with(slow_factory).run_test(size=SIZE) as pilot:
        view = await send(pilot, "early")
        assert "starting the backend" in view.note_text
        assert chat(pilot).query_one(PromptInput).has_focus
        release.set()
        await until(pilot, lambda: chat(pilot).worker is not None)
        await reply_done(pilot)
        assert view.answer_text == "late hello"


async def test_switching_backend_keeps_the_chat_and_records_who_answered() -> None:
    backends: dict[str, ScriptedBackend] = {}

    def factory(name: str) -> Backend:
        backends[name] = ScriptedBackend([TextDelta(f"from {name}"), DONE], name=name)
        return backends[name]

    settings = Settings(backends={"other": BackendEntry(kind="openai-compat", model="m2")})
    async with app_with(factory, settings).run_test(size=SIZE) as pilot:
        await backend_ready(pilot)
        first = await send(pilot, "one")
        await reply_done(pilot)
        await pilot.press("ctrl+b")
        await until(pilot, lambda: isinstance(pilot.app.screen, BackendPicker))
        await pilot.press("down", "enter")
        await until(pilot, lambda: chat(pilot).slot.name == "other")
        await backend_ready(pilot)
        second = await send(pilot, "two")
        await reply_done(pilot)
        assert first.answer_text == "from local" and second.answer_text == "from other"
        assert str(first._header.render()).startswith("local ·")
        assert str(second._header.render()).startswith("other ·")
        records = [e.replies[0].backend for e in chat(pilot).conversation.exchanges]
        assert records == ["local", "other"]
        sent = [m.text for m in backends["other"].requests[0].messages]
        assert sent == ["one", "from local", "two"]
        assert backends["local"].closed


async def test_copy_answer_copy_code_and_new_chat() -> None:
    backend = ScriptedBackend([TextDelta(CODE_ANSWER), DONE])
    app = app_with(backend)
    async with app.run_test(size=SIZE) as pilot:
        await backend_ready(pilot)
        await send(pilot, "code please")
        await reply_done(pilot)
        await pilot.press("f2")
        assert app.clipboard == CODE_ANSWER
        await pilot.press("f3")
        assert app.clipboard == "last()\n"
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert not chat(pilot).query(AssistantMessage)
        assert chat(pilot).conversation.exchanges == []
        await send(pilot, "fresh")
        await reply_done(pilot)
        assert [m.text for m in backend.requests[1].messages] == ["fresh"]


async def test_auto_follow_pauses_when_scrolled_up_and_resumes_at_the_bottom() -> None:
    gates = [asyncio.Event() for _ in range(3)]
    lines = "".join(f"line {i}\n\n" for i in range(40))
    items: list[StreamEvent | Step] = [TextDelta(lines)]
    for gate in gates:
        items += [Step(gate=gate), TextDelta(lines)]
    backend = ScriptedBackend([*items, DONE])
    async with app_with(backend).run_test(size=SIZE) as pilot:
        await backend_ready(pilot)
        view = await send(pilot, "long")
        messages = chat(pilot).query_one("#messages")
        await until(pilot, lambda: messages.max_scroll_y > 20)
        await pilot.pause()
        assert messages.scroll_y == messages.max_scroll_y  # following

        messages.scroll_up(animate=False)  # the user scrolls up (wheel / keys do this)
        messages.scroll_up(animate=False)
        await pilot.pause()
        held = messages.scroll_y
        gates[0].set()
        await until(pilot, lambda: view.answer_text.count("line 0") == 2)
        await pilot.pause()
        assert messages.scroll_y == held < messages.max_scroll_y  # paused

        messages.scroll_end(animate=False)  # back at the bottom
        await pilot.pause()
        gates[1].set()
        await until(pilot, lambda: view.answer_text.count("line 0") == 3)
        await pilot.pause()
        assert messages.scroll_y == messages.max_scroll_y  # following again
        gates[2].set()
        await reply_done(pilot)


async def test_a_cancelled_reply_is_counted_in_the_session_totals() -> None:
    gate = asyncio.Event()
    words = "word " * 400
    backend = ScriptedBackend(
        [TextDelta(words), Step(gate=gate), TextDelta("never"), DONE],
        [TextDelta("ok"), Finished(StopReason.STOP, usage=Usage(input=10, output=2))],
        model="priced-1",
    )
    prices = PriceBook({"priced-1": PriceOverride(input=1000.0, output=1000.0)})
    async with app_with(backend, prices=prices).run_test(size=SIZE) as pilot:
        await backend_ready(pilot)
        view = await send(pilot, "go")
        await until(pilot, lambda: view.answer_text == printable(words))
        await pilot.press("escape")
        await reply_done(pilot)
        totals = chat(pilot).totals
        assert totals.messages == 1
        assert totals.usage.output >= 300  # the ~400 tokens it streamed (estimated locally)
        assert totals.cost is not None and totals.cost > 0.3  # $1000 per million tokens
        assert totals.total_times == []  # a cut-short reply is no latency sample
        right = str(chat(pilot).query_one(StatusBar).totals)
        assert f"{totals.usage.input + totals.usage.output:,} tok" in right
        first_output = totals.usage.output
        gate.set()
        await send(pilot, "again")
        await reply_done(pilot)
        assert chat(pilot).totals.messages == 2
        assert chat(pilot).totals.usage.output == first_output + 2


async def test_text_typed_right_after_enter_is_kept() -> None:
    from tests.tui.helpers import key_now

    backend = ScriptedBackend([TextDelta("ok"), DONE])
    async with app_with(backend).run_test(size=SIZE) as pilot:
        await backend_ready(pilot)
        prompt = chat(pilot).query_one(PromptInput)
        prompt.insert("first")
        # Enter and the next keys reach the app together, before the screen handles the send.
        for key in ("enter", "n", "e", "x", "t"):
            key_now(pilot, key)
        await until(pilot, lambda: chat(pilot).worker is not None)
        await reply_done(pilot)
        assert backend.requests[0].messages[-1].text == "first"
        assert prompt.text == "next"
