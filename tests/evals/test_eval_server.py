"""``ponder eval`` against llama-cpp-python's OpenAI-compatible server (the real SmolLM2)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from backends.evals.report import CSV_FIELDS
from tests.evals.cli_support import run_ponder
from tests.evals.recompute import assert_report_matches, raw_results

TASKS = 4


@pytest.mark.server
def test_eval_cli_on_server(
    llama_server: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[backends.srv]\nkind = "openai-compat"\nbase_url = "{llama_server}"\n'
        'model = "smollm2"\n\n[prices.smollm2]\ninput = 1.0\noutput = 2.0\n',
        encoding="utf-8",
    )
    results, table = tmp_path / "results.jsonl", tmp_path / "report.csv"
    code = run_ponder(
        monkeypatch,
        "--config",
        str(config),
        "eval",
        "sample",
        "--limit",
        str(TASKS),
        "--backend",
        "srv:0",
        "--backend",
        "srv:64",
        "--max-tokens",
        "12",
        "--temperature",
        "0",
        "--seed",
        "7",
        "--concurrency",
        "1",
        "--results",
        str(results),
        "--json",
        "--csv",
        str(table),
    )
    out = capsys.readouterr()
    assert code == 0, out.err
    report = json.loads(out.out)
    assert [row["strategy"] for row in report["overall"]] == ["srv:0", "srv:64"]
    assert report["results"] == report["expected_results"] == 2 * TASKS
    for row in report["overall"]:
        assert set(CSV_FIELDS) <= set(row)
        assert row["results"] == TASKS and row["errors"] == 0
        # every column has a value (the price is configured), except the cache-hit rate: this
        # server streams no usage, so the prompt size is an estimate and its cache use unknown
        for name in (
            "accuracy",
            "ci_low",
            "ci_high",
            "cost_per_query",
            "cost_total",
            "latency_p50",
            "latency_p95",
            "ttft_p50",
            "ttft_p95",
            "frontier",
        ):
            assert row[name] is not None, name
        assert row["cache_hit"] is None and row["reasoning_per_query"] is None
    stored = raw_results(results)
    assert len(stored) == 2 * TASKS
    for record in stored:
        assert record["text"] and record["error"] is None
        usage = record["usage"]
        assert usage["estimated"] and record["meters"]["cost_estimated"]
        assert usage["input"] > 0 and 0 < usage["output"] <= 12
        price = (usage["input"] * 1.0 + usage["output"] * 2.0) / 1_000_000
        assert record["meters"]["cost_usd"] == pytest.approx(price)
    assert_report_matches(report, results)
    rows = list(csv.DictReader(table.open(encoding="utf-8")))
    assert len(rows) == 2 * (1 + len(report["by_tag"]))
    assert f"[{2 * TASKS}/{2 * TASKS}]" in out.err  # the non-TTY progress: one line per result
