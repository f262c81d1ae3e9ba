"""Real stream shapes that were parsed wrongly: Anthropic redacted thinking, leading whitespace
text blocks, compaction usage and blocks; Groq's ``x_groq.usage``; a usage of the wrong types.

Each stream goes through the real adapter and HTTP transport against the replay server.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import SecretStr

from backends.base import BackendSpec
from backends.budget import Budget
from backends.events import TextDelta
from backends.meter_lines import format_meter_line
from backends.meters import MessageMeter
from backends.pricing import PriceBook
from backends.remote.anthropic import AnthropicBackend
from backends.remote.http import HTTPBackend
from backends.remote.openai_compat import OpenAICompatBackend
from backends.reply import Reply, collect
from backends.request import ChatRequest, Message
from tests.support.replay_server import ReplayServer, sse_reply


def sse(events: list[dict[str, Any]]) -> bytes:
    return b"".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n".encode() for e in events)


def anthropic(server: ReplayServer, model: str = "claude-opus-4-6") -> AnthropicBackend:
    spec = BackendSpec(
        name="claude",
        kind="anthropic",
        model=model,
        options=AnthropicBackend.Options(retry_backoff_s=0.01),
        base_url=server.url("/v1"),
        api_key=SecretStr("sk-ant-test-000000"),
    )
    return AnthropicBackend(spec)


def compat(server: ReplayServer) -> OpenAICompatBackend:
    spec = BackendSpec(
        name="groq",
        kind="openai-compat",
        model="llama",
        base_url=server.url("/v1"),
        options=OpenAICompatBackend.Options(retry_backoff_s=0.01),
    )
    return OpenAICompatBackend(spec)


async def ask(
    backend: HTTPBackend, messages: list[Message] | None = None
) -> tuple[Reply, list[Any], MessageMeter]:
    request = ChatRequest(messages or [Message("user", "hi")], Budget(None))
    meter = MessageMeter(backend.kind, backend.model, PriceBook({}), local=False, input_estimate=3)
    events: list[Any] = []

    def on_event(event: Any) -> None:
        meter.feed(event)
        events.append(event)

    meter.start()
    try:
        reply = await collect(backend, request, on_event)
    finally:
        await backend.aclose()
    return reply, events, meter


def start(usage: dict[str, Any] | None = None) -> dict[str, Any]:
    usage = usage or {"input_tokens": 10, "output_tokens": 1}
    message = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-opus-4-6",
        "content": [],
        "usage": usage,
    }
    return {"type": "message_start", "message": message}


def block(index: int, content: dict[str, Any]) -> dict[str, Any]:
    return {"type": "content_block_start", "index": index, "content_block": content}


def delta(index: int, content: dict[str, Any]) -> dict[str, Any]:
    return {"type": "content_block_delta", "index": index, "delta": content}


def stop(index: int) -> dict[str, Any]:
    return {"type": "content_block_stop", "index": index}


def end(usage: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": usage},
        {"type": "message_stop"},
    ]


async def test_redacted_thinking_is_said_and_counted(replay_server: ReplayServer) -> None:
    events = [
        start(),
        block(0, {"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix"}),
        stop(0),
        block(1, {"type": "redacted_thinking", "data": "EmwKAhgBEgy4vb4qayz"}),
        stop(1),
        block(2, {"type": "text", "text": ""}),
        delta(2, {"type": "text_delta", "text": "4"}),
        stop(2),
        *end({"output_tokens": 40}),
    ]
    replay_server.add(sse_reply(sse(events)))
    reply, _, _ = await ask(anthropic(replay_server))
    notes = [n.text for n in reply.notes if n.kind == "warning"]
    assert notes and "encrypted" in notes[-1] and "2 blocks" in notes[-1]
    assert reply.finished is not None
    assert reply.finished.extra["redacted_thinking_blocks"] == 2
    assert reply.finished.continuation is not None
    content = reply.finished.continuation["content"]
    assert [b["type"] for b in content] == ["redacted_thinking", "redacted_thinking", "text"]


async def test_a_whitespace_text_block_does_not_start_the_answer(
    replay_server: ReplayServer,
) -> None:
    events = [
        start(),
        block(0, {"type": "text", "text": ""}),
        delta(0, {"type": "text_delta", "text": "\n\n"}),
        stop(0),
        block(1, {"type": "thinking", "thinking": "", "signature": ""}),
        delta(1, {"type": "thinking_delta", "thinking": "Let me think."}),
        delta(1, {"type": "signature_delta", "signature": "sig"}),
        stop(1),
        block(2, {"type": "text", "text": ""}),
        delta(2, {"type": "text_delta", "text": "The answer."}),
        stop(2),
        *end({"output_tokens": 20}),
    ]
    replay_server.add(sse_reply(sse(events)))
    reply, seen, meter = await ask(anthropic(replay_server))
    kinds = [type(e).__name__ for e in seen if type(e).__name__ in ("TextDelta", "ReasoningDelta")]
    assert kinds[0] == "ReasoningDelta"  # thinking came before any answer token
    assert "".join(e.text for e in seen if isinstance(e, TextDelta)).strip() == "The answer."
    reading = meter.reading()
    assert reading.thinking_s is not None and reading.thinking_s >= 0
    assert reply.finished is not None and reply.finished.continuation is not None
    content = reply.finished.continuation["content"]
    assert [b["type"] for b in content] == ["thinking", "text"]  # no whitespace-only block


async def test_compaction_usage_is_summed_and_the_block_goes_back(
    replay_server: ReplayServer,
) -> None:
    iterations = [
        {
            "type": "compaction",
            "input_tokens": 100,
            "cache_read_input_tokens": 55096,
            "cache_creation_input_tokens": 0,
            "output_tokens": 2100,
        },
        {
            "type": "message",
            "input_tokens": 181,
            "cache_read_input_tokens": 0,
            "cache_creation_input_tokens": 0,
            "output_tokens": 35,
        },
    ]
    final = {
        "input_tokens": 181,
        "cache_read_input_tokens": 0,
        "cache_creation_input_tokens": 0,
        "output_tokens": 35,
        "iterations": iterations,
    }
    summary = "<summary>The user is building a scraper.</summary>"
    events = [
        start(),
        block(0, {"type": "compaction", "content": None}),
        delta(0, {"type": "compaction_delta", "content": summary}),
        stop(0),
        block(1, {"type": "text", "text": ""}),
        delta(1, {"type": "text_delta", "text": "Done."}),
        stop(1),
        *end(final),
    ]
    replay_server.add(sse_reply(sse(events)))
    replay_server.add(sse_reply(sse([start(), *end({"output_tokens": 1})])))
    reply, _, _ = await ask(anthropic(replay_server))
    assert reply.finished is not None
    usage = reply.finished.usage
    assert usage is not None
    assert (usage.input, usage.cached_input, usage.output) == (55377, 55096, 2135)
    assert any("compacted" in n.text for n in reply.notes)
    assert reply.finished.continuation is not None
    content = reply.finished.continuation["content"]
    assert content[0] == {"type": "compaction", "content": summary}

    history = [
        Message("user", "hi"),
        Message("assistant", reply.text, continuation=reply.finished.continuation),
        Message("user", "next"),
    ]
    await ask(anthropic(replay_server), history)
    sent = replay_server.requests[1].json["messages"][1]["content"]
    assert sent[0] == {"type": "compaction", "content": summary}


def chat_chunks(*chunks: dict[str, Any]) -> bytes:
    return b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks) + (
        b"data: [DONE]\n\n"
    )


async def test_usage_only_in_x_groq_is_used(replay_server: ReplayServer) -> None:
    groq_usage = {
        "queue_time": 0.01,
        "prompt_tokens": 42,
        "prompt_time": 0.002,
        "completion_tokens": 9,
        "completion_time": 0.03,
        "total_tokens": 51,
    }
    replay_server.add(
        sse_reply(
            chat_chunks(
                {"choices": [{"index": 0, "delta": {"content": "Hello there"}}]},
                {
                    "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                    "x_groq": {"id": "req_01", "usage": groq_usage},
                },
            )
        )
    )
    reply, _, meter = await ask(compat(replay_server))
    assert reply.finished is not None
    usage = reply.finished.usage
    assert usage is not None and not usage.estimated
    assert (usage.input, usage.output) == (42, 9)
    assert "~" not in format_meter_line(meter.reading()).split("·")[0]


async def test_a_usage_of_the_wrong_types_is_an_estimate(replay_server: ReplayServer) -> None:
    replay_server.add(
        sse_reply(
            chat_chunks(
                {"choices": [{"index": 0, "delta": {"content": "Hello there, friend"}}]},
                {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
                {"choices": [], "usage": {"prompt_tokens": "many", "completion_tokens": None}},
            )
        )
    )
    reply, _, meter = await ask(compat(replay_server))
    assert reply.finished is not None
    usage = reply.finished.usage
    assert usage is not None and usage.estimated and usage.output > 0
    line = format_meter_line(meter.reading())
    assert "in 0" not in line and "~" in line
