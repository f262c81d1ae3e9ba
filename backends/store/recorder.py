"""Record one reply while it streams, so a crash loses at most the last fraction of a second.

Use::

    recorder = MessageRecorder.for_backend(store, chat_id, backend, budget=req.budget, meter=m)
    recorder.begin([Message("user", prompt)])   # written before the request goes out
    with recorder:                               # cancel / error / interrupted on the way out
        async for event in backend.stream(req):
            meter.feed(event)                    # the meter first: the final write reads it
            recorder.feed(event)

``begin`` writes the new prompt messages and the assistant row (status ``partial``) in one
transaction on the caller's thread. ``feed`` only appends to memory (microseconds); a flush thread
writes the thinking and text at most every ``interval_s`` (250 ms) — so anything received is
committed within ``interval_s`` plus one write — and writes the final state (status, usage,
meters, cost, stop reason, continuation) as soon as the ``Finished`` event arrives. Write failures
never reach the stream: they are kept in ``error`` for the UI to show.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Sequence
from typing import Any

from backends.base import Backend
from backends.budget import Budget
from backends.errors import PonderError, redact
from backends.events import Finished, ReasoningDelta, StopReason, StreamEvent, TextDelta
from backends.meters import MessageMeter
from backends.request import Message
from backends.store import codec
from backends.store.db import Store
from backends.store.errors import HistoryError

FLUSH_INTERVAL_S = 0.25
# At high rates time alone does not bound the loss (600 KB/s is 150 KB per interval, and each
# write takes longer as the reply grows): a flush starts as soon as this many characters are
# unsaved, and ``feed`` waits for the writer once twice as many are (``MAX_BACKLOG_WAIT_S`` at
# most, so a stuck disk never stops the stream).
MAX_UNSAVED_CHARS = 64 * 1024
MAX_BACKLOG_WAIT_S = 2.0
FINAL_ATTEMPTS = 3
STATUS_FOR_STOP = {
    StopReason.STOP: "complete",
    StopReason.LENGTH: "complete",
    StopReason.CANCELLED: "cancelled",
    StopReason.INTERRUPTED: "interrupted",
    StopReason.ERROR: "error",
}


def message_row(message: Message) -> dict[str, Any]:
    """The columns of a prompt message (system or user, or an assistant turn being imported)."""
    return {
        "role": message.role,
        "text": message.text,
        "thinking": message.thinking,
        "continuation_json": codec.dumps(message.continuation),
        "status": "complete",
    }


class MessageRecorder:
    """Writes one assistant reply to the store as it streams. See the module docstring."""

    def __init__(
        self,
        store: Store,
        chat_id: int,
        *,
        backend: str,
        kind: str,
        model: str,
        budget: Budget | None = None,
        meter: MessageMeter | None = None,
        interval_s: float = FLUSH_INTERVAL_S,
    ) -> None:
        self.store = store
        self.chat_id = chat_id
        self.backend, self.kind, self.model = backend, kind, model
        self.budget = budget
        self.meter = meter
        self.interval_s = interval_s
        self.message_id: int | None = None
        self.prompt_ids: list[int] = []
        self.error: HistoryError | None = None
        self.flush_seconds: list[float] = []  # duration of every write, for measurement
        self.flush_times: list[float] = []  # snapshot time (monotonic) of every committed write
        self._cond = threading.Condition()
        self._thinking: list[str] = []
        self._text: list[str] = []
        self._dirty = False
        self._changed: set[str] = set()  # fields fed since the last snapshot
        self._received = 0  # characters fed
        self._snapped = 0  # characters in the last snapshot taken for a write
        self._committed = 0  # characters in the last committed write
        self._final: dict[str, Any] | None = None
        self._thread: threading.Thread | None = None

    @classmethod
    def for_backend(
        cls,
        store: Store,
        chat_id: int,
        backend: Backend,
        *,
        budget: Budget | None = None,
        meter: MessageMeter | None = None,
    ) -> MessageRecorder:
        """A recorder labelled with ``backend``'s configured name, kind and model."""
        return cls(
            store,
            chat_id,
            backend=backend.name,
            kind=backend.kind,
            model=backend.model,
            budget=budget,
            meter=meter,
        )

    # ---- the caller's side ------------------------------------------------------------------

    def begin(
        self, new_messages: Sequence[Message] = (), compare: tuple[int, int] | None = None
    ) -> int:
        """Write ``new_messages`` and the partial assistant row; start flushing; return its id.

        Call before the request goes out. ``compare`` is ``(round_id, position)`` for a column
        of a compare round. Raises the ``HistoryError`` of a failed write (nothing is sent then
        by a caller that treats history as required; ``ponder ask`` warns and goes on).
        """
        budget = self.budget.describe() if self.budget is not None else None
        assistant = {
            "role": "assistant",
            "status": "partial",
            "backend": self.backend,
            "backend_kind": self.kind,
            "model": self.model,
            "budget_requested": budget,
            "budget_minimum": self.budget.minimum if self.budget is not None else 0,
            "writer": self.store.writer_token(),
        }
        rows = [message_row(message) for message in new_messages]
        ids = self.store.insert_messages(self.chat_id, [*rows, assistant], compare=compare)
        self.prompt_ids, self.message_id = ids[:-1], ids[-1]
        self._thread = threading.Thread(
            target=self._run, name=f"ponder-recorder-{self.message_id}", daemon=True
        )
        self._thread.start()
        return self.message_id

    def feed(self, event: StreamEvent) -> None:
        """Take one stream event; returns at once (the flush thread does the writing)."""
        if isinstance(event, (ReasoningDelta, TextDelta)):
            if not event.text:
                return
            with self._cond:
                if self._final is not None:
                    return
                parts = self._thinking if isinstance(event, ReasoningDelta) else self._text
                parts.append(event.text)
                self._dirty = True
                self._changed.add("thinking" if parts is self._thinking else "text")
                self._received += len(event.text)
                self._cond.notify_all()
                if self._received - self._committed > 2 * MAX_UNSAVED_CHARS:
                    self._cond.wait_for(self._caught_up, MAX_BACKLOG_WAIT_S)
        elif isinstance(event, Finished):
            self._end(self._final_fields(event))

    @property
    def unsaved_chars(self) -> int:
        """Characters received that no committed write holds yet (the most a crash loses)."""
        with self._cond:
            return self._received - self._committed

    def _caught_up(self) -> bool:
        backlog = self._received - self._committed
        return backlog <= MAX_UNSAVED_CHARS or self.error is not None or self._final is not None

    def cancel(self) -> None:
        """The user stopped the reply: write it as ``cancelled`` now (no-op once ended)."""
        self._end(
            {
                "status": "cancelled",
                "stop_reason": StopReason.CANCELLED.value,
                **self._meter_fields(None),
            }
        )

    def fail(self, error: BaseException) -> None:
        """The reply failed outside the stream: write it as ``error`` (no-op once ended)."""
        text = str(error) if isinstance(error, PonderError) else f"{type(error).__name__}: {error}"
        self._end(
            {
                "status": "error",
                "stop_reason": StopReason.ERROR.value,
                "error": redact(text),
                **self._meter_fields(None),
            }
        )

    def close(self, timeout_s: float = 10.0) -> None:
        """End the reply (``interrupted`` if no final status came) and wait for the last write."""
        self._end(
            {
                "status": "interrupted",
                "stop_reason": StopReason.INTERRUPTED.value,
                **self._meter_fields(None),
            }
        )
        if self._thread is not None:
            self._thread.join(timeout_s)

    async def aclose(self) -> None:
        """``close`` without blocking the event loop."""
        await asyncio.to_thread(self.close)

    def __enter__(self) -> MessageRecorder:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object
    ) -> None:
        if exc is not None:
            if isinstance(exc, (asyncio.CancelledError, KeyboardInterrupt)):
                self.cancel()
            elif isinstance(exc, Exception):
                self.fail(exc)
        self.close()

    @property
    def text(self) -> str:
        with self._cond:
            return "".join(self._text)

    @property
    def thinking(self) -> str:
        with self._cond:
            return "".join(self._thinking)

    # ---- final fields -----------------------------------------------------------------------

    def _final_fields(self, finished: Finished) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "status": STATUS_FOR_STOP.get(finished.stop_reason, "complete"),
            "stop_reason": finished.stop_reason.value,
            "continuation_json": codec.dumps(finished.continuation),
            "budget_applied": finished.budget_applied,
            **self._meter_fields(finished),
        }
        if finished.model:
            fields["model"] = finished.model
        if finished.error is not None:
            fields["error"] = redact(str(finished.error))
        return fields

    def _meter_fields(self, finished: Finished | None) -> dict[str, Any]:
        """Usage, meters, cost, reasoning tokens and the budget as it stood at the end."""
        reading = self.meter.reading() if self.meter is not None else None
        usage = finished.usage if finished is not None and finished.usage is not None else None
        if usage is None and reading is not None:
            usage = reading.usage
        reasoning, estimated = None, False
        if finished is not None and finished.usage is not None:
            reasoning = finished.usage.reasoning
        if reasoning is None and reading is not None:
            reasoning = reading.usage.reasoning
            estimated = "reasoning" in reading.estimated
        cost = reading.cost_usd if reading is not None else None
        if cost is None and finished is not None:
            cost = finished.provider_cost_usd
        return {
            "usage_json": codec.dumps(codec.usage_data(usage, reading)),
            "meters_json": codec.dumps(codec.meters_data(reading)),
            "cost_usd": cost,
            "reasoning_tokens": reasoning,
            "reasoning_estimated": int(estimated),
            "budget_final": self.budget.describe() if self.budget is not None else None,
        }

    def _end(self, fields: dict[str, Any]) -> None:
        with self._cond:
            if self._final is None:
                self._final = fields
                self._cond.notify_all()

    # ---- the flush thread -------------------------------------------------------------------

    def _run(self) -> None:
        last_flush = float("-inf")
        while True:
            with self._cond:
                while not self._dirty and self._final is None:
                    self._cond.wait()
                deadline = last_flush + self.interval_s
                while (
                    self._final is None
                    and self._received - self._snapped < MAX_UNSAVED_CHARS
                    and (wait := deadline - time.monotonic()) > 0
                ):
                    self._cond.wait(wait)
                final = self._final
                fields = self._snapshot()
                self._dirty = False
                last_flush = time.monotonic()
                snapped = self._snapped = self._received
            if final is None:
                self._write(fields, last_flush, snapped)
                continue
            for _ in range(FINAL_ATTEMPTS):
                if self._write({**fields, **final}, last_flush, snapped):
                    break
            return  # the reply has ended, saved or not (``error`` says which)

    def _snapshot(self) -> dict[str, Any]:
        """The text and/or thinking that changed since the last snapshot (joined once).

        Only what changed is rewritten: while the answer streams, the thinking (often the
        larger part) is not written again on every flush.
        """
        if len(self._text) > 1:
            self._text[:] = ["".join(self._text)]
        if len(self._thinking) > 1:
            self._thinking[:] = ["".join(self._thinking)]
        fields = {"text": "".join(self._text), "thinking": "".join(self._thinking)}
        changed, self._changed = self._changed, set()
        return {name: value for name, value in fields.items() if name in changed}

    def _write(self, fields: dict[str, Any], taken_at: float, chars: int = 0) -> bool:
        assert self.message_id is not None
        started = time.perf_counter()
        try:
            self.store.update_message(self.message_id, fields)
        except Exception as exc:  # a failed write must never kill the flush thread
            self.error = (
                exc
                if isinstance(exc, HistoryError)
                else HistoryError(f"the reply could not be saved ({type(exc).__name__}: {exc})")
            )
            with self._cond:
                self._dirty = True  # try again at the next flush, with every field
                self._changed.update(("text", "thinking"))
            return False
        finally:
            self.flush_seconds.append(time.perf_counter() - started)
        with self._cond:
            self.flush_times.append(taken_at)
            self._committed = max(self._committed, chars)
            self._cond.notify_all()
        return True

    def wait_flushed(self, count: int, timeout_s: float) -> bool:
        """Wait until ``count`` writes were committed; return whether they were in time."""
        with self._cond:
            return self._cond.wait_for(lambda: len(self.flush_times) >= count, timeout_s)

    def wait_saved(self, chars: int, timeout_s: float) -> bool:
        """Wait until a committed write holds ``chars`` characters; return whether it did."""
        with self._cond:
            return self._cond.wait_for(lambda: self._committed >= chars, timeout_s)
