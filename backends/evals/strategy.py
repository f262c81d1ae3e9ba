"""Strategies and what identifies their results: keys, seeds, order and configuration.

A strategy is a backend, a thinking budget and a number of samples: ``local:256`` asks once,
``local:256x5`` asks five times and takes the majority answer (self-consistency), every sample's
cost counted.

Results are reused only when everything that changes them is the same: ``config_key`` hashes the
backend (kind, model, base URL, options; never the API key), the budget after clamping, the
samples, the request settings, the base seed, the answer limit, the hourly hardware price and
``PROMPT_FORMAT_VERSION``. Seeds are fixed per (task, repeat, sample) from the base seed
(``sample_seed``), and each strategy's task order is shuffled from the base seed and its own key
alone (``strategy_order``), so a strategy's requests, and the KV history it builds, do not depend
on which other strategies run beside it or in which ``-b`` order they were given.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from backends.base import Backend
from backends.budget_text import format_budget
from backends.evals.answers import PROMPT_FORMAT_VERSION
from backends.pricing import hardware_rate

_SAMPLES = re.compile(r"^(?P<spec>.+?)x(?P<k>[1-9]\d*)$")
SECRET_WORDS = ("api_key", "secret", "password", "authorization")


def budget_label(budget: int | None) -> str:
    """The budget as strategy keys spell it: ``auto``, else the number of tokens (``0``, not
    ``off``), which ``parse_budget`` reads back.

    Not a display form (that is ``backends.budget_text.format_budget``): results files are keyed
    by ``local:0``-style keys, and a resumed run must find the ones written before.
    """
    return "0" if budget == 0 else format_budget(budget, exact=True)


@dataclass(frozen=True, slots=True)
class Strategy:
    """One column of the matrix: a backend (configured name or spec), a thinking budget and
    the number of samples voted on (1 = a single answer).

    ``budget`` is in tokens; 0 = no thinking, ``None`` = auto (the provider's default).
    """

    backend: str
    budget: int | None
    samples: int = 1

    @property
    def key(self) -> str:
        """The strategy's id in results and reports: ``BACKEND:BUDGET`` or ``...xK``."""
        votes = f"x{self.samples}" if self.samples > 1 else ""
        return f"{self.backend}:{budget_label(self.budget)}{votes}"


def split_samples(text: str) -> tuple[str, int]:
    """``local:256x5`` -> (``local:256``, 5); no ``xK`` suffix -> (text, 1)."""
    match = _SAMPLES.match(text.strip())
    if match is None:
        return text, 1
    return match.group("spec"), int(match.group("k"))


def sample_seed(base: int, task_id: str, repeat: int, sample: int = 0) -> int:
    """The seed of one request: fixed by the base seed, the task, the repeat and the sample."""
    mixed = f"{base}:{task_id}:{repeat}:{sample}".encode()
    return zlib.crc32(mixed) & 0x7FFFFFFF


def strategy_order(
    base: int, strategy: Strategy, items: Sequence[tuple[str, int]]
) -> list[tuple[str, int]]:
    """``items`` (task id, repeat) shuffled from the base seed and the strategy's key alone."""
    order = sorted(items)
    random.Random(f"{base}:{strategy.key}").shuffle(order)
    return order


def interleave(columns: dict[str, list[Any]]) -> list[Any]:
    """Round-robin over ``columns`` taken in sorted key order (independent of ``-b`` order)."""
    queues = [list(columns[key]) for key in sorted(columns)]
    out: list[Any] = []
    for index in range(max((len(q) for q in queues), default=0)):
        out.extend(q[index] for q in queues if index < len(q))
    return out


def _public_options(options: Any) -> dict[str, Any]:
    try:
        data = options.model_dump(mode="json")
    except AttributeError:
        return {}
    return {
        k: v
        for k, v in data.items()
        if k.lower() not in ("headers", "token") and not any(w in k.lower() for w in SECRET_WORDS)
    }


def backend_identity(backend: Backend) -> dict[str, Any]:
    """What about a backend changes its answers or their price (no secrets)."""
    spec = backend.spec
    return {
        "kind": spec.kind,
        "model": spec.model,
        "base_url": spec.base_url,
        "options": _public_options(spec.options),
        "hardware_per_hour": (
            hardware_rate(
                spec.hardware_cost_per_hour,
                threads=backend.threads(),
                gpu_layers=backend.gpu_layers(),
            )
            if backend.capabilities.local
            else None
        ),
    }


def config_key(backend: Backend, strategy: Strategy, settings: dict[str, Any]) -> str:
    """A short hash of everything that changes a strategy's results (module docstring)."""
    payload = {
        "backend": backend_identity(backend),
        "budget": strategy.budget,
        "samples": strategy.samples,
        "settings": settings,
        "prompt_format": PROMPT_FORMAT_VERSION,
    }
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
