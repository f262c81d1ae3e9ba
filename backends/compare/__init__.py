"""Side-by-side compare: one prompt, several backends and budgets, and the numbers that decide.

``spec`` parses ``SPEC[:BUDGET]`` columns; ``runner`` runs a round (``Column``, ``CompareRound``,
``run_round``); ``schedule`` decides when local columns run; ``session`` holds the columns of a
compare view; ``summary`` picks the winners of a round.
"""

from backends.compare.column import Column
from backends.compare.runner import (
    ColumnOutcome,
    ColumnRun,
    CompareRound,
    RoundResult,
    run_round,
)
from backends.compare.schedule import LocalScheduler
from backends.compare.session import CompareSession, build_columns
from backends.compare.spec import ColumnSpec, parse_column_spec
from backends.compare.summary import Summary, format_summary, normalize_answer, summarize

__all__ = [
    "Column",
    "ColumnOutcome",
    "ColumnRun",
    "ColumnSpec",
    "CompareRound",
    "CompareSession",
    "LocalScheduler",
    "RoundResult",
    "Summary",
    "build_columns",
    "format_summary",
    "normalize_answer",
    "parse_column_spec",
    "run_round",
    "summarize",
]
