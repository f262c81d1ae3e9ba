"""Argument types shared by the sub-commands: budgets and token counts, checked on parse.

``argparse`` is imported inside them: a plain ``ponder`` never builds a parser (start-up).
"""

from __future__ import annotations

from backends.config import MAX_TOKENS_SETTING


def parse_budget(value: str) -> int | None:
    """``auto`` → None; ``off`` → 0; ``4k`` → 4096; a number of tokens otherwise."""
    import argparse  # not on the plain chat's start path (see entry.main)

    text = value.strip().lower()
    if text == "auto":
        return None
    if text == "off":
        return 0
    scale = 1024 if text.endswith("k") else 1
    try:
        number = int(text[:-1] if scale > 1 else text) * scale
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"budget must be a number of tokens, 4k, off or auto (got {value!r})"
        ) from None
    if number < 0:
        raise argparse.ArgumentTypeError("budget must be >= 0")
    if number > MAX_TOKENS_SETTING:
        raise argparse.ArgumentTypeError(f"budget must be at most {MAX_TOKENS_SETTING:,} tokens")
    return number


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
