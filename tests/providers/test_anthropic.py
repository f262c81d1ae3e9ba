"""Anthropic Messages adapter on the recorded fixtures and documented shapes (providers.md §3)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from backends.errors import (
    AuthError,
    ContextTooLong,
    ModelNotFound,
    Overloaded,
    ProviderError,
    QuotaExceeded,
    RateLimited,
    register_secret,
)
from backends.events import StopReason, Usage
from backends.remote.anthropic import AnthropicOptions, AnthropicWire, resolve_mode
from backends.request import Message
from tests.providers.support import (
    QUESTION,
    SYSTEM,
    Run,
    fixture,
    raw_events,
    request,
    run,
    sse,
    sse_frames,
)

MODEL = "claude-sonnet-4-20250514"
TURN1 = "anthropic_sonnet4_thinking_tools.turn1"
TURN2 = "anthropic_sonnet4_thinking_tools.turn2"


def wire(model: str = MODEL, **options: object) -> AnthropicWire:
    return AnthropicWire(model, api_key="sk-ant-test", options=AnthropicOptions(**options))


def parse(body: bytes, model: str = MODEL) -> Run:
    return run(wire(model).parser(request("hi")), sse_frames(body))


def deltas(body: bytes, kind: str, field: str) -> str:
    """The fixture's own deltas of one kind, read without the parser."""
    return "".join(
        e["delta"][field]
        for e in raw_events(body)
        if e.get("type") == "content_block_delta" and e["delta"]["type"] == kind
    )


def thinking_then_text(usage: dict | None = None, final: dict | None = None) -> bytes:
    """A documented-shape reply without tools: a signed thinking block, then a text block."""
    usage = usage or {"input_tokens": 20, "output_tokens": 3}
    final = final or {"input_tokens": 20, "output_tokens": 40}
    return sse(
        [
            (
                "message_start",
                {"type": "message_start", "message": {"model": MODEL, "usage": usage}},
            ),
            (
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "thinking", "thinking": "", "signature": ""},
                },
            ),
            (
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "thinking_delta", "thinking": "Two plus"},
                },
            ),
            ("ping", {"type": "ping"}),
            (
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "thinking_delta", "thinking": " two."},
                },
            ),
            (
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "signature_delta", "signature": "SIG=="},
                },
            ),
            ("content_block_stop", {"type": "content_block_stop", "index": 0}),
            (
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": 1,
                    "content_block": {"type": "text", "text": ""},
                },
            ),
            (
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 1,
                    "delta": {"type": "text_delta", "text": "It is "},
                },
            ),
            (
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 1,
                    "delta": {"type": "text_delta", "text": "4."},
                },
            ),
            ("content_block_stop", {"type": "content_block_stop", "index": 1}),
            (
                "message_delta",
                {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": final},
            ),
            ("message_stop", {"type": "message_stop"}),
        ]
    )


# ----- stream parsing -------------------------------------------------------------------------


def test_turn1_thinking_streams_as_reasoning_with_nothing_lost() -> None:
    body, _ = fixture(TURN1)
    result = parse(body)
    assert result.kinds() == ["thinking"]
    assert result.thinking == deltas(body, "thinking_delta", "thinking")
    assert result.thinking.startswith("The user is asking for weather information")
    assert result.skipped == 0
    assert result.end.stop_reason is StopReason.STOP
    assert result.end.model == MODEL


def test_turn2_text_streams_as_answer() -> None:
    body, _ = fixture(TURN2)
    result = parse(body)
    assert result.kinds() == ["text"]
    assert result.text == deltas(body, "text_delta", "text")
    assert result.text.startswith("The current weather in Florence, Italy is 40°C (104°F).")


def test_thinking_arrives_before_text_and_separately() -> None:
    result = parse(thinking_then_text())
    assert result.kinds() == ["thinking", "text"]
    assert (result.thinking, result.text) == ("Two plus two.", "It is 4.")


def test_usage_maps_the_recorded_numbers() -> None:
    assert parse(fixture(TURN1)[0]).usage == Usage(424, 0, 0, 119, None)
    assert parse(fixture(TURN2)[0]).usage == Usage(558, 0, 0, 51, None)


def test_usage_counts_cache_reads_and_writes_as_input_and_thinking_tokens() -> None:
    start = {
        "input_tokens": 24,
        "cache_creation_input_tokens": 100,
        "cache_read_input_tokens": 800,
        "output_tokens": 2,
    }
    final = {**start, "output_tokens": 300, "output_tokens_details": {"thinking_tokens": 200}}
    usage = parse(thinking_then_text(start, final)).usage
    assert usage == Usage(input=924, cached_input=800, cache_write=100, output=300, reasoning=200)


def test_max_tokens_stop_is_length() -> None:
    body = thinking_then_text().replace(b'"end_turn"', b'"max_tokens"')
    assert parse(body).end.stop_reason is StopReason.LENGTH


def test_in_stream_error_keeps_text_and_reports_overload() -> None:
    events = sse_frames(thinking_then_text())[:9]  # up to the first text delta
    body = "".join(f"event: {name}\ndata: {data}\n\n" for data, name in events)
    body += 'event: error\ndata: {"type": "error", "error": {"type": "overloaded_error", '
    body += '"message": "Overloaded"}}\n\n'
    result = parse(body.encode())
    assert result.text == "It is "
    assert result.end.stop_reason is StopReason.ERROR
    assert isinstance(result.end.error, Overloaded) and result.end.error.retryable


def test_stream_cut_before_message_delta_has_no_stop_reason() -> None:
    frames = sse_frames(thinking_then_text())[:10]
    result = run(wire().parser(request("hi")), frames)
    assert result.end.stop_reason is None
    assert result.text == "It is 4."


# ----- continuation and the second request ----------------------------------------------------


def test_turn2_request_sends_back_thinking_with_signature_exactly() -> None:
    _, recorded = fixture(TURN2)
    turn1 = parse(fixture(TURN1)[0])
    assistant = Message("assistant", "", turn1.thinking, turn1.end.continuation)
    req = request(
        Message("system", SYSTEM), QUESTION, assistant, "40 C", budget=4000, max_tokens=4096
    )
    body = wire(prompt_cache=False).build(req).json
    assert body["messages"][1] == recorded["messages"][1]  # thinking + signature, then tool_use
    assert body["messages"][1]["content"][0]["signature"].startswith("EtYDCkYICxgC")
    assert body["messages"][0] == recorded["messages"][0]
    assert body["system"] == recorded["system"]
    assert body["max_tokens"] == recorded["max_tokens"]
    assert body["thinking"] == {**recorded["thinking"], "display": "summarized"}


def test_redacted_thinking_is_kept_and_unsigned_thinking_dropped() -> None:
    body = thinking_then_text().replace(
        b'{"type": "thinking", "thinking": "", "signature": ""}',
        b'{"type": "redacted_thinking", "data": "EmwKAhgB"}',
    )
    result = parse(body)
    assert result.end.continuation is not None
    assert result.end.continuation["content"][0] == {
        "type": "redacted_thinking",
        "data": "EmwKAhgB",
    }
    cut = sse_frames(thinking_then_text())
    unsigned = run(wire().parser(request("hi")), cut[:5] + cut[7:])  # no signature_delta
    assert unsigned.end.continuation is None  # only text left: the plain text suffices
    assert unsigned.thinking == "Two plus two." and unsigned.text == "It is 4."


def test_thinking_without_an_answer_is_not_sent_back() -> None:
    frames = sse_frames(thinking_then_text())[:7]  # cut after the signed thinking block
    cont = run(wire().parser(request("hi")), frames).end.continuation
    assert cont is not None
    assert [b["type"] for b in cont["content"]] == ["thinking"]
    body = wire().build(request("hi", Message("assistant", "", "Two", cont), "again")).json
    assert [m["role"] for m in body["messages"]] == ["user", "user"]


def test_text_only_reply_needs_no_continuation() -> None:
    assert parse(fixture(TURN2)[0]).end.continuation is None


# ----- prompt caching ---------------------------------------------------------------------------


def conversation(turns: int) -> list[Message]:
    messages = [Message("system", SYSTEM)]
    cont = parse(thinking_then_text()).end.continuation
    for i in range(turns):
        messages.append(Message("user", f"question {i}"))
        messages.append(Message("assistant", "It is 4.", "Two plus two.", cont))
    return messages


def marked(body: dict) -> list[tuple[str, int, int]]:
    found = [("system", 0, i) for i, b in enumerate(body.get("system", [])) if "cache_control" in b]
    for m, message in enumerate(body["messages"]):
        for b, block in enumerate(message["content"]):
            if "cache_control" in block:
                found.append((message["role"], m, b))
    return found


def strip_marks(value: object) -> object:
    if isinstance(value, dict):
        return {k: strip_marks(v) for k, v in value.items() if k != "cache_control"}
    if isinstance(value, list):
        return [strip_marks(v) for v in value]
    return value


def test_breakpoints_on_system_previous_user_turn_and_newest_message() -> None:
    body = wire().build(request(*conversation(2), "question 2", budget=2000)).json
    assert marked(body) == [("system", 0, 0), ("user", 2, 0), ("user", 4, 0)]
    assert body["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert len(marked(body)) <= 4
    for message in body["messages"]:
        for block in message["content"]:
            if block["type"] in ("thinking", "redacted_thinking"):
                assert "cache_control" not in block


def test_next_request_reads_the_prefix_the_previous_one_wrote() -> None:
    """Request N marks its newest message; request N+1 marks that same message again, so the
    prefix written by N is looked up (and hit) by N+1."""
    first = wire().build(request(*conversation(1), "question 1", budget=2000)).json
    second = wire().build(request(*conversation(2), "question 2", budget=2000)).json
    _, written_at, _ = marked(first)[-1]
    _, read_at, _ = marked(second)[1]
    assert written_at == read_at == 2
    prefix = slice(0, written_at + 1)
    assert strip_marks(first["messages"][prefix]) == strip_marks(second["messages"][prefix])
    assert first["system"] == second["system"]


def test_prompt_cache_can_be_turned_off() -> None:
    body = wire(prompt_cache=False).build(request(*conversation(1), "again")).json
    assert marked(body) == []


# ----- budget → request ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("budget", "thinking", "max_tokens"),
    [
        (0, {"type": "disabled"}, 8192),
        (1000, {"type": "enabled", "budget_tokens": 1024, "display": "summarized"}, 5096),
        (8000, {"type": "enabled", "budget_tokens": 8000, "display": "summarized"}, 12096),
        (None, None, 8192),
    ],
)
def test_budget_on_manual_models(
    budget: int | None, thinking: dict[str, Any] | None, max_tokens: int
) -> None:
    body = wire().build(request("hi", budget=budget)).json
    assert body.get("thinking") == thinking
    assert body["max_tokens"] == max_tokens
    assert "output_config" not in body


def test_max_tokens_is_raised_above_the_budget() -> None:
    body = wire().build(request("hi", budget=8000, max_tokens=2000)).json
    assert body["thinking"]["budget_tokens"] == 8000 and body["max_tokens"] == 8001


@pytest.mark.parametrize(
    ("model", "budget", "thinking", "effort"),
    [
        ("claude-opus-4-6", 0, {"type": "disabled"}, None),
        ("claude-opus-4-6", 1000, {"type": "adaptive", "display": "summarized"}, "low"),
        ("claude-opus-4-6", 8000, {"type": "adaptive", "display": "summarized"}, "medium"),
        ("claude-opus-4-6", None, {"type": "adaptive", "display": "summarized"}, None),
        ("claude-opus-4-7", 0, {"type": "adaptive", "display": "summarized"}, "low"),
        ("claude-opus-4-7", 20000, {"type": "adaptive", "display": "summarized"}, "high"),
    ],
)
def test_budget_on_adaptive_models(
    model: str, budget: int | None, thinking: dict[str, Any], effort: str | None
) -> None:
    body = wire(model).build(request("hi", budget=budget)).json
    assert body["thinking"] == thinking
    assert body.get("output_config", {}).get("effort") == effort
    assert "budget_tokens" not in body["thinking"]


def test_thinking_mode_from_the_model_name_and_the_option() -> None:
    assert resolve_mode("claude-sonnet-4-20250514", "auto") == "budget"
    assert resolve_mode("claude-sonnet-4-5-20250929", "auto") == "budget"
    assert resolve_mode("claude-3-7-sonnet-20250219", "auto") == "budget"
    assert resolve_mode("claude-sonnet-4-6", "auto") == "adaptive"
    assert resolve_mode("claude-opus-4-7", "auto") == "adaptive_only"
    assert resolve_mode("claude-sonnet-4-5", "adaptive_only") == "adaptive_only"


def test_temperature_only_without_thinking_and_headers() -> None:
    call = wire().build(request("hi", budget=0, temperature=0.2))
    assert call.json["temperature"] == 0.2
    assert "temperature" not in wire().build(request("hi", budget=2000, temperature=0.2)).json
    assert call.url == "https://api.anthropic.com/v1/messages" and call.framing == "sse"
    assert call.headers["x-api-key"] == "sk-ant-test"
    assert call.headers["anthropic-version"] == "2023-06-01"
    assert call.json["stream"] is True and call.json["model"] == MODEL


# ----- errors -------------------------------------------------------------------------------


def envelope(kind: str, message: str) -> bytes:
    return json.dumps(
        {"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_011"}
    ).encode()


def test_auth_errors_name_the_env_var() -> None:
    w = AnthropicWire(MODEL, key_env="WORK_ANTHROPIC")
    for status, kind in ((401, "authentication_error"), (403, "permission_error")):
        error = w.error_for_status(status, envelope(kind, "invalid x-api-key"), {})
        assert isinstance(error, AuthError) and "WORK_ANTHROPIC" in str(error)


def test_not_found_names_the_model() -> None:
    error = wire("claude-nope").error_for_status(404, envelope("not_found_error", "model"), {})
    assert isinstance(error, ModelNotFound) and "claude-nope" in str(error)


def test_context_too_long() -> None:
    body = envelope("invalid_request_error", "prompt is too long: 208656 tokens > 200000 maximum")
    assert isinstance(wire().error_for_status(400, body, {}), ContextTooLong)


def test_rate_limit_carries_retry_after() -> None:
    error = wire().error_for_status(
        429, envelope("rate_limit_error", "slow down"), {"retry-after": "7"}
    )
    assert isinstance(error, RateLimited) and error.retry_after == 7.0


def test_spend_limit_is_not_retried() -> None:
    body = json.loads(envelope("rate_limit_error", "limit"))
    body["error"]["details"] = {"error_code": "enforced_spend_limit_reached"}
    error = wire().error_for_status(429, json.dumps(body).encode(), {})
    assert isinstance(error, QuotaExceeded) and not error.retryable


@pytest.mark.parametrize(("status", "kind"), [(500, "api_error"), (529, "overloaded_error")])
def test_server_errors_and_overload_are_retryable(status: int, kind: str) -> None:
    error = wire().error_for_status(status, envelope(kind, "Overloaded"), {})
    assert isinstance(error, Overloaded) and error.retryable


def test_other_errors_and_secrets_are_redacted() -> None:
    register_secret("sk-ant-leaked-0123456789")
    body = envelope("invalid_request_error", "bad key sk-ant-leaked-0123456789 in body")
    error = wire().error_for_status(400, body, {})
    assert isinstance(error, ProviderError)
    assert "sk-ant-leaked" not in str(error) and "***" in str(error)


def test_continuation_is_copied_not_shared() -> None:
    cont = parse(fixture(TURN1)[0]).end.continuation
    saved = copy.deepcopy(cont)
    body = wire().build(request(QUESTION, Message("assistant", "", "", cont), "more")).json
    body["messages"][1]["content"][0]["thinking"] = "edited"
    assert cont == saved
