"""Fewer garbage collections while the chat starts: held until the first frame is long drawn.

Importing Textual and ponder, parsing the stylesheets and building the first screen allocate
hundreds of thousands of objects that all live on; with CPython's default thresholds each
700 allocations start a collection, and the older generations are walked again and again
(about 50-90 ms of the start-up on a busy 2-core machine, bench/startup.py). ``hold()`` raises
the first generation's threshold for the start; ``release()`` puts the old thresholds back when
the app starts its background work (``tui.app``), so a long session collects as usual.
"""

from __future__ import annotations

import gc

START_THRESHOLD = 100_000  # allocations between first-generation collections while starting

_held: tuple[int, int, int] | None = None


def hold() -> None:
    """Collect far less often until ``release()`` (the terminal chat's start only)."""
    global _held
    if _held is None:
        _held = gc.get_threshold()
        gc.set_threshold(START_THRESHOLD, _held[1], _held[2])


def release() -> None:
    """Back to the thresholds before ``hold()``; does nothing if nothing is held."""
    global _held
    if _held is not None:
        gc.set_threshold(*_held)
        _held = None
