"""Paired tests between strategies and the recommendation per tag, computed from the data.

Pairs compare two strategies on the tasks both have results for. A task's correctness is the
majority over its repeats (more than half right; one sample: that sample); its cost and
latency are the means over its repeats. Accuracy: exact McNemar (``stats.mcnemar_exact``); cost
and latency: a seeded paired bootstrap (``stats.paired_bootstrap``). "No significant difference"
is said whenever p >= ``stats.ALPHA``.

The recommendation for each group (every task, then each tag), every sentence built from the
numbers:

- accuracy at the lowest cost: among the strategies whose accuracy lies within the 95% interval
  of the most accurate one, the cheapest per query, with how much cheaper it is (× and $) than
  the most accurate (or, when it is the most accurate, than the next cheapest contender);
- latency: the strategy with the lowest p95, with how much faster (× and s) than the runner-up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from backends.evals.report import ALL, Report, StrategyStats, per_task
from backends.evals.results import TaskResult
from backends.evals.stats import ALPHA, McNemar, PairedDifference, mcnemar_exact, paired_bootstrap
from backends.pricing import format_usd


@dataclass(frozen=True, slots=True)
class PairTest:
    """Strategy ``a`` against ``b`` on ``tasks`` shared tasks of ``group``."""

    a: str
    b: str
    group: str
    tasks: int
    accuracy_a: float
    accuracy_b: float
    accuracy: McNemar
    cost_a: float | None
    cost_b: float | None
    cost: PairedDifference | None
    latency: PairedDifference | None
    approx: bool = False


def _mean(values: Sequence[float | None]) -> float | None:
    if not values or any(v is None for v in values):
        return None
    return sum(v for v in values if v is not None) / len(values)


def _task_values(results: list[TaskResult]) -> dict[str, tuple[bool, float | None, float | None]]:
    out = {}
    for task_id, group in per_task(results).items():
        right = sum(1 for r in group if r.correct) * 2 > len(group)
        cost = _mean([r.meters.cost_usd for r in group])
        latency = _mean([r.meters.total_s for r in group])
        out[task_id] = (right, cost, latency)
    return out


def compare_pair(a: str, b: str, group: str, ra: list[TaskResult], rb: list[TaskResult]):
    """The paired tests of ``a`` against ``b`` (``None`` when they share no task)."""
    va, vb = _task_values(ra), _task_values(rb)
    shared = [task for task in va if task in vb]
    if not shared:
        return None
    right_a = [va[t][0] for t in shared]
    right_b = [vb[t][0] for t in shared]
    costs_a = [va[t][1] for t in shared]
    costs_b = [vb[t][1] for t in shared]
    priced = all(c is not None for c in costs_a + costs_b)
    lat_a = [va[t][2] for t in shared]
    lat_b = [vb[t][2] for t in shared]
    timed = all(x is not None for x in lat_a + lat_b)
    return PairTest(
        a=a,
        b=b,
        group=group,
        tasks=len(shared),
        accuracy_a=sum(right_a) / len(shared),
        accuracy_b=sum(right_b) / len(shared),
        accuracy=mcnemar_exact(right_a, right_b),
        cost_a=_mean(costs_a) if priced else None,
        cost_b=_mean(costs_b) if priced else None,
        cost=paired_bootstrap(costs_a, costs_b) if priced else None,  # type: ignore[arg-type]
        latency=paired_bootstrap(lat_a, lat_b) if timed else None,  # type: ignore[arg-type]
        approx=any(r.meters.cost_approx for r in ra + rb),
    )


def pairwise(report: Report, group: str = ALL) -> list[PairTest]:
    """Every pair of strategies (in report order) tested on ``group``'s tasks."""
    results = report.group_results(group)
    keys = [row.strategy for row in report.overall]
    tests = []
    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            test = compare_pair(a, b, group, results.get(a, []), results.get(b, []))
            if test is not None:
                tests.append(test)
    return tests


def _p(p: float) -> str:
    return "p<0.001" if p < 0.001 else f"p={p:.3f}"


def _verdict(p: float) -> str:
    return "significant" if p < ALPHA else "no significant difference"


def signed_usd(value: float) -> str:
    """``+$0.0012`` / ``-$0.0012`` (``format_usd`` shows no sign)."""
    return ("-" if value < 0 else "+") + format_usd(abs(value))


def _ratio(big: float, small: float) -> str:
    return f"{big / small:.1f}×" if small > 0 else "∞×"


def comparison_lines(report: Report, group: str = ALL) -> list[str]:
    """One line per pair: accuracy (McNemar) and cost (paired bootstrap), each with a verdict."""
    lines = []
    for t in pairwise(report, group):
        acc = (
            f"{t.a} vs {t.b} ({t.tasks} tasks): accuracy {t.accuracy_a:.0%} vs {t.accuracy_b:.0%}"
            f" (only {t.a} right: {t.accuracy.only_a}, only {t.b}: {t.accuracy.only_b}; exact "
            f"McNemar {_p(t.accuracy.p)}): {_verdict(t.accuracy.p)}"
        )
        if t.cost is None or t.cost_a is None or t.cost_b is None:
            cost = "cost: unknown for some tasks, not tested"
        else:
            cost = (
                f"cost/query {format_usd(t.cost_a, approx=t.approx)} vs "
                f"{format_usd(t.cost_b, approx=t.approx)}, difference {signed_usd(t.cost.mean)} "
                f"(95% CI {signed_usd(t.cost.low)} to {signed_usd(t.cost.high)}, paired "
                f"bootstrap {_p(t.cost.p)}): {_verdict(t.cost.p)}"
            )
        lines.append(f"- {acc}; {cost}")
    return lines


def _contenders(rows: list[StrategyStats]) -> tuple[StrategyStats, list[StrategyStats]]:
    best = max(rows, key=lambda r: (r.accuracy or 0.0, -(r.cost_per_query or 0.0)))
    accuracy = best.accuracy or 0.0
    floor = min(best.ci_low, accuracy) if best.ci_low is not None else accuracy
    return best, [r for r in rows if (r.accuracy or 0.0) >= floor - 1e-9]  # float-safe


def _usd(row: StrategyStats, value: float | None = None) -> str:
    return format_usd(row.cost_per_query if value is None else value, approx=row.cost_approx)


def _cost_sentence(rows: list[StrategyStats]) -> str:
    best, near = _contenders(rows)
    ci = f"95% CI {best.ci_low:.0%}-{best.ci_high:.0%}" if best.ci_low is not None else "no CI"
    priced = sorted(
        (r for r in near if r.cost_per_query is not None), key=lambda r: r.cost_per_query or 0.0
    )
    head = f"best accuracy {best.strategy} {best.accuracy:.0%} ({ci})"
    if not priced:
        return f"{head}; cost unknown for every strategy within it, none ranked on cost"
    cheap = priced[0]
    if cheap is best:
        others = priced[1:]
        if not others:
            within = ", ".join(r.strategy for r in near if r is not best)
            alone = f"; within its CI also: {within} (cost unknown)" if within else ""
            return f"{head}, the only strategy within that interval at {_usd(best)}/query{alone}"
        nxt = others[0]
        low, high = best.cost_per_query or 0.0, nxt.cost_per_query or 0.0
        return (
            f"{head} is also the cheapest within that interval at {_usd(best)}/query; next "
            f"{nxt.strategy} ({nxt.accuracy:.0%}) costs {_ratio(high, low)} as much "
            f"(+{format_usd(high - low, approx=best.cost_approx)}/query)"
        )
    assert cheap.cost_per_query is not None
    if best.cost_per_query is None:
        return (
            f"{head}, its cost unknown; cheapest within its CI: {cheap.strategy} "
            f"({_usd(cheap)}/query)"
        )
    diff = best.cost_per_query - cheap.cost_per_query
    return (
        f"{cheap.strategy} reaches {cheap.accuracy:.0%}, within the CI of the {head}, at "
        f"{_ratio(best.cost_per_query, cheap.cost_per_query)} lower cost ({_usd(cheap)} vs "
        f"{_usd(best)}/query, {format_usd(diff, approx=best.cost_approx)} less)"
    )


def _latency_sentence(rows: list[StrategyStats]) -> str | None:
    timed = sorted((r for r in rows if r.latency_p95 is not None), key=lambda r: r.latency_p95 or 0)
    if not timed:
        return None
    fast = timed[0]
    if len(timed) == 1:
        return f"lowest latency p95: {fast.strategy} ({fast.latency_p95:.2f} s)"
    slow = timed[1]
    assert fast.latency_p95 is not None and slow.latency_p95 is not None
    if slow.latency_p95 - fast.latency_p95 < 0.005:
        tied = [r.strategy for r in timed if (r.latency_p95 or 0) - fast.latency_p95 < 0.005]
        return f"lowest latency p95: a tie at {fast.latency_p95:.2f} s ({', '.join(tied)})"
    return (
        f"lowest latency p95: {fast.strategy} ({fast.latency_p95:.2f} s), "
        f"{_ratio(slow.latency_p95, fast.latency_p95)} faster than {slow.strategy} "
        f"({slow.latency_p95:.2f} s, {slow.latency_p95 - fast.latency_p95:.2f} s more)"
    )


def recommend(rows: Sequence[StrategyStats]) -> list[str]:
    """The recommendation sentences for one group's rows (empty before any result)."""
    placed = [r for r in rows if r.results and r.accuracy is not None]
    if not placed:
        return []
    if len(placed) == 1:
        return [f"only {placed[0].strategy} has results: nothing to compare"]
    out = [_cost_sentence(placed)]
    latency = _latency_sentence(placed)
    if latency:
        out.append(latency)
    return out


def recommendation_lines(report: Report) -> list[str]:
    """``- GROUP: sentence; sentence`` for every tasks, then each tag."""
    groups = [(ALL, report.overall), *report.by_tag.items()]
    lines = []
    for group, rows in groups:
        sentences = recommend(rows)
        if sentences:
            name = "all tasks" if group == ALL else group
            lines.append(f"- {name}: " + "; ".join(sentences))
    return lines or ["- no results yet"]
