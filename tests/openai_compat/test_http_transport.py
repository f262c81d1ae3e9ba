"""The shared HTTP transport: NDJSON framing, model lists, check(), options, redaction."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from backends.errors import PonderError, ProviderError
from backends.events import Finished, StopReason, StreamEvent, TextDelta
from backends.remote.http import HTTPBackend, HTTPOptions
from backends.remote.http_errors import parse_error_body, retry_after_hint, status_error
from backends.remote.openai_compat import OpenAIChatBackend, OpenAICompatBackend
from backends.remote.wire import HttpCall, MalformedEvent, ParsedEnd, StreamParser, WireFormat
from backends.request import ChatRequest
from tests.openai_compat.chat_support import SECRET, chat, make_backend, notes, run
from tests.support.replay_server import ReplayServer, json_reply, ndjson_reply


class LineParser(StreamParser):
    """A toy NDJSON format: {"t": text} lines, then {"done": true}."""

    def __init__(self) -> None:
        self.finished = False

    def feed(self, data: str, event: str | None = None) -> list[StreamEvent]:
        obj = json.loads(data)
        if not isinstance(obj, dict):
            raise MalformedEvent(data)
        if obj.get("done"):
            self.done = self.finished = True
            return []
        return [TextDelta(obj["t"])]

    def end(self) -> ParsedEnd:
        return ParsedEnd(stop_reason=StopReason.STOP if self.finished else None)


class LineWire(WireFormat):
    def __init__(self, backend: HTTPBackend) -> None:
        self.backend = backend

    def build(self, request: ChatRequest) -> HttpCall:
        body = {"prompt": request.messages[-1].text}
        return HttpCall("POST", self.backend.base_url + "/gen", {}, body, framing="ndjson")

    def parser(self, request: ChatRequest) -> StreamParser:
        return LineParser()

    def error_for_status(self, status: int, body: bytes, headers: dict[str, str]) -> PonderError:
        return ProviderError(f"{status}: {parse_error_body(body)[0]}")


class LineBackend(HTTPBackend):
    kind = "lines"
    models_path = "/tags"

    def make_wire(self) -> WireFormat:
        return LineWire(self)

    def parse_models(self, data: Any) -> list[str]:
        return [m["name"] for m in data["models"]]


async def test_ndjson_framing_and_a_malformed_line(replay_server: ReplayServer) -> None:
    lines = b'{"t": "a"}\n\n{"t": "b"}\nnot json\n[1]\n{"t": "c"}\n{"done": true}\n{"t": "x"}\n'
    replay_server.add(ndjson_reply(lines))
    reply, events = await run(make_backend(LineBackend, replay_server), chat("p"))
    assert reply.text == "abc"  # stops reading at the terminator
    assert reply.finished is not None
    assert reply.finished.skipped_events == 2 and len(notes(events, "skipped")) == 1
    assert replay_server.requests[0].json == {"prompt": "p"}


async def test_models_are_listed_cached_and_fall_back_to_the_configured_model(
    replay_server: ReplayServer,
) -> None:
    replay_server.add(json_reply(200, {"models": [{"name": "qwen3"}, {"name": "llama3"}]}))
    backend = make_backend(LineBackend, replay_server, model="mine")
    assert await backend.list_models() == ["qwen3", "llama3"]
    assert await backend.list_models() == ["qwen3", "llama3"]
    assert len(replay_server.requests) == 1 and replay_server.requests[0].path == "/v1/tags"
    await backend.aclose()

    replay_server.add(json_reply(500, {"error": "boom"}))
    other = make_backend(OpenAIChatBackend, replay_server, model="gpt-5")
    assert await other.list_models() == ["gpt-5"]
    assert replay_server.requests[1].headers["authorization"] == f"Bearer {SECRET}"
    await other.aclose()


async def test_check_reports_a_rejected_key_and_passes_when_reachable(
    replay_server: ReplayServer,
) -> None:
    replay_server.add(json_reply(401, {"error": {"message": "bad key"}}))
    replay_server.add(json_reply(200, {"data": [{"id": "m"}]}))
    backend = make_backend(OpenAIChatBackend, replay_server, key_env="OPENAI_API_KEY")
    assert await backend.check() == "the key was rejected (401): check OPENAI_API_KEY"
    assert await backend.check() is None
    await backend.aclose()


def test_options_reject_unknown_fields() -> None:
    with pytest.raises(ValidationError):
        OpenAICompatBackend.Options(nope=1)  # type: ignore[call-arg]  # the unknown field is the test
    assert issubclass(OpenAICompatBackend.Options, HTTPOptions)
    assert HTTPOptions().stall_timeout_s == 60


async def test_keys_are_redacted_from_error_text(replay_server: ReplayServer) -> None:
    replay_server.add(json_reply(400, {"error": {"message": f"bad request for key {SECRET}"}}))
    reply, _ = await run(make_backend(OpenAIChatBackend, replay_server), chat("x"))
    assert isinstance(reply.finished, Finished) and reply.finished.stop_reason is StopReason.ERROR
    assert SECRET not in str(reply.finished.error)


def test_retry_hints() -> None:
    assert retry_after_hint({"Retry-After-Ms": "1500", "retry-after": "9"}) == 1.5
    assert retry_after_hint({"retry-after": "7"}) == 7.0
    assert retry_after_hint({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0
    gemini = b'{"error": {"details": [{"@type": "RetryInfo", "retryDelay": "13s"}]}}'
    assert retry_after_hint({}, gemini) == 13.0
    assert retry_after_hint({}, b"{}") is None


def test_status_error_meanings() -> None:
    def kind(status: int, message: str = "m", code: str = "") -> str:
        return status_error(status, message, code, provider="P", model="M", key_env="K").kind

    assert kind(401) == kind(403) == "AuthError"
    assert kind(404) == "ModelNotFound"
    assert kind(400, "prompt is too long: 250000 tokens > 200000 maximum") == "ContextTooLong"
    assert kind(429, "Too many tokens per minute") == "RateLimited"
    assert kind(429, "quota", "insufficient_quota") == "QuotaExceeded"
    assert kind(402) == "QuotaExceeded"
    assert kind(529) == kind(500) == kind(408) == "Overloaded"
    assert kind(422) == "ProviderError"
    assert parse_error_body(b'{"object":"error","message":"old vllm","type":"BadRequest"}') == (
        "old vllm",
        "badrequest",
    )
    assert parse_error_body(b'{"error": "ollama says no"}') == ("ollama says no", "")
