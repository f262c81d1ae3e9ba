"""OpenAI Responses adapter on the recorded fixtures and documented shapes (providers.md §2)."""

from __future__ import annotations

import json

import pytest

from backends.errors import (
    AuthError,
    ContextTooLong,
    ModelNotFound,
    Overloaded,
    ProviderError,
    QuotaExceeded,
    RateLimited,
)
from backends.events import StopReason, Usage
from backends.remote.openai_responses import ResponsesOptions, ResponsesWire
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

NAME = "openai_responses_gpt5_summary"


def wire(model: str = "gpt-5", **options: object) -> ResponsesWire:
    return ResponsesWire(model, api_key="sk-test", options=ResponsesOptions(**options))


def parse(body: bytes) -> Run:
    return run(wire().parser(request("hi")), sse_frames(body))


def of_type(body: bytes, kind: str) -> list[dict]:
    return [e for e in raw_events(body) if e.get("type") == kind]


def ev(kind: str, **fields: object) -> tuple[str, dict]:
    return kind, {"type": kind, **fields}


def completed(usage: dict | None = None, status: str = "completed", **extra: object) -> dict:
    usage = usage or {
        "input_tokens": 10,
        "output_tokens": 30,
        "output_tokens_details": {"reasoning_tokens": 20},
    }
    return {
        "id": "resp_1",
        "status": status,
        "model": "gpt-5-2025-08-07",
        "output": [],
        "usage": usage,
        "created_at": 100,
        "completed_at": 103,
        **extra,
    }


def two_part_summary_then_text(ending: tuple[str, dict] | None = None) -> bytes:
    """Documented shapes: two summary parts of one reasoning item, then the answer."""
    item = {"id": "rs_1", "type": "reasoning", "summary": [], "encrypted_content": "gAAA-1"}
    return sse(
        [
            ev("response.created", response={"id": "resp_1", "model": "gpt-5-2025-08-07"}),
            ev("response.output_item.added", item=item, output_index=0),
            ev("response.reasoning_summary_part.added", summary_index=0, item_id="rs_1"),
            ev("response.reasoning_summary_text.delta", delta="**Plan**\n\nAdd.", summary_index=0),
            ev("response.reasoning_summary_part.done", summary_index=0, item_id="rs_1"),
            ev("response.reasoning_summary_part.added", summary_index=1, item_id="rs_1"),
            ev(
                "response.reasoning_summary_text.delta", delta="**Check**\n\nFour.", summary_index=1
            ),
            ev(
                "response.output_item.done",
                item={
                    **item,
                    "summary": [
                        {"type": "summary_text", "text": "**Plan**\n\nAdd."},
                        {"type": "summary_text", "text": "**Check**\n\nFour."},
                    ],
                },
            ),
            ev("response.output_text.delta", delta="It is ", output_index=1),
            ev("response.output_text.delta", delta="4.", output_index=1),
            ev("response.output_text.done", text="It is 4.", output_index=1),
            ending or ev("response.completed", response=completed()),
        ]
    )


# ----- stream parsing -------------------------------------------------------------------------


def test_recorded_summary_then_answer_in_order_without_duplicates() -> None:
    body, _ = fixture(f"{NAME}.turn2")
    result = parse(body)
    assert result.kinds() == ["thinking", "text"]
    assert result.thinking == of_type(body, "response.reasoning_summary_text.done")[0]["text"]
    assert result.text == of_type(body, "response.output_text.done")[0]["text"]
    assert result.text.startswith("Right now in Florence, Italy")
    assert result.end.stop_reason is StopReason.STOP and result.skipped == 0
    assert result.end.model == "gpt-5-2025-08-07"
    assert result.end.extra["server_total_ms"] == 6000.0


def test_summary_parts_are_separated_by_a_blank_line() -> None:
    result = parse(two_part_summary_then_text())
    assert result.thinking == "**Plan**\n\nAdd.\n\n**Check**\n\nFour."
    assert result.text == "It is 4."


def test_usage_maps_the_recorded_numbers() -> None:
    assert parse(fixture(f"{NAME}.turn1")[0]).usage == Usage(63, 0, 0, 121, 64)
    assert parse(fixture(f"{NAME}.turn2")[0]).usage == Usage(92, 0, 0, 456, 384)


def test_usage_with_cached_tokens() -> None:
    usage = {
        "input_tokens": 2000,
        "input_tokens_details": {"cached_tokens": 1500},
        "output_tokens": 300,
        "output_tokens_details": {"reasoning_tokens": 200},
    }
    result = parse(two_part_summary_then_text(ev("response.completed", response=completed(usage))))
    assert result.usage == Usage(2000, 1500, 0, 300, 200)


def test_incomplete_is_length_with_usage() -> None:
    response = completed(status="incomplete", incomplete_details={"reason": "max_output_tokens"})
    result = parse(two_part_summary_then_text(ev("response.incomplete", response=response)))
    assert result.end.stop_reason is StopReason.LENGTH
    assert result.usage == Usage(10, 0, 0, 30, 20) and result.text == "It is 4."


def test_failed_response_is_an_error_with_usage() -> None:
    response = completed(status="failed", error={"code": "server_error", "message": "boom"})
    result = parse(two_part_summary_then_text(ev("response.failed", response=response)))
    assert result.end.stop_reason is StopReason.ERROR
    assert isinstance(result.end.error, Overloaded)
    assert result.usage == Usage(10, 0, 0, 30, 20) and result.text == "It is 4."


def test_error_event_keeps_text() -> None:
    error = ev("error", code="rate_limit_exceeded", message="Rate limit reached", param=None)
    result = parse(two_part_summary_then_text(error))
    assert result.text == "It is 4." and result.end.stop_reason is StopReason.ERROR
    assert isinstance(result.end.error, RateLimited)


def test_stream_cut_before_completion_has_no_stop_reason() -> None:
    frames = sse_frames(two_part_summary_then_text())[:-1]
    result = run(wire().parser(request("hi")), frames)
    assert result.end.stop_reason is None and result.text == "It is 4."
    assert result.end.continuation is not None
    assert result.end.continuation["items"][0]["encrypted_content"] == "gAAA-1"


# ----- continuation and the second request ----------------------------------------------------


def test_reasoning_item_comes_from_output_item_done() -> None:
    body, _ = fixture(f"{NAME}.turn1")
    done = [
        e["item"]
        for e in of_type(body, "response.output_item.done")
        if e["item"]["type"] == "reasoning"
    ]
    added = [
        e["item"]
        for e in of_type(body, "response.output_item.added")
        if e["item"]["type"] == "reasoning"
    ]
    assert done[0]["encrypted_content"] != added[0]["encrypted_content"]
    continuation = parse(body).end.continuation
    assert continuation is not None
    item = continuation["items"][0]
    assert item == {
        "type": "reasoning",
        "id": done[0]["id"],
        "summary": done[0]["summary"],
        "encrypted_content": done[0]["encrypted_content"],
    }


def test_turn2_request_passes_the_encrypted_reasoning_back() -> None:
    """The recorded turn-2 request (a tool round trip) shows the stateless request shape; ponder
    also sends the turn-1 reasoning item before that turn's answer, as §2 requires."""
    _, recorded = fixture(f"{NAME}.turn2")
    turn1 = parse(fixture(f"{NAME}.turn1")[0])
    assistant = Message("assistant", "Let me check.", turn1.thinking, turn1.end.continuation)
    body = (
        wire()
        .build(request(Message("system", SYSTEM), QUESTION, assistant, "40 C", budget=20000))
        .json
    )
    assert body["input"][:2] == recorded["input"][:2]
    assert body["store"] is recorded["store"] is False
    assert body["include"] == recorded["include"] == ["reasoning.encrypted_content"]
    assert body["reasoning"] == recorded["reasoning"] == {"effort": "high", "summary": "auto"}
    reasoning, answer, user = body["input"][2:]
    assert turn1.end.continuation is not None
    assert reasoning == turn1.end.continuation["items"][0]
    assert reasoning["encrypted_content"].startswith("gAAAAABqPBJW")
    assert answer == {"role": "assistant", "content": "Let me check."}
    assert user == {"role": "user", "content": [{"type": "input_text", "text": "40 C"}]}


def test_reasoning_without_an_answer_is_not_sent_back() -> None:
    cont = parse(fixture(f"{NAME}.turn1")[0]).end.continuation
    body = wire().build(request(QUESTION, Message("assistant", "", "", cont), "again")).json
    assert [item.get("type", item.get("role")) for item in body["input"]] == ["user", "user"]


# ----- budget → request ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "budget", "effort", "cap"),
    [
        ("gpt-5", 0, "minimal", None),
        ("gpt-5", 1000, "minimal", 5096),
        ("gpt-5", 8000, "medium", 12096),
        ("gpt-5", None, None, None),
        ("gpt-5.1", 0, "none", None),
        ("gpt-5.1", 1000, "low", 5096),
        ("gpt-5.1", 8000, "medium", 12096),
        ("o3", 0, "low", None),
        ("o3", 8000, "medium", 12096),
        ("gpt-5-pro", 1000, "high", 5096),
    ],
)
def test_budget_maps_to_effort(
    model: str, budget: int | None, effort: str | None, cap: int | None
) -> None:
    body = wire(model).build(request("hi", budget=budget)).json
    assert body["reasoning"].get("effort") == effort
    assert body["reasoning"]["summary"] == "auto"
    assert body.get("max_output_tokens") == cap


THRESHOLDS = [
    (454, "minimal"),
    (1023, "minimal"),
    (1024, "low"),
    (4095, "low"),
    (4096, "medium"),
    (16383, "medium"),
    (16384, "high"),
    (77824, "high"),
]


@pytest.mark.parametrize(
    ("budget", "effort"),
    THRESHOLDS,
)
def test_documented_thresholds_with_the_default_cap(budget: int | None, effort: str) -> None:
    assert wire().build(request("hi", budget=budget)).json["reasoning"]["effort"] == effort


def test_xhigh_when_the_model_takes_it_and_a_given_cap() -> None:
    four = wire(efforts=("low", "medium", "high", "xhigh"))
    body = four.build(request("hi", budget=9500, max_tokens=10000)).json
    assert body["reasoning"]["effort"] == "xhigh" and body["max_output_tokens"] == 10000


def test_non_reasoning_model_gets_temperature_and_no_reasoning() -> None:
    body = wire("gpt-4.1", reasoning=False).build(request("hi", temperature=0.5)).json
    assert "reasoning" not in body and "include" not in body and body["temperature"] == 0.5
    assert "temperature" not in wire().build(request("hi", temperature=0.5)).json


def test_request_url_and_auth_header() -> None:
    call = wire().build(request("hi"))
    assert call.url == "https://api.openai.com/v1/responses"
    assert call.headers["authorization"] == "Bearer sk-test"
    assert call.json["stream"] is True


# ----- errors -------------------------------------------------------------------------------


def openai_error(message: str, code: str | None, kind: str = "invalid_request_error") -> bytes:
    return json.dumps(
        {"error": {"message": message, "type": kind, "param": None, "code": code}}
    ).encode()


def test_auth_error_names_the_env_var() -> None:
    w = ResponsesWire("gpt-5", key_env="OPENAI_API_KEY")
    error = w.error_for_status(401, openai_error("Incorrect API key", "invalid_api_key"), {})
    assert isinstance(error, AuthError) and "OPENAI_API_KEY" in str(error)
    assert isinstance(w.error_for_status(403, openai_error("region", None), {}), AuthError)


def test_not_found_names_the_model() -> None:
    body = openai_error("The model `gpt-9` does not exist", "model_not_found")
    error = wire("gpt-9").error_for_status(404, body, {})
    assert isinstance(error, ModelNotFound) and "gpt-9" in str(error)


def test_context_too_long() -> None:
    body = openai_error(
        "This model's maximum context length is 400000 tokens.", "context_length_exceeded"
    )
    assert isinstance(wire().error_for_status(400, body, {}), ContextTooLong)


def test_rate_limit_prefers_retry_after_ms() -> None:
    body = openai_error("Rate limit reached", "rate_limit_exceeded", "requests")
    error = wire().error_for_status(429, body, {"retry-after-ms": "1500", "retry-after": "2"})
    assert isinstance(error, RateLimited) and error.retry_after == 1.5


def test_insufficient_quota_is_not_retried() -> None:
    body = openai_error(
        "You exceeded your current quota", "insufficient_quota", "insufficient_quota"
    )
    error = wire().error_for_status(429, body, {})
    assert isinstance(error, QuotaExceeded) and not error.retryable


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_retryable(status: int) -> None:
    error = wire().error_for_status(status, openai_error("server had an error", None), {})
    assert isinstance(error, Overloaded) and error.retryable


def test_bad_request_is_a_provider_error() -> None:
    error = wire().error_for_status(400, openai_error("Unsupported parameter", None), {})
    assert isinstance(error, ProviderError)
