"""The recorded two-turn exchanges replayed through the real transport on 127.0.0.1.

Turn 1's ``Finished.continuation`` goes into the assistant message of turn 2, and the request
body the server receives for turn 2 must carry back what the API requires, compared with the
recorded turn-2 request. Usage maps to the recorded numbers and a price is computed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import SecretStr

from backends.base import BackendSpec
from backends.budget import Budget
from backends.events import StopReason, Usage
from backends.pricing import PriceBook
from backends.remote.anthropic import AnthropicBackend
from backends.remote.gemini import GeminiBackend
from backends.remote.http import HTTPBackend
from backends.remote.ollama import OllamaBackend
from backends.remote.openai_responses import OpenAIResponsesBackend
from backends.reply import Reply, collect
from backends.request import ChatRequest, Message, RequestOptions
from tests.providers.support import QUESTION, SYSTEM, fixture, raw_events
from tests.support.replay_server import ReplayServer, json_reply, sse_reply

KEY = "sk-fixture-0123456789"


@dataclass(frozen=True)
class Recording:
    name: str
    cls: type[HTTPBackend]
    model: str
    prefix: str
    budget: int
    usage: tuple[Usage, Usage]
    max_tokens: int | None = None


RECORDINGS = [
    Recording(
        "anthropic_sonnet4_thinking_tools",
        AnthropicBackend,
        "claude-sonnet-4-20250514",
        "/v1",
        4000,
        (Usage(424, 0, 0, 119), Usage(558, 0, 0, 51)),
        max_tokens=4096,
    ),
    Recording(
        "gemini25flash_thinking",
        GeminiBackend,
        "gemini-2.5-flash",
        "/v1beta",
        128,
        (Usage(54, 0, 0, 76, 62), Usage(146, 0, 0, 12, 0)),
    ),
    Recording(
        "gemini3pro_thinking_level",
        GeminiBackend,
        "gemini-3-pro-preview",
        "/v1beta",
        20000,
        (Usage(65, 0, 0, 110, 94), Usage(189, 0, 0, 97, 68)),
    ),
    Recording(
        "openai_responses_gpt5_summary",
        OpenAIResponsesBackend,
        "gpt-5",
        "/v1",
        20000,
        (Usage(63, 0, 0, 121, 64), Usage(92, 0, 0, 456, 384)),
    ),
]


def backend(rec: Recording, server: ReplayServer) -> HTTPBackend:
    spec = BackendSpec(
        name="rec",
        kind=rec.cls.kind,
        model=rec.model,
        options=rec.cls.Options(retry_backoff_s=0.01),
        base_url=server.url(rec.prefix),
        api_key=SecretStr(KEY),
    )
    return rec.cls(spec)


async def ask(rec: Recording, server: ReplayServer, messages: list[Message]) -> Reply:
    chat = backend(rec, server)
    try:
        return await collect(
            chat,
            ChatRequest(messages, Budget(rec.budget), RequestOptions(max_tokens=rec.max_tokens)),
        )
    finally:
        await chat.aclose()


def assistant_turn(rec: Recording, body: dict[str, Any]) -> Any:
    if rec.cls is AnthropicBackend:
        return body["messages"][1]
    if rec.cls is GeminiBackend:
        return body["contents"][1]
    return [item for item in body["input"] if item.get("type") == "reasoning"]


def unmarked(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: unmarked(v) for k, v in value.items() if k != "cache_control"}
    return [unmarked(v) for v in value] if isinstance(value, list) else value


def same_settings(rec: Recording, sent: dict[str, Any], recorded: dict[str, Any]) -> bool:
    """Turn 1 as sent equals the recorded request on the conversation and thinking fields."""
    keys: tuple[str, ...]
    if rec.cls is AnthropicBackend:
        keys, thinking = ("messages", "system", "max_tokens"), "budget_tokens"
        same_thinking = sent["thinking"][thinking] == recorded["thinking"][thinking]
    elif rec.cls is GeminiBackend:
        keys, config = ("contents",), "generationConfig"
        same_thinking = sent[config]["thinkingConfig"] == recorded[config]["thinkingConfig"]
        same_thinking &= (
            sent["systemInstruction"]["parts"] == recorded["systemInstruction"]["parts"]
        )
    else:
        keys, same_thinking = ("input", "reasoning", "store", "include"), True
    return same_thinking and all(unmarked(sent[k]) == recorded[k] for k in keys)


@pytest.mark.parametrize("rec", RECORDINGS, ids=[r.name for r in RECORDINGS])
async def test_two_turns_replayed(rec: Recording, replay_server: ReplayServer) -> None:
    turn1, recorded1 = fixture(f"{rec.name}.turn1")
    turn2, recorded2 = fixture(f"{rec.name}.turn2")
    replay_server.add(sse_reply(turn1))
    replay_server.add(sse_reply(turn2, chunk_size=97))  # arbitrary cuts through events
    history = [Message("system", SYSTEM), Message("user", QUESTION)]
    first = await ask(rec, replay_server, history)
    assert first.finished is not None
    assert first.stop_reason is StopReason.STOP and first.finished.skipped_events == 0
    assert first.thinking or rec.name.startswith("gemini3")  # 3 Pro sent no thought text here
    assert first.finished.usage == rec.usage[0]
    assert first.finished.continuation is not None
    assert same_settings(rec, replay_server.requests[0].json, recorded1)

    # Turn 1 of each recording is a tool call, so it has no answer text; the Responses API
    # wants a reasoning item followed by the answer it led to, so ponder's turn gets one.
    text = first.text or "Let me check the weather."
    assistant = Message("assistant", text, first.thinking, first.finished.continuation)
    second = await ask(rec, replay_server, [*history, assistant, Message("user", "40 C")])
    assert second.finished is not None
    assert second.stop_reason is StopReason.STOP and "40" in second.text
    assert second.finished.usage == rec.usage[1]

    sent = replay_server.requests[1].json
    if rec.cls is OpenAIResponsesBackend:  # the recording omitted it; §2 requires it
        done = [e["item"] for e in raw_events(turn1) if e["type"] == "response.output_item.done"]
        reasoning = [item for item in done if item["type"] == "reasoning"]
        assert [i["encrypted_content"] for i in assistant_turn(rec, sent)] == [
            i["encrypted_content"] for i in reasoning
        ]
    elif rec.name.startswith("gemini25"):  # the recording's client added a call id
        part, expected = assistant_turn(rec, sent)["parts"][0], recorded2["contents"][1]["parts"][0]
        assert part["thoughtSignature"] == expected["thoughtSignature"]
    else:
        assert assistant_turn(rec, sent) == assistant_turn(rec, recorded2)
    assert KEY not in replay_server.requests[1].query

    cost = PriceBook().cost(rec.cls.kind, second.finished.model or rec.model, second.finished.usage)
    assert cost is not None and cost.total > 0


async def test_request_headers_carry_the_key_where_each_api_wants_it(
    replay_server: ReplayServer,
) -> None:
    for rec in RECORDINGS[::2] + RECORDINGS[3:]:
        replay_server.add(sse_reply(fixture(f"{rec.name}.turn2")[0]))
        await ask(rec, replay_server, [Message("user", QUESTION)])
    anthropic, gemini, responses = (r.headers for r in replay_server.requests)
    assert anthropic["x-api-key"] == KEY and anthropic["anthropic-version"] == "2023-06-01"
    assert gemini["x-goog-api-key"] == KEY and "authorization" not in gemini
    assert responses["authorization"] == f"Bearer {KEY}"
    assert replay_server.requests[1].query == "alt=sse"


async def test_model_lists(replay_server: ReplayServer) -> None:
    tags = {"models": [{"name": "qwen3:latest"}, {"name": "gpt-oss:20b"}]}
    replay_server.add(json_reply(200, tags), path="/api/tags")
    replay_server.add(
        json_reply(
            200,
            {
                "models": [
                    {
                        "name": "models/gemini-2.5-flash",
                        "supportedGenerationMethods": ["generateContent"],
                    },
                    {
                        "name": "models/text-embedding-004",
                        "supportedGenerationMethods": ["embedContent"],
                    },
                ]
            },
        ),
        path="/v1beta/models",
    )
    replay_server.add(
        json_reply(200, {"data": [{"id": "claude-sonnet-4-5", "type": "model"}]}), path="/v1/models"
    )
    ollama = OllamaBackend(BackendSpec("o", "ollama", "qwen3", base_url=replay_server.url("/v1")))
    gemini = backend(RECORDINGS[1], replay_server)
    claude = backend(RECORDINGS[0], replay_server)
    try:
        assert await ollama.list_models() == ["qwen3:latest", "gpt-oss:20b"]
        assert await gemini.list_models() == ["gemini-2.5-flash"]
        assert await claude.list_models() == ["claude-sonnet-4-5"]
    finally:
        for chat in (ollama, gemini, claude):
            await chat.aclose()
    paths = [r.path for r in replay_server.requests]
    assert paths == ["/api/tags", "/v1beta/models", "/v1/models"]
    assert replay_server.requests[1].headers["x-goog-api-key"] == KEY
    assert replay_server.requests[2].headers["x-api-key"] == KEY
