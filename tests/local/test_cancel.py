"""Cancelling a reply stops decoding within one token and keeps what was streamed."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from backends.budget import Budget
from backends.events import StopReason, StreamEvent, TextDelta, UsageUpdate
from backends.request import ChatRequest, Message, RequestOptions
from tests.local.conftest import MakeBackend
from tests.local.helpers import Reply, expected_evals, run

ASK = [Message("user", "Write a long story.")]


async def test_cancel_stops_within_one_token(make_backend: MakeBackend, tiny_gguf: Path) -> None:
    backend = make_backend(tiny_gguf, lockstep=True, usage_every=1)
    at_cancel: list[int] = []

    def on_event(event: StreamEvent, reply: Reply) -> None:
        if isinstance(event, UsageUpdate) and event.usage.output == 30:
            at_cancel.append(event.usage.output)
            backend.cancel()

    request = ChatRequest(
        ASK, budget=Budget(10), options=RequestOptions(max_tokens=100_000, seed=2)
    )
    reply = await run(backend, request, on_event)
    done = reply.finished
    assert done.stop_reason is StopReason.CANCELLED
    assert at_cancel == [30]
    assert done.usage is not None
    assert done.usage.output <= 30 + 1  # at most the token in flight
    assert reply.evals <= done.usage.input + 31  # llama.cpp agrees: decoding stopped
    assert reply.text  # the partial answer was streamed and is kept
    assert reply.text == "".join(e.text for e in reply.events if isinstance(e, TextDelta))


async def test_cancelled_task_stops_the_decoder(make_backend: MakeBackend, tiny_gguf: Path) -> None:
    backend = make_backend(tiny_gguf, lockstep=True)
    await backend.load()
    before = sum(backend.eval_counts())
    seen = asyncio.Event()

    async def consume() -> None:
        count = 0
        request = ChatRequest(
            ASK, budget=Budget(0), options=RequestOptions(max_tokens=100_000, seed=2)
        )
        async for event in backend.stream(request):
            count += isinstance(event, TextDelta)
            if count == 20:
                seen.set()

    task = asyncio.create_task(consume())
    await seen.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # The task ends only once the worker thread has stopped: nothing decodes after this.
    evaluated = sum(backend.eval_counts()) - before
    reply = await run(
        backend, ChatRequest(ASK, budget=Budget(0), options=RequestOptions(max_tokens=5, seed=2))
    )
    assert reply.finished.stop_reason is StopReason.LENGTH  # the backend is usable again
    assert reply.evals == expected_evals(reply)  # and nothing else is decoding meanwhile
    assert reply.finished.usage is not None
    prompt = reply.finished.usage.input
    assert evaluated <= prompt + 20 + 4  # 20 answer tokens seen, a few in flight at most


async def test_closing_the_stream_cancels(make_backend: MakeBackend, tiny_gguf: Path) -> None:
    backend = make_backend(tiny_gguf)
    await backend.load()
    request = ChatRequest(ASK, budget=Budget(0), options=RequestOptions(max_tokens=100_000, seed=2))
    stream = backend._stream(request)  # the backend's own generator, closed explicitly
    async for event in stream:
        if isinstance(event, TextDelta):
            break
    await stream.aclose()
    reply = await run(
        backend, ChatRequest(ASK, budget=Budget(0), options=RequestOptions(max_tokens=5, seed=2))
    )
    assert reply.finished.stop_reason is StopReason.LENGTH
    # Had the closed reply kept decoding (up to 100,000 tokens) on the worker thread, its
    # evaluations would show up here.
    assert reply.evals == expected_evals(reply)
