"""The budget keys shared by every screen with a budget slider (chat, compare)."""

from __future__ import annotations

from typing import TypeVar

from textual import on
from textual.screen import Screen

from tui.widgets.budget import BudgetSlider

ResultT = TypeVar("ResultT")


class BudgetKeysScreen(Screen[ResultT]):
    """Budget down/up/off/max and a clicked step all end in ``_set_budget``.

    The screen composes one ``BudgetSlider`` and decides what a new value acts on.
    """

    def _set_budget(self, value: int | None) -> None:
        raise NotImplementedError

    def action_budget_down(self) -> None:
        self._set_budget(self.query_one(BudgetSlider).neighbour(-1))

    def action_budget_up(self) -> None:
        self._set_budget(self.query_one(BudgetSlider).neighbour(+1))

    def action_budget_off(self) -> None:
        self._set_budget(0)

    def action_budget_max(self) -> None:
        self._set_budget(self.query_one(BudgetSlider).largest())

    @on(BudgetSlider.Picked)
    def _picked(self, event: BudgetSlider.Picked) -> None:
        self._set_budget(event.value)
