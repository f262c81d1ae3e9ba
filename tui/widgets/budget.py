"""The thinking-budget slider: the steps, the one requested, how the backend honours it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.style import Style as VisualStyle
from textual.widgets import Static

from backends.budget_text import format_budget
from backends.capabilities import PROMPTED, Capabilities, thinking_label

PRECISION_LABELS = {
    "exact": "exact",
    "approximate": "approximate",
    "bucketed": "bucketed",
    "on_off": "on/off only",
    "none": "not adjustable",
}


def precision_text(capabilities: Capabilities) -> str:
    """``exact · live`` / ``bucketed · next request``: how a budget change is honoured."""
    if not capabilities.can_think:
        return "this model does not think"
    precision = PRECISION_LABELS.get(capabilities.budget_precision, capabilities.budget_precision)
    if capabilities.budget_precision == "none":
        return precision
    when = "live" if capabilities.live_budget else "next request"
    fmt = capabilities.thinking_format
    source = "" if fmt is None else (" · prompted" if fmt == PROMPTED else " · native")
    return f"{precision} · {when}{source}"


class BudgetSteps(Static):
    """The slider's row of steps, ``think off 256 [1k] … auto``, drawn as one line.

    One widget, not one per step: the row is on the first frame, and a widget per step cost
    ~10 ms of start-up (bench/startup.py). A click picks the step under the pointer; the
    pointer's step is underlined. ``compact`` (small terminals) drops the padding.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "budget-steps--title",
        "budget-steps--step",
        "budget-steps--active",
        "budget-steps--hover",
    }
    DEFAULT_CSS = "BudgetSteps { width: auto; height: 1; }"

    def __init__(self, steps: Sequence[int | None], value: int | None) -> None:
        super().__init__()
        self.steps = list(steps)
        self.value = value
        self.compact = False
        self._hover: int | None = None  # index of the step under the pointer

    def set_value(self, value: int | None) -> None:
        if value != self.value:
            self.value = value
            self.refresh()

    def set_compact(self, compact: bool) -> None:
        if compact != self.compact:
            self.compact = compact
            self.refresh(layout=True)

    def spans(self) -> list[tuple[int, int, int | None]]:
        """Each step's cells on the row: ``(start, end, step)``."""
        x = len("think") + (0 if self.compact else 1)
        spans = []
        for step in self.steps:
            width = len(format_budget(step)) + (1 if self.compact else 2)
            spans.append((x, x + width, step))
            x += width
        return spans

    def render(self) -> Content:
        title = self.get_visual_style("budget-steps--title", partial=True)
        parts: list[tuple[str, VisualStyle]] = [("think" + ("" if self.compact else " "), title)]
        for index, step in enumerate(self.steps):
            names = ["budget-steps--step"]
            if step == self.value:
                names.append("budget-steps--active")
            pad = self.get_visual_style(*names, partial=True)
            if index == self._hover:  # underline the label, not its padding
                names.append("budget-steps--hover")
            parts += [
                (" ", pad),
                (format_budget(step), self.get_visual_style(*names, partial=True)),
            ]
            if not self.compact:
                parts.append((" ", pad))
        return Content.assemble(*parts)

    def step_at(self, x: int) -> int | None:
        """The index of the step at column ``x``, or ``None``."""
        return next((i for i, (start, end, _) in enumerate(self.spans()) if start <= x < end), None)

    def on_click(self, event: events.Click) -> None:
        index = self.step_at(event.x)
        if index is None:
            return
        event.stop()
        slider = next(a for a in self.ancestors if isinstance(a, BudgetSlider))
        slider.post_message(BudgetSlider.Picked(slider, self.steps[index]))

    def on_mouse_move(self, event: events.MouseMove) -> None:
        self._set_hover(self.step_at(event.x))

    def on_leave(self, event: events.Leave) -> None:
        self._set_hover(None)

    def _set_hover(self, index: int | None) -> None:
        if index != self._hover:
            self._hover = index
            self.refresh()


class BudgetSlider(Horizontal):
    """Always-visible row: ``think off 256 … [1k] … auto │ exact · live │ spent 312``.

    ``value`` is the requested budget (``None`` = auto). Keys move it through the screen's
    actions; a click posts ``Picked`` and the screen applies it the same way.
    """

    @dataclass
    class Picked(Message):
        """The user clicked a step."""

        slider: BudgetSlider
        value: int | None

        @property
        def control(self) -> BudgetSlider:
            return self.slider

    def __init__(self, steps: Sequence[int | None], value: int | None, *, id: str | None = None):
        super().__init__(id=id)
        self.steps = list(steps) or [0]
        self.value = value
        self._row = BudgetSteps(self.steps, value)
        self._precision = Static("", classes="budget-precision")
        self._note = Static("", classes="budget-note")
        self._note.display = False
        self._spent = Static("", classes="budget-spent")

    def compose(self) -> ComposeResult:
        yield self._row
        yield self._precision
        yield self._note
        yield self._spent

    def set_value(self, value: int | None) -> None:
        """Show ``value`` as the requested budget."""
        self.value = value
        self._row.set_value(value)

    def set_compact(self, compact: bool) -> None:
        """The small terminals' layout (no padding between steps)."""
        self._row.set_compact(compact)

    def neighbour(self, direction: int) -> int | None:
        """The step one to the left (-1) or right (+1) of the current value (clamped)."""
        index = self._index()
        return self.steps[max(0, min(len(self.steps) - 1, index + direction))]

    def _index(self) -> int:
        if self.value in self.steps:
            return self.steps.index(self.value)
        if self.value is None:
            return len(self.steps) - 1
        numbers = [i for i, step in enumerate(self.steps) if step is not None]
        below = [i for i in numbers if (self.steps[i] or 0) <= self.value]
        return below[-1] if below else 0

    def largest(self) -> int | None:
        """The largest numeric step (``max`` means a number, not "auto")."""
        numbers = [step for step in self.steps if step is not None]
        return max(numbers) if numbers else None

    def set_precision(self, capabilities: Capabilities | None) -> None:
        """Show how the current backend honours the budget (``…`` while it loads)."""
        text = "…" if capabilities is None else precision_text(capabilities)
        self._precision.update(Content(text))
        # The full line (where thinking comes from) is the tooltip; the picker shows it too.
        self._precision.tooltip = (thinking_label(capabilities) or None) if capabilities else None

    def set_note(self, text: str) -> None:
        """A short note next to the precision: a clamped budget, how to turn thinking on."""
        self._note.update(Content(text))
        self._note.display = bool(text)

    def set_spent(self, tokens: int | None, budget: str, *, estimated: bool = False) -> None:
        """Show the reasoning tokens the current (or last) reply spent of its ``budget``."""
        if tokens is None:
            self._spent.update(Content(""))
            return
        mark = "~" if estimated else ""
        # One line of fixed size: no layout needed (this runs ~10 times a second).
        self._spent.update(Content(f"spent {mark}{tokens} of {budget}"), layout=False)
