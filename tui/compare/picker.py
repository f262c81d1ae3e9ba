"""The add-a-column picker of the compare screen: a configured backend and a budget step.

Two lists side by side: Enter on a backend moves to the budgets, Enter on a budget adds the
column. The same backend may be picked again at another budget (a first-class comparison).
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from backends.budget_text import format_budget
from backends.config import Settings
from tui.bindings import screen_bindings
from tui.widgets.meters import model_label


@dataclass(frozen=True, slots=True)
class ColumnChoice:
    """What the picker returns: a backend name (or spec) and a budget (``None`` = auto)."""

    backend: str
    budget: int | None


def backend_names(settings: Settings, extra: list[str]) -> list[str]:
    """The configured backends, then names in use that are not configured (specs, URLs)."""
    names = list(settings.backends)
    return names + [name for name in extra if name not in names]


class ColumnPicker(ModalScreen[ColumnChoice | None]):
    """Pick a backend and a budget for a new column; ``None`` when dismissed."""

    BINDINGS = screen_bindings("compare_picker")
    DEFAULT_CSS = """
    ColumnPicker { align: center middle; }
    ColumnPicker #compare-picker {
        width: 80; height: auto; max-height: 80%;
        border: round $user-border; background: $status-bg; padding: 0 1;
    }
    ColumnPicker #compare-picker-title { text-style: bold; color: $status-fg; padding: 0 0 1 0; }
    ColumnPicker #compare-picker-lists { height: auto; max-height: 20; }
    ColumnPicker OptionList { height: auto; max-height: 20; border: none; }
    ColumnPicker #compare-picker-backends { width: 1fr; }
    ColumnPicker #compare-picker-budgets { width: 16; }
    ColumnPicker #compare-picker-help { color: $meter-fg; padding: 1 0 0 0; }
    """

    def __init__(
        self,
        settings: Settings,
        names: list[str],
        steps: list[int | None],
        *,
        current: str,
        budget: int | None,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.names = names
        self.steps = steps
        self.current = current if current in names else names[0]
        self.budget = budget if budget in steps else steps[0]

    def compose(self) -> ComposeResult:
        with Vertical(id="compare-picker"):
            yield Static(
                "Add a column: a backend and its thinking budget", id="compare-picker-title"
            )
            with Horizontal(id="compare-picker-lists"):
                yield OptionList(
                    *(Option(self._row(name), id=name) for name in self.names),
                    id="compare-picker-backends",
                )
                yield OptionList(
                    *(
                        Option(Content(format_budget(s)), id=str(i))
                        for i, s in enumerate(self.steps)
                    ),
                    id="compare-picker-budgets",
                )
            yield Static(
                "enter: next / add · tab: switch list · esc: cancel", id="compare-picker-help"
            )

    def _row(self, name: str) -> Content:
        entry = self.settings.backends.get(name)
        kind, model = (entry.kind, entry.model) if entry else ("spec", name)
        return Content(f"{name:<16} {kind} · {model_label(model) or 'default'}")

    def on_mount(self) -> None:
        backends = self.query_one("#compare-picker-backends", OptionList)
        backends.highlighted = self.names.index(self.current)
        self.query_one("#compare-picker-budgets", OptionList).highlighted = self.steps.index(
            self.budget
        )
        backends.focus()

    @on(OptionList.OptionSelected, "#compare-picker-backends")
    def _backend_picked(self) -> None:
        self.query_one("#compare-picker-budgets", OptionList).focus()

    @on(OptionList.OptionSelected, "#compare-picker-budgets")
    def _budget_picked(self, event: OptionList.OptionSelected) -> None:
        backends = self.query_one("#compare-picker-backends", OptionList)
        index = backends.highlighted if backends.highlighted is not None else 0
        self.dismiss(ColumnChoice(self.names[index], self.steps[event.option_index]))

    def action_close(self) -> None:
        self.dismiss(None)
