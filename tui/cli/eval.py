"""``ponder eval``: run a task set through backends x budgets and print the report.

``ponder eval TASKS.jsonl -b local:0 -b local:256 [--repeat K] [--sweep 0,64,256] [--plot]
[--report DIR] [--json] [--csv FILE]``. Results are appended to a results file as they arrive
(``--results``, default in ponder's data dir), so an interrupted run resumes when the same command
is run again; a changed configuration redoes that strategy's results, and ``--fresh`` starts
over. A progress bar goes to stderr; the report (tables, paired tests, recommendation, and with
``--plot`` or ``--sweep`` terminal charts) to stdout. ``TASKS`` may be ``sample`` (the three
shipped sets), ``easy``, ``medium`` or ``hard``. ``-b local:256x5`` votes over 5 samples.

``ponder eval import reasoning-gym NAME --n 50 --seed 1 [--out FILE]`` writes a task set from
the optional ``reasoning-gym`` package.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import TextIO

from backends.budget_text import parse_budget
from backends.compare.spec import parse_column_spec
from backends.config import Settings
from backends.errors import ConfigError
from backends.evals.output import format_report, report_json
from backends.evals.report import Report, build_report, write_csv
from backends.evals.runner import (
    EvalRunner,
    Progress,
    Strategy,
    default_results_path,
    settings_factory,
)
from backends.evals.strategy import split_samples
from backends.evals.tasks import TaskSet, load_task_set_named
from backends.pricing import PriceBook
from backends.request import RequestOptions
from tui.cli.args import non_negative
from tui.safe_text import printable

BAR_WIDTH = 24
DEFAULT_SWEEP = "0,64,256"


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``eval`` to the ``ponder`` command."""
    cmd = sub.add_parser(
        "eval",
        help="run a task set through backends x budgets; report accuracy, cost and latency",
        description="Run every task through every SPEC[:BUDGET][xK] strategy, store the results "
        "as they arrive (rerun to resume) and print the report. 'ponder eval import "
        "reasoning-gym NAME --n 50 --seed 1' writes a task set instead.",
    )
    cmd.add_argument("tasks", help="task set file (JSONL), 'sample', 'easy', 'medium' or 'hard'")
    cmd.add_argument("extra", nargs="*", help=argparse.SUPPRESS)
    cmd.add_argument(
        "--backend",
        "-b",
        dest="eval_backends",
        action="append",
        metavar="SPEC[:BUDGET][xK]",
        help="a strategy: backend name or spec, optionally :BUDGET (tokens, 4k, "
        "off, auto) and xK to vote over K samples; repeat for more "
        "(default: the default backend)",
    )
    cmd.add_argument("--json", action="store_true", help="print the report as JSON")
    cmd.add_argument("--csv", metavar="FILE", help="also write the report as CSV to FILE")
    cmd.add_argument("--report", metavar="DIR", help="also write report.md and SVG charts to DIR")
    cmd.add_argument("--plot", action="store_true", help="draw the charts in the terminal")
    cmd.add_argument(
        "--sweep",
        nargs="?",
        const=DEFAULT_SWEEP,
        metavar="BUDGETS",
        help="run every backend at each budget (comma list, default "
        f"{DEFAULT_SWEEP}) and draw accuracy against reasoning and cost",
    )
    cmd.add_argument(
        "--results",
        metavar="FILE",
        help="results file to append to and resume from "
        "(default: in ponder's data dir, one per task set)",
    )
    cmd.add_argument(
        "--fresh", action="store_true", help="set the stored results aside and start over"
    )
    cmd.add_argument(
        "--concurrency",
        type=_positive,
        default=4,
        help="requests at once per remote backend (local: always 1)",
    )
    cmd.add_argument(
        "--repeat",
        type=_positive,
        default=1,
        help="samples per task (fixed seeds; the CI is over tasks)",
    )
    cmd.add_argument("--max-tokens", type=non_negative, help="cap on all output tokens per task")
    cmd.add_argument(
        "--answer-limit",
        type=_positive,
        default=256,
        help="answer tokens allowed after a thinking budget (a task's "
        "max_answer_tokens wins; default 256)",
    )
    cmd.add_argument("--temperature", type=float, help="sampling temperature")
    cmd.add_argument(
        "--seed",
        type=int,
        default=0,
        help="base seed of every request and of the order (default 0, recorded)",
    )
    cmd.add_argument("--limit", type=_positive, help="only the first N tasks")
    cmd.add_argument("--n", type=_positive, default=50, help=argparse.SUPPRESS)
    cmd.add_argument("--out", metavar="FILE", help=argparse.SUPPRESS)
    cmd.set_defaults(run=run_eval)


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError("must be >= 1")
    return number


def parse_strategies(
    texts: list[str], settings: Settings, sweep: list[int | None] | None = None
) -> list[Strategy]:
    """Strategies from ``SPEC[:BUDGET][xK]`` texts; no budget = the configured default budget.

    With ``sweep`` every spec runs at each of those budgets instead (its own budget ignored).
    Raises ``ConfigError`` when the same strategy is given twice.
    """
    default = settings.budget_limit()
    strategies: list[Strategy] = []
    for text in texts:
        spec, samples = split_samples(text)
        column = parse_column_spec(spec, settings.backends)
        budgets = sweep if sweep else [column.budget if column.budget_given else default]
        for budget in budgets:
            strategy = Strategy(column.backend, budget, samples)
            if strategy in strategies:
                raise ConfigError(f"strategy {strategy.key} is given twice", "give each one once")
            strategies.append(strategy)
    return strategies


def parse_sweep(text: str) -> list[int | None]:
    """``0,64,256`` -> [0, 64, 256]. Raises ``ConfigError`` naming a bad budget."""
    try:
        budgets = [parse_budget(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise ConfigError(f"--sweep: {exc}", "give budgets like 0,64,256") from None
    if len(budgets) < 2:
        raise ConfigError("--sweep needs at least two budgets", "give budgets like 0,64,256")
    return list(dict.fromkeys(budgets))


class ProgressBar:
    """Draws ``Progress`` on a text stream: a bar redrawn in place on a TTY, else one line per
    stored result. Only task ids and strategy keys are shown (sanitised), never model output.
    """

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.drawn = False
        self.notes: list[str] = []  # said once, before the first request (budget clamps)

    def __call__(self, progress: Progress) -> None:
        if progress.started is None and progress.result is None and self.notes:
            for note in self.notes:
                self.stream.write(f"eval: {printable(note)}\n")
            self.notes = []
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
    if args.tasks == "import":
        from tui.cli.eval_import import run_import

        return run_import(args)
    if args.extra:
        raise ConfigError(
            f"unexpected argument {args.extra[0]!r}", "give one task set; strategies go in -b"
        )
    tasks = load_task_set_named(args.tasks, args.limit)
    sweep = parse_sweep(args.sweep) if args.sweep else None
    texts = args.eval_backends or [settings.default_backend]
    strategies = parse_strategies(texts, settings, sweep)
    results_path = Path(args.results).expanduser() if args.results else None
    results_path = results_path or default_results_path(tasks.source)
    bar = ProgressBar(sys.stderr)
    runner = EvalRunner(
        tasks,
        strategies,
        results_path,
        make_backend=settings_factory(settings),
        prices=PriceBook(settings.prices),
        concurrency=args.concurrency,
        repeat=args.repeat,
        answer_limit=args.answer_limit,
        fresh=args.fresh,
        on_progress=lambda progress: _progress(runner, bar, progress),
        options=RequestOptions(
            max_tokens=args.max_tokens or settings.max_tokens,
            temperature=args.temperature,
            seed=args.seed,
        ),
    )
    sys.stderr.write(f"results: {printable(str(results_path))} · seed {runner.seed}\n")
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
        if runner.set_aside is not None:
            sys.stderr.write(f"--fresh: old results moved to {printable(str(runner.set_aside))}\n")
    report = build_report(tasks, strategies, results, args.repeat)
    _write_outputs(args, tasks, report, results_path, bool(sweep))
    errors = sum(row.errors for row in report.overall)
    if errors:
        sys.stderr.write(f"ponder: {errors} tasks failed with an error; rerun to retry them\n")
    return 1 if errors else 0


def _progress(runner: EvalRunner, bar: ProgressBar, progress: Progress) -> None:
    if progress.started is None and progress.result is None and not progress.done:
        bar.notes = list(runner.notes)
    bar(progress)


def _write_outputs(
    args: argparse.Namespace, tasks: TaskSet, report: Report, results_path: Path, sweep: bool
) -> None:
    if args.csv:
        write_csv(report, args.csv)
    if args.report:
        from backends.evals.export import write_report_dir

        written = write_report_dir(report, Path(args.report).expanduser(), tasks.source)
        sys.stderr.write(f"report: {', '.join(printable(str(p)) for p in written)}\n")
    if args.json:
        data = {"task_set": tasks.source, "results_file": str(results_path), **report_json(report)}
        json.dump(data, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    sys.stdout.write(printable(format_report(report)) + "\n")
    if args.plot or sweep:
        from tui.cli.eval_charts import terminal_charts

        sys.stdout.write(terminal_charts(report) + "\n")
