"""The eval screen: run a task set through backends x budgets and watch the report fill in.

The form picks the task set (ponder's sample set by default), the backends and the budgets; Run
starts ``EvalRunner`` in a worker. Results are stored as they arrive, so closing the screen (or
cancelling) keeps every finished result and Run resumes from there. The table and the
cost-vs-accuracy plot are redrawn from ``build_report`` after each result; ctrl+t steps through
the per-tag breakdown; Enter on a row opens that strategy's full messages.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.css.query import NoMatches
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, DataTable, Footer, ProgressBar, Static
from textual.worker import Worker, WorkerCancelled, WorkerFailed

from backends.errors import PonderError, redact
from backends.evals.report import ALL, Report, build_report
from backends.evals.results import TaskResult
from backends.evals.runner import EvalRunner, Progress, Strategy, default_results_path
from backends.evals.tasks import TaskSet, load_task_set_named
from backends.pool import BackendPool
from backends.request import RequestOptions
from tui.bindings import screen_bindings
from tui.chat.services import ChatServices
from tui.eval.detail import ResultView, results_heading
from tui.eval.plot import PlotPanel
from tui.eval.setup import EvalChoice, EvalSetup
from tui.eval.table import ReportTable
from tui.safe_text import printable

ResultsPath = Callable[[TaskSet], Path]


def default_path(tasks: TaskSet) -> Path:
    """The runner's default: one results file per task set in ponder's data dir."""
    return default_results_path(tasks.source)


class StrategyResults(ModalScreen[None]):
    """Every result of one strategy (in task order): prompt, expected, thinking, answer."""

    BINDINGS = screen_bindings("eval_results")
    DEFAULT_CSS = """
    StrategyResults { align: center middle; }
    StrategyResults #eval-results {
        width: 90%; height: 90%; border: round $user-border; background: $status-bg;
        padding: 0 1;
    }
    StrategyResults #eval-results-title { text-style: bold; padding: 0 0 1 0; }
    """

    def __init__(self, heading: Content, views: list[ResultView]) -> None:
        super().__init__()
        self.heading = heading
        self.views = views

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="eval-results"):
            yield Static(self.heading, id="eval-results-title")
            yield from self.views

    def on_mount(self) -> None:
        self.query_one("#eval-results").focus()

    def action_close(self) -> None:
        self.dismiss(None)


class EvalScreen(Screen[None]):
    """Pick a task set, backends and budgets; run them; read the report (see the module doc).

    ``results_path(tasks)`` says where a task set's results are stored (default: ponder's data
    dir); ``concurrency`` is requests at once per remote backend (local ones run one at a time).
    """

    BINDINGS = screen_bindings("eval")
    DEFAULT_CSS = """
    EvalScreen { layout: vertical; }
    EvalScreen #eval-progress-row { height: 1; padding: 0 1; }
    EvalScreen ProgressBar { width: 40; }
    EvalScreen #eval-status { width: 1fr; color: $meter-fg; }
    EvalScreen ReportTable { border-top: solid $user-border; }
    """

    def __init__(
        self,
        services: ChatServices,
        *,
        results_path: ResultsPath = default_path,
        concurrency: int = 4,
    ) -> None:
        super().__init__()
        self.services = services
        self.results_path = results_path
        self.concurrency = concurrency
        self.runner: EvalRunner | None = None
        self.tasks: TaskSet | None = None
        self.strategies: list[Strategy] = []
        self.report: Report | None = None
        self.group = ALL
        self.worker: Worker[None] | None = None
        self.status = ""

    def compose(self) -> ComposeResult:
        yield EvalSetup(self.services.settings, self.services.backend_name, id="eval-setup")
        with Horizontal(id="eval-progress-row"):
            # a total from the start: an indeterminate bar would animate while nothing runs
            yield ProgressBar(total=1, show_eta=False, id="eval-progress")
            yield Static("", id="eval-status")
        yield ReportTable(id="eval-table")
        yield PlotPanel(id="eval-plot-panel")
        yield Footer()

    def on_mount(self) -> None:
        self._show_status("pick a task set, backends and budgets, then Run (ctrl+r)")
        self._show_report()

    @property
    def running(self) -> bool:
        return self.worker is not None and self.worker.is_running

    # ---- running ----------------------------------------------------------------------------

    @on(Button.Pressed, "#eval-run")
    def _run_pressed(self) -> None:
        self.action_run()

    def action_run(self) -> None:
        if self.running:
            self.notify("A run is going: escape cancels it.", markup=False)
            return
        try:
            choice = self.query_one(EvalSetup).choice()
            tasks = load_task_set_named(choice.tasks, choice.limit)
        except PonderError as exc:
            self._show_status(f"✗ {exc.message}" + (f" — {exc.hint}" if exc.hint else ""))
            return
        self.start(tasks, choice)

    def start(self, tasks: TaskSet, choice: EvalChoice) -> None:
        """Run ``choice``'s strategies over ``tasks`` (resuming from the results file)."""
        self.tasks, self.strategies = tasks, choice.strategies
        self.group = ALL
        pool = BackendPool(self.services.backend_factory)
        self.runner = EvalRunner(
            tasks,
            self.strategies,
            self.results_path(tasks),
            make_backend=pool,
            prices=self.services.prices,
            concurrency=self.concurrency,
            on_progress=self._progress,
            options=RequestOptions(max_tokens=choice.max_tokens),
        )
        self.query_one(ProgressBar).update(total=self.runner.total, progress=0)
        self._show_status(f"starting · {len(tasks)} tasks x {len(self.strategies)} strategies")
        self._show_report()
        self.query_one(ReportTable).focus()
        self.worker = self._run(self.runner, pool)

    @work(exclusive=True, group="eval", exit_on_error=False)
    async def _run(self, runner: EvalRunner, pool: BackendPool) -> None:
        try:
            # built in a thread first: the runner keys stored results by their configuration
            await pool.get_all(dict.fromkeys(s.backend for s in runner.strategies))
            await runner.run()
        except asyncio.CancelledError:
            with suppress(NoMatches):  # the screen may be going away
                self._show_status(self._stopped_text(runner))
            raise
        except PonderError as exc:
            self._show_status(f"✗ {exc.message}" + (f" — {exc.hint}" if exc.hint else ""))
            return
        except Exception as exc:  # a bug must show on the screen, not end the app
            self._show_status(f"✗ the run failed: {type(exc).__name__}: {redact(str(exc))}")
            return
        finally:
            await pool.aclose()
        self._show_report()
        self._show_status(self._done_text(runner))

    def _progress(self, progress: Progress) -> None:
        # Called by the runner on this event loop: before the first request, on every request
        # sent and after every result stored.
        self.query_one(ProgressBar).update(total=progress.total, progress=progress.done)
        if progress.started is not None:
            task_id, strategy = progress.started
            now = f" · asking {strategy} {task_id}"
        else:
            now = ""
            self._show_report()
        resumed = f" · {progress.resumed} resumed" if progress.resumed else ""
        if self.runner is not None and self.runner.notes and progress.started is None:
            resumed += f" · {'; '.join(self.runner.notes)}"  # budget clamps, before the run
        self._show_status(
            f"{progress.done}/{progress.total} · {progress.correct} correct · "
            f"{progress.errors} errors{resumed}{now}"
        )

    def _done_text(self, runner: EvalRunner) -> str:
        done = runner.progress()
        resumed = f" ({done.resumed} resumed)" if done.resumed else ""
        return (
            f"done · {done.done}/{done.total}{resumed} · {done.correct} correct · "
            f"{done.errors} errors · {runner.store.path.name}"
        )

    def _stopped_text(self, runner: EvalRunner) -> str:
        done = runner.progress()
        return f"cancelled · {done.done}/{done.total} stored · Run (ctrl+r) resumes"

    async def cancel_run(self) -> None:
        """Stop the run; finished results stay stored (a rerun resumes)."""
        worker = self.worker
        if worker is not None and worker.is_running:
            worker.cancel()
            with suppress(WorkerCancelled, WorkerFailed):
                await worker.wait()

    # ---- report -----------------------------------------------------------------------------

    def current_results(self) -> list[TaskResult]:
        """The results of the current run (resumed ones included), in matrix order."""
        return self.runner.results() if self.runner is not None else []

    def _show_report(self) -> None:
        if self.tasks is None:
            self.query_one(ReportTable).show([])
            self.query_one(PlotPanel).show([], self.group)
            return
        self.report = build_report(self.tasks, self.strategies, self.current_results())
        rows = self.report.overall if self.group == ALL else self.report.by_tag[self.group]
        table = self.query_one(ReportTable)
        count = rows[0].tasks if rows else 0
        where = "all tasks" if self.group == ALL else f"tag {self.group}"
        table.border_title = f"{printable(where)} ({count}) · ctrl+t: per tag · enter: messages"
        table.show(rows)
        self.query_one(PlotPanel).show(rows, self.group)

    def _show_status(self, text: str) -> None:
        self.status = printable(text)
        self.query_one("#eval-status", Static).update(Content(self.status))

    def action_next_group(self) -> None:
        groups = [ALL, *(self.report.by_tag if self.report else [])]
        self.group = groups[(groups.index(self.group) + 1) % len(groups)]
        self._show_report()

    @on(DataTable.RowSelected, "#eval-table")
    def _open_row(self, event: DataTable.RowSelected) -> None:
        strategy = str(event.row_key.value)
        self.open_results(strategy)

    def open_results(self, strategy: str) -> None:
        """Show the full messages of ``strategy``'s results in the current group."""
        tasks = {task.id: task for task in (self.tasks.tasks if self.tasks else ())}
        results = [
            result
            for result in self.current_results()
            if result.strategy == strategy and (self.group == ALL or self.group in result.tags)
        ]
        if not results:
            self.notify(f"No results for {printable(strategy)} yet.", markup=False)
            return
        views = [ResultView(tasks.get(result.task_id), result) for result in results]
        self.app.push_screen(StrategyResults(results_heading(strategy, self.group, results), views))

    # ---- closing ----------------------------------------------------------------------------

    async def action_close(self) -> None:
        if self.running:
            await self.cancel_run()
            return
        self.dismiss(None)

    async def on_unmount(self) -> None:
        await self.cancel_run()
