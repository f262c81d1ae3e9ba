"""Run a request on a backend and collect what came out."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from backends.events import (
    Finished,
    ReasoningDelta,
    ReasoningRollback,
    StatusNote,
    StopReason,
    StreamEvent,
    TextDelta,
)
from backends.local.backend import LocalBackend
from backends.request import ChatRequest

OnEvent = Callable[[StreamEvent, "Reply"], Awaitable[None] | None]


@dataclass
class Reply:
    events: list[StreamEvent] = field(default_factory=list)
    thinking: str = ""
    text: str = ""
    reasoning_deltas: int = 0
    evals: int = 0  # tokens llama.cpp evaluated during the reply (its own counters)
    prompt_evals: int = 0  # of which in multi-token batches

    @property
    def finished(self) -> Finished:
        last = self.events[-1]
        assert isinstance(last, Finished)
        return last

    def notes(self, kind: str) -> list[StatusNote]:
        return [e for e in self.events if isinstance(e, StatusNote) and e.kind == kind]


async def run(
    backend: LocalBackend, request: ChatRequest, on_event: OnEvent | None = None
) -> Reply:
    """Stream ``request`` to the end, applying rollbacks to the thinking text as a UI would."""
    reply = Reply()
    if backend.loaded is None:
        await backend.load()
    before = backend.eval_counts()
    async for event in backend.stream(request):
        reply.events.append(event)
        if isinstance(event, ReasoningDelta):
            reply.thinking += event.text
            reply.reasoning_deltas += 1
        elif isinstance(event, ReasoningRollback):
            reply.thinking = reply.thinking[: event.keep_chars]
        elif isinstance(event, TextDelta):
            reply.text += event.text
        if on_event is not None:
            result = on_event(event, reply)
            if result is not None:
                await result
    after = backend.eval_counts()
    reply.prompt_evals = after[0] - before[0]
    reply.evals = reply.prompt_evals + after[1] - before[1]
    return reply


def expected_evals(reply: Reply) -> int:
    """Tokens a reply must evaluate when nothing is evaluated twice: the new prompt tokens and
    every output token except the last, which nothing follows (an end-of-turn token, or the
    token that reached max_tokens). A cancelled reply stops at a token sampled after its last
    kept one was evaluated."""
    usage = reply.finished.usage
    unevaluated_last = 0 if reply.finished.stop_reason is StopReason.CANCELLED else 1
    assert usage is not None
    return usage.input - usage.cached_input + usage.output - unevaluated_last
