"""Model output is data: markup, action links and escapes are shown literally, never acted on."""

from __future__ import annotations

from textual.widgets._markdown import MarkdownBlock

from backends.events import Finished, ReasoningDelta, StopReason, TextDelta, Usage
from tests.tui.helpers import SIZE, app_with, backend_ready, reply_done, screen_text, send
from tests.tui.scripted import ScriptedBackend
from tui.widgets.thinking import ThinkingPane

THOUGHT = "[bold]think[/] \x1b[2J\x07done"
ANSWER = "[@click=app.quit]hi[/] and [red]x[/] \x1b[31mred\x1b[0m"


async def test_markup_and_escapes_in_model_output_are_shown_literally() -> None:
    backend = ScriptedBackend(
        [
            ReasoningDelta(THOUGHT),
            TextDelta(ANSWER),
            Finished(StopReason.STOP, usage=Usage(input=5, output=9, reasoning=4)),
        ]
    )
    app = app_with(backend)
    async with app.run_test(size=SIZE) as pilot:
        await backend_ready(pilot)
        view = await send(pilot, "show me [bold]markup[/]")
        await reply_done(pilot)
        await pilot.press("ctrl+t")  # expand all thinking
        await pilot.pause()

        shown = screen_text(pilot)
        assert "show me [bold]markup[/]" in shown
        assert "[@click=app.quit]hi[/] and [red]x[/] ␛[31mred␛[0m" in shown
        assert "[bold]think[/] ␛[2J\\x07done" in shown
        assert "\x1b" not in shown and "\x07" not in shown
        assert view.query_one(ThinkingPane).text == "[bold]think[/] ␛[2J\\x07done"

        # No style in the rendered answer carries an action (no @click from model text).
        for block in view.answer.query(MarkdownBlock):
            for span in block._content.spans:
                assert "click" not in str(span.style)

        # Clicking where the "action" text is does nothing: the app keeps running.
        await pilot.click(view.answer, offset=(2, 0))
        await pilot.pause()
        assert app.is_running
        assert app.return_code is None


async def test_a_link_in_the_answer_is_copied_not_opened() -> None:
    backend = ScriptedBackend(
        [TextDelta("see [the docs](app.quit) now"), Finished(StopReason.STOP)]
    )
    app = app_with(backend)
    async with app.run_test(size=SIZE) as pilot:
        await backend_ready(pilot)
        view = await send(pilot, "link please")
        await reply_done(pilot)
        await pilot.click(view.answer, offset=(6, 0))  # on "the docs"
        await pilot.pause()
        assert app.is_running
        assert app.clipboard == "app.quit"
