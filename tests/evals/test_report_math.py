"""Report arithmetic against hand-computed values: Wilson interval, percentiles, None-aware
costs, token-weighted cache hits, the frontier, per-tag rows and the renderings."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from backends.evals.output import format_report, report_json
from backends.evals.report import (
    COLUMNS,
    build_report,
    known_sum,
    mark_frontier,
    strategy_stats,
    wilson_interval,
    write_csv,
)
from backends.evals.runner import Strategy
from backends.evals.tasks import Task
from backends.meters import percentile
from tests.evals.factories import result


@pytest.mark.parametrize(
    ("correct", "total", "low", "high"),
    [
        # hand-computed: centre = (p + z²/2n) / (1 + z²/n), half = z·sqrt(p(1-p)/n + z²/4n²) / (…)
        (8, 10, 0.4902, 0.9433),
        (0, 10, 0.0, 0.2775),
        (10, 10, 0.7225, 1.0),
        (1, 2, 0.0945, 0.9055),
        (50, 100, 0.4038, 0.5962),
    ],
)
def test_wilson_interval(correct: int, total: int, low: float, high: float) -> None:
    interval = wilson_interval(correct, total)
    assert interval is not None
    assert interval[0] == pytest.approx(low, abs=5e-5)
    assert interval[1] == pytest.approx(high, abs=5e-5)


def test_wilson_interval_empty() -> None:
    assert wilson_interval(0, 0) is None


@pytest.mark.parametrize(
    ("values", "p", "expected"),
    [
        (list(range(1, 11)), 50, 5),  # ceil(0.5 * 10) = 5th
        (list(range(1, 11)), 95, 10),  # ceil(9.5) = 10th
        (list(range(1, 21)), 95, 19),  # ceil(19) = 19th
        ([0.3, 0.1, 0.2], 50, 0.2),  # ceil(1.5) = 2nd of the sorted values
        ([0.3, 0.1, 0.2], 95, 0.3),
        ([7.0], 95, 7.0),
        ([], 50, None),
    ],
)
def test_percentile_nearest_rank(values: list[float], p: float, expected: float | None) -> None:
    assert percentile(values, p) == expected


def test_known_sum_keeps_unknown_unknown() -> None:
    assert known_sum([0.5, 0.25]) == (0.75, 0)
    assert known_sum([0.5, None, None]) == (None, 2)
    assert known_sum([]) == (0.0, 0)


def test_strategy_stats_by_hand() -> None:
    rows = [
        result("a", correct=True, cost=0.01, reasoning=10, tokens=(100, 50), total_s=1.0),
        result("b", correct=False, cost=0.03, reasoning=None, tokens=(100, 0), total_s=3.0),
        result("c", correct=True, cost=0.02, reasoning=20, tokens=(200, 150), total_s=2.0),
        result("d", error=True, cost=0.0, reasoning=0, tokens=(0, 0), total_s=9.0, ttft_s=None),
    ]
    stats = strategy_stats(Strategy("s", 0), "all", 5, rows)
    assert (stats.tasks, stats.results, stats.correct, stats.errors) == (5, 4, 2, 1)
    assert stats.accuracy == 0.5
    assert (stats.ci_low, stats.ci_high) == wilson_interval(2, 4)
    assert stats.cost_total == pytest.approx(0.06)
    assert stats.cost_per_query == pytest.approx(0.015)
    assert stats.reasoning_per_query == pytest.approx(10.0)  # (10 + 20 + 0) / 3 known
    assert stats.cache_hit == pytest.approx(200 / 400)  # the error had no input: not counted
    assert (stats.latency_p50, stats.latency_p95) == (2.0, 3.0)  # the error's 9 s excluded
    assert (stats.ttft_p50, stats.ttft_p95) == (0.1, 0.1)


def test_one_unknown_cost_makes_the_cost_unknown() -> None:
    stats = strategy_stats(Strategy("s", 0), "all", 2, [result("a"), result("b", cost=None)])
    assert stats.cost_total is None and stats.cost_per_query is None and stats.unpriced == 1


def test_no_results_gives_empty_row() -> None:
    stats = strategy_stats(Strategy("s", None), "all", 3, [])
    assert stats.accuracy is None and stats.ci_low is None and stats.cost_per_query is None
    assert stats.latency_p50 is None and stats.reasoning_per_query is None


def test_frontier() -> None:
    def row(name: str, accuracy: float, cost: float | None):  # type: ignore[no-untyped-def]
        results = [result(f"t{i}", correct=i < accuracy * 10, cost=cost) for i in range(10)]
        return strategy_stats(Strategy(name, 0), "all", 10, results)

    rows = mark_frontier(
        [
            row("cheap", 0.5, 0.01),
            row("best", 0.8, 0.02),
            row("dominated", 0.5, 0.03),  # as accurate as cheap, dearer
            row("twin", 0.8, 0.02),  # ties with best: neither dominates the other
            row("unpriced", 0.9, None),
            row("worse-and-dearer", 0.4, 0.05),
        ]
    )
    marks = {r.backend: r.frontier for r in rows}
    assert marks == {
        "cheap": True,
        "best": True,
        "dominated": False,
        "twin": True,
        "unpriced": None,
        "worse-and-dearer": False,
    }


def tasks() -> list[Task]:
    return [
        Task(id="a", prompt="p", expected="x", tags=("easy",)),
        Task(id="b", prompt="p", expected="x", tags=("easy", "logic")),
        Task(id="c", prompt="p", expected="x", tags=("hard",)),
    ]


def test_build_report_per_tag_last_result_wins_and_ignores_others() -> None:
    strategies = [Strategy("s", 0), Strategy("s", 64)]
    results = [
        result("a", "s:0", correct=False, tags=("easy",)),
        result("a", "s:0", correct=True, tags=("easy",)),  # redone: the last one counts
        result("b", "s:0", correct=False, tags=("easy", "logic")),
        result("c", "s:64", correct=True, tags=("hard",)),
        result("zzz", "s:0"),  # not in the task set
        result("a", "other:0"),  # not in the matrix
    ]
    report = build_report(tasks(), strategies, results)
    assert (report.tasks, report.expected_results, report.results) == (3, 6, 3)
    first, second = report.overall
    assert (first.strategy, first.results, first.correct) == ("s:0", 2, 1)
    assert (second.strategy, second.results, second.correct) == ("s:64", 1, 1)
    assert list(report.by_tag) == ["easy", "logic", "hard"]
    easy = report.by_tag["easy"]
    assert [(r.tasks, r.results, r.correct) for r in easy] == [(2, 2, 1), (2, 0, 0)]
    assert [(r.results, r.correct) for r in report.by_tag["hard"]] == [(0, 0), (1, 1)]


def test_renderings(tmp_path: Path) -> None:
    strategies = [Strategy("s", 0), Strategy("s", 64)]
    report = build_report(tasks(), strategies, [result("a", "s:0"), result("b", "s:64", cost=None)])
    text = format_report(report)
    header = text.splitlines()[1]
    for column in COLUMNS:
        assert column in header
    assert "tag: easy (2)" in text and "$?" in text
    data = json.loads(json.dumps(report_json(report)))
    assert data["overall"][1]["cost_total"] is None and data["overall"][0]["frontier"] is True
    write_csv(report, tmp_path / "r.csv")
    rows = list(csv.DictReader((tmp_path / "r.csv").open()))
    assert len(rows) == 2 + 2 * 3  # overall + three tags, two strategies each
    assert rows[1]["budget"] == "64" and rows[0]["group"] == "all"
