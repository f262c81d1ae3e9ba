"""One description per adapter family for the end-to-end tests on the replay server.

Each family has a documented-shape stream with thinking then two answer deltas, its error bodies
for the fault table (providers.md §10) and an in-stream error, so every fault row runs against
every family with the same test code.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import SecretStr

from backends.base import BackendSpec
from backends.remote.anthropic import AnthropicBackend
from backends.remote.gemini import GeminiBackend
from backends.remote.http import HTTPBackend
from backends.remote.ollama import OllamaBackend
from backends.remote.openai_responses import OpenAIResponsesBackend
from tests.providers import test_anthropic, test_gemini, test_ollama, test_openai_responses
from tests.support.replay_server import Reply, json_reply, ndjson_reply, split_events, sse_reply

SECRET = "sk-replay-0123456789abcdef"
KEY_ENV = "PONDER_TEST_KEY"


@dataclass(frozen=True)
class Family:
    """How one adapter family looks on the wire, for the fault table."""

    name: str
    cls: type[HTTPBackend]
    model: str
    prefix: str  # base URL path on the replay server
    path: str  # the chat request's path
    body: bytes  # thinking, then the answer "first" + "second"
    thinking: str
    first: str
    second: str
    finish_events: int  # trailing events that carry the finish marker
    error: Callable[[int, str, str], Any]  # (status, provider code, message) -> JSON body
    codes: dict[str, tuple[int, str]]  # fault row -> (status, provider code)
    stream_error: bytes  # an error reported inside the stream after HTTP 200
    retry_hint: dict[str, str] = field(default_factory=dict)  # headers asking for no wait
    ndjson: bool = False

    def backend(self, server_url: str, **options: Any) -> HTTPBackend:
        options.setdefault("retry_backoff_s", 0.01)
        spec = BackendSpec(
            name="test",
            kind=self.cls.kind,
            model=self.model,
            options=self.cls.Options(**options),
            base_url=server_url + self.prefix,
            api_key=SecretStr(SECRET),
            api_key_env=KEY_ENV,
        )
        return self.cls(spec)

    def events(self) -> list[bytes]:
        if self.ndjson:
            return self.body.splitlines(keepends=True)
        return split_events(self.body)

    def first_text_end(self) -> int:
        """Byte offset just after the event carrying the first answer delta."""
        offset = 0
        for event in self.events():
            offset += len(event)
            if json.dumps(self.first).encode() in event:
                return offset
        raise AssertionError(f"{self.name}: no event carries {self.first!r}")

    def reply(self, body: bytes | None = None) -> Reply:
        body = self.body if body is None else body
        return ndjson_reply(body) if self.ndjson else sse_reply(body)

    def error_reply(self, row: str, message: str, headers: dict[str, str] | None = None) -> Reply:
        status, code = self.codes[row]
        return json_reply(status, self.error(status, code, message), headers)

    def malformed(self) -> bytes:
        return b"{not json\n" if self.ndjson else b"data: {not json\n\n"

    def unfinished(self) -> bytes:
        return b"".join(self.events()[: -self.finish_events])


def anthropic_error(status: int, code: str, message: str) -> dict:
    return {"type": "error", "error": {"type": code, "message": message}, "request_id": "req_1"}


def gemini_error(status: int, code: str, message: str) -> list[dict[str, Any]]:
    details = [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "0s"}]
    error = {"code": status, "message": message, "status": code}
    return [{"error": {**error, "details": details} if status == 429 else error}]


def openai_error(status: int, code: str, message: str) -> dict:
    return {
        "error": {"message": message, "type": "invalid_request_error", "param": None, "code": code}
    }


def ollama_error(status: int, code: str, message: str) -> dict:
    return {"error": message}


ANTHROPIC = Family(
    "anthropic",
    AnthropicBackend,
    "claude-sonnet-4-20250514",
    "/v1",
    "/v1/messages",
    test_anthropic.thinking_then_text(),
    "Two plus two.",
    "It is ",
    "4.",
    2,
    anthropic_error,
    {
        "auth": (401, "authentication_error"),
        "not_found": (404, "not_found_error"),
        "context": (400, "invalid_request_error"),
        "rate": (429, "rate_limit_error"),
        "overload": (529, "overloaded_error"),
    },
    b'event: error\ndata: {"type": "error", "error": {"type": "overloaded_error", '
    b'"message": "Overloaded"}}\n\n',
    {"retry-after": "0"},
)
GEMINI = Family(
    "gemini",
    GeminiBackend,
    "gemini-2.5-flash",
    "/v1beta",
    "/v1beta/models/gemini-2.5-flash:streamGenerateContent",
    test_gemini.thought_then_answer(),
    "**Adding**\n\nTwo and two.",
    "It is ",
    "4.",
    1,
    gemini_error,
    {
        "auth": (403, "PERMISSION_DENIED"),
        "not_found": (404, "NOT_FOUND"),
        "context": (400, "INVALID_ARGUMENT"),
        "rate": (429, "RESOURCE_EXHAUSTED"),
        "overload": (503, "UNAVAILABLE"),
    },
    b'data: {"error": {"code": 503, "message": "The model is overloaded.", '
    b'"status": "UNAVAILABLE"}}\r\n\r\n',
)
RESPONSES = Family(
    "openai-responses",
    OpenAIResponsesBackend,
    "gpt-5",
    "/v1",
    "/v1/responses",
    test_openai_responses.two_part_summary_then_text(),
    "**Plan**\n\nAdd.\n\n**Check**\n\nFour.",
    "It is ",
    "4.",
    1,
    openai_error,
    {
        "auth": (401, "invalid_api_key"),
        "not_found": (404, "model_not_found"),
        "context": (400, "context_length_exceeded"),
        "rate": (429, "rate_limit_exceeded"),
        "overload": (500, "server_error"),
    },
    b'event: error\ndata: {"type": "error", "code": "server_error", "message": "boom", '
    b'"param": null}\n\n',
    {"retry-after-ms": "0"},
)
OLLAMA = Family(
    "ollama",
    OllamaBackend,
    "qwen3",
    "",
    "/api/chat",
    test_ollama.documented(),
    "Okay, the user",
    "17",
    " apples.",
    1,
    ollama_error,
    {
        "auth": (401, ""),
        "not_found": (404, ""),
        "context": (400, ""),
        "rate": (429, ""),
        "overload": (500, ""),
    },
    b'{"error": "an error was encountered while running the model"}\n',
    {"retry-after": "0"},
    ndjson=True,
)
FAMILIES = [ANTHROPIC, GEMINI, RESPONSES, OLLAMA]
IDS = [f.name for f in FAMILIES]
CONTEXT_MESSAGES = {
    "anthropic": "prompt is too long: 208656 tokens > 200000 maximum",
    "gemini": "The input token count (81881) exceeds the maximum number of tokens allowed (65536).",
    "openai-responses": "This model's maximum context length is 400000 tokens.",
    "ollama": "the input length exceeds the context length",
}
