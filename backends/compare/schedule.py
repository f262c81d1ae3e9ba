"""When may a local column run? CPU cores are the budget.

Measured on this 2-core machine with two SmolLM2-135M columns, 128 tokens each
(``bench/local_columns.py``; wall time of the pair, decode tok/s per column):

- 1 decoding thread each: queued 4.3 s at 60 tok/s, concurrent 2.9 s at 48 tok/s (1.5x sooner;
  with raw llama-cpp-python on an idle machine 3.6-4.0 s vs 1.9-2.0 s, tok/s unchanged).
- 2 threads each: queued 5.2 s at 51 tok/s, concurrent 4.0 s at 33 tok/s (raw, idle: 2.9-3.0 s
  vs 2.7-3.0 s, 85-90 vs 44-47 tok/s): the cores are oversubscribed, little or no time is won,
  and every column's tok/s (the meters compare is for) drops by a third to a half.

So in the default ``auto`` policy a local column claims as many cores as it decodes with and runs
when they are free, else it is queued (without ``n_threads`` a model decodes with
llama-cpp-python's default, half the cores, so two such columns run side by side here). Columns
that share one backend object (one loaded model,
one llama.cpp context) always take turns. Remote columns never wait.
"""

from __future__ import annotations

import asyncio
import os
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Literal

from backends.base import Backend
from backends.compare.column import Column
from backends.events import StatusNote

Policy = Literal["auto", "queue", "concurrent"]
POLICIES: tuple[Policy, ...] = ("auto", "queue", "concurrent")


def backend_threads(backend: Backend, cores: int) -> int:
    """How many cores a local backend decodes with: its own setting (``threads()``), else the
    default.

    The default is llama-cpp-python's own: half the machine's cores, at least one.
    """
    threads = backend.threads()
    if threads is None or threads <= 0:
        threads = max((os.cpu_count() or 1) // 2, 1)
    return max(min(threads, cores), 1)


class LocalScheduler:
    """Hands out CPU cores to local columns, first come first served.

    ``policy``: ``auto`` (a column claims its decoding threads, see the module docstring),
    ``queue`` (one local column at a time) or ``concurrent`` (no CPU accounting; only columns
    sharing a loaded model wait). ``cores`` defaults to ``os.cpu_count()``. Use one scheduler
    per event loop.
    """

    def __init__(self, cores: int | None = None, policy: Policy = "auto") -> None:
        if policy not in POLICIES:
            raise ValueError(f"policy must be one of {', '.join(POLICIES)}")
        self.cores = max(cores or os.cpu_count() or 1, 1)
        self.policy = policy
        self.free = self.cores
        self._waiters: deque[tuple[int, asyncio.Future[None]]] = deque()
        self._models: dict[Backend, asyncio.Lock] = {}
        self._model_user: dict[Backend, str] = {}
        self._running: dict[object, str] = {}

    def cores_needed(self, backend: Backend) -> int:
        """The cores a column of ``backend`` claims under this policy."""
        if self.policy == "queue":
            return self.cores
        if self.policy == "concurrent":
            return 0
        return backend_threads(backend, self.cores)

    @asynccontextmanager
    async def slot(
        self, column: Column, on_queued: Callable[[StatusNote], None]
    ) -> AsyncIterator[None]:
        """Hold a slot for ``column`` while the block runs; ``on_queued`` if it has to wait.

        Remote backends enter at once. Cancellation while waiting leaves the queue cleanly.
        """
        backend = column.backend
        if not backend.capabilities.local:
            yield
            return
        lock = self._models.setdefault(backend, asyncio.Lock())
        need = self.cores_needed(backend)
        if lock.locked() or not self._fits(need):
            on_queued(StatusNote("queued", self._why_queued(backend, lock)))
        async with lock:
            await self._acquire(need)
            token = object()
            self._running[token] = column.label
            self._model_user[backend] = column.label
            try:
                yield
            finally:
                del self._running[token]
                self._release(need)

    def _why_queued(self, backend: Backend, lock: asyncio.Lock) -> str:
        if lock.locked():
            user = self._model_user.get(backend, "another column")
            return f"queued: shares its loaded model with {user}; starts when that finishes"
        busy = ", ".join(self._running.values()) or "other local columns"
        return (
            f"queued: waiting for {busy} (local models share this machine's "
            f"{self.cores} CPU core{'s' if self.cores != 1 else ''})"
        )

    def _fits(self, need: int) -> bool:
        return not self._waiters and self.free >= need

    async def _acquire(self, need: int) -> None:
        if self._fits(need):
            self.free -= need
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((need, future))
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self._release(need)  # granted, but the column was stopped before it resumed
            elif (need, future) in self._waiters:
                self._waiters.remove((need, future))
                self._wake()  # a smaller request behind this one may fit now
            raise

    def _release(self, need: int) -> None:
        self.free += need
        self._wake()

    def _wake(self) -> None:
        while self._waiters and self._waiters[0][0] <= self.free:
            need, future = self._waiters.popleft()
            if future.done():
                continue
            self.free -= need
            future.set_result(None)
