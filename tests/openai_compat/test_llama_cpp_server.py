"""The OpenAI-compatible backend against llama-cpp-python's real server (embedded SmolLM2)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from backends.events import Finished, StopReason, TextDelta
from backends.remote.openai_compat import OpenAICompatBackend
from backends.request import RequestOptions
from tests.openai_compat.chat_support import chat, make_backend, run

pytestmark = pytest.mark.server

PROMPT = "What is 2+2? Answer in one short sentence."


async def test_streamed_text_equals_the_non_streamed_answer(llama_server: str) -> None:
    backend = make_backend(OpenAICompatBackend, base_url=llama_server, model="smollm2", key=None)
    request = chat(PROMPT)
    request.options = RequestOptions(max_tokens=24, temperature=0.0, seed=7)

    reply, _ = await run(backend, request)

    async with httpx.AsyncClient(timeout=120) as client:
        response = await client.post(
            f"{llama_server}/chat/completions",
            json={
                "model": "smollm2",
                "messages": [{"role": "user", "content": PROMPT}],
                "max_tokens": 24,
                "temperature": 0.0,
                "seed": 7,
            },
        )
    answer = response.json()["choices"][0]["message"]["content"]
    assert reply.text == answer
    assert len(reply.text) > 0
    assert reply.finished is not None
    assert reply.finished.error is None
    assert reply.finished.stop_reason in (StopReason.STOP, StopReason.LENGTH)
    # llama-cpp-python's server ignores stream_options.include_usage: ponder counts locally.
    usage = reply.finished.usage
    assert usage is not None
    assert usage.estimated is True
    assert usage.input > 10 and 0 < usage.output <= 40


async def test_check_and_model_list_against_the_real_server(llama_server: str) -> None:
    backend = make_backend(OpenAICompatBackend, base_url=llama_server, key=None)
    try:
        assert await backend.check() is None
        assert await backend.list_models() == ["smollm2"]
    finally:
        await backend.aclose()


async def test_a_second_request_cuts_the_first_which_is_marked_interrupted(
    llama_server: str,
) -> None:
    # llama-cpp-python's server serves one request at a time: a new request ends the stream in
    # flight with [DONE] and no finish_reason. The cut reply keeps its text, marked interrupted.
    first_backend = make_backend(OpenAICompatBackend, base_url=llama_server, key=None)
    second_backend = make_backend(OpenAICompatBackend, base_url=llama_server, key=None)
    long_request = chat("Write a long story about a dragon.")
    long_request.options = RequestOptions(max_tokens=400, temperature=0.0)
    texts: list[str] = []
    second: asyncio.Task | None = None
    async for event in first_backend.stream(long_request):
        if isinstance(event, TextDelta):
            texts.append(event.text)
            if second is None:
                second = asyncio.create_task(run(second_backend, chat("Hi", max_tokens=4)))
        last = event
    await first_backend.aclose()
    assert second is not None
    other, _ = await second
    assert isinstance(last, Finished)
    assert last.stop_reason is StopReason.INTERRUPTED, last
    assert last.error is not None
    assert "without a finish reason" in last.error.message
    assert "".join(texts) and other.text
