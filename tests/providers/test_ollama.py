"""Ollama native /api/chat adapter on the documented NDJSON shapes (providers.md §7)."""

from __future__ import annotations

import json

import pytest

from backends.errors import ModelNotFound, Overloaded, PonderError, ProviderError, RateLimited
from backends.events import StopReason, Usage
from backends.remote.ollama import OllamaOptions, OllamaWire
from backends.request import Message
from tests.providers.support import Run, ndjson_frames, request, run


def wire(model: str = "qwen3", **options: object) -> OllamaWire:
    return OllamaWire(model, options=OllamaOptions(**options))


def line(thinking: str | None = None, content: str = "", **extra: object) -> dict:
    message: dict = {"role": "assistant", "content": content}
    if thinking is not None:
        message["thinking"] = thinking
    return {
        "model": "qwen3",
        "created_at": "2025-10-26T17:15:24.097767Z",
        "message": message,
        "done": False,
        **extra,
    }


DONE = {
    "done": True,
    "done_reason": "stop",
    "total_duration": 4883583458,
    "load_duration": 1334875,
    "prompt_eval_count": 26,
    "prompt_eval_duration": 342546000,
    "eval_count": 282,
    "eval_duration": 4535599000,
}


def stream(*lines: dict) -> bytes:
    return b"".join(json.dumps(item).encode() + b"\n" for item in lines)


def documented(done: dict | None = None) -> bytes:
    """The stream of §7: thinking lines, then content lines, then the done line."""
    return stream(
        line("Okay"),
        line(", the user"),
        line(content="17"),
        line(content=" apples."),
        line(content="", **(done if done is not None else DONE)),
    )


def parse(body: bytes) -> Run:
    return run(wire().parser(request("hi")), ndjson_frames(body))


def test_thinking_then_content_in_order() -> None:
    result = parse(documented())
    assert result.kinds() == ["thinking", "text"]
    assert (result.thinking, result.text) == ("Okay, the user", "17 apples.")
    assert result.end.stop_reason is StopReason.STOP and result.end.model == "qwen3"


def test_usage_and_server_timings_from_the_done_line() -> None:
    end = parse(documented()).end
    assert end.usage == Usage(input=26, cached_input=0, cache_write=0, output=282, reasoning=None)
    assert end.server_prompt_ms == pytest.approx(342.546)
    assert end.server_decode_ms == pytest.approx(4535.599)
    assert end.server_decode_tokens == 282
    assert end.extra["load_ms"] == pytest.approx(1.334875)
    assert end.extra["total_ms"] == pytest.approx(4883.583458)


def test_missing_prompt_count_is_unknown_not_zero_tokens() -> None:
    done = {k: v for k, v in DONE.items() if k != "prompt_eval_count"}
    end = parse(documented(done)).end
    assert end.usage is not None
    assert end.usage.input == 0 and end.extra["input_unknown"] is True
    assert "input_unknown" not in parse(documented()).end.extra


def test_length_done_reason() -> None:
    assert parse(documented({**DONE, "done_reason": "length"})).end.stop_reason is StopReason.LENGTH


def test_error_line_mid_stream_keeps_text() -> None:
    body = stream(
        line("Hmm"),
        line(content="Par"),
        {"error": "an error was encountered while running the model"},
    )
    result = parse(body)
    assert result.text == "Par" and result.thinking == "Hmm"
    assert result.end.stop_reason is StopReason.ERROR
    assert isinstance(result.end.error, Overloaded)  # a runner failure: retried before output


def test_cut_stream_has_no_stop_reason_and_bad_lines_are_skipped() -> None:
    body = stream(line("a"), line(content="b")) + b'{"model": "qwen3", "mess\n'
    result = parse(body)
    assert result.end.stop_reason is None and result.text == "b" and result.skipped == 1


# ----- budget → request ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "budget", "think", "num_predict"),
    [
        ("qwen3", 0, False, None),
        ("qwen3", 1000, True, 5096),
        ("qwen3", 8000, True, 12096),
        ("qwen3", None, None, None),
        ("gpt-oss:20b", 0, "low", None),
        ("gpt-oss:20b", 1000, "low", 5096),
        ("gpt-oss:20b", 8000, "medium", 12096),
        ("gpt-oss:20b", 20000, "high", 24096),
        ("gpt-oss:20b", None, None, None),
    ],
)
def test_budget_maps_to_think(
    model: str, budget: int | None, think: bool | str | None, num_predict: int | None
) -> None:
    body = wire(model).build(request("hi", budget=budget)).json
    assert body.get("think") == think
    assert body.get("options", {}).get("num_predict") == num_predict


def test_levels_can_include_max_and_non_thinking_models_get_no_think() -> None:
    four = ("low", "medium", "high", "max")
    levels = wire("deepseek-r1", think_style="levels", think_levels=four)
    assert levels.build(request("hi", budget=9500, max_tokens=10000)).json["think"] == "max"
    assert "think" not in wire("llama3.2", think_style="none").build(request("hi", budget=8)).json


def test_request_shape() -> None:
    req = request(
        Message("system", "Be brief."),
        "hi",
        Message("assistant", "Hello!", "greet"),
        "2+2?",
        max_tokens=300,
        temperature=0.1,
    )
    call = OllamaWire("qwen3", base_url="http://127.0.0.1:11434/v1/").build(req)
    assert call.url == "http://127.0.0.1:11434/api/chat" and call.framing == "ndjson"
    assert call.json["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "Hello!"},
        {"role": "user", "content": "2+2?"},
    ]
    assert call.json["options"] == {"num_predict": 300, "temperature": 0.1}
    assert call.json["stream"] is True and "authorization" not in call.headers


# ----- errors -------------------------------------------------------------------------------


def test_model_not_pulled_says_how_to_pull_it() -> None:
    body = json.dumps({"error": 'model "qwen3" not found, try pulling it first'}).encode()
    error = wire().error_for_status(404, body, {})
    assert isinstance(error, ModelNotFound)
    assert "qwen3" in error.message and error.hint == "run: ollama pull qwen3"


def test_thinking_not_supported_points_at_the_option() -> None:
    body = json.dumps({"error": '"llama3.2" does not support thinking'}).encode()
    error = wire("llama3.2").error_for_status(400, body, {})
    assert isinstance(error, ProviderError) and "think_style" in error.hint


@pytest.mark.parametrize(
    ("status", "kind"), [(429, RateLimited), (500, Overloaded), (502, Overloaded)]
)
def test_status_errors(status: int, kind: type[PonderError]) -> None:
    error = wire().error_for_status(status, b'{"error": "busy"}', {})
    assert isinstance(error, kind) and error.retryable
