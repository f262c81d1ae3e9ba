"""Errors land on the message they belong to, with the partial text and the next step."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from backends.config import BackendEntry, Settings
from backends.errors import AuthError
from backends.events import Finished, StopReason, StreamEvent, TextDelta, Usage
from backends.request import ChatRequest
from tests.conftest import free_port
from tests.tui.helpers import SIZE, app_with, backend_ready, chat, reply_done, send
from tests.tui.scripted import ScriptedBackend
from tui.app import make_app
from tui.widgets.messages import AssistantMessage


def error_text(view: AssistantMessage) -> str:
    return str(view.error.render()) if view.error.display else ""


async def test_an_error_keeps_the_partial_text_and_names_the_fix_and_retry_works() -> None:
    failure = Finished(
        StopReason.ERROR,
        error=AuthError("the provider rejected the API key (401)", "set OPENAI_API_KEY"),
    )
    backend = ScriptedBackend(
        [TextDelta("half an ans"), failure],
        [TextDelta("a whole answer"), Finished(StopReason.STOP, usage=Usage(output=3))],
    )
    async with app_with(backend).run_test(size=SIZE) as pilot:
        await backend_ready(pilot)
        view = await send(pilot, "q")
        await reply_done(pilot)
        text = error_text(view)
        assert "✗ the provider rejected the API key (401)" in text
        assert "fix: set OPENAI_API_KEY" in text
        assert "^r: retry" in text and "^b: switch backend" in text
        assert view.answer_text == "half an ans" and view.has_class("-error")
        assert chat(pilot).conversation.exchanges[0].replies[0].status == "error"

        await pilot.press("ctrl+r")
        await reply_done(pilot)
        views = chat(pilot).query(AssistantMessage)
        assert len(views) == 2 and views.last().answer_text == "a whole answer"
        assert error_text(view)  # the failed reply still shows what happened
        assert [m.text for m in backend.requests[1].messages] == ["q"]


class ExplodingBackend(ScriptedBackend):
    async def _stream(self, request: ChatRequest) -> AsyncGenerator[StreamEvent, None]:
        yield TextDelta("before the bug ")
        raise RuntimeError("boom")


async def test_an_unexpected_backend_exception_lands_on_the_message() -> None:
    app = app_with(ExplodingBackend([]))
    async with app.run_test(size=SIZE) as pilot:
        await backend_ready(pilot)
        view = await send(pilot, "q")
        await reply_done(pilot)
        assert "unexpected RuntimeError: boom" in error_text(view)
        assert view.answer_text == "before the bug "
        assert app.is_running


async def test_a_backend_that_cannot_be_built_shows_its_error_on_the_message() -> None:
    app = make_app(Settings(), backend="nonsense")  # the real registry: unknown backend
    async with app.run_test(size=SIZE) as pilot:
        await backend_ready(pilot)
        view = await send(pilot, "q")
        await reply_done(pilot)
        assert "unknown backend 'nonsense'" in error_text(view)
        assert "fix: use a configured name" in error_text(view)


async def test_unreachable_server_error_lands_on_its_message() -> None:
    port = free_port()  # nothing listens here
    entry = BackendEntry(
        kind="openai-compat",
        base_url=f"http://127.0.0.1:{port}/v1",
        model="m",
        options={"max_retries": 0},
    )
    app = make_app(Settings(backends={"closed": entry}), backend="closed")
    async with app.run_test(size=SIZE) as pilot:
        await backend_ready(pilot)
        view = await send(pilot, "anyone there?")
        await reply_done(pilot)
        text = error_text(view)
        assert f"cannot reach http://127.0.0.1:{port}" in text
        assert "fix: check that the server is running" in text
        assert "^r: retry" in text
        assert chat(pilot).conversation.exchanges[0].replies[0].status == "error"
