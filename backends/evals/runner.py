"""Run a task set through a matrix of strategies (backend x thinking budget), resumably.

``EvalRunner`` sends every task to every strategy, checks each answer and appends the result to a
JSONL results file as soon as it arrives (flush + fsync), so an interrupted run resumes where it
stopped: a (task, strategy) pair with a stored result is not redone, unless that result is an
error, belongs to an edited task (its fingerprint differs) or was made with other request
settings (max tokens, temperature, seed).

Concurrency is per backend: a local backend (``capabilities.local``) runs one request at a time,
and all local backends share one lock, since two in-process models would fight over the same
cores; a remote backend runs up to ``concurrency`` requests at once. Retries are the adapters'
own (``backends.remote.http``); the runner never retries. Work is ordered task by task, each task
through every strategy, so partial results compare the strategies on the same tasks.

A screen drives the runner through ``on_progress``: it is called once before any request (with
the resumed count), when a request starts, and after each result is stored (``Progress.result``);
``EvalRunner.results()`` gives the current results for a live ``build_report``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from backends.base import Backend, ChatRequest, Message
from backends.budget import Budget
from backends.config import Settings, data_dir
from backends.evals.results import (
    RequestSettings,
    ResultsFile,
    TaskResult,
    latest_by_pair,
    make_result,
)
from backends.evals.tasks import Task, TaskSet, tasks_from
from backends.events import Finished, StopReason
from backends.meters import MessageMeter
from backends.pricing import PriceBook
from backends.reply import Reply, collect

BackendFactory = Callable[[str], Backend]


def budget_label(budget: int | None) -> str:
    """``auto`` for ``None``, else the number of tokens."""
    return "auto" if budget is None else str(budget)


@dataclass(frozen=True, slots=True)
class Strategy:
    """One column of the matrix: a backend (configured name or spec) and a thinking budget.

    ``budget`` is in tokens; 0 = no thinking, ``None`` = auto (the provider's default).
    """

    backend: str
    budget: int | None

    @property
    def key(self) -> str:
        """The strategy's id in results and reports: ``BACKEND:BUDGET``."""
        return f"{self.backend}:{budget_label(self.budget)}"


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a run stands. ``done`` counts stored results, the ``resumed`` ones included.

    ``result`` is set when this call reports a result just stored; ``started`` (task id,
    strategy key) when it reports a request just sent.
    """

    total: int
    done: int
    resumed: int
    errors: int
    correct: int
    running: int
    result: TaskResult | None = None
    started: tuple[str, str] | None = None

    @property
    def fraction(self) -> float:
        """Done / total, 1.0 for an empty matrix."""
        return self.done / self.total if self.total else 1.0


ProgressCallback = Callable[[Progress], None]


def settings_factory(settings: Settings) -> BackendFactory:
    """A backend factory building configured names and specs with ``build_backend``."""
    from backends.registry import build_backend

    return lambda spec: build_backend(settings, spec)


def default_results_path(task_source: str) -> Path:
    """``<data dir>/evals/<task set name>-<hash of its path>.results.jsonl``."""
    source = Path(task_source).expanduser().resolve()
    digest = hashlib.sha256(str(source).encode()).hexdigest()[:8]
    return data_dir() / "evals" / f"{source.stem}-{digest}.results.jsonl"


class EvalRunner:
    """Runs tasks x strategies, storing each result as it arrives (see the module docstring).

    ``make_backend`` builds a backend from a strategy's backend string (once per distinct
    string; ``settings_factory(settings)`` for the usual registry). ``max_tokens``,
    ``temperature`` and ``seed`` go into every request. Raises ``ValueError`` for an empty
    strategy list, duplicate strategies or ``concurrency < 1``.
    """

    def __init__(
        self,
        tasks: TaskSet | Sequence[Task],
        strategies: Sequence[Strategy],
        results_path: Path | str,
        *,
        make_backend: BackendFactory,
        prices: PriceBook | None = None,
        concurrency: int = 4,
        max_tokens: int | None = None,
        temperature: float | None = None,
        seed: int | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> None:
        if not strategies:
            raise ValueError("give at least one strategy")
        if len({strategy.key for strategy in strategies}) != len(strategies):
            raise ValueError("strategies must be distinct")
        if concurrency < 1:
            raise ValueError("concurrency must be >= 1")
        self.tasks = tasks_from(tasks)
        self.strategies = tuple(strategies)
        self.store = ResultsFile(results_path)
        self.make_backend = make_backend
        self.prices = prices or PriceBook()
        self.concurrency = concurrency
        self.settings = RequestSettings(max_tokens=max_tokens, temperature=temperature, seed=seed)
        self.on_progress = on_progress
        self.calls = 0  # requests sent by this runner (resumed pairs are not sent)
        self.resumed = 0
        self._running = 0
        self._latest: dict[tuple[str, str], TaskResult] = {}
        self._local_lock = asyncio.Lock()

    @property
    def total(self) -> int:
        """The size of the matrix: tasks x strategies."""
        return len(self.tasks) * len(self.strategies)

    def _reusable(self, result: TaskResult, task: Task) -> bool:
        """May a stored result stand in for running ``task`` again?"""
        return (
            result.error is None
            and result.task_fingerprint == task.fingerprint()
            and result.settings == self.settings
        )

    def load(self) -> list[tuple[Strategy, Task]]:
        """Read the results file and return the pairs still to run, in running order.

        Raises ``ResultsFileError`` for a results file with a bad line.
        """
        stored = latest_by_pair(self.store.load(repair=True))
        self._latest = {}
        pending = []
        for task in self.tasks:
            for strategy in self.strategies:
                result = stored.get((task.id, strategy.key))
                if result is not None and self._reusable(result, task):
                    self._latest[result.pair] = result
                else:  # missing, failed or stale: not shown until it is redone
                    pending.append((strategy, task))
        self.resumed = len(self._latest)
        return pending

    def results(self) -> list[TaskResult]:
        """The current result of every pair that has one, in matrix order (task, strategy)."""
        found = (
            self._latest.get((task.id, strategy.key))
            for task in self.tasks
            for strategy in self.strategies
        )
        return [result for result in found if result is not None]

    def progress(self, **event: object) -> Progress:
        """The progress now (``event`` adds ``result`` or ``started``)."""
        current = self._latest.values()  # only pairs of this matrix (see ``load``)
        return Progress(
            total=self.total,
            done=len(self._latest),
            resumed=self.resumed,
            errors=sum(1 for result in current if result.error is not None),
            correct=sum(1 for result in current if result.correct),
            running=self._running,
            **event,  # type: ignore[arg-type]
        )

    def _report(self, **event: object) -> None:
        if self.on_progress is not None:
            self.on_progress(self.progress(**event))

    async def run(self) -> list[TaskResult]:
        """Run every pending pair and return ``results()``.

        Backends are built before the first request (a bad spec raises ``ConfigError`` before
        any work) and closed at the end. Cancelling the task stops the requests in flight; their
        results are not stored, so a rerun does them again.
        """
        pending = self.load()
        by_backend: dict[str, list[tuple[Strategy, Task]]] = {}
        for strategy, task in pending:
            by_backend.setdefault(strategy.backend, []).append((strategy, task))
        backends: dict[str, Backend] = {}
        try:
            for name in by_backend:
                backends[name] = self.make_backend(name)
            self._report()
            async with asyncio.TaskGroup() as group:
                for name, jobs in by_backend.items():
                    group.create_task(self._run_backend(backends[name], jobs))
        finally:
            for backend in backends.values():
                with contextlib.suppress(Exception):
                    await backend.aclose()
        return self.results()

    async def _run_backend(self, backend: Backend, jobs: list[tuple[Strategy, Task]]) -> None:
        local = backend.capabilities.local
        limit = 1 if local else self.concurrency
        queue = deque(jobs)

        async def worker() -> None:
            while queue:
                strategy, task = queue.popleft()
                async with self._local_lock if local else contextlib.nullcontext():
                    await self._run_one(backend, strategy, task)

        async with asyncio.TaskGroup() as group:
            for _ in range(min(limit, len(jobs))):
                group.create_task(worker())

    def _request(self, strategy: Strategy, task: Task) -> ChatRequest:
        messages = [Message("system", task.system)] if task.system else []
        messages.append(Message("user", task.prompt))
        return ChatRequest(
            messages=messages,
            budget=Budget(strategy.budget),
            max_tokens=self.settings.max_tokens,
            temperature=self.settings.temperature,
            seed=self.settings.seed,
        )

    async def _run_one(self, backend: Backend, strategy: Strategy, task: Task) -> None:
        meter = MessageMeter(
            backend.kind,
            backend.model,
            self.prices,
            local=backend.capabilities.local,
            hardware_cost_per_hour=backend.spec.hardware_cost_per_hour,
        )
        self.calls += 1
        self._running += 1
        self._report(started=(task.id, strategy.key))
        error: BaseException | None = None
        meter.start()
        try:
            reply = await collect(backend, self._request(strategy, task), meter.feed)
        except Exception as exc:  # raised before the first event (config, auth) or a bug
            error = exc
            failed = Finished(stop_reason=StopReason.ERROR)
            reply = Reply(finished=failed)
            meter.feed(failed)
        finally:
            self._running -= 1
        result = make_result(
            task, strategy.key, strategy.budget, backend, reply, meter.reading(), error,
            self.settings,
        )  # fmt: skip
        self.store.append(result)
        self._latest[result.pair] = result
        self._report(result=result)
