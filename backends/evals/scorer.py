"""External scorers: reasoning-gym's own ``score_answer`` for tasks imported from it.

A task with ``check: "scorer"`` carries ``scorer: {"reasoning_gym": NAME, "seed": S, "size": N,
"index": I}``; the entry is regenerated from the same generator (deterministic for a seed) and
the reply's *final answer* (``answers.final_answer``, the same strict rules as every checker)
is scored by reasoning-gym; a score of 1.0 is correct. reasoning-gym is the optional extra
``ponder[reasoning-gym]``; without it such a task counts as wrong with the flag ``no-scorer``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from backends.evals.answers import final_answer, repeats_prompt
from backends.evals.checks import CheckResult

INSTALL_HINT = "pip install 'ponder[reasoning-gym]'"


class ScorerMissing(ImportError):
    """reasoning-gym is not installed (the message says how to get it)."""


def reasoning_gym() -> Any:
    """The reasoning_gym module, or ``ScorerMissing`` with a one-line hint."""
    try:
        import reasoning_gym as module
    except ImportError:
        raise ScorerMissing(f"reasoning-gym is not installed: {INSTALL_HINT}") from None
    return module


@functools.lru_cache(maxsize=8)
def dataset(name: str, seed: int, size: int) -> Any:
    """A reasoning-gym dataset (procedurally generated; the same seed gives the same tasks)."""
    return reasoning_gym().create_dataset(name, size=size, seed=seed)


def score_reply(scorer: Mapping[str, str | int], prompt: str, reply: str) -> CheckResult:
    """Score ``reply``'s final answer with the scorer the task names."""
    found = final_answer(reply)
    if found.text is None:
        return CheckResult(False, None, "echo" if repeats_prompt(reply, prompt) else "no-answer")
    try:
        data = dataset(str(scorer["reasoning_gym"]), int(scorer["seed"]), int(scorer["size"]))
        entry = data[int(scorer["index"])]
        score = float(data.score_answer(found.text, entry))
    except ScorerMissing:
        return CheckResult(False, found.text, None)
    except Exception:  # a scorer that fails on odd input: the answer is not accepted
        return CheckResult(False, found.text, None)
    return CheckResult(score >= 1.0, found.text)
