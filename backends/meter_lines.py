"""One-line renderings of meter readings (the CLI's meter line, the status bar's totals)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from backends.pricing import format_usd

if TYPE_CHECKING:  # annotations only (the chat's first frame needs neither)
    from backends.events import Usage
    from backends.meters import MeterReading, SessionTotals

# ---- one-line renderings -----------------------------------------------------------------------

SEP = " · "


def format_count(value: int | None, estimated: bool) -> str:
    """Return a token count for display: ``31``, ``~31`` (estimate) or ``?`` (unknown)."""
    if value is None:
        return "?"
    return f"~{value}" if estimated else str(value)


def format_percent(fraction: float) -> str:
    """Return a 0..1 fraction as a whole percent, rounded down (100% means every token)."""
    return f"{math.floor(fraction * 100 + 1e-9)}%"


def format_input(usage: Usage, estimated: bool, input_known: bool) -> str:
    """Return ``in 52 (cached 48, 92%)``; cache writes are added when there were any."""
    if not input_known:
        return "in ?"
    if estimated or usage.input == 0:
        return f"in {format_count(usage.input, estimated)}"
    details = [f"cached {usage.cached_input}", format_percent(usage.cached_input / usage.input)]
    if usage.cache_write:
        details.append(f"written {usage.cache_write}")
    return f"in {usage.input} ({', '.join(details)})"


def format_seconds(seconds: float | None, decimals: int) -> str:
    """Return ``0.21s`` style seconds, or ``-`` when the moment has not happened."""
    return "-" if seconds is None else f"{seconds:.{decimals}f}s"


def format_rate(tps: float | None) -> str:
    """Return ``38 tok/s`` (one decimal below 10 tok/s), or ``- tok/s`` when unknown."""
    if tps is None:
        return "- tok/s"
    return f"{tps:.0f} tok/s" if tps >= 10 else f"{tps:.1f} tok/s"


def format_meter_line(reading: MeterReading) -> str:
    """Return the one-line meter of a reply.

    ``in 52 (cached 48, 92%) · out 31 · reasoning 0 · $0.00 · TTFT 0.21s · 4.1s · 38 tok/s``;
    estimates carry ``~``, unknown counts and prices ``?``, a local hardware-time cost ``≈``.
    """
    usage, est = reading.usage, reading.estimated
    return SEP.join(
        (
            format_input(usage, "input" in est, reading.input_known),
            f"out {format_count(usage.output, 'output' in est)}",
            f"reasoning {format_count(usage.reasoning, 'reasoning' in est)}",
            format_usd(
                reading.cost_usd, estimated=reading.cost_estimated, approx=reading.cost_approx
            ),
            f"TTFT {format_seconds(reading.ttft_s, 2)}",
            format_seconds(reading.total_s, 1),
            format_rate(reading.decode_tps),
        )
    )


def format_session_line(totals: SessionTotals) -> str:
    """Return the one-line summary of a session.

    ``3 replies · in 156 (cached 96, 61%) · out 93 · reasoning 12 · $0.0040 · total p50 4.1s
    p95 6.0s · TTFT p50 0.21s p95 0.40s``; a cost missing some replies' prices reads
    ``$0.0040 + ? (1 unpriced)``.
    """
    usage = totals.usage
    cost = format_usd(totals.cost, estimated=totals.cost_estimated, approx=totals.cost_approx)
    if totals.partial and totals.cost is not None:
        cost = f"{cost} + ? ({totals.unpriced} unpriced)"
    noun = "reply" if totals.messages == 1 else "replies"
    return SEP.join(
        (
            f"{totals.messages} {noun}",
            format_input(usage, usage.estimated, True),
            f"out {format_count(usage.output, usage.estimated)}",
            f"reasoning {format_count(usage.reasoning, usage.estimated)}",
            cost,
            f"total p50 {format_seconds(totals.total_p(50), 1)}"
            f" p95 {format_seconds(totals.total_p(95), 1)}",
            f"TTFT p50 {format_seconds(totals.ttft_p(50), 2)}"
            f" p95 {format_seconds(totals.ttft_p(95), 2)}",
        )
    )
