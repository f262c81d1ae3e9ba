"""What the chat list and its search look like, at a fixed size, with fixed times (in UTC).

Update after an intended change with
``pytest tests/tui/test_history_snapshots.py --snapshot-update`` and look at the SVGs first.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from backends.events import Finished, StopReason
from tests.tui.helpers import SIZE, until
from tests.tui.history_helpers import history_app, history_ready, seed_chat
from tests.tui.scripted import ScriptedBackend
from tui.app import PonderApp
from tui.history.chat_list import ChatListScreen
from tui.widgets.prompt import PromptInput

T0 = 1_735_732_800.0  # 2025-01-01 12:00 UTC


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Times in the list are local: pin the zone so the screenshot is the same everywhere."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def seeded_app(path: Path) -> PonderApp:
    reply = {"role": "assistant", "backend": "local", "model": "SmolLM2-135M.gguf"}
    seed_chat(
        path,
        "Why is the sky blue?",
        [
            {"role": "user", "text": "Why is the sky blue?"},
            {
                **reply,
                "text": "Rayleigh scattering: shorter wavelengths scatter more.",
                "thinking": "Blue light scatters more than red because scattering goes as 1/λ⁴.",
            },
        ],
        T0 - 86_400 * 3,
    )
    seed_chat(
        path,
        "Prove that √2 is irrational",
        [
            {"role": "user", "text": "Prove that √2 is irrational"},
            {
                **reply,
                "backend": "claude",
                "text": "Assume √2 = p/q in lowest terms…",
                "thinking": "Classic proof by contradiction; p² = 2q² so p is even.",
            },
            {"role": "user", "text": "Now for √3"},
            {**reply, "backend": "claude", "text": "The same argument with 3 | p²."},
        ],
        T0 - 3_600,
    )
    seed_chat(
        path,
        "Write a [bold]haiku[/bold] about caches",
        [
            {"role": "user", "text": "Write a [bold]haiku[/bold] about caches"},
            {
                **reply,
                "text": "Warm lines wait in L1 / a miss walks the long hall down / the"
                " prefix comes home",
                "thinking": "Five, seven, five. Caches: hits, misses, warm.",
            },
        ],
        T0,
    )
    return history_app(ScriptedBackend([Finished(StopReason.STOP)]), path)


async def open_list(pilot: Pilot[Any], *keys: str) -> None:
    await history_ready(pilot)
    pilot.app.screen.query_one(PromptInput).cursor_blink = False
    await pilot.press("f5")
    await until(pilot, lambda: isinstance(pilot.app.screen, ChatListScreen))
    screen = pilot.app.screen
    assert isinstance(screen, ChatListScreen)
    await until(pilot, lambda: not screen.fetching)
    if keys:
        await pilot.press(*keys)
        await until(pilot, lambda: not screen.fetching and screen.words != "")
    for field in screen.query("Input"):
        field.cursor_blink = False  # type: ignore[attr-defined]
    await pilot.pause()


def test_chat_list(snap_compare, utc, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app = seeded_app(tmp_path / "history.db")
    assert snap_compare(app, terminal_size=SIZE, run_before=open_list)


def test_chat_list_search(snap_compare, utc, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app = seeded_app(tmp_path / "history.db")

    async def run_before(pilot: Pilot[Any]) -> None:
        await open_list(pilot, "/", *"caches")

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
