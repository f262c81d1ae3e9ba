"""Room for the answer: a thinking budget never takes the whole output cap or context.

One pure rule shared by the chat, ``ask``, compare and eval: the thinking budget plus an answer
reserve must fit in the output cap (``max_tokens``) and in the context still free. A budget that
does not fit is clamped to the largest one that does, with a one-line note saying why, so that
"max" means "the most thinking that still leaves room for an answer".
"""

from __future__ import annotations

from dataclasses import dataclass

NATIVE_START = 1024
"""Where the budget starts for a native reasoning model: enough to watch it think (the chat and
``ponder ask`` start there, or at the largest step below it that leaves room for an answer)."""

ANSWER_RESERVE = 256
"""Tokens kept free for the answer after the thinking budget is spent."""


@dataclass(frozen=True, slots=True)
class BudgetFit:
    """What :func:`fit_budget` decided.

    ``budget`` is the budget to use (``None`` = auto, passed through), ``largest`` the largest
    budget that leaves room for an answer (``None`` when nothing caps it), ``note`` the one-line
    reason when the requested budget was clamped ("" otherwise).
    """

    budget: int | None
    requested: int | None
    largest: int | None
    note: str = ""

    @property
    def clamped(self) -> bool:
        return self.budget != self.requested


def largest_budget(
    output_cap: int | None, free_context: int | None, reserve: int = ANSWER_RESERVE
) -> int | None:
    """The largest thinking budget that leaves ``reserve`` tokens for the answer, or ``None``."""
    caps = [c for c in (output_cap, free_context) if c is not None]
    if not caps:
        return None
    return max(0, min(caps) - reserve)


def fit_budget(
    requested: int | None,
    output_cap: int | None,
    free_context: int | None = None,
    reserve: int = ANSWER_RESERVE,
) -> BudgetFit:
    """Clamp ``requested`` so that it plus ``reserve`` fits the output cap and the free context."""
    largest = largest_budget(output_cap, free_context, reserve)
    if requested is None or largest is None or requested <= largest:
        return BudgetFit(requested, requested, largest)
    limit, what = _binding_cap(output_cap, free_context)
    note = (
        f"budget {requested} clamped to {largest}: {what} is {limit} tokens and the answer "
        f"needs {reserve}"
    )
    return BudgetFit(largest, requested, largest, note)


def _binding_cap(output_cap: int | None, free_context: int | None) -> tuple[int, str]:
    if free_context is not None and (output_cap is None or free_context < output_cap):
        return free_context, "the free context"
    assert output_cap is not None
    return output_cap, "the output cap"
