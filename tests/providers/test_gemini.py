"""Gemini streamGenerateContent adapter on the recorded fixtures and documented shapes (§4)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from backends.errors import (
    AuthError,
    ContextTooLong,
    ModelNotFound,
    Overloaded,
    QuotaExceeded,
    RateLimited,
)
from backends.events import StopReason, Usage
from backends.remote.gemini import GeminiOptions, GeminiWire
from backends.request import ChatRequest, Message
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

FLASH = "gemini25flash_thinking"
PRO3 = "gemini3pro_thinking_level"


def wire(model: str = "gemini-2.5-flash", **options: object) -> GeminiWire:
    return GeminiWire(model, api_key="AIza-test", options=GeminiOptions(**options))


def parse(body: bytes, model: str = "gemini-2.5-flash") -> Run:
    return run(wire(model).parser(request("hi")), sse_frames(body))


def parts(body: bytes, thought: bool) -> str:
    """The fixture's own text parts (thought or answer), read without the parser."""
    return "".join(
        part.get("text", "")
        for chunk in raw_events(body)
        for part in chunk["candidates"][0]["content"]["parts"]
        if bool(part.get("thought")) is thought
    )


def chunk(parts: list[dict], finish: str | None = None, usage: dict | None = None) -> dict:
    candidate: dict = {"content": {"parts": parts, "role": "model"}, "index": 0}
    if finish:
        candidate["finishReason"] = finish
    out: dict = {"candidates": [candidate], "modelVersion": "gemini-2.5-flash"}
    if usage:
        out["usageMetadata"] = usage
    return out


def thought_then_answer(usage: dict | None = None) -> bytes:
    usage = usage or {"promptTokenCount": 9, "candidatesTokenCount": 4, "thoughtsTokenCount": 30}
    return sse(
        [
            (None, chunk([{"text": "**Adding**\n\nTwo and two.", "thought": True}])),
            (None, chunk([{"text": "It is "}])),
            (None, chunk([{"text": "4."}], "STOP", usage)),
        ],
        crlf=True,
    )


# ----- stream parsing -------------------------------------------------------------------------


def test_recorded_thought_summary_is_reasoning_and_answer_is_text() -> None:
    body1, _ = fixture(f"{FLASH}.turn1")
    first = parse(body1)
    assert first.kinds() == ["thinking"]
    assert first.thinking == parts(body1, thought=True)
    assert first.thinking.startswith("**Determining the Weather Inquiry**")
    body2, _ = fixture(f"{FLASH}.turn2")
    second = parse(body2)
    assert second.kinds() == ["text"]
    assert second.text == parts(body2, thought=False) == "The weather in Florence, Italy is 40 C."
    assert second.end.stop_reason is StopReason.STOP and second.skipped == 0


def test_thinking_arrives_before_text_and_separately() -> None:
    result = parse(thought_then_answer())
    assert result.kinds() == ["thinking", "text"]
    assert (result.thinking, result.text) == ("**Adding**\n\nTwo and two.", "It is 4.")


def test_usage_comes_from_the_last_chunk() -> None:
    assert parse(fixture(f"{FLASH}.turn1")[0]).usage == Usage(54, 0, 0, 14 + 62, 62)
    assert parse(fixture(f"{FLASH}.turn2")[0]).usage == Usage(146, 0, 0, 12, 0)
    # promptTokenCount changes from 95 to 189 in the last chunk of this recording
    last = parse(fixture(f"{PRO3}.turn2")[0], "gemini-3-pro-preview")
    assert last.usage == Usage(189, 0, 0, 29 + 68, 68)
    assert last.end.model == "gemini-3.1-pro-preview"


def test_usage_counts_cached_and_tool_prompt_tokens() -> None:
    meta = {
        "promptTokenCount": 1000,
        "cachedContentTokenCount": 600,
        "toolUsePromptTokenCount": 10,
        "candidatesTokenCount": 50,
        "thoughtsTokenCount": 200,
    }
    usage = parse(thought_then_answer(meta)).usage
    assert usage == Usage(input=1010, cached_input=600, cache_write=0, output=250, reasoning=200)


def test_max_tokens_finish_is_length_and_no_finish_is_none() -> None:
    body = thought_then_answer().replace(b'"STOP"', b'"MAX_TOKENS"')
    assert parse(body).end.stop_reason is StopReason.LENGTH
    frames = sse_frames(thought_then_answer())[:2]
    cut = run(wire().parser(request("hi")), frames)
    assert cut.end.stop_reason is None and cut.text == "It is "


def test_in_stream_error_keeps_text() -> None:
    frames = sse_frames(thought_then_answer())[:2]
    frames.append(
        (
            json.dumps(
                {
                    "error": {
                        "code": 503,
                        "message": "The model is overloaded.",
                        "status": "UNAVAILABLE",
                    }
                }
            ),
            None,
        )
    )
    result = run(wire().parser(request("hi")), frames)
    assert result.text == "It is " and result.end.stop_reason is StopReason.ERROR
    assert isinstance(result.end.error, Overloaded)


# ----- continuation and the second request ----------------------------------------------------


def turn2_request(name: str, model: str, **kwargs: Any) -> ChatRequest:
    turn1 = parse(fixture(f"{name}.turn1")[0], model)
    assistant = Message("assistant", turn1.text, turn1.thinking, turn1.end.continuation)
    return request(Message("system", SYSTEM), QUESTION, assistant, "40 C", **kwargs)


def test_flash_turn2_passes_the_thought_signature_back() -> None:
    _, recorded = fixture(f"{FLASH}.turn2")
    body = wire().build(turn2_request(FLASH, "gemini-2.5-flash", budget=128)).json
    sent, expected = body["contents"][1], recorded["contents"][1]
    assert sent["role"] == expected["role"] == "model"
    assert sent["parts"][0]["thoughtSignature"] == expected["parts"][0]["thoughtSignature"]
    call, recorded_call = sent["parts"][0]["functionCall"], expected["parts"][0]["functionCall"]
    assert (call["name"], call["args"]) == (recorded_call["name"], recorded_call["args"])
    assert len(sent["parts"]) == 1  # the unsigned thought summary is not sent back
    assert body["contents"][0] == recorded["contents"][0]
    assert body["systemInstruction"]["parts"] == recorded["systemInstruction"]["parts"]
    assert body["generationConfig"]["thinkingConfig"] == {
        "includeThoughts": True,
        "thinkingBudget": 128,
    }
    assert recorded["generationConfig"]["thinkingConfig"] == {
        "includeThoughts": True,
        "thinkingBudget": 128,
    }


def test_gemini3_turn2_model_turn_matches_the_recorded_request() -> None:
    _, recorded = fixture(f"{PRO3}.turn2")
    model = "gemini-3-pro-preview"
    body = wire(model).build(turn2_request(PRO3, model, budget=20000)).json
    assert body["contents"][1] == recorded["contents"][1]
    thinking = body["generationConfig"]["thinkingConfig"]
    assert thinking == recorded["generationConfig"]["thinkingConfig"]


def test_trailing_signature_part_is_kept_with_the_answer_merged() -> None:
    body, _ = fixture(f"{PRO3}.turn2")
    cont = parse(body, "gemini-3-pro-preview").end.continuation
    signature = raw_events(body)[-1]["candidates"][0]["content"]["parts"][0]["thoughtSignature"]
    answer = "The current weather in Florence, Italy is 40°C (104°F). Stay cool, it's quite hot!"
    assert cont == {
        "format": "gemini",
        "parts": [{"text": answer}, {"text": "", "thoughtSignature": signature}],
    }


def test_no_signature_means_no_continuation() -> None:
    assert parse(fixture(f"{FLASH}.turn2")[0]).end.continuation is None
    history = request(QUESTION, Message("assistant", "It is sunny."), "thanks")
    model_turn = wire().build(history).json["contents"][1]
    assert model_turn == {"role": "model", "parts": [{"text": "It is sunny."}]}


# ----- budget → request ------------------------------------------------------------------------


def thinking_config(model: str, budget: int | None, **options: object) -> dict:
    config = wire(model, **options).build(request("hi", budget=budget)).json["generationConfig"]
    return config


@pytest.mark.parametrize(
    ("model", "budget", "thinking", "max_output"),
    [
        ("gemini-2.5-flash", 0, {"thinkingBudget": 0}, None),
        ("gemini-2.5-flash", 1000, {"includeThoughts": True, "thinkingBudget": 1000}, 5096),
        ("gemini-2.5-flash", 8000, {"includeThoughts": True, "thinkingBudget": 8000}, 12096),
        ("gemini-2.5-flash", None, {"includeThoughts": True, "thinkingBudget": -1}, None),
        ("gemini-2.5-flash", 30000, {"includeThoughts": True, "thinkingBudget": 24576}, 34096),
        ("gemini-2.5-pro", 0, {"includeThoughts": True, "thinkingBudget": 128}, None),
        ("gemini-2.5-pro", 1000, {"includeThoughts": True, "thinkingBudget": 1000}, 5096),
        ("gemini-2.5-pro", 8000, {"includeThoughts": True, "thinkingBudget": 8000}, 12096),
        ("gemini-2.5-pro", None, {"includeThoughts": True, "thinkingBudget": -1}, None),
        ("gemini-2.5-pro", 40000, {"includeThoughts": True, "thinkingBudget": 32768}, 44096),
        ("gemini-2.5-flash-lite", 0, {"thinkingBudget": 0}, None),
        ("gemini-2.5-flash-lite", 100, {"includeThoughts": True, "thinkingBudget": 512}, 4196),
    ],
)
def test_gemini25_thinking_budget_is_clamped_per_model(
    model: str, budget: int | None, thinking: dict[str, Any], max_output: int | None
) -> None:
    config = thinking_config(model, budget)
    assert config["thinkingConfig"] == thinking
    assert config.get("maxOutputTokens") == max_output


@pytest.mark.parametrize(
    ("model", "budget", "level"),
    [
        ("gemini-3-pro-preview", 0, "LOW"),
        ("gemini-3-pro-preview", 1000, "LOW"),
        ("gemini-3-pro-preview", 8000, "HIGH"),  # medium is not a 3 Pro level; ties go up
        ("gemini-3-pro-preview", None, None),
        ("gemini-3-flash-preview", 0, "MINIMAL"),
        ("gemini-3-flash-preview", 1000, "MINIMAL"),
        ("gemini-3-flash-preview", 8000, "MEDIUM"),
        ("gemini-3-flash-preview", 20000, "HIGH"),
        ("gemini-3.1-pro-preview", 8000, "MEDIUM"),
        ("gemini-3.1-pro-preview", 0, "LOW"),
    ],
)
def test_gemini3_thinking_level_from_ratio_buckets(
    model: str, budget: int | None, level: str | None
) -> None:
    config = thinking_config(model, budget)["thinkingConfig"]
    assert config.get("thinkingLevel") == level
    assert config["includeThoughts"] is True and "thinkingBudget" not in config


def test_options_override_the_model_table() -> None:
    assert thinking_config("my-tuned-model", 5000, thinking="budget", budget_range=(256, 4096))[
        "thinkingConfig"
    ] == {"includeThoughts": True, "thinkingBudget": 4096}
    assert "thinkingConfig" not in thinking_config("gemini-2.0-flash", 5000)


def test_request_shape_url_and_key_header() -> None:
    req = request(Message("system", SYSTEM), QUESTION, budget=0, temperature=0.3)
    req.options = replace(req.options, seed=7)
    call = wire().build(req)
    assert call.url == (
        "https://generativelanguage.googleapis.com/v1beta/models/"
        "gemini-2.5-flash:streamGenerateContent?alt=sse"
    )
    assert call.headers["x-goog-api-key"] == "AIza-test" and "AIza" not in call.url
    assert call.json["contents"] == [{"role": "user", "parts": [{"text": QUESTION}]}]
    assert call.json["generationConfig"]["temperature"] == 0.3
    assert call.json["generationConfig"]["seed"] == 7


# ----- errors -------------------------------------------------------------------------------


def status(code: int, state: str, message: str, details: list | None = None) -> dict:
    error: dict = {"code": code, "message": message, "status": state}
    if details is not None:
        error["details"] = details
    return {"error": error}


def test_invalid_key_and_permission_errors_name_the_env_var() -> None:
    w = GeminiWire("gemini-2.5-flash", key_env="GEMINI_API_KEY")
    bad_key = status(
        400,
        "INVALID_ARGUMENT",
        "API key not valid. Please pass a valid API key.",
        [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"}],
    )
    denied = status(403, "PERMISSION_DENIED", "Permission denied.")
    for code, body in ((400, bad_key), (403, denied)):
        error = w.error_for_status(code, json.dumps(body).encode(), {})
        assert isinstance(error, AuthError) and "GEMINI_API_KEY" in str(error)


def test_not_found_names_the_model() -> None:
    body = status(404, "NOT_FOUND", "models/gemini-9 is not found for API version v1beta")
    error = wire("gemini-9").error_for_status(404, json.dumps(body).encode(), {})
    assert isinstance(error, ModelNotFound) and "gemini-9" in str(error)


def test_context_overflow() -> None:
    body = status(
        400,
        "INVALID_ARGUMENT",
        "The input token count (81881) exceeds the maximum number of tokens allowed (65536).",
    )
    assert isinstance(wire().error_for_status(400, json.dumps(body).encode(), {}), ContextTooLong)


def test_rate_limit_uses_retry_info_even_wrapped_in_a_list() -> None:
    details = [
        {
            "@type": "type.googleapis.com/google.rpc.QuotaFailure",
            "violations": [
                {
                    "quotaMetric": "generate_content_free_tier_requests",
                    "quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
                }
            ],
        },
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "47s"},
    ]
    body = [status(429, "RESOURCE_EXHAUSTED", "Quota exceeded. Please retry in 47.43s.", details)]
    error = wire().error_for_status(429, json.dumps(body).encode(), {})
    assert isinstance(error, RateLimited) and error.retry_after == 47.0


def test_daily_quota_is_not_retried() -> None:
    details = [
        {
            "@type": "type.googleapis.com/google.rpc.QuotaFailure",
            "violations": [{"quotaId": "GenerateRequestsPerDayPerProjectPerModel-FreeTier"}],
        }
    ]
    body = status(429, "RESOURCE_EXHAUSTED", "Quota exceeded.", details)
    error = wire().error_for_status(429, json.dumps(body).encode(), {})
    assert isinstance(error, QuotaExceeded) and not error.retryable


@pytest.mark.parametrize(("code", "state"), [(500, "INTERNAL"), (503, "UNAVAILABLE")])
def test_server_errors_are_retryable(code: int, state: str) -> None:
    body = status(code, state, "The model is overloaded. Please try again later.")
    error = wire().error_for_status(code, json.dumps(body).encode(), {})
    assert isinstance(error, Overloaded) and error.retryable
