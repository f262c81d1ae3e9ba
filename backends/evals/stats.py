"""Statistics for deciding between strategies: intervals and paired tests, all pure.

- ``wilson_interval``: the 95% Wilson score interval of a proportion (one sample per task).
- ``bootstrap_mean_interval``: a seeded percentile bootstrap over tasks of a mean of per-task
  values (several repeats per task: the task is the unit resampled, not the sample).
- ``mcnemar_exact``: the exact McNemar test on paired per-task correctness: with ``b`` tasks only
  A got right and ``c`` only B got right, the two-sided p-value is
  ``min(1, 2 * P(X <= min(b, c)))`` for ``X ~ Binomial(b + c, 1/2)`` (``math.comb``; no scipy).
- ``paired_bootstrap``: a seeded bootstrap over tasks of the mean paired difference (cost,
  latency): its 95% interval and a two-sided p-value (twice the smaller tail share past 0).

``ALPHA`` is the significance level the report uses.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

Z_95 = 1.959963984540054
ALPHA = 0.05
BOOTSTRAP_ROUNDS = 2000
BOOTSTRAP_SEED = 12


def wilson_interval(correct: int, total: int, z: float = Z_95) -> tuple[float, float] | None:
    """The Wilson score interval for ``correct`` successes in ``total`` trials, or ``None``.

    ``(p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)`` with ``p = correct / n``.
    """
    if total <= 0:
        return None
    p = correct / total
    z2 = z * z
    denominator = 1 + z2 / total
    centre = (p + z2 / (2 * total)) / denominator
    half = z * math.sqrt(p * (1 - p) / total + z2 / (4 * total * total)) / denominator
    return (max(centre - half, 0.0), min(centre + half, 1.0))


def _quantile(sorted_values: Sequence[float], q: float) -> float:
    index = min(max(math.floor(q * len(sorted_values)), 0), len(sorted_values) - 1)
    return sorted_values[index]


def bootstrap_mean_interval(
    values: Sequence[float], *, rounds: int = BOOTSTRAP_ROUNDS, seed: int = BOOTSTRAP_SEED
) -> tuple[float, float] | None:
    """A 95% percentile-bootstrap interval of the mean of ``values`` (one per task)."""
    if not values:
        return None
    rng = random.Random(seed)
    n = len(values)
    means = sorted(sum(values[rng.randrange(n)] for _ in range(n)) / n for _ in range(rounds))
    return (_quantile(means, 0.025), _quantile(means, 0.975))


@dataclass(frozen=True, slots=True)
class McNemar:
    """``only_a`` / ``only_b``: tasks only A / only B got right; ``p``: two-sided exact p."""

    only_a: int
    only_b: int
    p: float

    @property
    def significant(self) -> bool:
        return self.p < ALPHA


def mcnemar_exact(a: Sequence[bool], b: Sequence[bool]) -> McNemar:
    """The exact McNemar test on paired correctness ``a[i]``, ``b[i]`` of the same task."""
    only_a = sum(1 for x, y in zip(a, b, strict=True) if x and not y)
    only_b = sum(1 for x, y in zip(a, b, strict=True) if y and not x)
    n = only_a + only_b
    if n == 0:
        return McNemar(0, 0, 1.0)
    tail = sum(math.comb(n, i) for i in range(min(only_a, only_b) + 1)) / 2**n
    return McNemar(only_a, only_b, min(1.0, 2 * tail))


@dataclass(frozen=True, slots=True)
class PairedDifference:
    """Mean of ``a - b`` over tasks, its 95% bootstrap interval and a two-sided p-value."""

    mean: float
    low: float
    high: float
    p: float

    @property
    def significant(self) -> bool:
        return self.p < ALPHA


def paired_bootstrap(
    a: Sequence[float],
    b: Sequence[float],
    *,
    rounds: int = BOOTSTRAP_ROUNDS,
    seed: int = BOOTSTRAP_SEED,
) -> PairedDifference | None:
    """Bootstrap the mean paired difference ``a[i] - b[i]`` over tasks (seeded)."""
    diffs = [x - y for x, y in zip(a, b, strict=True)]
    if not diffs:
        return None
    n = len(diffs)
    mean = sum(diffs) / n
    if all(d == diffs[0] for d in diffs):  # no spread: the difference is what it is
        return PairedDifference(mean, mean, mean, 1.0 if mean == 0 else 0.0)
    rng = random.Random(seed)
    means = sorted(sum(diffs[rng.randrange(n)] for _ in range(n)) / n for _ in range(rounds))
    below = sum(1 for m in means if m <= 0) / rounds
    above = sum(1 for m in means if m >= 0) / rounds
    p = min(1.0, 2 * min(below, above))
    return PairedDifference(mean, _quantile(means, 0.025), _quantile(means, 0.975), p)
