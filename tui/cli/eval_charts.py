"""Terminal charts for ``ponder eval --plot`` / ``--sweep``: accuracy against cost per query and
against mean reasoning tokens, one curve per model (plotext, drawn as plain text).

plotext is imported here only, when a chart is asked for, so start-up never pays for it. Colour
codes are stripped: the charts are plain characters whatever the terminal (and labels, which come
from configuration, pass through ``printable``).
"""

from __future__ import annotations

import re

from backends.evals.report import Report
from backends.evals.sweep import Curve, report_curves
from backends.pricing import format_usd
from tui.safe_text import printable

WIDTH, HEIGHT = 72, 18
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
AXES = {"cost": "cost per query (USD)", "reasoning": "mean reasoning tokens per query"}


def chart(curves: list[Curve], axis: str, width: int = WIDTH, height: int = HEIGHT) -> str:
    """One chart of accuracy (%) against ``axis`` (``cost`` or ``reasoning``), as text."""
    import plotext as plt

    plt.clear_figure()
    plt.theme("clear")
    plt.plotsize(width, height)
    plt.title(f"accuracy vs {AXES[axis]}")
    plt.ylim(0, 100)
    drawn = 0
    xs: list[float] = []
    for curve in curves:
        pairs = curve.along(axis)
        if not pairs:
            continue
        drawn += 1
        xs += [x for x, _ in pairs]
        plt.plot(
            [x for x, _ in pairs], [y for _, y in pairs], label=printable(curve.name), marker="dot"
        )
    if not drawn:
        return f"accuracy vs {AXES[axis]}: nothing to draw (unknown for every strategy)"
    if axis == "cost":
        approx = any(curve.approx for curve in curves)
        low, high = min(xs), max(xs)
        ticks = [low + (high - low) * i / 3 for i in range(4)] if high > low else [low]
        plt.xticks(ticks, [format_usd(t, approx=approx) for t in ticks])
    return _ANSI.sub("", plt.build())


def terminal_charts(report: Report) -> str:
    """Both charts over every task, one curve per model."""
    curves = report_curves(report)
    return "\n\n".join(chart(curves, axis) for axis in ("reasoning", "cost"))
