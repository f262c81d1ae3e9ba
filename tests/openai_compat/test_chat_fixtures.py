"""Chat Completions adapters replaying real recorded streams (tests/fixtures/recorded).

Thinking and text arrive separately and in order, usage maps to the common record exactly as the
fixture's numbers say, and the second-turn request carries back what the API requires.
"""

from __future__ import annotations

from typing import Any

from backends.events import Finished, ReasoningDelta, StopReason, TextDelta, Usage, UsageUpdate
from backends.remote.openai_compat import (
    DeepSeekBackend,
    LlamaServerBackend,
    OpenAIChatBackend,
    OpenRouterBackend,
    VLLMBackend,
)
from backends.request import Message
from tests.openai_compat.chat_support import DONE, chat, chunk, make_backend, reference_texts, run
from tests.support.replay_server import ReplayServer, load_fixture, sse_reply

SYSTEM = Message("system", "You are a helpful assistant")
WEATHER = "What's the weather in Florence, Italy?"
NO_TOOLS = ("tools", "tool_choice")


def assert_ordered(events: list) -> None:
    """All thinking comes before the first answer piece, and each is a separate event."""
    kinds = [type(e) for e in events if isinstance(e, (ReasoningDelta, TextDelta))]
    if TextDelta in kinds:
        assert ReasoningDelta not in kinds[kinds.index(TextDelta) :]


async def test_openai_chat_gpt5_counts_hidden_reasoning(replay_server: ReplayServer) -> None:
    fixture = load_fixture("openai_chat_gpt5_reasoning.turn1")
    replay_server.add(sse_reply(fixture.body))
    backend = make_backend(OpenAIChatBackend, replay_server, model="gpt-5")
    request = chat(SYSTEM, "Say hi in Portuguese", max_tokens=4000)

    reply, events = await run(backend, request)

    assert reply.text == "Olá!" == reference_texts(fixture.body)[1]
    assert reply.thinking == ""
    end = reply.finished
    assert end is not None
    assert end.stop_reason is StopReason.STOP and end.error is None
    assert end.usage == Usage(input=19, cached_input=0, cache_write=0, output=75, reasoning=64)
    assert end.model == "gpt-5-2025-08-07"
    assert replay_server.requests[0].json == fixture.request_body
    assert replay_server.requests[0].path == "/v1/chat/completions"
    assert isinstance(events[-2], UsageUpdate) and events[-2].usage == end.usage


async def test_llama_server_gptoss_two_turns(replay_server: ReplayServer) -> None:
    turn1, turn2 = (load_fixture(f"llamacpp_gptoss20b_reasoning.turn{i}") for i in (1, 2))
    replay_server.add(sse_reply(turn1.body))
    replay_server.add(sse_reply(turn2.body))
    options: dict[str, Any] = {"extra_body": {"reasoning_effort": "high"}}
    backend = make_backend(
        LlamaServerBackend, replay_server, model="openai/gpt-oss-20b", key=None, **options
    )
    first, events = await run(backend, chat(SYSTEM, WEATHER))

    recorded1 = {k: v for k, v in turn1.request_body.items() if k not in NO_TOOLS}
    assert replay_server.requests[0].json == recorded1
    recorded_assistant = turn2.request_body["messages"][2]
    assert first.thinking == recorded_assistant["reasoning_content"]
    assert first.thinking == reference_texts(turn1.body)[0]
    assert first.text == ""  # the recorded turn was a tool call
    assert_ordered(events)
    end = first.finished
    assert end is not None
    assert end.stop_reason is StopReason.STOP and end.extra["finish_reason"] == "tool_calls"
    # usage lacks cached tokens: timings.cache_n (138 of 139 prompt tokens) stands in.
    assert end.usage == Usage(input=139, cached_input=138, output=42, reasoning=None)
    assert end.timings is not None
    assert end.timings.server_prompt_ms == 9.198
    assert end.timings.server_decode_ms == 344.633
    assert end.timings.server_decode_tokens == 42

    assistant = Message("assistant", first.text, thinking=first.thinking)
    second, events = await run(
        make_backend(LlamaServerBackend, replay_server, model="openai/gpt-oss-20b", key=None),
        chat(SYSTEM, WEATHER, assistant, "40 C"),
    )
    sent = replay_server.requests[1].json["messages"][2]
    assert sent["role"] == "assistant"
    assert sent["reasoning_content"] == recorded_assistant["reasoning_content"]
    assert second.text == reference_texts(turn2.body)[1]
    assert second.text.startswith("The current weather in") and second.thinking == ""
    assert second.finished is not None
    assert second.finished.usage == Usage(input=197, cached_input=161, output=18)
    assert second.finished.stop_reason is StopReason.STOP


async def test_openrouter_haiku_reasoning_details_round_trip(replay_server: ReplayServer) -> None:
    turn1, turn2 = (load_fixture(f"openrouter_claude_haiku45_reasoning.turn{i}") for i in (1, 2))
    replay_server.add(sse_reply(turn1.body))
    replay_server.add(sse_reply(turn2.body))
    extra = {"reasoning": {"effort": "medium"}, "usage": {"include": True}}
    model = "anthropic/claude-haiku-4.5"
    first, events = await run(
        make_backend(OpenRouterBackend, replay_server, model=model, extra_body=extra),
        chat(SYSTEM, WEATHER),
    )

    recorded1 = {k: v for k, v in turn1.request_body.items() if k not in NO_TOOLS}
    assert replay_server.requests[0].json == recorded1
    recorded_assistant = turn2.request_body["messages"][2]
    assert first.thinking == recorded_assistant["reasoning"]
    assert first.text == ""
    assert_ordered(events)
    end = first.finished
    assert end is not None
    assert end.usage == Usage(input=607, cached_input=0, cache_write=0, output=143, reasoning=99)
    assert end.provider_cost_usd == 0.001322
    assert end.continuation is not None
    assert end.continuation["reasoning_details"] == recorded_assistant["reasoning_details"]

    assistant = Message("assistant", "", thinking=first.thinking, continuation=end.continuation)
    second, events = await run(
        make_backend(OpenRouterBackend, replay_server, model=model),
        chat(SYSTEM, WEATHER, assistant, "40 C"),
    )
    sent = replay_server.requests[1].json["messages"][2]
    assert sent["reasoning_details"] == recorded_assistant["reasoning_details"]
    assert sent["reasoning"] == recorded_assistant["reasoning"]
    assert second.text == reference_texts(turn2.body)[1]
    assert second.text.startswith("The weather in Florence, Italy is currently **40°C")
    assert second.finished is not None
    assert second.finished.usage == Usage(input=764, output=82, reasoning=0)
    assert second.finished.provider_cost_usd == 0.001174
    assert second.finished.continuation is None  # no reasoning this turn


def deepseek_stream(hit: int, miss: int) -> bytes:
    """A DeepSeek-shaped stream (providers.md §5): keep-alives, reasoning_content, usage."""
    base: dict[str, Any] = {
        "id": "fa7e4fc5",
        "created": 1738492867,
        "system_fingerprint": "fp_7e73fd9a08",
    }
    usage = {
        "prompt_tokens": hit + miss,
        "completion_tokens": 300,
        "total_tokens": hit + miss + 300,
        "prompt_tokens_details": {"cached_tokens": hit},
        "prompt_cache_hit_tokens": hit,
        "prompt_cache_miss_tokens": miss,
        "completion_tokens_details": {"reasoning_tokens": 250},
    }
    return b"".join(
        [
            b": keep-alive\n\n: keep-alive\n\n",
            chunk({"role": "assistant", "content": None, "reasoning_content": ""}, **base),
            chunk({"content": None, "reasoning_content": "Okay, 9.11"}, **base),
            chunk({"content": None, "reasoning_content": " vs 9.8"}, **base),
            chunk({"content": "9.8", "reasoning_content": None}, **base),
            chunk({"content": " is larger.", "reasoning_content": None}, **base),
            chunk({"content": ""}, "stop", usage=usage, **base),
            DONE,
        ]
    )


async def test_deepseek_shaped_stream_maps_cache_hits(replay_server: ReplayServer) -> None:
    replay_server.add(sse_reply(deepseek_stream(hit=64, miss=13)))
    backend = make_backend(DeepSeekBackend, replay_server, model="deepseek-reasoner")
    reply, events = await run(backend, chat("Which is larger, 9.11 or 9.8?"))

    assert reply.thinking == "Okay, 9.11 vs 9.8"
    assert reply.text == "9.8 is larger."
    assert_ordered(events)
    assert reply.finished is not None
    assert reply.finished.usage == Usage(input=77, cached_input=64, output=300, reasoning=250)
    assert reply.finished.stop_reason is StopReason.STOP
    assert reply.finished.skipped_events == 0


async def test_vllm_reasoning_field_and_old_reasoning_content(replay_server: ReplayServer) -> None:
    body = (
        chunk({"role": "assistant", "reasoning": "is"})
        + chunk({"reasoning_content": " it?"})
        + chunk({"content": "Yes."}, "stop")
        + chunk(None, usage={"prompt_tokens": 10, "completion_tokens": 5})
        + DONE
    )
    replay_server.add(sse_reply(body))
    reply, _ = await run(make_backend(VLLMBackend, replay_server, key=None), chat("q"))
    assert (reply.thinking, reply.text) == ("is it?", "Yes.")
    assert reply.finished is not None
    assert reply.finished.usage == Usage(input=10, output=5)


async def test_inline_think_tags_are_split(replay_server: ReplayServer) -> None:
    pieces = ["<th", "ink>\nLet me", " see.</th", "ink>\n\nFour", "."]
    replay_server.add(
        sse_reply(b"".join(chunk({"content": p}) for p in pieces) + chunk({}, "stop") + DONE)
    )
    reply, events = await run(make_backend(LlamaServerBackend, replay_server, key=None), chat("q"))
    assert reply.thinking == "Let me see."
    assert reply.text == "Four."
    assert_ordered(events)


async def test_no_usage_from_server_is_estimated_and_marked(replay_server: ReplayServer) -> None:
    body = b"".join(chunk({"content": p}) for p in ["Hello", " there", "!"])
    replay_server.add(sse_reply(body + chunk({}, "stop") + DONE))
    reply, _ = await run(make_backend(LlamaServerBackend, replay_server, key=None), chat("Hi"))
    assert reply.finished is not None
    usage = reply.finished.usage
    assert usage is not None
    assert usage.estimated is True
    assert usage.output == 3  # "Hello", " there", "!" in cl100k
    assert usage.input > 0 and usage.reasoning is None
    assert isinstance(reply.finished, Finished) and reply.finished.stop_reason is StopReason.STOP
