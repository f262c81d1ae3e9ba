"""``ponder compare``: one prompt, several backends and budgets, one table of meters.

``ponder compare --backend local:0 --backend local:256 --backend claude:4k "2+2?"`` runs the
columns concurrently (local ones as the CPU allows), prints nothing while they stream (a
progress line on stderr when it is a terminal), then each answer, one table with the same
meters per column, and the summary. ``--json`` prints one object instead: per-column text,
thinking, usage, meters and the summary.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any, TextIO

from backends.capabilities import thinking_label
from backends.compare import CompareSession, RoundResult, build_columns, summarize
from backends.compare.column import Column
from backends.compare.runner import ColumnOutcome
from backends.compare.schedule import POLICIES
from backends.compare.summary import Summary, Winner, format_summary
from backends.config import Settings
from backends.errors import ConfigError, redact_all
from backends.events import ReasoningDelta, StreamEvent, TextDelta
from backends.meter_lines import (
    format_count,
    format_percent,
    format_rate,
    format_seconds,
)
from backends.meters import MeterReading
from backends.outputs import (
    AgreementGroupRecord,
    AgreementRecord,
    BestRecord,
    CompareColumnRecord,
    CompareResult,
    StandingRecord,
    SummaryRecord,
    WinnerRecord,
)
from backends.pool import BackendPool
from backends.pricing import PriceBook, format_usd
from backends.records import BudgetRecord, NoteRecord, error_record, meter_record, reading_usage
from backends.request import Message, RequestOptions
from tui.cli.args import non_negative, parse_budget
from tui.safe_text import from_os, printable, read_text

FROM_CONFIG = object()  # --budget not given: the config's default_budget


def shown(text: str) -> str:
    """A label or summary line for the terminal: URL credentials redacted, controls visible."""
    return printable(redact_all(text))


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``compare`` to the ``ponder`` command."""
    cmp = sub.add_parser(
        "compare", help="send one prompt to several backends/budgets and compare the meters"
    )
    cmp.add_argument("prompt", nargs="*", help="the prompt (read from stdin when omitted)")
    cmp.add_argument(
        "--backend",
        "-b",
        dest="columns",
        action="append",
        default=[],
        metavar="SPEC[:BUDGET]",
        help="a column: backend name or spec, optionally :BUDGET (64, 4k, off, "
        "auto); give it once per column",
    )
    cmp.add_argument(
        "--budget",
        type=parse_budget,
        default=FROM_CONFIG,
        help="budget of columns that give none (tokens, 4k, off, auto)",
    )
    cmp.add_argument("--max-tokens", type=non_negative, help="cap on each column's output")
    cmp.add_argument("--temperature", type=float, help="sampling temperature")
    cmp.add_argument("--seed", type=int, help="sampling seed")
    cmp.add_argument("--system", help="system prompt (for every column)")
    cmp.add_argument(
        "--local",
        choices=POLICIES,
        default="auto",
        help="how local columns share the CPU (default: by threads)",
    )
    cmp.add_argument("--json", action="store_true", help="print one JSON object instead")
    cmp.set_defaults(run=run_compare)


def read_prompt(args: argparse.Namespace, stdin: TextIO) -> str:
    """The prompt from the arguments, else stdin. Raises ``ConfigError`` when there is none."""
    if args.prompt:
        return from_os(" ".join(args.prompt))
    text = "" if stdin.isatty() else read_text(stdin)
    if not text.strip():
        raise ConfigError(
            "no prompt given", 'pass it as an argument: ponder compare -b A -b B "..."'
        )
    return text


class Progress:
    """One self-overwriting status line on a terminal: each column's state and output tokens."""

    def __init__(self, err: TextIO, labels: list[str]) -> None:
        self.err = err
        self.labels = labels
        self.states = ["waiting"] * len(labels)
        self.chunks = [0] * len(labels)
        self.drawn_at = 0.0

    def event(self, index: int, event: StreamEvent) -> None:
        if isinstance(event, (TextDelta, ReasoningDelta)):
            self.chunks[index] += 1
            if time.monotonic() - self.drawn_at > 0.1:
                self.draw()

    def status(self, index: int, status: str) -> None:
        self.states[index] = status
        self.draw()

    def draw(self) -> None:
        self.drawn_at = time.monotonic()
        parts = [
            f"{shown(label)}: {state}" + (f" ({n})" if state == "running" and n else "")
            for label, state, n in zip(self.labels, self.states, self.chunks, strict=True)
        ]
        self.err.write("\r\x1b[K" + " | ".join(parts))
        self.err.flush()

    def clear(self) -> None:
        self.err.write("\r\x1b[K")
        self.err.flush()


async def run_compare(settings: Settings, args: argparse.Namespace) -> int:
    """``ponder compare``: run one round, print the report; 1 when a column failed."""
    prompt = read_prompt(args, sys.stdin)
    if len(args.columns) < 2:
        raise ConfigError(
            "compare needs at least two columns",
            "give --backend once per column, e.g. -b local:0 -b local:256",
        )
    default = settings.budget_limit() if args.budget is FROM_CONFIG else args.budget
    history = [Message("system", from_os(args.system))] if args.system else []
    pool = BackendPool.for_settings(settings)
    columns = build_columns(
        settings, args.columns, default_budget=default, history=history, pool=pool
    )
    session = CompareSession(
        columns, prices=PriceBook(settings.prices), policy=args.local, pool=pool
    )
    progress = Progress(sys.stderr, [c.label for c in columns]) if sys.stderr.isatty() else None
    try:
        result = await session.ask(
            prompt,
            on_event=progress.event if progress else None,
            on_status=progress.status if progress else None,
            options=RequestOptions(
                max_tokens=args.max_tokens or settings.max_tokens,
                temperature=args.temperature,
                seed=args.seed,
            ),
        )
    finally:
        if progress is not None:
            progress.clear()
        await session.aclose()
    summary = summarize(result)
    if args.json:
        json.dump(compare_json(columns, result, summary), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(report(result, summary))
    failed = any(o.finished.error is not None for o in result.outcomes)
    return 1 if failed else 0


# ---- the text report -------------------------------------------------------------------------

HEADERS = (
    "#",
    "column",
    "stop",
    "in",
    "cache",
    "out",
    "reasoning",
    "cost",
    "TTFT",
    "total",
    "tok/s",
)


def meter_cells(reading: MeterReading) -> list[str]:
    """The meters of one column as table cells (``~`` estimates, ``?`` unknown)."""
    usage, est = reading.usage, reading.estimated
    cache = "-" if reading.cache_hit is None else format_percent(reading.cache_hit)
    return [
        format_count(usage.input, "input" in est) if reading.input_known else "?",
        cache,
        format_count(usage.output, "output" in est),
        format_count(usage.reasoning, "reasoning" in est),
        format_usd(reading.cost_usd, estimated=reading.cost_estimated),
        format_seconds(reading.ttft_s, 2),
        format_seconds(reading.total_s, 1),
        format_rate(reading.decode_tps).removesuffix(" tok/s"),
    ]


def table(outcomes: tuple[ColumnOutcome, ...]) -> list[str]:
    """One row per column, aligned; numbers right-aligned."""
    rows = [list(HEADERS)]
    for o in outcomes:
        stop = o.finished.stop_reason.value + (" !" if o.finished.error else "")
        rows.append([str(o.index + 1), shown(o.label), stop, *meter_cells(o.reading)])
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADERS))]
    lines = []
    for row in rows:
        cells = [
            cell.ljust(width) if i in (1, 2) else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return lines


def answer_block(o: ColumnOutcome) -> list[str]:
    """A column's heading, answer (control characters made visible) and error, if any."""
    lines = [f"── {o.index + 1} · {shown(o.label)} ".ljust(60, "─")]
    if o.thinking:
        spent = o.reading.usage.reasoning
        mark = "~" if "reasoning" in o.reading.estimated else ""
        count = f"{mark}{spent} tokens" if spent is not None else "an unreported number of tokens"
        lines.append(f"(thought {count}; --json shows the thinking)")
    lines.append(printable(o.text.strip()) or "(no answer)")
    if o.queued_s:
        lines.append(f"(queued {o.queued_s:.1f}s for a local slot; meters start after it)")
    error = o.finished.error
    if error is not None:
        lines.append(f"error: {printable(str(error))}")
    return lines


def report(result: RoundResult, summary: Summary) -> str:
    """The whole text report: answers, the meter table, the summary lines."""
    lines: list[str] = []
    for outcome in result.outcomes:
        lines.extend(answer_block(outcome))
        lines.append("")
    lines.extend(table(result.outcomes))
    lines.append("")
    lines.extend(shown(line) for line in format_summary(summary))
    lines.append(f"round: {result.wall_s:.1f}s wall")
    return "\n".join(lines) + "\n"


# ---- --json ----------------------------------------------------------------------------------


def column_json(column: Column, o: ColumnOutcome) -> CompareColumnRecord:
    """One column: the same usage, meters and error records as ``ponder ask --json``."""
    backend, finished = column.backend, o.finished
    return CompareColumnRecord(
        index=o.index,
        label=redact_all(o.label),
        backend=backend.name,
        kind=backend.kind,
        model=finished.model or backend.model,
        text=o.text,
        thinking=o.thinking,
        stop_reason=finished.stop_reason.value,
        error=error_record(finished.error),
        usage=reading_usage(o.reading),
        meters=meter_record(o.reading),
        budget=BudgetRecord(
            requested=o.budget,
            reasoning_tokens_spent=o.reading.usage.reasoning,
            forced_close_tokens=finished.forced_close_tokens,
            applied=finished.budget_applied,
            precision=backend.capabilities.budget_precision,
            thinking=thinking_label(backend.capabilities) or None,
        ),
        queued_s=o.queued_s,
        notes=[NoteRecord(kind=n.kind, text=n.text) for n in o.notes],
    )


def winner_json(winner: Winner | None) -> WinnerRecord | None:
    if winner is None:
        return None
    return WinnerRecord(
        best=[
            BestRecord(index=s.index, label=redact_all(s.label), value=s.value) for s in winner.best
        ],
        others=[
            StandingRecord(
                index=s.index,
                label=redact_all(s.label),
                value=s.value,
                times=s.times,
                difference=s.difference,
            )
            for s in winner.others
        ],
        unknown=list(winner.unknown),
    )


def summary_json(summary: Summary) -> SummaryRecord:
    agreement = summary.agreement
    return SummaryRecord(
        cheapest=winner_json(summary.cheapest),
        fastest_ttft=winner_json(summary.fastest_ttft),
        fastest_total=winner_json(summary.fastest_total),
        fewest_reasoning=winner_json(summary.fewest_reasoning),
        most_reasoning=winner_json(summary.most_reasoning),
        unpriced=[redact_all(label) for label in summary.unpriced],
        excluded=[redact_all(label) for label in summary.excluded],
        agreement=None
        if agreement is None
        else AgreementRecord(
            all_agree=agreement.all_agree,
            groups=[
                AgreementGroupRecord(
                    answer=g.answer,
                    labels=[redact_all(label) for label in g.labels],
                    indexes=list(g.indexes),
                )
                for g in agreement.groups
            ],
            not_compared=[redact_all(label) for label in agreement.not_compared],
        ),
        lines=[redact_all(line) for line in format_summary(summary)],
    )


def compare_json(columns: list[Column], result: RoundResult, summary: Summary) -> dict[str, Any]:
    """The ``--json`` object (``backends.records.CompareResult``): prompt, wall time, one entry
    per column, the summary."""
    record = CompareResult(
        prompt=result.prompt,
        wall_s=result.wall_s,
        columns=[column_json(columns[o.index], o) for o in result.outcomes],
        summary=summary_json(summary),
    )
    return record.model_dump(mode="json")
