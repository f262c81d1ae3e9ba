"""Run one request to the end and collect what came back (headless: CLI, compare, eval)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from backends.base import Backend
from backends.events import (
    Finished,
    ReasoningDelta,
    ReasoningRollback,
    StatusNote,
    StopReason,
    StreamEvent,
    TextDelta,
)
from backends.request import ChatRequest


@dataclass(slots=True)
class Reply:
    """Everything one reply produced. ``finished`` is always set once ``collect`` returns."""

    text_parts: list[str] = field(default_factory=list)
    thinking_parts: list[str] = field(default_factory=list)
    notes: list[StatusNote] = field(default_factory=list)
    finished: Finished | None = None

    @property
    def text(self) -> str:
        return "".join(self.text_parts)

    @property
    def thinking(self) -> str:
        return "".join(self.thinking_parts)

    def add(self, event: StreamEvent) -> None:
        """Take one event into the reply (a rollback truncates the thinking so far)."""
        if isinstance(event, ReasoningDelta):
            self.thinking_parts.append(event.text)
        elif isinstance(event, TextDelta):
            self.text_parts.append(event.text)
        elif isinstance(event, ReasoningRollback):
            self.thinking_parts[:] = [self.thinking[: event.keep_chars]]
        elif isinstance(event, StatusNote):
            self.notes.append(event)
        elif isinstance(event, Finished):
            self.finished = event

    @property
    def stop_reason(self) -> StopReason:
        return self.finished.stop_reason if self.finished else StopReason.INTERRUPTED


async def collect(
    backend: Backend,
    request: ChatRequest,
    on_event: Callable[[StreamEvent], None] | None = None,
) -> Reply:
    """Stream ``request`` to the end, calling ``on_event`` for each event; return the reply.

    If the caller is cancelled, the stream is closed (the backend stops) and the cancellation
    propagates; the partial reply is whatever was collected.
    """
    reply = Reply()
    stream = backend.stream(request)
    try:
        async for event in stream:
            if on_event is not None:
                on_event(event)
            reply.add(event)
    finally:
        await stream.aclose()  # type: ignore[attr-defined]
    return reply
