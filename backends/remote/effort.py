"""Map ponder's token budget to providers that only take an effort level.

Ratio buckets (shared/reference/providers.md §13): ``r = budget / max_tokens``; pick the highest
effort whose ratio is <= r among minimal 0.1, low 0.2, medium 0.5, high 0.8, xhigh 0.95, then
clamp to the levels the model supports. These are OpenRouter's documented effort ratios used in
reverse; the provider decides the real spend, so the UI always shows the measured reasoning tokens.
"""

from __future__ import annotations

from collections.abc import Sequence

EFFORT_RATIOS: tuple[tuple[str, float], ...] = (
    ("minimal", 0.1),
    ("low", 0.2),
    ("medium", 0.5),
    ("high", 0.8),
    ("xhigh", 0.95),
)
ORDER = ("none", "minimal", "low", "medium", "high", "xhigh", "max")

# Budget-to-max_tokens allowance used when the caller gives no max_tokens: the answer gets this
# many tokens on top of the thinking budget.
ANSWER_ALLOWANCE = 4096


def max_tokens_for(budget: int, max_tokens: int | None) -> int:
    """The hard output cap M for a request with thinking budget ``budget``."""
    return max_tokens if max_tokens is not None else budget + ANSWER_ALLOWANCE


def effort_for_budget(budget: int, max_tokens: int) -> str:
    """The ratio bucket for ``budget`` out of ``max_tokens`` (budget > 0)."""
    ratio = budget / max_tokens if max_tokens > 0 else 1.0
    chosen = "minimal"
    for name, threshold in EFFORT_RATIOS:
        if ratio >= threshold:
            chosen = name
    return chosen


def clamp_effort(effort: str, supported: Sequence[str]) -> str:
    """The supported level nearest to ``effort`` (ties go to the higher level)."""
    if effort in supported or not supported:
        return effort
    want = ORDER.index(effort)
    return min(supported, key=lambda level: (abs(ORDER.index(level) - want), -ORDER.index(level)))
