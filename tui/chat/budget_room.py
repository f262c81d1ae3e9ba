"""The chat's side of "the answer always has room": caps, clamping, and capability defaults.

``backends.answer_room`` owns the rule (a budget plus an answer reserve must fit the output cap
and the free context). This module finds those two numbers for the chat's backend: the output
cap is ``max_tokens`` from the config, else a local model's own cap (its ``max_tokens`` option);
the free context is a local model's ``n_ctx`` minus a local count of the conversation so far.
Remote providers raise their own output cap to fit the budget, so nothing caps them here.
It also picks the budget a chat starts at from what the model can do (``start_budget``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from backends.answer_room import NATIVE_START, BudgetFit, fit_budget
from backends.capabilities import PROMPTED
from backends.config import Settings
from backends.request import Message
from backends.tokens import estimate_tokens

if TYPE_CHECKING:
    from backends.base import Backend


def output_cap(settings: Settings, backend: Backend | None) -> int | None:
    """The most tokens a reply may take, thinking included, or ``None`` when nothing caps it."""
    if settings.max_tokens is not None:
        return settings.max_tokens
    return backend.output_cap() if backend is not None else None


def free_context(backend: Backend | None, messages: Sequence[Message]) -> int | None:
    """A local model's context left after ``messages`` (a local estimate), else ``None``."""
    n_ctx = backend.context_size() if backend is not None else None
    if n_ctx is None:  # a remote provider's, or a local model's own (unknown until loaded)
        return None
    used = sum(estimate_tokens(m.text) + estimate_tokens(m.thinking or "") for m in messages)
    return max(0, n_ctx - used)


def fit_for(
    settings: Settings, backend: Backend | None, messages: Sequence[Message], value: int | None
) -> BudgetFit:
    """``value`` fitted to this backend and conversation (see ``answer_room.fit_budget``)."""
    return fit_budget(value, output_cap(settings, backend), free_context(backend, messages))


def start_budget(
    settings: Settings, backend: Backend, steps: Sequence[int | None], current: int | None
) -> tuple[int | None, str]:
    """The budget a chat starts at on ``backend``, and a one-line hint ("" for none).

    A budget set in the config wins. Otherwise a model whose thinking is only prompted starts
    off (its "thinking" is filler), with a hint on how to turn it on; a native reasoning model
    starts at a step that shows thinking. Remote backends keep ``current``.
    """
    fmt = backend.capabilities.thinking_format
    if settings.budget_chosen or fmt is None:
        return current, ""
    if fmt == PROMPTED:
        return 0, "thinking is prompted (this model was not trained to reason): off to start"
    numbers = [s for s in steps if s is not None and s > 0]
    start = next((s for s in numbers if s >= NATIVE_START), numbers[-1] if numbers else None)
    return start, ""
