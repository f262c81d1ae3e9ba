"""Opening compare for the chat: two columns on the chat's backend, seeded with its history.

The app calls ``open_compare`` when the chat posts ``CompareRequested``; the screen's result
(a ``Handoff`` or ``None``) goes to the request's ``reply_to``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from backends.budget import Budget
from backends.compare.column import Column
from backends.pool import BackendPool
from tui.compare.screen import CompareScreen

if TYPE_CHECKING:
    from textual.app import App

    from tui.chat.handoff import CompareRequested


def other_budget(steps: list[int | None], value: int | None) -> int | None:
    """The second default column's budget: off when the chat thinks, else the next step up."""
    if value != 0:
        return 0
    return next((step for step in steps if step != 0), None)


def open_compare(app: App[Any], request: CompareRequested) -> None:
    """Two columns on the chat's backend (the chat's budget and ``other_budget``), each
    starting from the chat's history; the chat's backend is borrowed, never closed here."""
    pool = BackendPool(request.services.backend_factory)
    pool.borrow(request.name, request.backend)
    steps = request.services.settings.step_limits()
    budgets = (request.budget, other_budget(steps, request.budget))
    base = list(request.history)
    columns = [Column(request.backend, Budget(value), list(base)) for value in budgets]
    screen = CompareScreen(request.services, columns, pool=pool, base=base)
    app.push_screen(screen, request.reply_to)
