"""The eval report as text and as JSON, with the paired tests and the recommendation.

Apart from ``backends.evals.report`` (the numbers) so that ``decide`` (the tests and the
recommendation, which read the numbers) sits between them and nothing imports in a circle.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from backends.evals.decide import comparison_lines, pairwise, recommendation_lines
from backends.evals.report import ALL, Report, format_table


def format_report(report: Report) -> str:
    """The whole report as text: the overall table, one table per tag, the paired tests, the
    recommendation per tag, then a legend."""
    repeats = max((row.repeats for row in report.overall), default=1)
    extra = f", {repeats} repeats" if repeats > 1 else ""
    blocks = [format_table(report.overall, f"all tasks ({report.tasks}{extra})")]
    for tag, rows in report.by_tag.items():
        blocks.append(format_table(rows, f"tag: {tag} ({rows[0].tasks if rows else 0})"))
    pairs = comparison_lines(report)
    if pairs:
        blocks.append("\n".join(["paired tests (all tasks):", *pairs]))
    blocks.append("\n".join(["recommendation:", *recommendation_lines(report)]))
    blocks.append(
        "* = on the cost/accuracy frontier (no other strategy is as accurate for less); "
        "? = cost unknown, not placed; $? = price unknown; ≈ = local hardware time x an hourly "
        "price (an estimate); TTFT = first token of any kind, ans = first answer token; "
        "echo = answers that repeat the prompt or all options (counted wrong)"
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
        "paired_tests": [asdict(pair) for pair in pairwise(report, ALL)],
        "recommendation": recommendation_lines(report),
    }
