"""The sample set on the tiny local model at budgets 0 and 64: every column of the report, the
numbers recomputed from the stored results, local requests one at a time."""

from __future__ import annotations

from pathlib import Path

import pytest

from backends.evals.report import COLUMNS, build_report
from backends.evals.runner import EvalRunner, Progress, Strategy, settings_factory
from backends.evals.tasks import Task, TaskSet, load_tasks, sample_tasks_path
from backends.request import RequestOptions
from tests.evals.cli_support import run_ponder
from tests.evals.local_support import HARDWARE_PER_HOUR, tiny_config, tiny_settings
from tests.evals.recompute import assert_report_matches, raw_results

MAX_TOKENS = 80
ANSWER_LIMIT = 16  # budget 64 + 16 fits the cap of 80: no clamp


def mixed_subset() -> TaskSet:
    """Seven tasks of each shipped set (easy, medium, hard)."""
    full = load_tasks(sample_tasks_path())
    chosen: list[Task] = []
    for tag in ("easy", "medium", "hard"):
        chosen += [t for t in full.tasks if tag in t.tags][:7]
    return TaskSet(full.name, full.source, tuple(chosen))


async def test_sample_set_on_tiny_model(tiny_gguf: Path, tmp_path: Path) -> None:
    tasks = mixed_subset()
    strategies = [Strategy("tiny", 0), Strategy("tiny", 64)]
    seen: list[Progress] = []
    runner = EvalRunner(
        tasks,
        strategies,
        tmp_path / "r.jsonl",
        make_backend=settings_factory(tiny_settings(tiny_gguf)),
        concurrency=4,
        on_progress=seen.append,
        answer_limit=ANSWER_LIMIT,
        options=RequestOptions(max_tokens=MAX_TOKENS, seed=1),
    )
    results = await runner.run()
    total = 2 * len(tasks)
    assert len(results) == total == runner.calls
    assert max(p.running for p in seen) == 1  # a local model: one request at a time
    assert sum(p.started is not None for p in seen) == total
    assert [p.done for p in seen if p.result is not None] == list(range(1, total + 1))
    for result in results:
        assert result.error is None and result.stop_reason in ("stop", "length")
        assert (result.usage.input or 0) > 0 and 0 < result.usage.output <= MAX_TOKENS
        if result.budget.requested == "off":  # the answer limit caps a no-thinking reply
            assert result.usage.output <= ANSWER_LIMIT
        assert result.meters.total_s is not None and result.meters.ttft_s is not None
        per_second = HARDWARE_PER_HOUR / 3600
        assert result.meters.cost_usd == pytest.approx(result.meters.total_s * per_second)
        if result.budget.requested == "off":
            assert result.thinking == "" and result.usage.reasoning in (0, None)
        else:
            # the count includes the closing tag the backend forces at the budget
            assert result.thinking and 0 < (result.usage.reasoning or 0) <= 64 + 8
    report = build_report(tasks, strategies, results)
    assert_report_matches(report, tmp_path / "r.jsonl")
    zero, sixty_four = report.overall
    for row in report.overall:
        assert row.results == len(tasks) and row.errors == 0
        for name in (
            "accuracy",
            "ci_low",
            "ci_high",
            "cost_per_query",
            "cost_total",
            "reasoning_per_query",
            "cache_hit",
            "latency_p50",
            "latency_p95",
            "ttft_p50",
            "ttft_p95",
            "frontier",
        ):
            assert getattr(row, name) is not None, name
    assert (zero.reasoning_per_query or 0) == 0
    assert 0 < (sixty_four.reasoning_per_query or 0) <= 64 + 8
    assert {"easy", "medium", "hard", "classification", "logic", "extraction"} <= set(report.by_tag)
    assert runner.notes == []


def test_cli_table_on_tiny_model(
    tiny_gguf: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PONDER_DATA_DIR", str(tmp_path / "data"))
    config = tiny_config(tiny_gguf, tmp_path / "config.toml")
    code = run_ponder(
        monkeypatch,
        "--config",
        str(config),
        "eval",
        "sample",
        "--limit",
        "3",
        "--backend",
        "tiny:0",
        "--backend",
        "tiny:64",
        "--max-tokens",
        "16",
    )
    out = capsys.readouterr()
    assert code == 0, out.err
    lines = out.out.splitlines()
    assert lines[0] == "all tasks (3)"
    for column in COLUMNS:
        assert column in lines[1]
    assert lines[2].startswith("tiny:0 ") and lines[3].startswith("tiny:64 ")
    assert " 3/3 " in lines[2] and " 3/3 " in lines[3]
    assert "tag: easy (3)" in out.out and "tag: classification (3)" in out.out
    assert "paired tests (all tasks):" in out.out and "recommendation:" in out.out
    assert "eval: tiny:64: budget 64 clamped to 0" in out.err  # 16 tokens leave no room
    # the default results file lives in the data dir, one per task set
    stored = list((tmp_path / "data" / "evals").glob("sample_tasks-*.results.jsonl"))
    assert len(stored) == 1 and len(raw_results(stored[0])) == 6
    assert f"results: {stored[0]}" in out.err and "[6/6]" in out.err
