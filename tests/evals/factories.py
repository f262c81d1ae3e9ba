"""Hand-made stored results for the report and results-file tests."""

from __future__ import annotations

from backends.evals.results import TaskResult
from backends.records import BudgetRecord, ErrorRecord, MeterRecord, UsageRecord


def result(
    task: str,
    strategy: str = "s:0",
    *,
    correct: bool = True,
    cost: float | None = 0.01,
    reasoning: int | None = 0,
    tokens: tuple[int, int] = (10, 0),
    total_s: float | None = 1.0,
    ttft_s: float | None = 0.1,
    error: bool = False,
    tags: tuple[str, ...] = (),
) -> TaskResult:
    input_tokens, cached = tokens
    return TaskResult(
        task_id=task,
        task_fingerprint="f",
        strategy=strategy,
        backend="s",
        kind="llama",
        model="m",
        budget=BudgetRecord(requested="off"),
        tags=list(tags),
        check="exact",
        expected="x",
        text="x",
        thinking="",
        stop_reason="error" if error else "stop",
        correct=correct and not error,
        usage=UsageRecord(input=input_tokens, cached_input=cached, output=5, reasoning=reasoning),
        meters=MeterRecord(
            cost_usd=cost,
            cache_hit=cached / input_tokens if input_tokens else None,
            total_s=total_s,
            ttft_s=ttft_s,
        ),
        error=ErrorRecord(kind="ConnectionLost", message="gone") if error else None,
        finished_at="2026-01-01T00:00:00.000+00:00",
    )
