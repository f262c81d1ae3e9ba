"""A backend that streams fixed events, for tests that need exact model output or fixed timing.

A real model cannot be made to emit chosen text (markup, escapes) or fixed timings (snapshots);
everything else in the TUI tests runs on the real tiny model.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass

from backends.base import Backend, BackendSpec
from backends.capabilities import Capabilities
from backends.events import Finished, StreamEvent
from backends.request import ChatRequest

THINKING = Capabilities(
    can_think=True, thinking_text="full", budget_precision="exact", live_budget=True
)


@dataclass
class FakeClock:
    """A clock that only moves when told to (meters read it; the script advances it)."""

    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Step:
    """Advance the clock by ``seconds``, then (optionally) wait until ``gate`` is set."""

    seconds: float = 0.0
    gate: asyncio.Event | None = None


Item = StreamEvent | Step


class ScriptedBackend(Backend):
    """Streams one scripted reply per request (the last script repeats); records requests."""

    kind = "scripted"

    def __init__(
        self,
        *replies: Sequence[Item],
        name: str = "scripted",
        model: str = "scripted-1",
        capabilities: Capabilities = THINKING,
        clock: FakeClock | None = None,
    ) -> None:
        # hardware priced at 0 (a user setting): screenshots must not depend on this machine's
        # core count, which the default local price is proportional to
        spec = BackendSpec(name=name, kind="scripted", model=model, hardware_cost_per_hour=0.0)
        super().__init__(spec)
        self.replies = list(replies)
        self.clock = clock
        self.capabilities = capabilities
        self.requests: list[ChatRequest] = []
        self.closed = False

    async def _stream(self, request: ChatRequest) -> AsyncGenerator[StreamEvent, None]:
        self.requests.append(request)
        index = min(len(self.requests), len(self.replies)) - 1
        for item in self.replies[index]:
            if isinstance(item, Step):
                if self.clock is not None:
                    self.clock.now += item.seconds
                if item.gate is not None:
                    await item.gate.wait()
                continue
            yield item
            if isinstance(item, Finished):
                return

    async def aclose(self) -> None:
        self.closed = True
