"""The budget is live: changes made while the reply streams act on it at the next token.

The backend runs in lock-step mode, so the decoder waits until the consumer has taken each
event: a change made right after receiving the Nth thinking delta is seen before the next token
is decoded. No timing is involved.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from backends.budget import Budget
from backends.events import ReasoningDelta, ReasoningRollback, StreamEvent, UsageUpdate
from backends.local.backend import LocalBackend
from backends.request import ChatRequest, Message, RequestOptions
from tests.local.conftest import MakeBackend
from tests.local.helpers import OnEvent, Reply, run

ASK = [Message("user", "Think about this.")]


def thinking_text(backend: LocalBackend, spent: int) -> str:
    """The first ``spent`` thinking tokens of the last reply, as the decoder shows them."""
    trace = backend.last_reply
    assert trace is not None
    assert trace.think_start is not None
    tokens = trace.tokens[trace.think_start : trace.think_start + spent]
    assert backend.loaded is not None
    data = b"".join(backend.loaded.pieces.piece(t) for t in tokens)
    return data.decode("utf-8", errors="ignore").lstrip("\n")


def after_deltas(n: int, change: Callable[[], object]) -> OnEvent:
    def on_event(event: StreamEvent, reply: Reply) -> None:
        if isinstance(event, ReasoningDelta) and reply.reasoning_deltas == n:
            change()

    return on_event


async def live(
    make_backend: MakeBackend, tiny: Path, budget: Budget, n: int, change: Callable[[], object]
) -> Reply:
    backend = make_backend(tiny, lockstep=True, usage_every=1)
    request = ChatRequest(ASK, budget=budget, options=RequestOptions(max_tokens=400, seed=11))
    reply = await run(backend, request, after_deltas(n, change))
    reply.backend = backend  # type: ignore[attr-defined]
    return reply


def spent_at_close(reply: Reply) -> int:
    trace = reply.backend.last_reply  # type: ignore[attr-defined]
    return trace.think_end - trace.think_start - 5  # minus "\n</think>\n\n"


async def test_lowered_below_spent_rolls_back(make_backend: MakeBackend, tiny_gguf: Path) -> None:
    budget = Budget(256)
    reply = await live(make_backend, tiny_gguf, budget, 40, lambda: budget.set_limit(32))
    assert spent_at_close(reply) == 32
    rollbacks = [e for e in reply.events if isinstance(e, ReasoningRollback)]
    assert len(rollbacks) == 1
    assert "took back" in reply.notes("budget")[0].text
    assert reply.finished.budget_applied == "budget 32: rolled back to 32 and closed"
    # What the UI shows after applying the rollback is exactly the 32 tokens the model kept.
    assert reply.thinking == thinking_text(reply.backend, 32)  # type: ignore[attr-defined]
    assert reply.finished.usage is not None
    assert reply.finished.usage.reasoning == 32
    # Usage went up past 32 thinking tokens, then came back down.
    updates = [e.usage for e in reply.events if isinstance(e, UsageUpdate)]
    assert all(u.reasoning is not None for u in updates)
    peak = max(u.reasoning for u in updates if u.reasoning is not None)
    assert reply.finished.usage.reasoning is not None
    assert peak > 32 + 5 > reply.finished.usage.reasoning


async def test_lowered_before_reaching_it_stops_there(
    make_backend: MakeBackend, tiny_gguf: Path
) -> None:
    budget = Budget(256)
    reply = await live(make_backend, tiny_gguf, budget, 10, lambda: budget.set_limit(32))
    assert spent_at_close(reply) == 32
    assert not any(isinstance(e, ReasoningRollback) for e in reply.events)
    assert reply.finished.budget_applied == "budget 32: forced close at 32"
    assert reply.thinking == thinking_text(reply.backend, 32)  # type: ignore[attr-defined]
    assert reply.text


async def test_raised_mid_stream_continues(make_backend: MakeBackend, tiny_gguf: Path) -> None:
    budget = Budget(32)
    reply = await live(make_backend, tiny_gguf, budget, 10, lambda: budget.set_limit(128))
    assert spent_at_close(reply) == 128
    assert reply.finished.budget_applied == "budget 128: forced close at 128"


async def test_stop_thinking_now(make_backend: MakeBackend, tiny_gguf: Path) -> None:
    budget = Budget(None)
    reply = await live(make_backend, tiny_gguf, budget, 10, budget.stop_thinking)
    spent = spent_at_close(reply)
    assert 10 <= spent < 20  # closed at the next token after the 10th delta
    assert reply.finished.budget_applied == f"budget auto: stopped by request at {spent}"
    assert reply.text


async def test_without_a_change_the_budget_holds(
    make_backend: MakeBackend, tiny_gguf: Path
) -> None:
    budget = Budget(256)
    reply = await live(make_backend, tiny_gguf, budget, 10, lambda: None)
    assert spent_at_close(reply) == 256
