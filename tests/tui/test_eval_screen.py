"""The eval screen: form, run (resumed, cancelled, real), live table, plot, per tag, messages.

The snapshot and the table tests run on a results file written beforehand (every pair resumes,
so no real timing reaches the screen); the scripted backend gives exact model output and a
gate to cancel on; the tiny model runs the sample set for real.
Update the snapshot after an intended change with
``pytest tests/tui/test_eval_screen.py --snapshot-update`` and look at the SVG first.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, ProgressBar, Static

from backends.base import Backend
from backends.budget import Budget
from backends.config import BackendEntry, Settings, settings_from_dict
from backends.evals.report import build_report
from backends.evals.results import (
    RequestSettings,
    ResultsFile,
    TaskResult,
)
from backends.evals.runner import EvalRunner, Strategy
from backends.evals.tasks import Task, load_tasks, sample_tasks_path
from backends.events import Finished, StopReason, TextDelta, Usage
from backends.records import BudgetRecord, MeterRecord, UsageRecord
from tests.evals.local_support import tiny_entry
from tests.tui.helpers import app_with, backend_ready, key_now, screen_text, until
from tests.tui.scripted import ScriptedBackend, Step
from tui.app import PonderApp, make_app
from tui.eval.detail import ResultView
from tui.eval.plot import CostAccuracyPlot, PlotPanel
from tui.eval.screen import EvalScreen, StrategyResults
from tui.eval.setup import EvalSetup
from tui.eval.table import ReportTable, row_cells
from tui.safe_text import printable

SNAP = (140, 44)
BACKENDS = ["local", "claude", "gpu-box"]
BUDGETS: list[int | None] = [0, 1024]
LIMIT = 8
STRATEGIES = [Strategy(backend, budget) for backend in BACKENDS for budget in BUDGETS]
KEYS = [strategy.key for strategy in STRATEGIES]
# per strategy: how many of the 8 tasks are right, and the cost of one query (None: unknown);
# claude:0 is dominated (as accurate as local:1024, dearer); gpu-box is never placed
CORRECT = {
    "local:0": 3,
    "local:1024": 5,
    "claude:0": 5,
    "claude:1024": 8,
    "gpu-box:0": 4,
    "gpu-box:1024": 6,
}
COST = {
    "local:0": 0.00004,
    "local:1024": 0.00021,
    "claude:0": 0.0021,
    "claude:1024": 0.0094,
    "gpu-box:0": None,
    "gpu-box:1024": None,
}
WRONG = "[bold]41[/bold]"  # markup in model output: must show literally


# ---- a fixed run: stored results for every pair ---------------------------------------------


def matrix_settings() -> Settings:
    return Settings(
        budget_steps=[0, 256, 1024, "auto"],  # type: ignore[list-item]
        default_budget=1024,
        backends={
            "claude": BackendEntry(kind="anthropic", model="claude-sonnet-4-5"),
            "gpu-box": BackendEntry(kind="llama-server", model="gpt-oss-20b"),
        },
    )


def sample_cut() -> list[Task]:
    return list(load_tasks(sample_tasks_path()).tasks[:LIMIT])


def fixed_result(task: Task, strategy: Strategy, index: int) -> TaskResult:
    """A made-up, self-consistent result; never an error (the runner would redo it for real)."""
    key, thinks = strategy.key, bool(strategy.budget)
    correct = index < CORRECT[key]
    cached = 40 if strategy.backend == "claude" and index > 0 else 0
    return TaskResult(
        task_id=task.id,
        task_fingerprint=task.fingerprint(),
        strategy=key,
        backend=strategy.backend,
        kind="scripted",
        model="m",
        budget=BudgetRecord(requested=Budget(strategy.budget).describe()),
        settings=RequestSettings(),
        tags=list(task.tags),
        check=task.check,
        expected=task.expected,
        text=task.expected if correct else WRONG,
        thinking=f"Work through {task.id} step by step." if thinks else "",
        stop_reason="stop",
        correct=correct,
        usage=UsageRecord(
            input=60,
            cached_input=cached,
            output=20 + index,
            reasoning=(120 + 40 * index) if thinks else 0,
        ),
        meters=MeterRecord(
            cost_usd=COST[key],
            cache_hit=cached / 60,
            ttft_s=0.2 + index / 20,
            total_s=(2.5 if thinks else 0.8) + index / 10,
        ),
        finished_at="2026-01-01T00:00:00.000+00:00",
    )


def fixed_app(tmp_path: Path) -> tuple[PonderApp, Path, list[ScriptedBackend]]:
    """The app, a results file holding every pair (under the configuration the screen's run
    will have), and the backends the factory built."""
    path = tmp_path / "fixed.results.jsonl"
    built: list[ScriptedBackend] = []

    def factory(name: str) -> Backend:
        built.append(ScriptedBackend([Finished(StopReason.STOP)], name=name))
        return built[-1]

    keys = EvalRunner(sample_cut(), STRATEGIES, path, make_backend=factory)
    keys.load()
    store = ResultsFile(path)
    for index, task in enumerate(sample_cut()):
        for strategy in STRATEGIES:
            stored = fixed_result(task, strategy, index)
            update = {"config_key": keys.config_key(strategy), "settings": keys.settings}
            store.append(stored.model_copy(update=update))
    built.clear()
    return app_with(factory, matrix_settings()), path, built


async def open_eval(pilot: Pilot[Any], path: Path, **options: object) -> EvalScreen:
    app = pilot.app
    assert isinstance(app, PonderApp)
    screen = EvalScreen(app.services, results_path=lambda tasks: path, **options)  # type: ignore[arg-type]
    await app.push_screen(screen)
    await pilot.pause()
    return screen


async def run(
    pilot: Pilot[Any],
    screen: EvalScreen,
    backends: list[str],
    budgets: list[int | None],
    limit: int,
    max_tokens: str = "",
) -> None:
    """Fill the form, press ctrl+r and wait for the run to end."""
    screen.query_one("#eval-limit", Input).value = str(limit)
    screen.query_one("#eval-max-tokens", Input).value = max_tokens
    screen.query_one(EvalSetup).select(backends, budgets)
    key_now(pilot, "ctrl+r")  # not pilot.press: a real model never lets the app go idle
    await until(pilot, lambda: screen.worker is not None)
    assert screen.worker is not None
    await screen.worker.wait()
    await pilot.pause()


def cells(screen: EvalScreen, key: str) -> list[str]:
    return [str(cell) for cell in screen.query_one(ReportTable).get_row(key)]


# ---- the fixed run ----------------------------------------------------------------------------


def test_eval_screen_with_table_and_plot(snap_compare, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app, path, _ = fixed_app(tmp_path)

    async def run_before(pilot: Pilot[Any]) -> None:
        await backend_ready(pilot)
        await run(pilot, await open_eval(pilot, path), BACKENDS, BUDGETS, LIMIT)

    assert snap_compare(app, terminal_size=SNAP, run_before=run_before)


async def test_table_plot_and_tags_show_the_report_of_the_stored_results(tmp_path: Path) -> None:
    app, path, built = fixed_app(tmp_path)
    async with app.run_test(size=SNAP) as pilot:
        await backend_ready(pilot)
        screen = await open_eval(pilot, path)
        await run(pilot, screen, BACKENDS, BUDGETS, LIMIT)
        assert not any(b.requests for b in built)  # every pair resumed: nothing was sent
        assert screen.status.startswith("done · 48/48 (48 resumed) · 31 correct · 0 errors")
        bar = screen.query_one(ProgressBar)
        assert bar.total == bar.progress == 48

        table = screen.query_one(ReportTable)
        assert table.strategy_keys == KEYS
        results = [fixed_result(t, s, i) for i, t in enumerate(sample_cut()) for s in STRATEGIES]
        report = build_report(sample_cut(), STRATEGIES, results)  # recomputed independently
        for row in report.overall:
            assert cells(screen, row.strategy) == list(row_cells(row).values())
        assert cells(screen, "claude:1024")[1:4] == ["8/8", "100%", "68%-100%"]
        assert cells(screen, "gpu-box:0")[4:6] == ["unknown", "unknown"]
        marks = {key: cells(screen, key)[-1] for key in KEYS}
        assert marks == {
            "local:0": "★",
            "local:1024": "★",
            "claude:0": "",
            "claude:1024": "★",
            "gpu-box:0": "?",
            "gpu-box:1024": "?",
        }

        panel = screen.query_one(PlotPanel)
        assert panel.unknown == ["gpu-box:0", "gpu-box:1024"]  # listed, not plotted at $0
        points = screen.query_one(CostAccuracyPlot).points
        assert [(p.label, round(p.cost, 8), p.accuracy, p.frontier) for p in points] == [
            ("local:0", 0.00004, 37.5, True),
            ("local:1024", 0.00021, 62.5, True),
            ("claude:0", 0.0021, 62.5, False),
            ("claude:1024", 0.0094, 100.0, True),
        ]
        shown = screen_text(pilot)
        assert "claude:1024 ◆" in shown and "cost unknown, not plotted" in shown

        await pilot.press("ctrl+t")  # per tag: the first tag of the task set
        assert screen.group == "easy" and str(table.border_title).startswith("tag easy (8)")
        for row in report.by_tag["easy"]:
            assert cells(screen, row.strategy) == list(row_cells(row).values())
        for _ in report.by_tag:
            await pilot.press("ctrl+t")
        assert screen.group == "all"


async def test_opening_a_row_shows_every_message_as_plain_text(tmp_path: Path) -> None:
    app, path, _ = fixed_app(tmp_path)
    async with app.run_test(size=SNAP) as pilot:
        await backend_ready(pilot)
        screen = await open_eval(pilot, path)
        await run(pilot, screen, BACKENDS, BUDGETS, LIMIT)
        await pilot.press("down", "enter")  # the second row: local:1024
        assert isinstance(app.screen, StrategyResults)
        views = list(app.screen.query(ResultView))
        assert [view.result.task_id for view in views] == [task.id for task in sample_cut()]
        assert all(view.result.strategy == "local:1024" for view in views)
        first, last = views[0], views[-1]
        texts = [str(static.render()) for static in first.query(Static)]
        assert texts[0] == "sent-pizza  ✓ correct"
        assert texts[1] == f"prompt: {sample_cut()[0].prompt}"
        assert "thinking (120 tok): Work through sent-pizza step by step." in texts
        assert "answer: positive" in texts
        wrong = [str(static.render()) for static in last.query(Static)]
        assert wrong[0].endswith("✗ wrong") and f"answer: {WRONG}" in wrong  # literal markup
        await pilot.press("escape")
        assert app.screen is screen


# ---- opening, form errors, cancel and resume, model output ------------------------------------


async def test_f6_and_the_command_palette_open_the_screen_and_escape_closes_it() -> None:
    app = app_with(ScriptedBackend([Finished(StopReason.STOP)]), matrix_settings())
    async with app.run_test(size=SNAP) as pilot:
        await backend_ready(pilot)
        chat_screen = app.screen
        await pilot.press("f6")
        assert isinstance(app.screen, EvalScreen)
        setup = app.screen.query_one(EvalSetup).choice()
        assert setup.tasks == "sample" and setup.backends == ("local",)
        assert setup.budgets == (0, 1024)  # no thinking and the default budget
        await pilot.press("escape")
        assert app.screen is chat_screen
        commands = {c.title: c for c in app.get_system_commands(chat_screen)}
        await commands["Evaluate strategies: a task set across backends and budgets"].callback()
        await pilot.pause()
        assert isinstance(app.screen, EvalScreen)


async def test_form_errors_are_shown_and_nothing_runs(tmp_path: Path) -> None:
    app = app_with(ScriptedBackend([Finished(StopReason.STOP)]), matrix_settings())
    async with app.run_test(size=SNAP) as pilot:
        screen = await open_eval(pilot, tmp_path / "r.jsonl")
        screen.query_one(EvalSetup).select([], [0])
        await pilot.press("ctrl+r")
        assert screen.status.startswith("✗ no backend is ticked") and screen.runner is None
        screen.query_one(EvalSetup).select(["local"], [0])
        screen.query_one("#eval-tasks", Input).value = str(tmp_path / "missing.jsonl")
        await pilot.press("ctrl+r")
        assert "missing.jsonl: cannot be read" in screen.status and screen.runner is None


async def test_cancel_keeps_finished_results_and_run_resumes(tmp_path: Path) -> None:
    gate = asyncio.Event()
    hostile = "[red]x[/red] \x1b[2J 42"
    usage = Usage(input=30, output=4)
    first = [TextDelta(hostile), Finished(StopReason.STOP, usage=usage)]
    stuck = [Step(gate=gate), TextDelta("643"), Finished(StopReason.STOP, usage=usage)]
    built: list[ScriptedBackend] = []

    def factory(name: str) -> Backend:  # the first build answers once, then hangs
        script = (first, stuck) if not built else ([TextDelta("643"), Finished(StopReason.STOP)],)
        built.append(ScriptedBackend(*script, name=name))
        return built[-1]

    entry = BackendEntry(kind="scripted", model="bot-1")
    app = app_with(factory, Settings(default_backend="bot", backends={"bot": entry}))
    async with app.run_test(size=SNAP) as pilot:
        await backend_ready(pilot)
        built.clear()  # the chat's own backend
        screen = await open_eval(pilot, tmp_path / "r.jsonl")
        screen.query_one("#eval-limit", Input).value = "3"
        screen.query_one(EvalSetup).select(["bot"], [0])
        await pilot.press("ctrl+r")
        await until(pilot, lambda: screen.status.startswith("1/3"))
        assert cells(screen, "bot:0")[1] == "1/3"  # the table is live
        await pilot.press("escape")  # cancels the run, keeps the screen
        assert app.screen is screen and not screen.running
        assert screen.status == "cancelled · 1/3 stored · Run (ctrl+r) resumes"
        assert len(ResultsFile(tmp_path / "r.jsonl").load()) == 1

        await pilot.press("ctrl+r")
        assert screen.worker is not None
        await screen.worker.wait()
        await pilot.pause()
        assert screen.status.startswith("done · 3/3 (1 resumed)")
        assert len(built[1].requests) == 2  # the finished task was not sent again
        assert cells(screen, "bot:0")[4] == "unknown"  # no price for this model
        assert screen.query_one(PlotPanel).unknown == ["bot:0"]

        screen.open_results("bot:0")
        await pilot.pause()
        shown = screen_text(pilot)
        assert "answer: [red]x[/red] ␛[2J 42" in shown  # data, not markup or a terminal escape
        await pilot.press("escape", "escape")
        assert app.screen is not screen


# ---- the real tiny model ----------------------------------------------------------------------


async def test_sample_set_on_the_tiny_model_at_budgets_0_and_64(
    tiny_gguf: Path, tmp_path: Path
) -> None:
    settings = settings_from_dict(
        {
            "backends": {"tiny": tiny_entry(tiny_gguf)},
            "default_backend": "tiny",
            "budget_steps": [0, 64, "auto"],
            "default_budget": 64,
        }
    )
    app = make_app(settings)
    async with app.run_test(size=SNAP) as pilot:
        await backend_ready(pilot)
        await pilot.press("f6")
        screen = app.screen
        assert isinstance(screen, EvalScreen)
        screen.results_path = lambda tasks: tmp_path / "tiny.results.jsonl"
        await run(pilot, screen, ["tiny"], [0, 64], limit=3)  # 64 + the answer's 256 fit
        bar = screen.query_one(ProgressBar)
        assert bar.total == bar.progress == 6
        assert screen.status.startswith("done · 6/6 ·"), screen.status
        assert screen.query_one(ReportTable).strategy_keys == ["tiny:0", "tiny:64"]
        assert cells(screen, "tiny:0")[1] == cells(screen, "tiny:64")[1] == "3/3"

        await pilot.press("down", "enter")  # tiny:64
        assert isinstance(app.screen, StrategyResults)
        views = list(app.screen.query(ResultView))
        assert len(views) == 3
        for view, task in zip(views, load_tasks(sample_tasks_path()).tasks[:3], strict=True):
            assert view.result.thinking and view.result.stop_reason in ("stop", "length")
            texts = [str(static.render()) for static in view.query(Static)]
            assert f"prompt: {task.prompt}" in texts
            thinking = view.query_one(".eval-thinking", Static)
            assert str(thinking.render()).endswith(printable(view.result.thinking))
        await pilot.press("escape", "up", "enter")  # tiny:0 thought nothing
        assert isinstance(app.screen, StrategyResults)
        assert not app.screen.query(".eval-thinking")
