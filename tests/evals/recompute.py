"""Recompute a report's numbers straight from the raw results file, without ``report.py``.

The tests compare these with ``build_report``: the arithmetic here is written out separately
(its own Wilson formula and nearest-rank percentile) from the JSON lines on disk.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from backends.evals.report import Report, StrategyStats


def raw_results(path: Path) -> list[dict[str, Any]]:
    """Every line of the results file as plain JSON, the last one per (task, strategy,
    repeat) kept."""
    latest: dict[tuple[str, str, int], dict[str, Any]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        latest[(record["task_id"], record["strategy"], record.get("repeat", 0))] = record
    return list(latest.values())


def nearest_rank(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(len(ordered) * p / 100)) - 1]


def wilson(k: int, n: int) -> tuple[float, float]:
    z = 1.959963984540054
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def expected_row(records: list[dict[str, Any]]) -> dict[str, Any]:
    """The numbers one report row must show for these raw records."""
    n = len(records)
    k = sum(r["correct"] for r in records)
    costs = [r["meters"]["cost_usd"] for r in records]
    total = None if any(c is None for c in costs) else sum(costs)
    reasoning = [r["usage"]["reasoning"] for r in records if r["usage"]["reasoning"] is not None]
    cached = [r for r in records if r["meters"]["cache_hit"] is not None and r["usage"]["input"]]
    inputs = sum(r["usage"]["input"] for r in cached)
    ok = [r for r in records if r["error"] is None]
    totals = [r["meters"]["total_s"] for r in ok if r["meters"]["total_s"] is not None]
    ttfts = [r["meters"]["ttft_s"] for r in ok if r["meters"]["ttft_s"] is not None]
    low, high = wilson(k, n)
    return {
        "results": n,
        "correct": k,
        "errors": sum(r["error"] is not None for r in records),
        "accuracy": k / n,
        "ci_low": max(low, 0.0),
        "ci_high": min(high, 1.0),
        "cost_total": total,
        "cost_per_query": None if total is None else total / n,
        "reasoning_per_query": sum(reasoning) / len(reasoning) if reasoning else None,
        "cache_hit": sum(r["usage"]["cached_input"] for r in cached) / inputs if inputs else None,
        "latency_p50": nearest_rank(totals, 50),
        "latency_p95": nearest_rank(totals, 95),
        "ttft_p50": nearest_rank(ttfts, 50),
        "ttft_p95": nearest_rank(ttfts, 95),
    }


def assert_row_matches(row: StrategyStats | dict[str, Any], records: list[dict[str, Any]]) -> None:
    data = row if isinstance(row, dict) else {k: getattr(row, k) for k in row.__dataclass_fields__}
    for name, value in expected_row(records).items():
        if value is None:
            assert data[name] is None, name
        else:
            assert data[name] == pytest.approx(value, rel=1e-9, abs=1e-12), name


def assert_report_matches(report: Report | dict[str, Any], path: Path) -> None:
    """Every row of ``report`` (overall and per tag; object or ``--json`` data) matches the
    records stored at ``path``."""
    records = raw_results(path)
    data = report if isinstance(report, dict) else None
    # rows are dicts (--json data) or StrategyStats (a Report): read with [] or . accordingly
    overall: list[Any] = data["overall"] if data else report.overall  # type: ignore[union-attr]
    by_tag: dict[str, list[Any]] = data["by_tag"] if data else report.by_tag  # type: ignore[union-attr]
    for row in overall:
        key = row["strategy"] if data else row.strategy
        mine = [r for r in records if r["strategy"] == key]
        assert mine, key
        assert_row_matches(row, mine)
    for tag, rows in by_tag.items():
        for row in rows:
            key = row["strategy"] if data else row.strategy
            mine = [r for r in records if r["strategy"] == key and tag in r["tags"]]
            if mine:
                assert_row_matches(row, mine)
