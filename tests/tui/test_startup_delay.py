"""The background start-up work (backend, model, history) waits ``background_delay_s``.

The terminal chat sets it (keys typed at the new prompt first, then the imports that hold the
interpreter); a message sent before then waits for the backend and the history and is answered
and saved as usual.
"""

from __future__ import annotations

from pathlib import Path

from backends.base import Backend
from backends.config import Settings
from backends.events import Finished, StopReason, TextDelta, Usage
from backends.store.db import Store
from tests.tui.helpers import SIZE, app_with, chat, reply_done, send
from tests.tui.scripted import ScriptedBackend
from tui.widgets.prompt import PromptInput

DONE = Finished(StopReason.STOP, usage=Usage(input=3, output=1))


async def test_backend_and_history_start_after_the_delay_and_a_message_waits(
    tmp_path: Path,
) -> None:
    backend = ScriptedBackend([TextDelta("four"), DONE])
    built: list[str] = []
    opened: list[str] = []

    def factory(name: str) -> Backend:
        built.append(name)
        return backend

    def store() -> Store:  # the history factory: called when the history is opened
        opened.append("store")
        return Store.open(tmp_path / "history.db")

    app = app_with(factory, Settings(), background_delay_s=600.0, store=store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = chat(pilot)
        assert isinstance(app.focused, PromptInput)
        assert built == [] and opened == [] and not screen.slot.settled
        await pilot.press("h", "i")
        assert screen.query_one(PromptInput).text == "hi"

        view = await send(pilot, "")  # a message before the backend exists waits for it
        assert built == []
        screen._start_backend(screen.slot)  # what the timers do after the delay
        app._open_history()
        await reply_done(pilot)
        assert len(built) == 1 and opened == ["store"]
        assert view.answer_text == "four"
        assert backend.requests and backend.requests[0].messages[-1].text == "hi"
