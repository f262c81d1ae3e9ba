"""Test-time scaling on the eval screen: accuracy against mean reasoning tokens, one line per
model (backend x samples, budgets in order), drawn with textual-plotext.

A strategy whose reasoning count is unknown is left off rather than drawn at 0 tokens. Labels
are config names, made printable (plotext output is parsed as ANSI).
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import RenderResult
from textual.color import Color
from textual_plotext import PlotextPlot

from backends.evals.report import StrategyStats
from backends.evals.sweep import Curve, curves
from tui.safe_text import printable

COLOURS = ("accent", "primary", "secondary", "warning", "success", "error")


class ScalingPlot(PlotextPlot):
    """``show(rows)`` draws the curves of one group of the report."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.curves: list[Curve] = []

    def show(self, rows: Sequence[StrategyStats]) -> None:
        self.curves = curves(rows)
        self.refresh()

    def render(self) -> RenderResult:
        self._draw()
        return super().render()

    def _colour(self, index: int) -> tuple[int, int, int]:
        variables = self.app.theme_variables
        name = COLOURS[index % len(COLOURS)]
        return Color.parse(variables.get(name, variables["foreground"])).rgb

    def _draw(self) -> None:
        plt = self.plt
        plt.clear_figure()
        plt.theme(f"textual-auto-{self.app.theme}" if self.theme == "auto" else self.theme)
        plt.title("accuracy vs mean reasoning tokens")
        plt.ylabel("accuracy %")
        plt.xlabel("reasoning tokens per query")
        plt.ylim(0, 100)
        plt.yticks([0, 25, 50, 75, 100])
        drawn = [(curve, curve.along("reasoning")) for curve in self.curves]
        drawn = [(curve, pairs) for curve, pairs in drawn if pairs]
        if not drawn:
            plt.xlim(0, 1)
            plt.xticks([0.5], ["no results yet"])
            return
        for index, (curve, pairs) in enumerate(drawn):
            xs, ys = [x for x, _ in pairs], [y for _, y in pairs]
            colour = self._colour(index)
            plt.plot(xs, ys, marker="dot", color=colour, label=printable(curve.name))
