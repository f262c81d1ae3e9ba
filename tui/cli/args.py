"""Argument types shared by the sub-commands: budgets and token counts, checked on parse.

``argparse`` is imported inside them: a plain ``ponder`` never builds a parser (start-up).
"""

from __future__ import annotations

from backends import budget_text
from backends.budget_text import MAX_TOKENS_SETTING


def parse_budget(value: str) -> int | None:
    """``--budget``: ``backends.budget_text.parse_budget``, its error as argparse's."""
    import argparse  # not on the plain chat's start path (see entry.main)

    try:
        return budget_text.parse_budget(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def non_negative(value: str) -> int:
    import argparse

    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}") from None
    if number < 0:
        raise argparse.ArgumentTypeError("must be >= 0")
    if number > MAX_TOKENS_SETTING:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_TOKENS_SETTING:,}")
    return number
