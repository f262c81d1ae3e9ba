"""The backend picker pulls a catalogue model with a progress bar (Pilot, local Hub)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.app import App
from textual.widgets import OptionList, ProgressBar, Static

from backends.config import Settings
from backends.local.catalog import GIB, CatalogEntry, Machine, pulled_path
from backends.local.pull import part_path, pull
from tests.conftest import free_port
from tests.models.conftest import PULLED
from tests.support.hub_server import HubState
from tests.tui.helpers import backend_ready, chat, until, until_shown
from tui.app import make_app
from tui.chat.backend_picker import BackendPicker
from tui.chat.model_pull import ModelPullScreen

MACHINE = Machine(8 * GIB, 16 * GIB)


class PullApp(App[None]):
    def __init__(self, screen: ModelPullScreen | BackendPicker) -> None:
        super().__init__()
        self.first_screen = screen
        self.result: str | None = "(not closed)"

    def on_mount(self) -> None:
        self.push_screen(self.first_screen, self._record_result)

    def _record_result(self, result: str | None) -> None:
        self.result = result


def status(screen: ModelPullScreen) -> str:
    return str(screen.query_one("#pull-status", Static).render())


async def test_the_pull_screen_shows_progress_and_then_uses_the_model(
    isolated: Path,
    hub: tuple[str, HubState],
    entry: CatalogEntry,
    tiny_bytes: bytes,
    small_chunks: int,
) -> None:
    endpoint, _state = hub
    screen = ModelPullScreen(endpoint=endpoint, machine=MACHINE)
    seen: list[tuple[int, int | None]] = []
    show = screen._progress

    def record(done: int, total: int | None) -> None:
        seen.append((done, total))
        show(done, total)

    screen._progress = record  # type: ignore[method-assign]
    app = PullApp(screen)
    async with app.run_test(size=(110, 40)) as pilot:
        options = screen.query_one(OptionList)
        assert "✓ pulled" not in str(options.get_option(PULLED).prompt)
        options.highlighted = options.get_option_index(PULLED)
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        bar = screen.query_one(ProgressBar)
        assert bar.total == len(tiny_bytes) and bar.progress == len(tiny_bytes)
        assert len(seen) > 3 and seen[-1] == (len(tiny_bytes), len(tiny_bytes))
        assert status(screen).startswith(f"✓ pulled {PULLED}")
        assert "✓ pulled" in str(options.get_option(PULLED).prompt)
        assert pulled_path(PULLED) is not None
        await pilot.press("enter")
        await pilot.pause()
        assert app.result == f"llama:{PULLED}"


async def test_the_picker_opens_the_pull_screen_and_switches_to_a_pulled_model(
    isolated: Path, hub: tuple[str, HubState], entry: CatalogEntry
) -> None:
    endpoint, _state = hub
    pull(entry, endpoint=endpoint)

    async def availability(name: str) -> str | None:
        return None

    picker = BackendPicker(Settings(), availability, current="local")
    app = PullApp(picker)
    async with app.run_test(size=(110, 40)) as pilot:
        await pilot.press("f2")
        await pilot.pause()
        assert isinstance(app.screen, ModelPullScreen)
        options = app.screen.query_one(OptionList)
        options.highlighted = options.get_option_index(PULLED)
        await pilot.press("enter")
        await pilot.pause()
        assert app.result == f"llama:{PULLED}"


async def test_an_offline_pull_shows_one_line_and_keeps_the_screen(isolated: Path) -> None:
    screen = ModelPullScreen(endpoint=f"http://127.0.0.1:{free_port()}", machine=MACHINE)
    app = PullApp(screen)
    async with app.run_test(size=(110, 40)) as pilot:
        options = screen.query_one(OptionList)
        options.highlighted = options.get_option_index(PULLED)
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        text = status(screen)
        assert text.startswith(f"✗ cannot pull {PULLED}: cannot reach the Hugging Face Hub")
        assert "\n" not in text and not screen.query_one(ProgressBar).display
        assert app.screen is screen and screen.pulling is None


async def test_escape_stops_a_pull_and_the_next_one_resumes(
    isolated: Path,
    hub: tuple[str, HubState],
    entry: CatalogEntry,
    tiny_bytes: bytes,
    small_chunks: int,
) -> None:
    endpoint, state = hub
    state.hold_after = 4 * small_chunks
    screen = ModelPullScreen(endpoint=endpoint, machine=MACHINE)
    app = PullApp(screen)
    async with app.run_test(size=(110, 40)) as pilot:
        options = screen.query_one(OptionList)
        options.highlighted = options.get_option_index(PULLED)
        await pilot.press("enter")
        bar = screen.query_one(ProgressBar)
        await until(pilot, lambda: (bar.progress or 0) >= 4 * small_chunks)
        await pilot.press("escape")
        assert app.result is None
        state.release.set()  # the rest arrives; the next chunk's progress call stops the pull
        # the screen is gone (its worker with it), but its thread runs to the stop: wait for that
        assert await asyncio.to_thread(screen.idle.wait, 60)
    kept = part_path(entry).stat().st_size
    assert 4 * small_chunks <= kept < len(tiny_bytes)
    assert pulled_path(PULLED) is None
    model = pull(entry, endpoint=endpoint)
    assert model.path.read_bytes() == tiny_bytes
    assert state.requests[-1].range == f"bytes={kept}-"


async def test_the_chat_switches_to_a_model_pulled_in_the_picker(
    isolated: Path, hub: tuple[str, HubState], entry: CatalogEntry, tiny_gguf: Path
) -> None:
    endpoint, _state = hub
    pull(entry, endpoint=endpoint)

    async def ready(name: str) -> str | None:
        return None

    app = make_app(Settings(history=False), backend=f"llama:{tiny_gguf}", availability=ready)
    async with app.run_test(size=(110, 40)) as pilot:
        await backend_ready(pilot)
        await pilot.press("ctrl+b")
        await until_shown(pilot, BackendPicker, "OptionList")
        await pilot.press("f2")
        await until_shown(pilot, ModelPullScreen, "#models")
        options = app.screen.query_one(OptionList)
        options.highlighted = options.get_option_index(PULLED)
        await pilot.press("enter")
        await until(pilot, lambda: chat(pilot).slot.name == f"llama:{PULLED}")
        await backend_ready(pilot)
        slot = chat(pilot).slot
        assert slot.error is None and slot.backend is not None
        assert slot.backend.model_path() == pulled_path(PULLED)  # type: ignore[attr-defined]
