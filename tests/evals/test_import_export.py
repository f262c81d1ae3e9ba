"""reasoning-gym import (its real generator and scorer), --report DIR, terminal charts, --sweep."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from backends.config import settings_from_dict
from backends.errors import ConfigError
from backends.evals.export import write_report_dir
from backends.evals.report import Report, build_report
from backends.evals.results import check_reply
from backends.evals.strategy import Strategy
from backends.evals.sweep import report_curves
from backends.evals.tasks import Task, load_tasks
from tests.evals.factories import result
from tui.cli.eval import parse_strategies, parse_sweep
from tui.cli.eval_charts import terminal_charts
from tui.cli.eval_import import run_import


def import_args(tmp_path: Path, name: str, n: int = 4, seed: int = 1) -> argparse.Namespace:
    out = tmp_path / f"{name}.jsonl"
    return argparse.Namespace(extra=["reasoning-gym", name], n=n, seed=seed, out=str(out))


def test_reasoning_gym_import_uses_numbers_or_its_own_scorer(tmp_path: Path) -> None:
    assert run_import(import_args(tmp_path, "basic_arithmetic")) == 0
    numeric = load_tasks(tmp_path / "basic_arithmetic.jsonl")
    assert len(numeric) == 4 and {t.check for t in numeric.tasks} == {"number"}
    first = numeric.tasks[0]
    assert check_reply(first, f"Answer: {first.expected}").correct
    assert run_import(import_args(tmp_path, "spell_backward")) == 0
    words = load_tasks(tmp_path / "spell_backward.jsonl")
    task = words.tasks[0]
    assert (
        task.check == "scorer" and task.scorer and task.scorer["reasoning_gym"] == "spell_backward"
    )
    assert check_reply(task, f"Let me spell it.\nAnswer: {task.expected}").correct
    assert not check_reply(task, "Answer: zzzz").correct
    again = tmp_path / "again"
    again.mkdir()
    run_import(import_args(again, "spell_backward"))
    assert (again / "spell_backward.jsonl").read_text() == (
        tmp_path / "spell_backward.jsonl"
    ).read_text()


def test_import_errors_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot make 'no_such_generator'"):
        run_import(import_args(tmp_path, "no_such_generator"))
    bad = argparse.Namespace(extra=["huggingface", "x"], n=1, seed=1, out=None)
    with pytest.raises(ConfigError, match="usage: ponder eval import reasoning-gym NAME"):
        run_import(bad)


def sweep_report() -> Report:
    tasks = [Task(id=f"t{i}", prompt="p", expected="x", tags=("hard",)) for i in range(6)]
    strategies = [Strategy("small", b) for b in (0, 64, 256)] + [Strategy("big", 0)]
    results = []
    for s, right, cost, reasoning in (
        (strategies[0], 2, 0.001, 0),
        (strategies[1], 3, 0.002, 60),
        (strategies[2], 5, 0.004, 240),
        (strategies[3], 5, 0.02, 0),
    ):
        for i, task in enumerate(tasks):
            results.append(
                result(
                    task.id,
                    s.key,
                    correct=i < right,
                    cost=cost,
                    reasoning=reasoning,
                    tags=("hard",),
                )
            )
    return build_report(tasks, strategies, results)


def test_curves_charts_and_report_dir(tmp_path: Path) -> None:
    report = sweep_report()
    curves = {c.name: c for c in report_curves(report)}
    assert [p.budget for p in curves["small"].points] == [0, 64, 256]
    assert curves["small"].along("reasoning") == [
        (0, pytest.approx(100 * 2 / 6)),
        (60, 50.0),
        (240, pytest.approx(100 * 5 / 6)),
    ]
    text = terminal_charts(report)
    assert "accuracy vs mean reasoning tokens" in text and "accuracy vs cost per query" in text
    assert "\x1b" not in text and "small" in text and "big" in text
    written = write_report_dir(report, tmp_path / "out", "tasks.jsonl")
    names = sorted(p.name for p in written)
    assert names == ["accuracy_vs_cost.svg", "accuracy_vs_reasoning.svg", "report.md"]
    md = (tmp_path / "out" / "report.md").read_text()
    assert "## recommendation" in md
    assert "small:64 reaches 50%, within the CI of the best accuracy small:256 83%" in md
    assert "![accuracy_vs_cost.svg](accuracy_vs_cost.svg)" in md
    svg = (tmp_path / "out" / "accuracy_vs_cost.svg").read_text()
    assert "<svg" in svg and "small" in svg


def test_sweep_and_vote_strategies_parse() -> None:
    settings = settings_from_dict({})
    budgets = parse_sweep("0,64,256")
    strategies = parse_strategies(["local", "local:256x5"], settings, budgets)
    assert [s.key for s in strategies] == [
        "local:0",
        "local:64",
        "local:256",
        "local:0x5",
        "local:64x5",
        "local:256x5",
    ]
    with pytest.raises(ConfigError, match="at least two budgets"):
        parse_sweep("64")
    with pytest.raises(ConfigError, match="--sweep"):
        parse_sweep("0,lots")
