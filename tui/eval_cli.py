"""``ponder eval``: run a task set through backends x budgets and print the report.

``ponder eval TASKS.jsonl --backend local:0 --backend local:256 [--json] [--csv FILE]``. Results
are appended to a results file as they arrive (``--results``, default in ponder's data dir), so
an interrupted run resumes when the same command is run again. A progress bar goes to stderr
(redrawn in place on a terminal, one line per result otherwise); the report goes to stdout.
``TASKS`` may be ``sample`` for the sample set shipped with ponder.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import TextIO

from backends.compare.spec import parse_column_spec
from backends.config import Settings
from backends.errors import ConfigError
from backends.evals.report import build_report, format_report, report_json, write_csv
from backends.evals.runner import (
    EvalRunner,
    Progress,
    Strategy,
    default_results_path,
    settings_factory,
)
from backends.evals.tasks import TaskSet, load_tasks, sample_tasks_path
from backends.pricing import PriceBook
from tui.safe_text import printable

BAR_WIDTH = 24


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``eval`` to the ``ponder`` command."""
    from tui.cli import non_negative

    cmd = sub.add_parser(
        "eval",
        help="run a task set through backends x budgets; report accuracy, cost and latency",
        description="Run every task through every SPEC[:BUDGET] strategy, store the results "
        "as they arrive (rerun to resume) and print the report.",
    )
    cmd.add_argument("tasks", help="task set file (JSONL), or 'sample' for ponder's sample set")
    cmd.add_argument("--backend", "-b", dest="eval_backends", action="append",
                     metavar="SPEC[:BUDGET]",
                     help="a strategy: backend name or spec, optionally :BUDGET (tokens, 4k, "
                     "off, auto); repeat for more (default: the default backend)")  # fmt: skip
    cmd.add_argument("--json", action="store_true", help="print the report as JSON")
    cmd.add_argument("--csv", metavar="FILE", help="also write the report as CSV to FILE")
    cmd.add_argument("--results", metavar="FILE",
                     help="results file to append to and resume from "
                     "(default: in ponder's data dir, one per task set)")  # fmt: skip
    cmd.add_argument("--concurrency", type=_positive, default=4,
                     help="requests at once per remote backend (local: always 1)")  # fmt: skip
    cmd.add_argument("--max-tokens", type=non_negative, help="cap on all output tokens per task")
    cmd.add_argument("--temperature", type=float, help="sampling temperature")
    cmd.add_argument("--seed", type=int, help="sampling seed")
    cmd.add_argument("--limit", type=_positive, help="only the first N tasks")
    cmd.set_defaults(run=run_eval)


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError("must be >= 1")
    return number


def parse_strategies(texts: list[str], settings: Settings) -> list[Strategy]:
    """Strategies from ``SPEC[:BUDGET]`` texts; no budget = the configured default budget.

    Raises ``ConfigError`` when the same strategy is given twice.
    """
    default = None if settings.default_budget == "auto" else settings.default_budget
    strategies: list[Strategy] = []
    for text in texts:
        column = parse_column_spec(text, settings.backends)
        strategy = Strategy(column.backend, column.budget if column.budget_given else default)
        if strategy in strategies:
            raise ConfigError(f"strategy {strategy.key} is given twice", "give each one once")
        strategies.append(strategy)
    return strategies


def load_task_set(name: str, limit: int | None) -> TaskSet:
    """The task set named on the command line (``sample`` = the shipped one), maybe cut."""
    path = sample_tasks_path() if name == "sample" else Path(name)
    tasks = load_tasks(path)
    return tasks.head(limit) if limit else tasks


class ProgressBar:
    """Draws ``Progress`` on a text stream: a bar redrawn in place on a TTY, else one line per
    stored result. Only task ids and strategy keys are shown (sanitised), never model output.
    """

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.drawn = False

    def __call__(self, progress: Progress) -> None:
        if self.tty:
            self._draw(progress)
        elif progress.result is not None:
            result = progress.result
            verdict = "error" if result.error else ("ok" if result.correct else "wrong")
            self._line(progress, f"{result.strategy} {result.task_id} {verdict}")
        elif progress.started is None:
            resumed = f", {progress.resumed} already done" if progress.resumed else ""
            self.stream.write(f"eval: {progress.total - progress.resumed} to run{resumed}\n")
            self.stream.flush()

    def _line(self, progress: Progress, text: str) -> None:
        width = len(str(progress.total))
        self.stream.write(f"[{progress.done:>{width}}/{progress.total}] {printable(text)}\n")
        self.stream.flush()

    def _draw(self, progress: Progress) -> None:
        filled = round(progress.fraction * BAR_WIDTH)
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        text = (
            f"\r[{bar}] {progress.done}/{progress.total}  correct {progress.correct}"
            f"  errors {progress.errors}  running {progress.running}"
        )
        self.stream.write(text + "\x1b[K")
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        """End the redrawn line so later output starts on a fresh one."""
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False


async def run_eval(settings: Settings, args: argparse.Namespace) -> int:
    """``ponder eval``: run, store, report. Returns 0, or 1 when some results are errors."""
    tasks = load_task_set(args.tasks, args.limit)
    strategies = parse_strategies(args.eval_backends or [settings.default_backend], settings)
    results_path = Path(args.results).expanduser() if args.results else None
    results_path = results_path or default_results_path(tasks.source)
    bar = ProgressBar(sys.stderr)
    runner = EvalRunner(
        tasks,
        strategies,
        results_path,
        make_backend=settings_factory(settings),
        prices=PriceBook(settings.prices),  # type: ignore[arg-type]
        concurrency=args.concurrency,
        max_tokens=args.max_tokens or settings.max_tokens,
        temperature=args.temperature,
        seed=args.seed,
        on_progress=bar,
    )
    sys.stderr.write(f"results: {printable(str(results_path))}\n")
    try:
        results = await runner.run()
    except asyncio.CancelledError:
        bar.close()
        sys.stderr.write(
            f"ponder: interrupted; {runner.progress().done} results kept in {results_path} "
            "— run the same command again to resume\n"
        )
        raise
    finally:
        bar.close()
    report = build_report(tasks, strategies, results)
    if args.csv:
        write_csv(report, args.csv)
    if args.json:
        data = {"task_set": tasks.source, "results_file": str(results_path), **report_json(report)}
        json.dump(data, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(printable(format_report(report)) + "\n")
    errors = sum(row.errors for row in report.overall)
    if errors:
        sys.stderr.write(f"ponder: {errors} tasks failed with an error; rerun to retry them\n")
    return 1 if errors else 0
