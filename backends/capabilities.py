"""What a backend can do (thinking, budget precision, usage reports), stated instead of assumed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ThinkingText = Literal["full", "summary", "count", "none"]
BudgetPrecision = Literal["exact", "approximate", "bucketed", "on_off", "none"]


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a backend can do, shown to the user instead of pretending.

    ``thinking_text``: full chain of thought, a provider summary, only a token count, or nothing.
    ``budget_precision``: how closely the thinking budget is honoured. ``live_budget``: whether a
    budget change acts on the reply in flight (else it applies to the next request).
    ``thinking_format``: for local models, how the model thinks: ``"prompted"`` when it was not
    trained to reason (ponder opens a thinking block for it), otherwise the native format's name
    (``"r1"``, ``"qwen3"``, ``"smollm3"``, ``"harmony"``); ``None`` for remote backends, whose
    provider owns the format. :func:`thinking_label` turns it into the line the UI shows.
    """

    can_think: bool = False
    thinking_text: ThinkingText = "none"
    budget_precision: BudgetPrecision = "none"
    live_budget: bool = False
    local: bool = False
    reports_usage: bool = True
    thinking_format: str | None = None


PROMPTED = "prompted"
_FORMAT_NAMES = {
    "r1": "<think> tags (DeepSeek-R1 style)",
    "qwen3": "Qwen3 enable_thinking",
    "smollm3": "SmolLM3 /think",
    "harmony": "gpt-oss harmony analysis channel",
}


def thinking_label(capabilities: Capabilities) -> str:
    """One honest line on where a model's thinking comes from ("" for remote backends)."""
    fmt = capabilities.thinking_format
    if fmt is None:
        return ""
    if fmt == PROMPTED:
        return "thinking is prompted (this model was not trained to reason)"
    return f"native thinking: {_FORMAT_NAMES.get(fmt, fmt)}"
