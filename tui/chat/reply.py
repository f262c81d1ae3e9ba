"""Stream one reply into its widgets: events in, thinking / answer / notes / meters out.

``ReplyJob.run`` is what the chat screen runs in its exclusive worker. Cancelling the worker
cancels the stream (the backend stops in its ``finally``); the partial reply is kept and marked
cancelled. Errors end up on the message they belong to, never in a traceback.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from backends.base import Backend
from backends.budget import Budget
from backends.errors import PonderError
from backends.events import (
    Finished,
    ReasoningDelta,
    ReasoningRollback,
    StatusNote,
    StopReason,
    StreamEvent,
    TextDelta,
)
from backends.meters import MessageMeter, MeterReading
from backends.reply import Reply
from backends.request import ChatRequest, RequestOptions
from backends.tokens import estimate_tokens
from tui.chat.conversation import (
    CANCELLED,
    COMPLETE,
    ERROR,
    Conversation,
    Exchange,
    ReplyRecord,
)
from tui.chat.services import BackendSlot, ChatServices
from tui.widgets.messages import AssistantMessage
from tui.widgets.meters import model_label

if TYPE_CHECKING:
    from tui.chat.history import ReplyRecording

LOADING_BACKEND = "⧗ starting the backend…"
LOADING_MODEL = "⧗ loading model… (the reply starts when it is ready)"


def status_for(finished: Finished) -> str:
    """The record status for how a stream ended."""
    if finished.stop_reason is StopReason.CANCELLED:
        return CANCELLED
    if finished.error is not None or finished.stop_reason in (
        StopReason.ERROR,
        StopReason.INTERRUPTED,
    ):
        return ERROR
    return COMPLETE


def stop_note(finished: Finished, budget: int | None = 1) -> str:
    """A note for endings worth mentioning (length cap, skipped events, how the budget went).

    A budget that was off or auto and simply not sent says nothing new: no note for it.
    """
    notes = []
    if finished.stop_reason is StopReason.LENGTH:
        notes.append("stopped at the token limit (max_tokens or the context window)")
    if finished.skipped_events:
        notes.append(f"{finished.skipped_events} malformed event(s) skipped")
    applied = finished.budget_applied
    if applied and not (budget in (0, None) and "not sent" in applied):
        notes.append(applied)
    return " · ".join(notes)


def note_text(note: StatusNote) -> str:
    """How a backend's status note reads on the message."""
    if note.kind == "loading":
        return LOADING_MODEL
    if note.kind == "retrying" and note.wait_s is not None:
        return f"↻ {note.text} (retrying in {note.wait_s:.0f} s)"
    return note.text


@dataclass
class ReplyJob:
    """One reply in flight: where it streams to, its live budget and meter.

    ``on_state`` reports backend states for the status bar (``loading model…``, ``""``).
    ``recording`` saves the reply to the history (``None``: history is off).
    """

    conversation: Conversation
    exchange: Exchange
    record: ReplyRecord
    view: AssistantMessage
    budget: Budget
    slot: BackendSlot
    services: ChatServices
    next_step: str
    on_state: Callable[[str], None]
    backend: Backend | None = None
    meter: MessageMeter | None = None
    recording: ReplyRecording | None = None
    reported_model: str = ""  # the model the backend said it used, when not the configured one
    _reply: Reply = field(default_factory=Reply)  # what the model said so far

    async def run(self) -> MeterReading | None:
        """Stream the reply to its end (or cancellation); return its final meter reading."""
        try:
            backend = await self._backend()
            if self.recording is not None:  # the prompt is saved before the request goes out
                await self.recording.start(backend, self.meter)
            await self._stream(backend)
        except asyncio.CancelledError:
            self._feed(Finished(StopReason.CANCELLED))
            await self._finish(CANCELLED, "cancelled — the partial reply is kept")
            raise
        except PonderError as exc:
            await self._fail(exc)
        except Exception as exc:  # a backend bug: show it on the message, keep the chat alive
            await self._fail(
                PonderError(
                    f"unexpected {type(exc).__name__}: {exc}",
                    "this is a bug in ponder or the backend; the chat is still usable",
                )
            )
        return self.meter.reading() if self.meter else None

    async def _backend(self) -> Backend:
        if not self.slot.settled:
            self.view.show_note(LOADING_BACKEND)
        backend = await self.slot.wait()
        self.backend = backend
        self.record.model = backend.model
        self.view.set_header(self.header())
        self.meter = MessageMeter.for_backend(
            backend, self.services.prices, clock=self.services.clock
        )
        self.view.show_note("")
        return backend

    def header(self) -> str:
        """``local · model.gguf · budget 1k``: who answered and what was asked for."""
        base_url = self.backend.spec.base_url if self.backend else None
        model = model_label(self.record.model, base_url) if self.record.model else "…"
        return f"{self.record.backend} · {model} · budget {self.record.budget}"

    async def _stream(self, backend: Backend) -> None:
        request = ChatRequest(
            messages=self.conversation.messages_for(self.exchange),
            budget=self.budget,
            conversation_id=self.conversation.id,
            options=RequestOptions(max_tokens=self.services.settings.max_tokens),
        )
        assert self.meter is not None
        # A local count of the prompt: a reply cut short before the provider reports usage
        # (cancelled) can still be priced, marked as an estimate, as ask and compare do.
        self.meter.input_estimate = await asyncio.to_thread(
            lambda: sum(estimate_tokens(m.text) for m in request.messages)
        )
        self.meter.start()
        finished: Finished | None = None
        stream = backend.stream(request)
        try:
            async for event in stream:
                self._feed(event)
                if isinstance(event, Finished):
                    finished = event
                    break
                await self._apply(event)
                await asyncio.sleep(0)  # let the UI breathe even if the backend never waits
        finally:
            await stream.aclose()  # type: ignore[attr-defined]
        if finished is None:
            finished = Finished(StopReason.INTERRUPTED)
            self._feed(finished)
        await self._end(finished)

    def _feed(self, event: StreamEvent) -> None:
        if self.meter is not None:
            self.meter.feed(event)
        if self.recording is not None:  # after the meter: the recorder's final write reads it
            self.recording.feed(event)

    async def _apply(self, event: StreamEvent) -> None:
        self._reply.add(event)
        if isinstance(event, ReasoningDelta):
            self.view.add_thinking(event.text)
            self._clear_loading()
        elif isinstance(event, ReasoningRollback):
            self.view.rollback_thinking(event.keep_chars)
        elif isinstance(event, TextDelta):
            self._clear_loading()
            await self.view.add_answer(event.text)
        elif isinstance(event, StatusNote):
            self.view.show_note(note_text(event))
            if event.kind == "loading":
                self.on_state("loading model…")

    def _clear_loading(self) -> None:
        if self.view.note_text in (LOADING_MODEL, LOADING_BACKEND):
            self.view.show_note("")
            self.on_state("")

    async def _end(self, finished: Finished) -> None:
        self.record.continuation = finished.continuation
        if finished.model and finished.model != self.record.model:
            # The server's own id (e.g. for a server configured without a model).
            self.record.model = self.reported_model = finished.model
            self.view.set_header(self.header())
        status = status_for(finished)
        if status == ERROR:
            error = finished.error or PonderError(
                "the stream ended before the reply was finished",
                "the connection may have dropped; retry",
            )
            await self._fail(error)
            return
        await self._finish(status, stop_note(finished, self.budget.limit))

    async def _fail(self, error: PonderError) -> None:
        self.record.error = error
        self.view.show_error(error, self.next_step)
        self.on_state("")
        await self._finish(ERROR, "")

    async def _finish(self, status: str, note: str) -> None:
        self.record.status = status
        self.record.thinking = self._reply.thinking
        self.record.answer = self._reply.text
        if note or self.view.note_text in (LOADING_MODEL, LOADING_BACKEND):
            self.view.show_note(note)
        if self.meter is None:
            self.view.remove_class("-streaming")
            self.view.add_class(f"-{status}")
        else:
            reading = self.meter.reading()
            self.record.reasoning_tokens = reading.usage.reasoning
            caps = self.backend.capabilities if self.backend else None
            hidden = caps is not None and caps.thinking_text != "full"
            await self.view.finish(status, reading, hidden_text=hidden)
        if self.recording is not None:
            await self.recording.end(status, self.record.error, self.meter)
