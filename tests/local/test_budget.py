"""Budget forcing on real decoding: caps, no-thinking, minimum ("Wait"), single-token tags."""

from __future__ import annotations

from pathlib import Path

import pytest

from backends.budget import Budget
from backends.events import ReasoningDelta, TextDelta
from backends.local.backend import LocalBackend
from backends.request import ChatRequest, Message, RequestOptions
from tests.local.conftest import MakeBackend
from tests.local.helpers import run

CLOSE_TOKENS = 5  # "\n</think>\n\n" in SmolLM2's vocabulary
SHORT = [Message("user", "What is 2+2?")]
QUESTION = [Message("user", "A farmer has 17 sheep and all but 9 run away. How many are left?")]


def split_at_close(backend: LocalBackend) -> tuple[str, str]:
    """The reply's context text (after the prompt) split at the closing tag."""
    trace = backend.last_reply
    loaded = backend.loaded
    assert trace is not None and loaded is not None
    data = b"".join(loaded.pieces.piece(t) for t in trace.tokens[trace.think_start :])
    before, tag, after = data.decode("utf-8", errors="replace").partition("</think>")
    assert tag, "the thinking was closed"
    return before, after


@pytest.mark.embedded
@pytest.mark.parametrize("budget", [0, 16, 64, 256])
async def test_reasoning_never_exceeds_the_budget(make_backend: MakeBackend, budget: int) -> None:
    backend = make_backend("embedded")
    for seed in (1, 2, 3):
        request = ChatRequest(
            QUESTION,
            budget=Budget(budget),
            options=RequestOptions(max_tokens=budget + 40, seed=seed),
        )
        reply = await run(backend, request)
        usage = reply.finished.usage
        assert usage is not None
        assert usage.reasoning is not None
        assert usage.reasoning <= budget, (seed, reply.finished.budget_applied)
        assert reply.text.strip(), f"seed {seed}: an answer follows the thinking"
        if budget == 0:
            assert usage.reasoning == 0 and reply.reasoning_deltas == 0
            assert reply.finished.budget_applied == "no thinking"
            continue
        assert reply.thinking.strip()
        before, after = split_at_close(backend)
        assert before.strip("\n") == reply.thinking.strip("\n")  # shown = what the model saw
        assert after.startswith("\n\n") and after.lstrip("\n") == reply.text  # answer follows
        kinds = [type(e) for e in reply.events if isinstance(e, (ReasoningDelta, TextDelta))]
        assert kinds.index(TextDelta) > max(i for i, k in enumerate(kinds) if k is ReasoningDelta)
        assert reply.finished.budget_applied is not None
        if "forced close" in reply.finished.budget_applied:
            assert usage.reasoning == budget  # the forced "</think>" is not thinking
            forced = reply.finished.forced_close_tokens
            assert forced in (CLOSE_TOKENS - 1, CLOSE_TOKENS)  # "</think>\n\n" after a "\n"


@pytest.mark.embedded
async def test_min_thinking_extends_with_wait(make_backend: MakeBackend) -> None:
    backend = make_backend("embedded")
    extended = 0
    for seed in (1, 2, 3):
        request = ChatRequest(
            SHORT,
            budget=Budget(None, minimum=48),
            options=RequestOptions(max_tokens=200, seed=seed),
        )
        reply = await run(backend, request)
        usage = reply.finished.usage
        assert usage is not None
        assert usage.reasoning is not None and reply.finished.budget_applied is not None
        assert usage.reasoning >= 48, reply.finished.budget_applied
        if "Wait" in reply.finished.budget_applied:
            extended += 1
            assert "Wait" in reply.thinking
    assert extended >= 1, "the model closes early on at least one seed, and is made to go on"


@pytest.mark.embedded
async def test_min_thinking_when_the_model_stops_at_once(make_backend: MakeBackend) -> None:
    """Greedy SmolLM2 ends its thinking on "What is 2+2?" after 7 tokens: it is made to go on."""
    backend = make_backend("embedded")
    request = ChatRequest(
        SHORT,
        budget=Budget(80, minimum=48),
        options=RequestOptions(max_tokens=160, temperature=0.0),
    )
    reply = await run(backend, request)
    assert reply.finished.usage is not None
    assert reply.finished.usage.reasoning is not None
    assert reply.finished.usage.reasoning >= 48
    assert reply.finished.budget_applied is not None
    assert "extended with Wait" in reply.finished.budget_applied
    assert reply.text.strip()


async def test_budget_zero_on_a_reasoning_template_writes_an_empty_block(
    make_backend: MakeBackend, tiny_thinking_gguf: Path
) -> None:
    backend = make_backend(tiny_thinking_gguf)
    reply = await run(
        backend,
        ChatRequest(QUESTION, budget=Budget(0), options=RequestOptions(max_tokens=8, seed=1)),
    )
    assert backend.last_reply is not None
    prompt = backend.last_reply.tokens[: backend.last_reply.prompt_len]
    assert backend.loaded is not None
    special = backend.loaded.session.detokenize(prompt[-8:], special=True)
    assert special.endswith("assistant\n<think>\n\n</think>\n\n")  # Qwen3's no-think bytes
    assert 5 in prompt[-4:] and 6 in prompt[-4:]  # the tags are single special tokens
    assert reply.finished.usage is not None
    assert reply.finished.usage.reasoning == 0 and reply.reasoning_deltas == 0


async def test_single_token_close_is_forced_by_id(
    make_backend: MakeBackend, tiny_thinking_gguf: Path
) -> None:
    backend = make_backend(tiny_thinking_gguf)
    loaded = await backend.load()
    assert (loaded.tags.open_id, loaded.tags.close_id) == (5, 6)
    reply = await run(
        backend,
        ChatRequest(QUESTION, budget=Budget(12), options=RequestOptions(max_tokens=30, seed=1)),
    )
    trace = backend.last_reply
    assert reply.finished.budget_applied == "budget 12: forced close at 12"
    assert trace is not None
    thinking = trace.tokens[trace.think_start : trace.think_end]
    assert thinking[12:].count(6) == 1 and 6 not in thinking[:12]  # one </think> token
    # What the model thought; the forced "\n</think>\n\n" is reported apart.
    assert reply.finished.usage is not None
    assert reply.finished.usage.reasoning == 12
    assert reply.finished.forced_close_tokens == len(thinking[12:])
    assert trace.think_start is not None
    assert trace.tokens[trace.think_start - 2 : trace.think_start][0] == 5  # opened with <think>
