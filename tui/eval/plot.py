"""Cost against accuracy: one labelled point per strategy, drawn in the terminal with plotext,
beside the scaling curves (accuracy against reasoning tokens, ``eval_scaling``).

A strategy whose cost is unknown is not drawn at $0 (that would claim it is free); it is listed
beside the plot instead. Labels are config names (backend:budget), made printable all the same:
plotext output is parsed as ANSI, so an escape in a name must not reach it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from textual.app import ComposeResult, RenderResult
from textual.color import Color
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Static
from textual_plotext import PlotextPlot

from backends.evals.report import StrategyStats
from backends.pricing import format_usd
from tui.eval.scaling import ScalingPlot
from tui.safe_text import printable

ON_FRONTIER = "◆"
OFF_FRONTIER = "●"
X_TICKS = 4
LABEL_GAP = 2  # columns between a point and its label


@dataclass(frozen=True, slots=True)
class PlotPoint:
    """One strategy on the plot: accuracy in percent, cost per query in USD."""

    label: str
    cost: float
    accuracy: float
    frontier: bool
    approx: bool = False  # a local hardware-time estimate (ticks show ≈)


def plot_points(rows: Sequence[StrategyStats]) -> tuple[list[PlotPoint], list[StrategyStats]]:
    """The placeable strategies as points, and those with results but an unknown cost."""
    points: list[PlotPoint] = []
    unknown: list[StrategyStats] = []
    for row in rows:
        if row.results == 0 or row.accuracy is None:
            continue
        if row.cost_per_query is None:
            unknown.append(row)
            continue
        label = printable(row.strategy)
        accuracy = row.accuracy * 100
        points.append(
            PlotPoint(label, row.cost_per_query, accuracy, bool(row.frontier), row.cost_approx)
        )
    return points, unknown


def x_range(costs: Sequence[float]) -> tuple[float, float]:
    """The cost axis: the data with a margin for labels; a single cost gets a range around it."""
    low, high = min(costs), max(costs)
    span = high - low
    if span <= 0:
        span = abs(high) or 1e-6
        return low - span, high + span
    return low - span * 0.15, high + span * 0.15


class CostAccuracyPlot(PlotextPlot):
    """The scatter plot; ``show(points)`` replaces the data and redraws at the widget's size."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.points: list[PlotPoint] = []

    def show(self, points: Sequence[PlotPoint]) -> None:
        self.points = list(points)
        self.refresh()

    def render(self) -> RenderResult:
        self._draw()  # here: label offsets depend on the size the plot is drawn at
        return super().render()

    def _colour(self, variable: str) -> tuple[int, int, int]:
        """A theme colour as the RGB triple plotext takes (themes stay the only source)."""
        return Color.parse(self.app.theme_variables[variable]).rgb

    def _draw(self) -> None:
        plt = self.plt
        plt.clear_figure()
        # The theme first: plotext gives each label the canvas colour current when it is added.
        plt.theme(f"textual-auto-{self.app.theme}" if self.theme == "auto" else self.theme)
        plt.title("accuracy vs cost per query")
        plt.ylabel("accuracy %")
        plt.xlabel("cost per query")
        plt.ylim(0, 100)
        plt.yticks([0, 25, 50, 75, 100])
        if not self.points:
            plt.xlim(0, 1)
            plt.xticks([0.5], ["no results yet"])
            return
        left, right = x_range([point.cost for point in self.points])
        plt.xlim(left, right)
        ticks = [left + (right - left) * (i + 0.5) / X_TICKS for i in range(X_TICKS)]
        approx = any(point.approx for point in self.points)
        plt.xticks(ticks, [format_usd(max(tick, 0.0), approx=approx) for tick in ticks])
        column = (right - left) / max(self.size.width - 10, 10)  # one column, in dollars
        middle = (left + right) / 2
        label_colour = self._colour("foreground")
        for point in self.points:
            on = point.frontier
            marker = ON_FRONTIER if on else OFF_FRONTIER
            colour = self._colour("accent" if on else "foreground-muted")
            plt.scatter([point.cost], [point.accuracy], marker=marker, color=colour)
            # labels point away from the nearer edge so they stay inside the frame
            if point.cost > middle:
                x = point.cost - LABEL_GAP * column
                plt.text(point.label, x, point.accuracy, color=label_colour, alignment="right")
            else:
                x = point.cost + LABEL_GAP * column
                plt.text(point.label, x, point.accuracy, color=label_colour, alignment="left")


def side_text(unknown: Sequence[StrategyStats], group: str) -> Content:
    """The legend and the strategies not plotted because their cost is unknown (no markup)."""
    parts: list[str | tuple[str, str]] = [
        (ON_FRONTIER, "$accent"),
        " on the frontier\n",
        (OFF_FRONTIER, "$foreground-muted"),
        " dominated\n",
        f"group: {printable(group)}\n",
    ]
    if unknown:
        parts.append(("\ncost unknown, not plotted:\n", "bold"))
        for row in unknown:
            accuracy = "-" if row.accuracy is None else f"{row.accuracy * 100:.0f}%"
            parts.append(f"  {printable(row.strategy)}  {accuracy}\n")
    return Content.assemble(*parts)


class PlotPanel(Horizontal):
    """The plot and, beside it, the legend and the unknown-cost strategies."""

    DEFAULT_CSS = """
    PlotPanel { height: 1fr; min-height: 10; }
    PlotPanel CostAccuracyPlot { width: 1fr; }
    PlotPanel ScalingPlot { width: 1fr; }
    PlotPanel #eval-plot-side {
        width: 30; height: 1fr; padding: 1 1; color: $meter-fg; background: $surface;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.unknown: list[str] = []

    def compose(self) -> ComposeResult:
        yield CostAccuracyPlot(id="eval-plot")
        yield ScalingPlot(id="eval-scaling")
        yield Static(side_text([], "all"), id="eval-plot-side")

    def show(self, rows: Sequence[StrategyStats], group: str) -> None:
        """Plot ``rows``; list the unknown-cost ones beside the plot."""
        points, unknown = plot_points(rows)
        self.unknown = [row.strategy for row in unknown]
        self.query_one(CostAccuracyPlot).show(points)
        self.query_one(ScalingPlot).show(rows)
        self.query_one("#eval-plot-side", Static).update(side_text(unknown, group))
