"""The summary row of a compare round: who won on cost, latency and reasoning, by how much.

Pure functions of the columns' final meter readings and answers, so they are tested with
hand-made readings. Only columns that finished (stop or length, no error) take part; cancelled
and failed columns are listed as ``excluded``. A value nobody knows (price not in the price data,
a provider that reports no reasoning count) is never treated as zero: those columns are listed
as ``unknown`` for that metric and the winner is chosen among the others.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from backends.events import StopReason
from backends.meter_lines import format_count, format_seconds
from backends.meters import MeterReading
from backends.pricing import format_usd

if TYPE_CHECKING:
    from backends.compare.runner import ColumnOutcome, RoundResult

SHORT_ANSWER_CHARS = 80  # answers longer than this (normalised) are not compared for agreement
TIE_TOLERANCE = 1e-12


@dataclass(frozen=True, slots=True)
class Standing:
    """One column's value in one metric, against the winner.

    ``times`` is how many times larger the bigger of the two values is (``None`` when the
    smaller is 0); ``difference`` is the absolute difference (never negative). ``queued_s`` is
    set on latency standings of a column that waited for a local slot: its times start after
    the wait, and the line says so.
    """

    index: int
    label: str
    value: float
    times: float | None
    difference: float
    estimated: bool = False
    queued_s: float = 0.0  # waited this long for a local slot before its request (not in value)
    approx: bool = False  # a cost from local hardware time: an estimate, shown with ≈


@dataclass(frozen=True, slots=True)
class Winner:
    """The best column(s) of one metric (several when tied), the others, and the unknowns."""

    metric: str
    best: tuple[Standing, ...]
    others: tuple[Standing, ...]
    unknown: tuple[str, ...] = ()

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(standing.label for standing in self.best)

    @property
    def indexes(self) -> tuple[int, ...]:
        return tuple(standing.index for standing in self.best)

    @property
    def value(self) -> float:
        return self.best[0].value


@dataclass(frozen=True, slots=True)
class AgreementGroup:
    """Columns whose short answers are equal after normalising."""

    answer: str
    labels: tuple[str, ...]
    indexes: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Agreement:
    """Which columns agreed; ``groups`` largest first. ``not_compared``: answers too long/empty."""

    groups: tuple[AgreementGroup, ...]
    not_compared: tuple[str, ...] = ()

    @property
    def all_agree(self) -> bool:
        return len(self.groups) == 1 and not self.not_compared


@dataclass(frozen=True, slots=True)
class Summary:
    """Winners per metric (``None`` when no column has a value), plus agreement on the answer.

    ``most_reasoning`` is ``None`` too when every known reasoning count is the same.
    """

    cheapest: Winner | None
    fastest_ttft: Winner | None
    fastest_total: Winner | None
    fewest_reasoning: Winner | None
    most_reasoning: Winner | None
    agreement: Agreement | None
    excluded: tuple[str, ...] = ()

    @property
    def unpriced(self) -> tuple[str, ...]:
        """Columns whose price is unknown (so "cheapest" is among the others only)."""
        return self.cheapest.unknown if self.cheapest else ()


# ---- answer normalising ----------------------------------------------------------------------

_EMPHASIS = re.compile(r"\*+|`+|~~|(?<!\w)_+|_+(?!\w)")
_TRAILING = re.compile(r"[\s.!?,;:。！？]+$")
_DECIMAL = re.compile(r"(?<![\d.])(\d+)\.(\d+)(?!\.?\d)")


def _trim_zeros(match: re.Match[str]) -> str:
    fraction = match.group(2).rstrip("0")
    return f"{match.group(1)}.{fraction}" if fraction else match.group(1)


def normalize_answer(text: str) -> str:
    """Return ``text`` normalised for an exact-match comparison.

    Markdown emphasis and code ticks removed, case folded, whitespace collapsed, trailing
    punctuation dropped, and decimals written without trailing zeros (``4.0`` → ``4``).
    """
    text = _EMPHASIS.sub("", text).casefold()
    text = " ".join(text.split())
    text = _TRAILING.sub("", text)
    return _DECIMAL.sub(_trim_zeros, text)


def agreement(outcomes: Sequence[ColumnOutcome]) -> Agreement | None:
    """Group columns by normalised answer; ``None`` unless two or more answers are short."""
    groups: dict[str, list[ColumnOutcome]] = {}
    not_compared: list[str] = []
    for outcome in outcomes:
        answer = normalize_answer(outcome.text)
        if not answer or len(answer) > SHORT_ANSWER_CHARS:
            not_compared.append(outcome.label)
        else:
            groups.setdefault(answer, []).append(outcome)
    if sum(len(members) for members in groups.values()) < 2:
        return None
    ordered = sorted(groups.items(), key=lambda item: -len(item[1]))  # stable: column order
    return Agreement(
        groups=tuple(
            AgreementGroup(answer, tuple(o.label for o in members), tuple(o.index for o in members))
            for answer, members in ordered
        ),
        not_compared=tuple(not_compared),
    )


# ---- winners ---------------------------------------------------------------------------------


def _times(a: float, b: float) -> float | None:
    small, big = sorted((abs(a), abs(b)))
    return big / small if small > 0 else None


def rank(
    metric: str,
    values: Sequence[tuple[ColumnOutcome, float | None, bool]],
    *,
    lowest: bool = True,
) -> Winner | None:
    """Pick the best of ``(outcome, value or None, estimated)``; ``None`` if no value is known.

    Ties (equal within ``TIE_TOLERANCE``) all win. ``others`` are ordered best first.
    """
    known = [(o, v, est) for o, v, est in values if v is not None]
    unknown = tuple(o.label for o, v, _ in values if v is None)
    if not known:
        return None
    known.sort(key=lambda item: item[1] if lowest else -item[1])
    best_value = known[0][1]

    def standing(outcome: ColumnOutcome, value: float, estimated: bool) -> Standing:
        return Standing(
            outcome.index,
            outcome.label,
            value,
            _times(value, best_value),
            abs(value - best_value),
            estimated,
            approx=metric == "cheapest" and outcome.reading.cost_approx,
        )

    best = [standing(*item) for item in known if abs(item[1] - best_value) <= TIE_TOLERANCE]
    others = [standing(*item) for item in known if abs(item[1] - best_value) > TIE_TOLERANCE]
    return Winner(metric, tuple(best), tuple(others), unknown)


def completed(outcome: ColumnOutcome) -> bool:
    """Did the column finish its reply (stop or length, no error)?"""
    finished = outcome.finished
    return (
        finished is not None
        and finished.error is None
        and finished.stop_reason in (StopReason.STOP, StopReason.LENGTH)
    )


def _metric(
    outcomes: Sequence[ColumnOutcome],
    get: Callable[[MeterReading], float | None],
    estimated: Callable[[MeterReading], bool] = lambda reading: False,
) -> list[tuple[ColumnOutcome, float | None, bool]]:
    return [(o, get(o.reading), estimated(o.reading)) for o in outcomes]


def _reasoning(reading: MeterReading) -> float | None:
    value = reading.usage.reasoning
    return None if value is None else float(value)


def _with_waits(winner: Winner | None, queued: dict[int, float]) -> Winner | None:
    """Mark the latency standings of columns that waited for a local slot first."""
    if winner is None or not any(queued.values()):
        return winner

    def mark(items: tuple[Standing, ...]) -> tuple[Standing, ...]:
        return tuple(replace(s, queued_s=queued.get(s.index, 0.0)) for s in items)

    return replace(winner, best=mark(winner.best), others=mark(winner.others))


def summarize_outcomes(outcomes: Sequence[ColumnOutcome]) -> Summary:
    """The summary of these columns' outcomes (see the module docstring)."""
    done = [o for o in outcomes if completed(o)]
    reasoning = _metric(done, _reasoning, lambda r: "reasoning" in r.estimated)
    fewest = rank("fewest reasoning", reasoning)
    # "most" only says something "fewest" did not with three or more different counts: with
    # two it is the same ranking read backwards, with all equal there is nothing to rank.
    known = {value for _, value, _ in reasoning if value is not None}
    most = rank("most reasoning", reasoning, lowest=False) if len(known) >= 3 else None
    queued = {o.index: o.queued_s for o in done}
    return Summary(
        cheapest=rank("cheapest", _metric(done, lambda r: r.cost_usd, lambda r: r.cost_estimated)),
        fastest_ttft=_with_waits(rank("fastest TTFT", _metric(done, lambda r: r.ttft_s)), queued),
        fastest_total=_with_waits(
            rank("fastest total", _metric(done, lambda r: r.total_s)), queued
        ),
        fewest_reasoning=fewest,
        most_reasoning=most,
        agreement=agreement(done),
        excluded=tuple(o.label for o in outcomes if not completed(o)),
    )


def summarize(result: RoundResult) -> Summary:
    """The summary row of one round."""
    return summarize_outcomes(result.outcomes)


# ---- one line per metric ---------------------------------------------------------------------


def _usd(value: float, estimated: bool = False, approx: bool = False) -> str:
    return format_usd(value, estimated=estimated, approx=approx)


def _secs(value: float) -> str:
    return format_seconds(value, 2)


def _tokens(value: float, estimated: bool = False) -> str:
    return format_count(int(value), estimated)


_FORMATS: dict[str, Callable[..., str]] = {
    "cheapest": _usd,
    "fastest TTFT": lambda v, est=False: _secs(v),
    "fastest total": lambda v, est=False: _secs(v),
    "fewest reasoning": _tokens,
    "most reasoning": _tokens,
}


def _wait(standing: Standing) -> str:
    """`` after 1.20s queued`` for a column whose times start after a wait for a local slot."""
    return f" after {_secs(standing.queued_s)} queued" if standing.queued_s > 0 else ""


def format_winner(winner: Winner) -> str:
    """``fastest TTFT: gpt @auto 0.21s · local @64 0.50s (2.4x, +0.29s)``."""
    show = _FORMATS[winner.metric]
    best = " = ".join(s.label for s in winner.best)
    tie = " (tie)" if len(winner.best) > 1 else ""
    waits = "".join(_wait(s) for s in winner.best)

    def shown(value: float, standings: Sequence[Standing]) -> str:
        estimated = any(s.estimated for s in standings)
        if winner.metric == "cheapest":  # a local cost is a hardware-time estimate: ≈
            return _usd(value, estimated, any(s.approx for s in standings))
        return show(value, estimated)

    parts = [f"{best} {shown(winner.value, winner.best)}{waits}{tie}"]
    for other in winner.others:
        if winner.metric == "most reasoning":  # below the winner: say "fewer", never "-21"
            times = f"{other.times:.1f}x fewer, " if other.times is not None else ""
            delta = f"{times}{show(other.difference)} fewer"
        else:
            times = f"{other.times:.1f}x, " if other.times is not None else ""
            delta = f"{times}+{show(other.difference)}"
        parts.append(f"{other.label} {shown(other.value, (other,))}{_wait(other)} ({delta})")
    missing = "price unknown" if winner.metric == "cheapest" else "not reported"
    parts.extend(f"{label}: {missing}" for label in winner.unknown)
    return f"{winner.metric}: " + " · ".join(parts)


def format_agreement(result: Agreement) -> str:
    """``agreement: local @off = local @64 ("4") · gpt @auto ("5")``."""
    if result.all_agree:
        return f'agreement: all agree ("{result.groups[0].answer}")'
    parts = [f'{" = ".join(g.labels)} ("{g.answer}")' for g in result.groups]
    if result.not_compared:
        parts.append(f"{', '.join(result.not_compared)}: answer too long to compare")
    return "agreement: " + " · ".join(parts)


def format_summary(summary: Summary) -> list[str]:
    """The summary as plain lines (no markup), one per metric, then agreement and exclusions."""
    winners = (
        summary.cheapest,
        summary.fastest_ttft,
        summary.fastest_total,
        summary.fewest_reasoning,
        summary.most_reasoning,
    )
    lines = [format_winner(w) for w in winners if w is not None]
    if summary.cheapest is None and any(winners):
        lines.insert(0, "cheapest: price unknown for every column")
    if summary.agreement is not None:
        lines.append(format_agreement(summary.agreement))
    if summary.excluded:
        lines.append(f"not compared (stopped or failed): {', '.join(summary.excluded)}")
    return lines
