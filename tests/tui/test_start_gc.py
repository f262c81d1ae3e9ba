"""The terminal chat collects garbage less often while it starts, and as usual afterwards."""

from __future__ import annotations

import gc

from tui import start_gc


def test_hold_raises_the_first_threshold_and_release_restores_it() -> None:
    before = gc.get_threshold()
    try:
        start_gc.hold()
        held = gc.get_threshold()
        assert held[0] == start_gc.START_THRESHOLD and held[1:] == before[1:]
        start_gc.hold()  # a second hold keeps the thresholds from before the first
        start_gc.release()
        assert gc.get_threshold() == before
        start_gc.release()  # nothing held: nothing changes
        assert gc.get_threshold() == before
    finally:
        gc.set_threshold(*before)


async def test_the_app_releases_the_hold_when_its_background_work_starts() -> None:
    from backends.config import Settings
    from tests.tui.scripted import ScriptedBackend
    from tui.app import make_app

    before = gc.get_threshold()
    try:
        start_gc.hold()
        app = make_app(Settings(), backend_factory=lambda name: ScriptedBackend([]))
        async with app.run_test(size=(100, 32)) as pilot:
            await pilot.pause()
            await pilot.pause()
            assert gc.get_threshold() == before
    finally:
        start_gc.release()
        gc.set_threshold(*before)
