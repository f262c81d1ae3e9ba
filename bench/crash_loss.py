"""How much of a fast reply would a crash lose? The recorder with and without its byte bound.

A reply streams into a real SQLite history at ``--rate`` characters a second (600 KB/s by
default, the rate at which issue 14 saw SIGKILLs lose ~63,000 characters) for ``--seconds``.
After every delta the bench reads how many received characters no committed write holds yet
(what a SIGKILL at that moment would lose) and how long ago the oldest of them arrived. It runs
twice in one process: with the byte bound (``MAX_UNSAVED_CHARS``) and with it disabled (the
time bound alone, as before), and prints the worst loss of each and their ratio.

Target: with the bound, a crash loses at most ``2 * MAX_UNSAVED_CHARS`` plus one delta.
Run: ``python bench/crash_loss.py [--rate 600000] [--seconds 4]``.
"""

from __future__ import annotations

import argparse
import bisect
import tempfile
import time
from pathlib import Path

from backends.events import Finished, StopReason, TextDelta
from backends.store import recorder as recorder_module
from backends.store.db import Store
from backends.store.recorder import MessageRecorder

PIECE = 600  # characters per delta


def run(rate: float, seconds: float, bound: int) -> tuple[int, float]:
    """(worst unsaved characters, worst age in seconds of the oldest unsaved one)."""
    saved_bound = recorder_module.MAX_UNSAVED_CHARS
    recorder_module.MAX_UNSAVED_CHARS = bound
    try:
        with tempfile.TemporaryDirectory() as folder, Store.open(Path(folder) / "h.db") as store:
            rec = MessageRecorder(store, store.create_chat(), backend="b", kind="k", model="m")
            rec.begin([])
            times: list[float] = []
            totals: list[int] = []
            worst_chars, worst_age, total = 0, 0.0, 0
            start = time.monotonic()
            while (now := time.monotonic()) - start < seconds:
                due = int((now - start) * rate)
                while total < due:
                    rec.feed(TextDelta("x" * PIECE))
                    total += PIECE
                    times.append(time.monotonic())
                    totals.append(total)
                    unsaved = rec.unsaved_chars
                    worst_chars = max(worst_chars, unsaved)
                    saved = total - unsaved
                    first_unsaved = bisect.bisect_right(totals, saved)
                    if first_unsaved < len(times):
                        worst_age = max(worst_age, times[-1] - times[first_unsaved])
                time.sleep(0.001)
            rec.feed(Finished(StopReason.STOP))
            rec.close()
            return worst_chars, worst_age
    finally:
        recorder_module.MAX_UNSAVED_CHARS = saved_bound


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=600_000, help="characters per second")
    parser.add_argument("--seconds", type=float, default=4.0)
    args = parser.parse_args()
    bound = recorder_module.MAX_UNSAVED_CHARS
    with_chars, with_age = run(args.rate, args.seconds, bound)
    without_chars, without_age = run(args.rate, args.seconds, 10**12)
    print(f"rate {args.rate / 1000:.0f} K chars/s for {args.seconds:g} s")
    print(f"time bound only : worst loss {without_chars:>9,} chars, oldest {without_age:.3f} s")
    print(f"time + byte bound: worst loss {with_chars:>9,} chars, oldest {with_age:.3f} s")
    print(f"ratio (bound / time only): {with_chars / max(1, without_chars):.2f}")
    target = 2 * bound + PIECE
    met = "met" if with_chars <= target else "NOT met"
    print(f"target: at most {target:,} characters lost with the bound: {met}")


if __name__ == "__main__":
    main()
