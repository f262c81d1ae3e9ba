"""Run a task set through a matrix of strategies (backend x budget x samples), resumably.

``EvalRunner`` sends every task to every strategy ``repeat`` times, checks each final answer and
appends the result to a JSONL results file as soon as it arrives (flush + fsync), so an
interrupted run resumes where it stopped. A stored result is reused only when it has no error,
its task is unchanged (fingerprint) and it was made under the same configuration
(``strategy.config_key``: backend, model, options, budget, samples, settings, seed, answer limit,
hardware price, prompt format); ``fresh`` sets the old file aside and starts over.

Honest comparisons:

- every request carries its own seed (``sample_seed``) and the prompt ends with the answer
  instruction (``answers.task_prompt``);
- each strategy has its own conversation id with ``own_history_only``, so a local backend's KV
  cache only ever reuses that strategy's own history, never another strategy's prompt;
- each strategy's (task, repeat) order is shuffled from the base seed and its own key, and the
  strategies are interleaved in key order: the run does not depend on the ``-b`` order;
- a budget that leaves no room for the answer is clamped before the run (``notes`` says so), and
  a budgeted request's output is capped at budget + the task's answer limit.

Concurrency is per backend: local backends (``capabilities.local``) run one request at a time
behind one shared lock; a remote backend runs up to ``concurrency`` requests at once.
``on_progress`` is called once before any request, when a request starts, and after each result.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from backends.answer_room import ANSWER_RESERVE, fit_budget
from backends.base import Backend
from backends.budget import Budget
from backends.config import data_dir
from backends.evals.answers import task_prompt
from backends.evals.results import (
    RequestSettings,
    ResultsFile,
    Sample,
    TaskResult,
    check_reply,
    latest_by_key,
    make_result,
)
from backends.evals.strategy import (
    Strategy,
    budget_label,
    config_key,
    interleave,
    sample_seed,
    strategy_order,
)
from backends.evals.tasks import Task, TaskSet, tasks_from
from backends.events import Finished, StopReason
from backends.meters import MessageMeter
from backends.pool import BackendFactory, BackendPool, settings_factory
from backends.pricing import PriceBook
from backends.reply import Reply, collect
from backends.request import ChatRequest, Message, RequestOptions

__all__ = [
    "BackendFactory",
    "EvalRunner",
    "Progress",
    "Strategy",
    "budget_label",
    "default_results_path",
    "settings_factory",
]

Job = tuple[Strategy, Task, int]


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


def default_results_path(task_source: str) -> Path:
    """``<data dir>/evals/<task set name>-<hash of its path>.results.jsonl``."""
    source = Path(task_source).expanduser().resolve()
    digest = hashlib.sha256(str(source).encode()).hexdigest()[:8]
    return data_dir() / "evals" / f"{source.stem}-{digest}.results.jsonl"


def output_cap(backend: Backend, max_tokens: int | None) -> int | None:
    """The output cap a request to ``backend`` has: the run's, else the backend's own."""
    return max_tokens or backend.output_cap()


def context_size(backend: Backend) -> int | None:
    """The context window when the backend knows it (a local model's ``n_ctx``)."""
    return backend.context_size()


class EvalRunner:
    """Runs tasks x strategies x repeats, storing each result as it arrives (module docstring).

    ``make_backend`` builds a backend from a strategy's backend string (once per distinct
    string; the runner closes them at the end of ``run``), or is a ``BackendPool`` to take them
    from (its owner closes them). ``options``: ``max_tokens`` and ``temperature`` go into every
    request, ``seed`` (default 0, recorded) fixes every request's seed and the order.
    ``answer_limit`` is the answer's token allowance after a thinking budget (a task's
    ``max_answer_tokens`` wins).
    Raises ``ValueError`` for an empty strategy list, duplicate strategies, ``concurrency < 1``
    or ``repeat < 1``.
    """

    def __init__(
        self,
        tasks: TaskSet | Sequence[Task],
        strategies: Sequence[Strategy],
        results_path: Path | str,
        *,
        make_backend: BackendFactory | BackendPool,
        prices: PriceBook | None = None,
        concurrency: int = 4,
        options: RequestOptions | None = None,
        repeat: int = 1,
        answer_limit: int = ANSWER_RESERVE,
        fresh: bool = False,
        on_progress: ProgressCallback | None = None,
    ) -> None:
        if not strategies:
            raise ValueError("give at least one strategy")
        if len({strategy.key for strategy in strategies}) != len(strategies):
            raise ValueError("strategies must be distinct")
        if concurrency < 1 or repeat < 1:
            raise ValueError("concurrency and repeat must be >= 1")
        self.tasks = tasks_from(tasks)
        self.strategies = tuple(strategies)
        self.store = ResultsFile(results_path)
        if isinstance(make_backend, BackendPool):
            self.pool, self._own_pool = make_backend, False
        else:
            self.pool, self._own_pool = BackendPool(make_backend), True
        self.prices = prices or PriceBook()
        self.concurrency = concurrency
        options = options or RequestOptions()
        self.seed = 0 if options.seed is None else options.seed
        self.options = replace(options, seed=self.seed)
        self.settings = RequestSettings(
            max_tokens=options.max_tokens, temperature=options.temperature, seed=self.seed
        )
        self.repeat = repeat
        self.answer_limit = answer_limit
        self.fresh = fresh
        self.on_progress = on_progress
        self.calls = 0  # requests sent by this runner (resumed results are not sent)
        self.resumed = 0
        self.notes: list[str] = []  # budget clamps, said before the run starts
        self.set_aside: Path | None = None  # where --fresh moved the old results
        self._running = 0
        self._latest: dict[tuple[str, str, int], TaskResult] = {}
        self._local_lock = asyncio.Lock()
        self._budgets: dict[str, int | None] = {}
        self._keys: dict[str, str] = {}

    @property
    def total(self) -> int:
        """The size of the matrix: tasks x strategies x repeats."""
        return len(self.tasks) * len(self.strategies) * self.repeat

    def backend_for(self, strategy: Strategy) -> Backend:
        """The backend of ``strategy``, built on first use."""
        return self.pool.build(strategy.backend)

    def _prepare(self) -> None:
        """Build the backends, clamp budgets that leave no room for an answer, key configs."""
        self.notes = []
        settings = self.settings.model_dump() | {
            "answer_limit": self.answer_limit,
            "base_seed": self.seed,
        }
        for strategy in self.strategies:
            backend = self.backend_for(strategy)
            fit = fit_budget(
                strategy.budget,
                output_cap(backend, self.settings.max_tokens),
                context_size(backend),
                self.answer_limit,
            )
            if fit.clamped:
                self.notes.append(f"{strategy.key}: {fit.note}")
            self._budgets[strategy.key] = fit.budget
            effective = replace(strategy, budget=fit.budget)
            self._keys[strategy.key] = config_key(backend, effective, settings)

    def config_key(self, strategy: Strategy) -> str:
        """The configuration key results of ``strategy`` are stored under (after ``load``)."""
        return self._keys[strategy.key]

    def _reusable(self, result: TaskResult, task: Task, strategy: Strategy) -> bool:
        """May a stored result stand in for running ``task`` again?"""
        return (
            result.error is None
            and result.task_fingerprint == task.fingerprint()
            and result.config_key == self._keys[strategy.key]
        )

    def _set_aside(self) -> None:
        path = self.store.path
        if self.fresh and path.exists():
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
            self.set_aside = path.with_name(f"{path.name}.{stamp}.old")
            path.rename(self.set_aside)
        self.fresh = False  # once: a second load() in the same run keeps the new results

    def load(self) -> list[Job]:
        """Read the results file and return the jobs still to run, in running order.

        Builds the backends (their configuration keys the results). Raises
        ``ResultsFileError`` for a results file with a bad line.
        """
        self._set_aside()
        self._prepare()
        stored = latest_by_key(self.store.load(repair=True))
        self._latest = {}
        columns: dict[str, list[Job]] = {}
        by_id = {task.id: task for task in self.tasks}
        for strategy in self.strategies:
            items = [(task.id, r) for task in self.tasks for r in range(self.repeat)]
            jobs = columns.setdefault(strategy.key, [])
            for task_id, repeat in strategy_order(self.seed, strategy, items):
                task = by_id[task_id]
                result = stored.get((task_id, strategy.key, repeat))
                if result is not None and self._reusable(result, task, strategy):
                    self._latest[result.key] = result
                else:  # missing, failed or stale: not shown until it is redone
                    jobs.append((strategy, task, repeat))
        self.resumed = len(self._latest)
        return interleave(columns)

    def results(self) -> list[TaskResult]:
        """The current result of every (task, strategy, repeat), in matrix order."""
        found = (
            self._latest.get((task.id, strategy.key, r))
            for task in self.tasks
            for strategy in self.strategies
            for r in range(self.repeat)
        )
        return [result for result in found if result is not None]

    def progress(self, **event: object) -> Progress:
        """The progress now (``event`` adds ``result`` or ``started``)."""
        current = self._latest.values()
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
        """Run every pending job and return ``results()``.

        Backends are built before the first request (a bad spec raises ``ConfigError`` before
        any work) and closed at the end. Cancelling stops the requests in flight; their results
        are not stored, so a rerun does them again.
        """
        try:
            pending = self.load()
            by_backend: dict[str, list[Job]] = {}
            for job in pending:
                by_backend.setdefault(job[0].backend, []).append(job)
            self._report()
            async with asyncio.TaskGroup() as group:
                for name, jobs in by_backend.items():
                    group.create_task(self._run_backend(self.pool.build(name), jobs))
        finally:
            if self._own_pool:
                await self.pool.aclose()
        return self.results()

    async def _run_backend(self, backend: Backend, jobs: list[Job]) -> None:
        local = backend.capabilities.local
        limit = 1 if local else self.concurrency
        queue = deque(jobs)

        async def worker() -> None:
            while queue:
                strategy, task, repeat = queue.popleft()
                async with self._local_lock if local else contextlib.nullcontext():
                    await self._run_one(backend, strategy, task, repeat)

        async with asyncio.TaskGroup() as group:
            for _ in range(min(limit, len(jobs))):
                group.create_task(worker())

    def _request(self, strategy: Strategy, task: Task, seed: int) -> ChatRequest:
        messages = [Message("system", task.system)] if task.system else []
        messages.append(Message("user", task_prompt(task.prompt, task.check)))
        budget = self._budgets.get(strategy.key, strategy.budget)
        max_tokens = self.options.max_tokens
        if budget is not None:  # the answer gets its own allowance after the thinking
            allowance = budget + (task.max_answer_tokens or self.answer_limit)
            max_tokens = min(max_tokens, allowance) if max_tokens else allowance
        return ChatRequest(
            messages=messages,
            budget=Budget(budget),
            options=replace(self.options, max_tokens=max_tokens, seed=seed),
            conversation_id=f"eval:{self._keys.get(strategy.key, strategy.key)}",
            own_history_only=True,
        )

    async def _sample(self, backend: Backend, strategy: Strategy, task: Task, seed: int) -> Sample:
        meter = MessageMeter.for_backend(backend, self.prices)
        self.calls += 1
        error: BaseException | None = None
        meter.start()
        try:
            reply = await collect(backend, self._request(strategy, task, seed), meter.feed)
        except Exception as exc:  # raised before the first event (config, auth) or a bug
            error = exc
            failed = Finished(stop_reason=StopReason.ERROR)
            reply = Reply(finished=failed)
            meter.feed(failed)
        return Sample(reply, meter.reading(), error, check_reply(task, reply.text))

    async def _run_one(self, backend: Backend, strategy: Strategy, task: Task, repeat: int) -> None:
        self._running += 1
        self._report(started=(task.id, strategy.key))
        samples: list[Sample] = []
        try:
            for index in range(strategy.samples):
                seed = sample_seed(self.seed, task.id, repeat, index)
                samples.append(await self._sample(backend, strategy, task, seed))
                if samples[-1].error is not None:
                    break
        finally:
            self._running -= 1
        result = make_result(
            task,
            replace(strategy, budget=self._budgets.get(strategy.key, strategy.budget)),
            backend,
            samples,
            self.settings,
            repeat=repeat,
            seed=sample_seed(self.seed, task.id, repeat),
            config_key=self._keys[strategy.key],
        )
        result = result.model_copy(update={"strategy": strategy.key})
        self.store.append(result)
        self._latest[result.key] = result
        self._report(result=result)
