"""Test-time scaling curves: accuracy against mean reasoning tokens and against cost.

One curve per model: the strategies of one backend (and one sample count, so ``local:256x5``
is its own curve) ordered by budget (``auto`` last). A point needs an accuracy; its reasoning
tokens or cost may be unknown (``None``), and such a point is left off that chart rather than
drawn at 0. ``--sweep`` produces several budgets per backend; any report can be drawn this way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from backends.budget_text import format_budget
from backends.evals.report import Report, StrategyStats


@dataclass(frozen=True, slots=True)
class CurvePoint:
    """One strategy on a curve."""

    strategy: str
    budget: int | None
    accuracy: float  # 0..1
    reasoning: float | None  # mean reasoning tokens per query
    cost: float | None  # USD per query


@dataclass(frozen=True, slots=True)
class Curve:
    """The points of one model (backend x samples), in budget order."""

    name: str
    points: tuple[CurvePoint, ...]
    approx: bool  # costs are local hardware-time estimates

    def along(self, axis: str) -> list[tuple[float, float]]:
        """(x, accuracy %) pairs with a known x: ``axis`` is ``reasoning`` or ``cost``."""
        pairs = [(getattr(p, axis), p.accuracy * 100) for p in self.points]
        return [(x, y) for x, y in pairs if x is not None]


def _order(row: StrategyStats) -> tuple[int, int]:
    return (1, 0) if row.budget is None else (0, row.budget)


def curves(rows: Sequence[StrategyStats]) -> list[Curve]:
    """The curves of ``rows`` (one group of a report), one per backend and sample count."""
    grouped: dict[str, list[StrategyStats]] = {}
    for row in rows:
        if row.results and row.accuracy is not None:
            name = row.backend + (f" x{row.samples}" if row.samples > 1 else "")
            grouped.setdefault(name, []).append(row)
    out = []
    for name, members in grouped.items():
        ordered = sorted(members, key=_order)
        points = tuple(
            CurvePoint(
                r.strategy, r.budget, r.accuracy or 0.0, r.reasoning_per_query, r.cost_per_query
            )
            for r in ordered
        )
        out.append(Curve(name, points, any(r.cost_approx for r in ordered)))
    return out


def report_curves(report: Report) -> list[Curve]:
    """The curves over every task."""
    return curves(report.overall)


def curve_table(curve: Curve) -> str:
    """A plain-text table of one curve (budget, reasoning, cost, accuracy), for the report."""
    from backends.pricing import format_usd

    lines = [f"{curve.name}: budget -> mean reasoning tokens, cost/query, accuracy"]
    for p in curve.points:
        reasoning = "-" if p.reasoning is None else f"{p.reasoning:.0f}"
        cost = format_usd(p.cost, approx=curve.approx)
        budget = format_budget(p.budget, exact=True)
        lines.append(f"  {budget:>6}  {reasoning:>6} tok  {cost:>10}  {p.accuracy:.0%}")
    return "\n".join(lines)
