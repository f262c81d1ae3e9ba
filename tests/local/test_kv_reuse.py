"""KV-cache reuse, asserted on llama.cpp's own evaluation counters.

Identity used throughout: a reply evaluates its new prompt tokens plus every output token
except the last one when that is the end-of-turn token (sampled, never evaluated). Anything
re-evaluated (history, forced text evaluated twice) would break it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from backends.budget import Budget
from backends.local.backend import LocalBackend
from backends.request import ChatRequest, Message, RequestOptions
from tests.local.conftest import MakeBackend
from tests.local.helpers import Reply, expected_evals, run

TURNS = [
    "Hi! Tell me about cats.",
    "What is 2+2?",
    "And 3+3?",
    "Name a color.",
    "Thanks, bye.",
]


async def chat_turn(
    backend: LocalBackend, history: list[Message], text: str, conversation: str, **kw: int
) -> Reply:
    history.append(Message("user", text))
    request = ChatRequest(
        list(history),
        budget=Budget(0),
        conversation_id=conversation,
        options=RequestOptions(max_tokens=kw.get("max_tokens", 48), seed=1),
    )
    reply = await run(backend, request)
    history.append(Message("assistant", reply.text))
    return reply


async def warm_up(backend: LocalBackend) -> None:
    """llama.cpp reports its counters as max(1, n): get both past zero before measuring."""
    await run(
        backend,
        ChatRequest(
            [Message("user", "Hello")], budget=Budget(0), options=RequestOptions(max_tokens=3)
        ),
    )


@pytest.mark.embedded
async def test_five_turn_chat_evaluates_only_new_tokens(make_backend: MakeBackend) -> None:
    backend = make_backend("embedded")
    await warm_up(backend)
    history: list[Message] = []
    replies = [await chat_turn(backend, history, text, "chat") for text in TURNS]
    for number, reply in enumerate(replies[1:], start=2):
        usage = reply.finished.usage
        assert usage is not None
        assert usage.cache_hit is not None
        assert usage.cache_hit >= 0.80, f"turn {number}: {usage}"
        assert reply.evals == expected_evals(reply), f"turn {number}"
        new_prompt = usage.input - usage.cached_input
        assert reply.prompt_evals == new_prompt, f"turn {number}: one batch of new tokens"


@pytest.mark.embedded
async def test_switching_conversations_restores_kv(make_backend: MakeBackend) -> None:
    backend = make_backend("embedded")
    await warm_up(backend)
    a: list[Message] = []
    b: list[Message] = []
    a1 = await chat_turn(backend, a, "Tell me a fact about the moon.", "A")
    await chat_turn(backend, b, "Write one line about the sea.", "B")
    a2 = await chat_turn(backend, a, "And one about the sun?", "A")
    # Back in A: everything up to the end of A's first answer comes from the restored snapshot.
    assert a1.finished.usage is not None
    a1_evaluated = a1.finished.usage.input + a1.finished.usage.output - 1  # all but its EOS
    assert a2.finished.usage is not None
    assert a2.finished.usage.cached_input >= a1_evaluated
    assert a2.finished.usage.cache_hit is not None
    assert a2.finished.usage.cache_hit >= 0.8
    assert a2.evals == expected_evals(a2)
    assert a2.prompt_evals <= 24  # only the new user turn: A's history was not evaluated again


@pytest.mark.embedded
async def test_without_snapshots_switching_back_re_evaluates(make_backend: MakeBackend) -> None:
    """The control for the test above: with no snapshot memory, A's history is evaluated again."""
    backend = make_backend("embedded", state_cache_mb=0)
    await warm_up(backend)
    a: list[Message] = []
    b: list[Message] = []
    a1 = await chat_turn(backend, a, "Tell me a fact about the moon.", "A")
    await chat_turn(backend, b, "Write one line about the sea.", "B")
    a2 = await chat_turn(backend, a, "And one about the sun?", "A")
    assert a2.finished.usage is not None
    assert a1.finished.usage is not None
    assert a2.finished.usage.cached_input < a1.finished.usage.input  # only the system prompt
    assert a2.prompt_evals > a1.finished.usage.output  # A's answer was evaluated again
    assert a2.evals == expected_evals(a2)  # the counts are still honest


async def test_forced_close_costs_only_the_forced_tokens(
    make_backend: MakeBackend, tiny_gguf: Path
) -> None:
    backend = make_backend(tiny_gguf)
    await warm_up(backend)
    request = ChatRequest(
        [Message("user", "Why?")], budget=Budget(16), options=RequestOptions(max_tokens=40, seed=5)
    )
    reply = await run(backend, request)
    trace = backend.last_reply
    assert reply.finished.budget_applied == "budget 16: forced close at 16"
    assert trace is not None
    assert trace.think_start is not None and trace.think_end is not None
    forced = trace.think_end - trace.think_start - 16  # "\n</think>\n\n"
    assert forced == 5
    usage = reply.finished.usage
    assert reply.evals == expected_evals(reply)
    # Two multi-token batches: the new prompt, then the last thinking token with the close.
    assert usage is not None
    assert reply.prompt_evals == (usage.input - usage.cached_input) + 1 + forced


@pytest.mark.embedded
async def test_forced_close_on_the_real_model_reuses_kv(make_backend: MakeBackend) -> None:
    backend = make_backend("embedded")
    await warm_up(backend)
    request = ChatRequest(
        [Message("user", "Why is the sky blue?")],
        budget=Budget(24),
        options=RequestOptions(max_tokens=60, seed=2),
    )
    reply = await run(backend, request)
    usage = reply.finished.usage
    assert reply.finished.budget_applied is not None
    assert "forced close at 24" in reply.finished.budget_applied
    assert reply.evals == expected_evals(reply)
    assert usage is not None
    assert reply.prompt_evals == (usage.input - usage.cached_input) + 1 + 5
