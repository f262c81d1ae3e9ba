"""The thinking-budget slider: the steps, the one requested, how the backend honours it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from textual import events
from textual.content import Content
from textual.message import Message
from textual.style import Style as VisualStyle
from textual.widget import Widget

from backends.budget_text import format_budget
from backends.capabilities import PROMPTED, Capabilities, thinking_label
from tui.widgets.line import NARROW, head_and_tail

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


class BudgetSlider(Widget):
    """Always-visible row: ``think off 256 … [1k] … auto   exact · live   spent 312 of 1k``.

    ``value`` is the requested budget (``None`` = auto). Keys move it through the screen's
    actions; a click on a step posts ``Picked`` and the screen applies it the same way. The
    step under the pointer is underlined; over the precision, the tooltip says where the
    model's thinking comes from. One widget draws the whole line (it is on the first frame:
    a widget per step and per part cost start-up, bench/startup.py). ``compact`` (small
    terminals: under ``NARROW`` columns) drops the padding between steps.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "budget-slider--title",
        "budget-slider--step",
        "budget-slider--active",
        "budget-slider--hover",
        "budget-slider--precision",
        "budget-slider--note",
        "budget-slider--spent",
    }
    DEFAULT_CSS = "BudgetSlider { height: 1; }"

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
        self.precision = "…"
        self.thinking = ""  # the tooltip over the precision
        self.note = ""
        self.spent = ""
        self._hover: int | None = None  # index of the step under the pointer

    def set_value(self, value: int | None) -> None:
        """Show ``value`` as the requested budget."""
        if value != self.value:
            self.value = value
            self.refresh()

    @property
    def compact(self) -> bool:
        """Small terminals (80x24): no padding between the steps (redrawn on a resize)."""
        return self.outer_size.width < NARROW  # the whole widget, padding included

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
        self.precision = "…" if capabilities is None else precision_text(capabilities)
        # The full line (where thinking comes from) is the tooltip; the picker shows it too.
        self.thinking = thinking_label(capabilities) if capabilities else ""
        self.refresh()

    def set_note(self, text: str) -> None:
        """A short note next to the precision: a clamped budget, how to turn thinking on."""
        self.note = text
        self.refresh()

    def set_spent(self, tokens: int | None, budget: str, *, estimated: bool = False) -> None:
        """Show the reasoning tokens the current (or last) reply spent of its ``budget``."""
        mark = "~" if estimated else ""
        self.spent = "" if tokens is None else f"spent {mark}{tokens} of {budget}"
        self.refresh()  # one line redrawn, no layout (this runs ~10 times a second)

    # ---- drawing and the pointer ------------------------------------------------------------

    def spans(self) -> list[tuple[int, int, int | None]]:
        """Each step's cells on the row: ``(start, end, step)``."""
        x = len("think") + (0 if self.compact else 1)
        spans = []
        for step in self.steps:
            width = len(format_budget(step)) + (1 if self.compact else 2)
            spans.append((x, x + width, step))
            x += width
        return spans

    def _precision_at(self) -> tuple[int, int]:
        start = self.spans()[-1][1] + 2
        return start, start + len(self.precision)

    def render(self) -> Content:
        style = self.get_visual_style
        title = style("budget-slider--title", partial=True)
        parts: list[tuple[str, VisualStyle]] = [("think" + ("" if self.compact else " "), title)]
        for index, step in enumerate(self.steps):
            names = ["budget-slider--step"]
            if step == self.value:
                names.append("budget-slider--active")
            pad = style(*names, partial=True)
            if index == self._hover:  # underline the label, not its padding
                names.append("budget-slider--hover")
            parts += [(" ", pad), (format_budget(step), style(*names, partial=True))]
            if not self.compact:
                parts.append((" ", pad))
        parts.append(("  " + self.precision, style("budget-slider--precision", partial=True)))
        if self.note:
            parts.append(("  " + self.note, style("budget-slider--note", partial=True)))
        line = Content.assemble(*parts)
        if not self.spent:
            return line
        spent = Content.styled(self.spent, style("budget-slider--spent", partial=True))
        return head_and_tail(line, spent, self.content_size.width)

    def step_at(self, x: int) -> int | None:
        """The index of the step at column ``x``, or ``None``."""
        return next((i for i, (start, end, _) in enumerate(self.spans()) if start <= x < end), None)

    def on_click(self, event: events.Click) -> None:
        index = self.step_at(event.x)
        if index is None:
            return
        event.stop()
        self.post_message(BudgetSlider.Picked(self, self.steps[index]))

    def on_mouse_move(self, event: events.MouseMove) -> None:
        self._set_hover(self.step_at(event.x))
        start, end = self._precision_at()
        over = start <= event.x < end and bool(self.thinking)
        tooltip = Content(self.thinking) if over else None
        if (self.tooltip is None) != (tooltip is None):
            self.tooltip = tooltip

    def on_leave(self, event: events.Leave) -> None:
        self._set_hover(None)
        self.tooltip = None

    def _set_hover(self, index: int | None) -> None:
        if index != self._hover:
            self._hover = index
            self.refresh()
