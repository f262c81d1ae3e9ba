"""80x24: the chat and a 3-column compare fit, with nothing overlapping.

Snapshots (``--snapshot-update`` after an intended change, then look at the SVGs) plus checks on
the laid-out regions and the text, which say *what* must not be lost.
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

from textual.pilot import Pilot
from textual.screen import Screen
from textual.widget import Widget

from tests.tui.helpers import screen_text
from tests.tui.test_compare_screen import (
    add_column,
    compare,
    open_compare,
    round_done,
    snapshot_app,
    start_round,
)
from tests.tui.test_snapshots import ask, exchange_app
from tui.compare.screen import CompareScreen
from tui.widgets.prompt import PromptInput

SMALL = (80, 24)


def overlaps(parent: Widget | Screen[object]) -> list[tuple[str, str]]:
    """Pairs of visible children of ``parent`` whose screen regions intersect."""
    shown = [child for child in parent.children if child.display and child.region.area]
    return [
        (repr(a), repr(b))
        for a, b in combinations(shown, 2)
        if a.region.intersection(b.region).area
    ]


async def chat_80x24(pilot: Pilot[Any]) -> None:
    await ask()(pilot)


async def compare_80x24(pilot: Pilot[Any]) -> None:
    await open_compare(pilot)
    await add_column(pilot, backend_downs=1, budget_downs=1)
    await start_round(pilot, "What is 17 × 23?")
    await round_done(pilot)
    await pilot.press("tab")
    compare(pilot).query_one(PromptInput).cursor_blink = False
    await pilot.pause()


async def test_the_chat_at_80x24_keeps_every_label() -> None:
    app = exchange_app()
    async with app.run_test(size=SMALL) as pilot:
        await chat_80x24(pilot)
        screen = app.screen
        for parent in (screen, screen.query_one("#status"), screen.query_one("#budget")):
            assert overlaps(parent) == []
        lines = screen_text(pilot).splitlines()
        status, footer = lines[-2], lines[-1]
        assert "  session " in status  # the two halves never run together
        assert status.lstrip().startswith("local · ")
        assert "spent 37 of 1k" in screen_text(pilot)
        assert "^b Backend" in footer and "f1 Help" in footer


async def test_compare_with_three_and_four_columns_at_80x24_stays_readable() -> None:
    app = snapshot_app()
    async with app.run_test(size=SMALL) as pilot:
        await compare_80x24(pilot)
        screen = compare(pilot)
        assert isinstance(screen, CompareScreen)
        columns = screen.query_one("#compare-columns")
        assert overlaps(screen) == [] and overlaps(columns) == []
        assert all(view.region.width >= 24 for view in screen.views)
        assert not columns.has_class("-scroll")
        await add_column(pilot, backend_downs=0, budget_downs=0)
        assert len(screen.views) == 4 and columns.has_class("-scroll")
        assert all(view.size.width >= 30 for view in screen.views)  # scrolls sideways instead
        focused = screen.focused_view
        assert columns.region.contains_region(focused.region)  # the focused one is in view
        await pilot.press("tab")
        await pilot.pause()
        assert columns.region.contains_region(screen.focused_view.region)


def test_chat_snapshot_80x24(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(exchange_app(), terminal_size=SMALL, run_before=chat_80x24)


def test_compare_snapshot_three_columns_80x24(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(snapshot_app(), terminal_size=SMALL, run_before=compare_80x24)
