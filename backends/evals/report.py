"""The evaluation report: per strategy (backend x budget), overall and per tag.

Definitions (each a small pure function, checked against hand-computed values):

- accuracy = correct / results, an error counting as a wrong answer; its 95% interval is the
  Wilson score interval (``wilson_interval``).
- cost per query = total cost / results, and the total. ``None`` (unknown) as soon as one
  result's cost is unknown: a partial sum is never passed off as the total (``unpriced`` says
  how many were unknown).
- reasoning tokens per query: mean over the results whose reasoning count is known.
- cache-hit rate: cached input tokens / input tokens summed over the results that report both
  (token-weighted, like the per-message meter).
- latency and TTFT p50/p95: nearest-rank percentiles (``backends.meters.percentile``) over the
  results without an error.
- frontier: a strategy is on the cost/accuracy frontier when no other strategy is at least as
  accurate for no more cost per query and strictly better at one of the two. Strategies with an
  unknown cost or no results are not placed (``frontier`` is ``None``).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from backends.evals.results import TaskResult
from backends.evals.runner import Strategy, budget_label
from backends.evals.tasks import Task, TaskSet, tasks_from
from backends.meters import percentile
from backends.pricing import format_usd

Z_95 = 1.959963984540054
ALL = "all"


def wilson_interval(correct: int, total: int, z: float = Z_95) -> tuple[float, float] | None:
    """The Wilson score interval for ``correct`` successes in ``total`` trials, or ``None``.

    ``(p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)`` with ``p = correct / n``.
    """
    if total <= 0:
        return None
    p = correct / total
    z2 = z * z
    denominator = 1 + z2 / total
    centre = (p + z2 / (2 * total)) / denominator
    half = z * math.sqrt(p * (1 - p) / total + z2 / (4 * total * total)) / denominator
    return (max(centre - half, 0.0), min(centre + half, 1.0))


def known_sum(values: Iterable[float | None]) -> tuple[float | None, int]:
    """Return (sum, unknown count); the sum is ``None`` when any value is ``None``."""
    items = list(values)
    unknown = sum(1 for value in items if value is None)
    if unknown:
        return None, unknown
    return float(sum(value for value in items if value is not None)), 0


def mean_known(values: Iterable[float | int | None]) -> float | None:
    """The mean of the known values, ``None`` when none is known."""
    known = [value for value in values if value is not None]
    return sum(known) / len(known) if known else None


def cache_hit_rate(results: Sequence[TaskResult]) -> float | None:
    """Cached input / input tokens over the results with a known cache hit (token-weighted)."""
    counted = [r for r in results if r.meters.cache_hit is not None and r.usage.input > 0]
    total_input = sum(r.usage.input for r in counted)
    return sum(r.usage.cached_input for r in counted) / total_input if total_input else None


@dataclass(frozen=True, slots=True)
class StrategyStats:
    """The numbers of one strategy over one group of tasks (``group`` is ``all`` or a tag)."""

    strategy: str
    backend: str
    budget: int | None
    group: str
    tasks: int
    results: int
    correct: int
    errors: int
    accuracy: float | None
    ci_low: float | None
    ci_high: float | None
    cost_per_query: float | None
    cost_total: float | None
    unpriced: int
    reasoning_per_query: float | None
    cache_hit: float | None
    latency_p50: float | None
    latency_p95: float | None
    ttft_p50: float | None
    ttft_p95: float | None
    frontier: bool | None = None


def strategy_stats(
    strategy: Strategy, group: str, tasks: int, results: Sequence[TaskResult]
) -> StrategyStats:
    """The stats of ``strategy`` from its ``results`` over a group of ``tasks`` tasks."""
    n = len(results)
    correct = sum(1 for r in results if r.correct)
    interval = wilson_interval(correct, n)
    cost_total, unpriced = known_sum(r.meters.cost_usd for r in results)
    ok = [r for r in results if r.error is None]
    totals = [r.meters.total_s for r in ok if r.meters.total_s is not None]
    ttfts = [r.meters.ttft_s for r in ok if r.meters.ttft_s is not None]
    return StrategyStats(
        strategy=strategy.key,
        backend=strategy.backend,
        budget=strategy.budget,
        group=group,
        tasks=tasks,
        results=n,
        correct=correct,
        errors=sum(1 for r in results if r.error is not None),
        accuracy=correct / n if n else None,
        ci_low=interval[0] if interval else None,
        ci_high=interval[1] if interval else None,
        cost_per_query=cost_total / n if cost_total is not None and n else None,
        cost_total=cost_total if n else None,
        unpriced=unpriced,
        reasoning_per_query=mean_known(r.usage.reasoning for r in results),
        cache_hit=cache_hit_rate(results),
        latency_p50=percentile(totals, 50),
        latency_p95=percentile(totals, 95),
        ttft_p50=percentile(ttfts, 50),
        ttft_p95=percentile(ttfts, 95),
    )


def dominates(a: StrategyStats, b: StrategyStats) -> bool:
    """True when ``a`` is at least as accurate and as cheap as ``b`` and better at one."""
    assert a.accuracy is not None and b.accuracy is not None
    assert a.cost_per_query is not None and b.cost_per_query is not None
    no_worse = a.accuracy >= b.accuracy and a.cost_per_query <= b.cost_per_query
    better = a.accuracy > b.accuracy or a.cost_per_query < b.cost_per_query
    return no_worse and better


def mark_frontier(rows: Sequence[StrategyStats]) -> list[StrategyStats]:
    """``rows`` with ``frontier`` set: True/False where placeable, else ``None``."""
    placed = [r for r in rows if r.accuracy is not None and r.cost_per_query is not None]
    placed_ids = {id(r) for r in placed}
    marked = []
    for row in rows:
        if id(row) not in placed_ids:
            marked.append(_with_frontier(row, None))
        else:
            on = not any(dominates(other, row) for other in placed if other is not row)
            marked.append(_with_frontier(row, on))
    return marked


def _with_frontier(row: StrategyStats, value: bool | None) -> StrategyStats:
    data = asdict(row)
    data["frontier"] = value
    return StrategyStats(**data)


@dataclass(frozen=True, slots=True)
class Report:
    """``overall``: one row per strategy over every task; ``by_tag``: the same per tag."""

    overall: list[StrategyStats]
    by_tag: dict[str, list[StrategyStats]]
    tasks: int
    expected_results: int
    results: int


def build_report(
    tasks: TaskSet | Sequence[Task], strategies: Sequence[Strategy], results: Iterable[TaskResult]
) -> Report:
    """The report of ``results`` for the matrix ``tasks`` x ``strategies``.

    Results outside the matrix (other tasks or strategies in the same file) are ignored; when a
    pair has several results the last one counts. Usable mid-run for a live table.
    """
    task_list = tasks_from(tasks)
    ids = {task.id for task in task_list}
    latest: dict[tuple[str, str], TaskResult] = {}
    for result in results:
        if result.task_id in ids:
            latest[result.pair] = result
    tags: dict[str, None] = {}
    for task in task_list:
        for tag in task.tags:
            tags.setdefault(tag, None)
    overall = []
    by_tag: dict[str, list[StrategyStats]] = {tag: [] for tag in tags}
    for strategy in strategies:
        mine = [latest[(t.id, strategy.key)] for t in task_list if (t.id, strategy.key) in latest]
        overall.append(strategy_stats(strategy, ALL, len(task_list), mine))
        for tag in tags:
            tagged = [r for r in mine if tag in r.tags]
            count = sum(1 for task in task_list if tag in task.tags)
            by_tag[tag].append(strategy_stats(strategy, tag, count, tagged))
    return Report(
        overall=mark_frontier(overall),
        by_tag={tag: mark_frontier(rows) for tag, rows in by_tag.items()},
        tasks=len(task_list),
        expected_results=len(task_list) * len(strategies),
        results=sum(row.results for row in overall),
    )


# ---- rendering --------------------------------------------------------------------------------

COLUMNS = (
    "strategy", "n", "acc", "95% CI", "cost/q", "cost total", "reason tok/q", "cache hit",
    "p50 s", "p95 s", "TTFT p50", "TTFT p95", "errors", "frontier",
)  # fmt: skip


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f}%"


def _secs(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _cost(value: float | None, results: int) -> str:
    return "-" if results == 0 else format_usd(value)


def table_row(row: StrategyStats) -> list[str]:
    """The cells of one row of the text table, in ``COLUMNS`` order."""
    interval = "-" if row.ci_low is None else f"{_pct(row.ci_low)}-{_pct(row.ci_high)}"
    reasoning = "-" if row.reasoning_per_query is None else f"{row.reasoning_per_query:.1f}"
    mark = {True: "*", False: "", None: "?"}[row.frontier]
    return [
        row.strategy,
        f"{row.results}/{row.tasks}",
        _pct(row.accuracy),
        interval,
        _cost(row.cost_per_query, row.results),
        _cost(row.cost_total, row.results),
        reasoning,
        _pct(row.cache_hit),
        _secs(row.latency_p50),
        _secs(row.latency_p95),
        _secs(row.ttft_p50),
        _secs(row.ttft_p95),
        str(row.errors),
        mark,
    ]


def format_table(rows: Sequence[StrategyStats], title: str = "") -> str:
    """A plain-text table of ``rows`` (left-aligned strategy, right-aligned numbers)."""
    cells = [list(COLUMNS), *(table_row(row) for row in rows)]
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS))]
    lines = [title] if title else []
    for line in cells:
        parts = [line[0].ljust(widths[0])]
        parts += [cell.rjust(width) for cell, width in zip(line[1:], widths[1:], strict=True)]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)


def format_report(report: Report) -> str:
    """The whole report as text: the overall table, then one table per tag, then a legend."""
    blocks = [format_table(report.overall, f"all tasks ({report.tasks})")]
    for tag, rows in report.by_tag.items():
        blocks.append(format_table(rows, f"tag: {tag} ({rows[0].tasks if rows else 0})"))
    blocks.append(
        "* = on the cost/accuracy frontier (no other strategy is as accurate for less); "
        "? = cost unknown, not placed; $? = price unknown"
    )
    return "\n\n".join(blocks)


def report_json(report: Report) -> dict[str, Any]:
    """The report as JSON-serialisable data (``--json``)."""
    return {
        "tasks": report.tasks,
        "expected_results": report.expected_results,
        "results": report.results,
        "overall": [asdict(row) for row in report.overall],
        "by_tag": {tag: [asdict(row) for row in rows] for tag, rows in report.by_tag.items()},
    }


CSV_FIELDS = [field for field in StrategyStats.__dataclass_fields__]


def write_csv(report: Report, path: Path | str) -> None:
    """Write every row (overall first, then per tag) as CSV; ``group`` tells them apart."""
    rows = [*report.overall, *(row for rows in report.by_tag.values() for row in rows)]
    with Path(path).expanduser().open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_FIELDS)
        writer.writeheader()
        for row in rows:
            data = asdict(row)
            data["budget"] = budget_label(row.budget)
            writer.writerow(data)
