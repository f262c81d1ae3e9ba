"""The evaluation report: per strategy (backend x budget x samples), overall and per tag.

Definitions (each a small pure function, checked against hand-computed values):

- accuracy = correct / results, an error counting as a wrong answer. Its 95% interval is over
  tasks: the Wilson score interval with one sample per task, a seeded bootstrap over tasks of
  the per-task accuracy with ``--repeat`` (``backends.evals.stats``).
- cost per query = total cost / results, and the total. ``None`` (unknown) as soon as one
  result's cost is unknown: a partial sum is never passed off as the total (``unpriced`` says
  how many were unknown). A local cost is wall time x an hourly price, an estimate (``≈``).
  A voting strategy's query costs all of its samples.
- reasoning tokens per query: mean over the results whose reasoning count is known.
- cache-hit rate: cached input tokens / input tokens summed over the results that report both
  (token-weighted). Each strategy keeps its own KV history, so this is reuse within it.
- latency, TTFT (first token of any kind, thinking included) and first answer token p50/p95:
  nearest-rank percentiles (``backends.meters.percentile``) over the results without an error.
- echoes: results whose answer repeats the prompt or every option (wrong, flagged).
- frontier: a strategy is on the cost/accuracy frontier when no other strategy is at least as
  accurate for no more cost per query and strictly better at one of the two. Strategies with an
  unknown cost or no results are not placed (``frontier`` is ``None``).

Paired tests and the per-tag recommendation are in ``backends.evals.decide``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from backends.evals.results import TaskResult
from backends.evals.stats import Z_95, bootstrap_mean_interval, wilson_interval
from backends.evals.strategy import Strategy, budget_label
from backends.evals.tasks import Task, TaskSet, tasks_from
from backends.meters import percentile
from backends.pricing import format_usd

__all__ = ["Z_95", "Report", "StrategyStats", "build_report", "wilson_interval"]
ALL = "all"


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
    counted = [r for r in results if r.meters.cache_hit is not None and r.usage.input]
    total_input = sum(r.usage.input or 0 for r in counted)
    return sum(r.usage.cached_input for r in counted) / total_input if total_input else None


def per_task(results: Sequence[TaskResult]) -> dict[str, list[TaskResult]]:
    """Results grouped by task id (several with ``--repeat``), in first-seen order."""
    grouped: dict[str, list[TaskResult]] = {}
    for result in results:
        grouped.setdefault(result.task_id, []).append(result)
    return grouped


def accuracy_interval(results: Sequence[TaskResult]) -> tuple[float, float] | None:
    """The 95% interval of accuracy over tasks (module docstring)."""
    grouped = per_task(results)
    if not grouped:
        return None
    if all(len(group) == 1 for group in grouped.values()):
        return wilson_interval(sum(1 for r in results if r.correct), len(results))
    means = [sum(r.correct for r in group) / len(group) for group in grouped.values()]
    return bootstrap_mean_interval(means)


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
    first_answer_p50: float | None = None
    first_answer_p95: float | None = None
    samples: int = 1
    repeats: int = 1
    echoes: int = 0
    cost_approx: bool = False
    frontier: bool | None = None


def strategy_stats(
    strategy: Strategy, group: str, tasks: int, results: Sequence[TaskResult]
) -> StrategyStats:
    """The stats of ``strategy`` from its ``results`` over a group of ``tasks`` tasks."""
    n = len(results)
    correct = sum(1 for r in results if r.correct)
    interval = accuracy_interval(results)
    cost_total, unpriced = known_sum(r.meters.cost_usd for r in results)
    ok = [r for r in results if r.error is None]
    totals = [r.meters.total_s for r in ok if r.meters.total_s is not None]
    ttfts = [r.meters.ttft_s for r in ok if r.meters.ttft_s is not None]
    answers = [r.meters.first_answer_s for r in ok if r.meters.first_answer_s is not None]
    grouped = per_task(results)
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
        first_answer_p50=percentile(answers, 50),
        first_answer_p95=percentile(answers, 95),
        samples=strategy.samples,
        repeats=max((len(group) for group in grouped.values()), default=1),
        echoes=sum(1 for r in results if r.flag == "echo"),
        cost_approx=any(r.meters.cost_approx for r in results),
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
    """``overall``: one row per strategy over every task; ``by_tag``: the same per tag.

    ``results`` maps each strategy key to its results (every repeat), for the paired tests and
    the recommendation (``backends.evals.decide``); ``tags`` maps a task id to its tags.
    """

    overall: list[StrategyStats]
    by_tag: dict[str, list[StrategyStats]]
    tasks: int
    expected_results: int
    results: int
    per_strategy: dict[str, list[TaskResult]] = field(default_factory=dict)
    task_tags: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def group_results(self, group: str) -> dict[str, list[TaskResult]]:
        """Each strategy's results on the tasks of ``group`` (``all`` or a tag)."""
        if group == ALL:
            return self.per_strategy
        return {
            key: [r for r in results if group in self.task_tags.get(r.task_id, ())]
            for key, results in self.per_strategy.items()
        }


def build_report(
    tasks: TaskSet | Sequence[Task],
    strategies: Sequence[Strategy],
    results: Iterable[TaskResult],
    repeat: int | None = None,
) -> Report:
    """The report of ``results`` for the matrix ``tasks`` x ``strategies`` x ``repeat``.

    Results outside the matrix (other tasks, strategies or repeats in the same file) are
    ignored; when a (task, strategy, repeat) has several results the last one counts. Without
    ``repeat`` every stored repeat counts. Usable mid-run for a live table.
    """
    task_list = tasks_from(tasks)
    ids = {task.id for task in task_list}
    latest: dict[tuple[str, str, int], TaskResult] = {}
    for result in results:
        if result.task_id in ids and (repeat is None or result.repeat < repeat):
            latest[result.key] = result
    repeats = repeat or max((key[2] + 1 for key in latest), default=1)
    tags: dict[str, None] = {}
    for task in task_list:
        for tag in task.tags:
            tags.setdefault(tag, None)
    overall = []
    by_tag: dict[str, list[StrategyStats]] = {tag: [] for tag in tags}
    per_strategy: dict[str, list[TaskResult]] = {}
    for strategy in strategies:
        mine = [
            latest[(t.id, strategy.key, r)]
            for t in task_list
            for r in range(repeats)
            if (t.id, strategy.key, r) in latest
        ]
        per_strategy[strategy.key] = mine
        overall.append(strategy_stats(strategy, ALL, len(task_list), mine))
        for tag in tags:
            tagged = [r for r in mine if tag in r.tags]
            count = sum(1 for task in task_list if tag in task.tags)
            by_tag[tag].append(strategy_stats(strategy, tag, count, tagged))
    return Report(
        overall=mark_frontier(overall),
        by_tag={tag: mark_frontier(rows) for tag, rows in by_tag.items()},
        tasks=len(task_list),
        expected_results=len(task_list) * len(strategies) * repeats,
        results=sum(row.results for row in overall),
        per_strategy=per_strategy,
        task_tags={task.id: task.tags for task in task_list},
    )


# ---- rendering --------------------------------------------------------------------------------

COLUMNS = (
    "strategy",
    "n",
    "acc",
    "95% CI",
    "cost/q",
    "cost total",
    "reason tok/q",
    "cache hit",
    "p50 s",
    "p95 s",
    "TTFT p50",
    "TTFT p95",
    "ans p50",
    "ans p95",
    "echo",
    "errors",
    "frontier",
)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f}%"


def _secs(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _cost(value: float | None, results: int, approx: bool = False) -> str:
    return "-" if results == 0 else format_usd(value, approx=approx)


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
        _cost(row.cost_per_query, row.results, row.cost_approx),
        _cost(row.cost_total, row.results, row.cost_approx),
        reasoning,
        _pct(row.cache_hit),
        _secs(row.latency_p50),
        _secs(row.latency_p95),
        _secs(row.ttft_p50),
        _secs(row.ttft_p95),
        _secs(row.first_answer_p50),
        _secs(row.first_answer_p95),
        str(row.echoes),
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
