"""The stream contract on the local backend: order, one Finished last, usage, timings."""

from __future__ import annotations

from pathlib import Path

import pytest

from backends.budget import Budget
from backends.events import (
    Finished,
    ReasoningDelta,
    StatusNote,
    StopReason,
    TextDelta,
    UsageUpdate,
)
from backends.local.backend import LocalBackend
from backends.request import ChatRequest, Message, RequestOptions
from tests.local.conftest import MakeBackend
from tests.local.helpers import run

ASK = [Message("user", "What is 2+2?")]


def check_contract(events: list) -> None:
    finished = [i for i, e in enumerate(events) if isinstance(e, Finished)]
    assert finished == [len(events) - 1], "exactly one Finished, and it comes last"
    kinds = [type(e).__name__ for e in events]
    # thinking (if any) comes before the answer: no ReasoningDelta after the first TextDelta
    if "TextDelta" in kinds and "ReasoningDelta" in kinds:
        last_thought = max(i for i, e in enumerate(events) if isinstance(e, ReasoningDelta))
        first_text = kinds.index("TextDelta")
        assert last_thought < first_text


@pytest.mark.embedded
async def test_embedded_answers_what_is_2_plus_2(make_backend: MakeBackend) -> None:
    backend = make_backend("embedded")
    # seed 3: one the model ends its thinking with (the sampler chain is seeded once per reply)
    events = [
        e
        async for e in backend.stream(
            ChatRequest(ASK, options=RequestOptions(max_tokens=160, seed=3))
        )
    ]
    check_contract(events)
    assert isinstance(events[0], StatusNote) and events[0].kind == "loading"
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert text.strip()
    done = events[-1]
    assert isinstance(done, Finished)
    assert done.stop_reason is StopReason.STOP
    assert done.model == "SmolLM2-135M-Instruct.Q4_1.gguf"
    usage = done.usage
    assert usage is not None and not usage.estimated
    assert usage.reasoning is not None
    assert usage.input > 20 and usage.output >= usage.reasoning > 0
    assert done.timings is not None
    assert done.timings.first_token is not None
    assert done.timings.server_decode_tokens is not None and done.timings.server_decode_tokens > 0
    assert done.budget_applied and done.budget_applied.startswith("budget auto")


async def test_tiny_contract_and_usage(make_backend: MakeBackend, tiny_gguf: Path) -> None:
    backend = make_backend(tiny_gguf, usage_every=8)
    request = ChatRequest(ASK, budget=Budget(20), options=RequestOptions(max_tokens=60, seed=3))
    reply = await run(backend, request)
    check_contract(reply.events)
    done = reply.finished
    assert done.stop_reason is StopReason.LENGTH
    assert done.usage is not None
    assert done.usage.output == 60
    assert done.usage.reasoning == 20  # the budget: what the model thought
    assert done.forced_close_tokens == 5  # "\n</think>\n\n", reported apart
    updates = [e.usage.output for e in reply.events if isinstance(e, UsageUpdate)]
    assert updates == sorted(updates) and len(updates) >= 60 // 8 - 1
    assert reply.thinking and reply.text


async def test_capabilities_and_check(make_backend: MakeBackend, tiny_gguf: Path) -> None:
    backend = make_backend(tiny_gguf)
    caps = LocalBackend.capabilities
    assert (caps.can_think, caps.thinking_text, caps.budget_precision) == (True, "full", "exact")
    assert caps.live_budget and caps.local and LocalBackend.kind == "llama"
    assert await backend.check() is None
    assert backend.loaded is None  # check() does not load


async def test_prepare_loads_the_model_once_and_says_so(
    make_backend: MakeBackend, tiny_gguf: Path
) -> None:
    """``prepare`` is the typed way to load ahead of the first request (no duck typing)."""
    backend = make_backend(tiny_gguf, n_gpu_layers=0)  # n_threads=1 (the fixture)
    assert not backend.prepared and backend.loaded is None
    assert (backend.threads(), backend.gpu_layers()) == (1, 0)
    await backend.prepare()
    loaded = backend.loaded
    assert backend.prepared and loaded is not None
    await backend.prepare()  # again: nothing to do
    assert backend.loaded is loaded
    events = [
        e
        async for e in backend.stream(
            ChatRequest(ASK, budget=Budget(0), options=RequestOptions(max_tokens=3))
        )
    ]
    assert not [e for e in events if isinstance(e, StatusNote) and e.kind == "loading"]
    await backend.aclose()
    assert not backend.prepared


async def test_aclose_frees_and_a_later_stream_reloads(
    make_backend: MakeBackend, tiny_gguf: Path
) -> None:
    backend = make_backend(tiny_gguf)
    await run(backend, ChatRequest(ASK, budget=Budget(0), options=RequestOptions(max_tokens=3)))
    await backend.aclose()
    assert backend.loaded is None
    await backend.aclose()  # twice is fine
    events = [
        e
        async for e in backend.stream(
            ChatRequest(ASK, budget=Budget(0), options=RequestOptions(max_tokens=3))
        )
    ]
    assert isinstance(events[0], StatusNote) and events[0].kind == "loading"
    assert isinstance(events[-1], Finished)
    assert events[-1].stop_reason is StopReason.LENGTH
