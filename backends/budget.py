"""The live reasoning budget: one number for every backend.

``limit`` is the thinking budget in tokens: 0 = no thinking, ``None`` = "auto" (the provider's
own default). ``minimum`` asks for at least that many thinking tokens ("think longer"). The object
is shared between the UI and a backend decoding in a worker thread: the backend re-reads it every
token, so moving the slider mid-stream acts on the reply in flight where the backend allows it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from backends.budget_text import format_budget


@dataclass(frozen=True, slots=True)
class BudgetSnapshot:
    """What the budget said at one moment."""

    limit: int | None
    minimum: int
    stop_requested: bool
    version: int


class Budget:
    """Thread-safe live budget; every change bumps ``version`` so readers can spot it."""

    def __init__(self, limit: int | None = None, minimum: int = 0) -> None:
        if limit is not None and limit < 0:
            raise ValueError("budget limit must be >= 0 or None (auto)")
        if minimum < 0:
            raise ValueError("minimum thinking must be >= 0")
        self._lock = threading.Lock()
        self._limit = limit
        self._minimum = minimum
        self._stop = False
        self._version = 0

    @property
    def limit(self) -> int | None:
        return self._limit

    @property
    def minimum(self) -> int:
        return self._minimum

    @property
    def stop_requested(self) -> bool:
        return self._stop

    @property
    def version(self) -> int:
        return self._version

    def snapshot(self) -> BudgetSnapshot:
        with self._lock:
            return BudgetSnapshot(self._limit, self._minimum, self._stop, self._version)

    def set_limit(self, limit: int | None) -> None:
        """Change the budget (``None`` = auto). Takes effect at the next token where supported."""
        if limit is not None and limit < 0:
            raise ValueError("budget limit must be >= 0 or None (auto)")
        with self._lock:
            self._limit = limit
            self._version += 1

    def set_minimum(self, minimum: int) -> None:
        """Ask for at least ``minimum`` thinking tokens (s1 "Wait" extension on local models)."""
        if minimum < 0:
            raise ValueError("minimum thinking must be >= 0")
        with self._lock:
            self._minimum = minimum
            self._version += 1

    def stop_thinking(self) -> None:
        """End thinking now: the backend closes the thinking block at the next token."""
        with self._lock:
            self._stop = True
            self._version += 1

    def copy(self) -> Budget:
        """A fresh budget with the same limit and minimum (for the next request)."""
        return Budget(self._limit, self._minimum)

    def describe(self) -> str:
        """``auto``, ``off`` or the number of tokens spelt out (records and JSON keep this)."""
        return format_budget(self._limit, exact=True)
