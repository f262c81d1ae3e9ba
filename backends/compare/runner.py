"""Run one prompt on several columns at once: the engine of compare (screen and CLI).

A ``Column`` (``backends.compare.column``) is a backend, its own live ``Budget`` and its own
conversation. ``CompareRound`` sends one prompt to every column: remote columns stream
concurrently; local (in-process CPU) columns go through a ``LocalScheduler`` that queues a column
when running it now would oversubscribe the CPU or share a loaded model with a running column
(the measurement behind this is ``bench/local_columns.py``). A queued column gets
``StatusNote("queued", …)``.

Callbacks run on the event loop: ``on_event(column_index, event)`` for every stream event
(each column's events end with exactly one ``Finished``, also when stopped or failed) and
``on_status(column_index, status)`` when a column becomes queued / loading / running / done /
cancelled / error. Local models are loaded before a column's meters start. ``stop_all``
cancels every column; partial replies are kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from backends.compare.column import Column, short_name
from backends.compare.schedule import LocalScheduler, Policy
from backends.errors import PonderError
from backends.events import (
    Finished,
    StatusNote,
    StopReason,
    StreamEvent,
)
from backends.meters import MessageMeter, MeterReading
from backends.pricing import PriceBook
from backends.reply import Reply, collect
from backends.request import ChatRequest, Message, RequestOptions
from backends.tokens import estimate_tokens

Status = Literal["waiting", "queued", "loading", "running", "done", "cancelled", "error"]
EventCallback = Callable[[int, StreamEvent], None]
StatusCallback = Callable[[int, str], None]


@dataclass(frozen=True, slots=True)
class ColumnOutcome:
    """What one column produced in one round (also partial: see ``finished.stop_reason``).

    ``queued_s`` is the time spent waiting for a local slot; meters start after it.
    """

    index: int
    label: str
    text: str
    reading: MeterReading
    finished: Finished
    thinking: str = ""
    budget: str = "auto"
    queued_s: float = 0.0
    notes: tuple[StatusNote, ...] = ()


@dataclass(frozen=True, slots=True)
class RoundResult:
    """One round: the prompt, each column's outcome (in column order) and the wall time."""

    prompt: str
    outcomes: tuple[ColumnOutcome, ...]
    wall_s: float


@dataclass(eq=False)
class ColumnRun:
    """The live state of one column during a round (what a screen draws while it streams)."""

    index: int
    column: Column
    meter: MessageMeter
    status: Status = "waiting"
    reply: Reply = field(default_factory=Reply)
    queued_s: float = 0.0
    budget: str = "auto"

    @property
    def text(self) -> str:
        return self.reply.text

    @property
    def thinking(self) -> str:
        return self.reply.thinking

    @property
    def notes(self) -> list[StatusNote]:
        return self.reply.notes

    @property
    def finished(self) -> Finished | None:
        return self.reply.finished

    def reading(self) -> MeterReading:
        """The column's meters now (live while streaming)."""
        return self.meter.reading()

    def outcome(self) -> ColumnOutcome:
        finished = self.finished or Finished(stop_reason=StopReason.INTERRUPTED)
        return ColumnOutcome(
            index=self.index,
            label=self.column.label,
            text=self.text,
            reading=self.meter.reading(),
            finished=finished,
            thinking=self.thinking,
            budget=self.budget,
            queued_s=self.queued_s,
            notes=tuple(self.notes),
        )


class CompareRound:
    """One prompt sent to every column. Create it, keep it (for ``stop_all``), ``await run()``.

    Every argument but ``columns`` and ``prompt`` is optional; ``options`` go with every
    column's request (output cap, temperature, seed); ``scheduler`` may be shared by
    rounds (a ``CompareSession`` does) and decides how local columns run (see ``schedule``);
    ``clock`` times the meters (a fixed one in tests).
    """

    def __init__(
        self,
        columns: Sequence[Column],
        prompt: str,
        *,
        on_event: EventCallback | None = None,
        on_status: StatusCallback | None = None,
        options: RequestOptions | None = None,
        prices: PriceBook | None = None,
        scheduler: LocalScheduler | None = None,
        policy: Policy = "auto",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.prompt = prompt
        self.on_event = on_event
        self.on_status = on_status
        self.options = options or RequestOptions()
        self.scheduler = scheduler or LocalScheduler(policy=policy)
        prices = prices or PriceBook()
        self.runs = [
            ColumnRun(i, c, MessageMeter.for_backend(c.backend, prices, clock=clock))
            for i, c in enumerate(columns)
        ]
        self._tasks: list[asyncio.Task[None]] = []
        self._stopped = False

    @property
    def running(self) -> bool:
        return any(not task.done() for task in self._tasks)

    def stop_all(self) -> None:
        """Stop every column now; replies so far are kept (stop reason ``cancelled``)."""
        self._stopped = True
        for task in self._tasks:
            task.cancel()

    def stop(self, index: int) -> None:
        """Stop one column; the others go on."""
        if index < len(self._tasks):
            self._tasks[index].cancel()

    async def run(self) -> RoundResult:
        """Run the round to the end (or until stopped) and return every column's outcome.

        Never raises a ponder error: a column that fails ends with ``Finished.error``. If the
        caller is cancelled, the columns are stopped, conversations updated, and the
        cancellation propagates.
        """
        await asyncio.to_thread(_load_estimator)
        started = time.monotonic()
        self._estimate_inputs()
        self._tasks = [asyncio.create_task(self._run_column(run)) for run in self.runs]
        if self._stopped:
            self.stop_all()
        try:
            await asyncio.gather(*self._tasks)
        except asyncio.CancelledError:
            self.stop_all()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            raise
        finally:
            self._commit()
        return RoundResult(
            self.prompt, tuple(run.outcome() for run in self.runs), time.monotonic() - started
        )

    def _estimate_inputs(self) -> None:
        """Give each meter a local count of its prompt (shown, marked, until usage arrives)."""
        with contextlib.suppress(PonderError):  # the meters report a missing estimator
            for run in self.runs:
                messages = [*run.column.history, Message("user", self.prompt)]
                run.meter.input_estimate = sum(estimate_tokens(m.text) for m in messages)

    def _set_status(self, run: ColumnRun, status: Status) -> None:
        run.status = status
        if self.on_status is not None:
            self.on_status(run.index, status)

    def _emit(self, run: ColumnRun, event: StreamEvent) -> None:
        run.meter.feed(event)
        run.reply.add(event)
        if self.on_event is not None:
            self.on_event(run.index, event)

    def _queued(self, run: ColumnRun, note: StatusNote) -> None:
        self._set_status(run, "queued")
        self._emit(run, note)

    async def _run_column(self, run: ColumnRun) -> None:
        column = run.column
        if column.budget.stop_requested:  # "stop thinking" was for the previous reply
            column.budget = column.budget.copy()
        run.budget = column.budget.describe()
        waited = time.monotonic()
        try:
            async with self.scheduler.slot(column, lambda n: self._queued(run, n)):
                run.queued_s = time.monotonic() - waited if run.status == "queued" else 0.0
                await self._load(run)
                self._set_status(run, "running")
                run.meter.start()
                await collect(column.backend, self._request(column), lambda e: self._emit(run, e))
        except asyncio.CancelledError:
            self._end(run, Finished(stop_reason=StopReason.CANCELLED))
        except PonderError as exc:
            self._end(run, Finished(stop_reason=StopReason.ERROR, error=exc))
        except Exception as exc:  # a backend bug must not take the other columns down
            error = PonderError(f"{column.label}: {type(exc).__name__}: {exc}", "")
            self._end(run, Finished(stop_reason=StopReason.ERROR, error=error))
        if run.finished is None:  # a stream that ended without Finished broke the contract
            self._end(run, Finished(stop_reason=StopReason.INTERRUPTED))
        self._set_status(run, _final_status(run.finished))

    async def _load(self, run: ColumnRun) -> None:
        """Load a local model before the meters start (raises ``ModelLoadError``).

        Loading is a one-time cost: inside the meters it would land in the TTFT of whichever
        column happened to go first and skew the comparison.
        """
        backend = run.column.backend
        if backend.prepared:
            return
        self._set_status(run, "loading")
        self._emit(run, StatusNote("loading", f"loading {short_name(backend)}"))
        await backend.prepare()

    def _end(self, run: ColumnRun, finished: Finished) -> None:
        if run.finished is None:
            self._emit(run, finished)

    def _request(self, column: Column) -> ChatRequest:
        return ChatRequest(
            messages=[*column.history, Message("user", self.prompt)],
            budget=column.budget,
            options=self.options,
            conversation_id=column.conversation_id,
        )

    def _commit(self) -> None:
        """Continue each column's conversation with this round, where it produced an answer.

        A column that produced no answer text (failed, or stopped while thinking) keeps its
        conversation as it was, so the next prompt does not follow an empty assistant turn.
        """
        for run in self.runs:
            if not run.text:
                continue
            continuation = run.finished.continuation if run.finished else None
            run.column.history.extend(
                (
                    Message("user", self.prompt),
                    Message("assistant", run.text, run.thinking, continuation),
                )
            )


def _load_estimator() -> None:
    """Load the meters' token estimator (a worker thread runs this before the round starts).

    Its first use in a process loads a vocabulary (~0.3 s, holding the GIL much of the time).
    Left to a column's first token, it would stall every stream of the first round, and a
    thread racing the requests delays them just as much; so it is done up front, outside the
    round's wall time. Later rounds find it loaded.
    """
    with contextlib.suppress(PonderError):  # the meters report a missing estimator
        estimate_tokens("x")


def _final_status(finished: Finished | None) -> Status:
    if finished is None or finished.stop_reason is StopReason.CANCELLED:
        return "cancelled"
    failed = (StopReason.ERROR, StopReason.INTERRUPTED)
    if finished.error is not None or finished.stop_reason in failed:
        return "error"
    return "done"


async def run_round(
    columns: Sequence[Column],
    prompt: str,
    on_event: EventCallback | None = None,
    **round_args: object,
) -> RoundResult:
    """Send ``prompt`` to every column and return the round (see ``CompareRound``)."""
    return await CompareRound(columns, prompt, on_event=on_event, **round_args).run()  # type: ignore[arg-type]
