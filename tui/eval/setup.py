"""The eval screen's form: task set, how many tasks, max tokens, backends and budgets, Run."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Input, SelectionList
from textual.widgets.selection_list import Selection

from backends.budget_text import format_budget
from backends.config import Settings
from backends.errors import ConfigError
from backends.evals.runner import Strategy
from tui.safe_text import printable

SAMPLE = "sample"


@dataclass(frozen=True, slots=True)
class EvalChoice:
    """What the form asks for: a task set (``sample`` or a path), an optional cut, the matrix."""

    tasks: str
    limit: int | None
    max_tokens: int | None
    backends: tuple[str, ...]
    budgets: tuple[int | None, ...]

    @property
    def strategies(self) -> list[Strategy]:
        """Every backend x every budget, backend-major (the table's row order)."""
        return [Strategy(backend, budget) for backend in self.backends for budget in self.budgets]


def budget_option(budget: int | None) -> str:
    """``0 · off``, ``1024 · 1k``, ``auto``: the tokens and the slider's name for them."""
    label = format_budget(budget)
    return label if budget is None or label == str(budget) else f"{budget} · {label}"


def default_budgets(steps: list[int | None], default: int | None) -> set[int | None]:
    """No thinking and the configured default budget (when they are steps), else the first."""
    chosen = {step for step in (0, default) if step in steps}
    return chosen or {steps[0]}


def optional_count(text: str, what: str) -> int | None:
    """A positive whole number from an input, ``None`` when blank. Raises ``ConfigError``."""
    text = text.strip()
    if not text:
        return None
    try:
        number = int(text)
    except ValueError:
        raise ConfigError(f"{what}: {text!r} is not a whole number", "leave it blank") from None
    if number < 1:
        raise ConfigError(f"{what} must be at least 1", "leave it blank for no limit")
    return number


class EvalSetup(Vertical):
    """The form; ``choice()`` reads it. Backend names and budgets are config data, shown as text."""

    DEFAULT_CSS = """
    EvalSetup { height: auto; }
    EvalSetup .eval-row { height: auto; }
    EvalSetup Input { width: 1fr; }
    EvalSetup #eval-tasks { width: 3fr; }
    EvalSetup Button { margin: 0 0 0 1; min-width: 10; }
    EvalSetup SelectionList { width: 1fr; height: 6; }
    EvalSetup Input, EvalSetup SelectionList { border-title-color: $meter-fg; }
    """

    def __init__(self, settings: Settings, current_backend: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.settings = settings
        names = list(settings.backends)
        if current_backend not in names:  # a spec given on the command line
            names.insert(0, current_backend)
        self.backend_names = names
        self.current_backend = current_backend
        self.steps = settings.step_limits()

    def compose(self) -> ComposeResult:
        with Horizontal(classes="eval-row"):
            yield self._input(SAMPLE, "task set: 'sample' or a JSONL path", "eval-tasks")
            yield self._input("", "first N tasks", "eval-limit", placeholder="all")
            max_tokens = "" if self.settings.max_tokens is None else str(self.settings.max_tokens)
            yield self._input(max_tokens, "max tokens", "eval-max-tokens", placeholder="none")
            yield Button("Run", id="eval-run", variant="primary")
        with Horizontal(classes="eval-row"):
            yield self._backends()
            yield self._budgets()

    @staticmethod
    def _input(value: str, title: str, id: str, *, placeholder: str = "") -> Input:
        field = Input(value, placeholder=placeholder, id=id, select_on_focus=False)
        field.border_title = title
        return field

    def _backends(self) -> SelectionList[str]:
        options = [
            Selection(Content(printable(name)), name, name == self.current_backend)
            for name in self.backend_names
        ]
        backends: SelectionList[str] = SelectionList(*options, id="eval-backends")
        backends.border_title = "backends"
        return backends

    def _budgets(self) -> SelectionList[int | None]:
        chosen = default_budgets(self.steps, self.settings.budget_limit())
        options = [Selection(budget_option(s), s, s in chosen) for s in self.steps]
        budgets: SelectionList[int | None] = SelectionList(*options, id="eval-budgets")
        budgets.border_title = "budgets (thinking tokens)"
        return budgets

    def select(self, backends: list[str], budgets: list[int | None]) -> None:
        """Tick exactly ``backends`` and ``budgets`` (others unticked)."""
        for widget_id, wanted in (("#eval-backends", backends), ("#eval-budgets", budgets)):
            options: SelectionList[object] = self.query_one(widget_id, SelectionList)
            options.deselect_all()
            for value in wanted:
                options.select(value)

    def choice(self) -> EvalChoice:
        """The form's values. Raises ``ConfigError`` for a bad number or an empty selection."""
        backends: SelectionList[str] = self.query_one("#eval-backends", SelectionList)
        budgets: SelectionList[int | None] = self.query_one("#eval-budgets", SelectionList)
        if not backends.selected:
            raise ConfigError("no backend is ticked", "tick at least one backend")
        if not budgets.selected:
            raise ConfigError("no budget is ticked", "tick at least one budget")
        return EvalChoice(
            tasks=self.query_one("#eval-tasks", Input).value.strip() or SAMPLE,
            limit=optional_count(self.query_one("#eval-limit", Input).value, "first N tasks"),
            max_tokens=optional_count(
                self.query_one("#eval-max-tokens", Input).value, "max tokens"
            ),
            # in the lists' order, not the order they were ticked in
            backends=tuple(n for n in self.backend_names if n in backends.selected),
            budgets=tuple(s for s in self.steps if s in budgets.selected),
        )
