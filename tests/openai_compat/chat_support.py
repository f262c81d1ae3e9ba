"""Helpers for the Chat Completions tests: build a backend on the replay server, run a request."""

from __future__ import annotations

import json
from typing import Any

from pydantic import SecretStr

from backends.base import BackendSpec
from backends.budget import Budget
from backends.events import Finished, StatusNote, StreamEvent
from backends.remote.http import HTTPBackend
from backends.reply import Reply, collect
from backends.request import ChatRequest, Message, RequestOptions
from tests.support.replay_server import ReplayServer

SECRET = "sk-test-0123456789abcdef"


def make_backend(
    cls: type[HTTPBackend],
    server: ReplayServer | None = None,
    *,
    model: str = "test-model",
    key: str | None = SECRET,
    key_env: str = "TEST_API_KEY",
    base_url: str | None = None,
    **options: Any,
) -> HTTPBackend:
    """A backend of ``cls`` pointed at ``server`` (fast retries unless options say otherwise)."""
    options.setdefault("retry_backoff_s", 0.01)
    url = base_url or (server.url("/v1") if server else None)
    spec = BackendSpec(
        name="test",
        kind=cls.kind,
        model=model,
        options=cls.Options(**options),
        base_url=url,
        api_key=SecretStr(key) if key else None,
        api_key_env=key_env,
    )
    return cls(spec)


def chat(
    *turns: Message | str, budget: int | None = None, max_tokens: int | None = None
) -> ChatRequest:
    """A request whose messages are ``turns`` (strings are user turns)."""
    messages = [Message("user", t) if isinstance(t, str) else t for t in turns]
    return ChatRequest(messages, Budget(budget), options=RequestOptions(max_tokens=max_tokens))


async def run(backend: HTTPBackend, request: ChatRequest) -> tuple[Reply, list[StreamEvent]]:
    """Stream ``request`` to the end; the collected reply and every event in order."""
    events: list[StreamEvent] = []
    try:
        reply = await collect(backend, request, events.append)
    finally:
        await backend.aclose()
    assert sum(isinstance(e, Finished) for e in events) == 1
    assert isinstance(events[-1], Finished)
    return reply, events


def notes(events: list[StreamEvent], kind: str) -> list[StatusNote]:
    return [e for e in events if isinstance(e, StatusNote) and e.kind == kind]


def chunk(delta: dict[str, Any] | None = None, finish: str | None = None, **extra: Any) -> bytes:
    """One Chat Completions SSE event."""
    obj: dict[str, Any] = {"id": "c1", "object": "chat.completion.chunk", "model": "m"}
    obj["choices"] = (
        [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
    )
    obj.update(extra)
    return b"data: " + json.dumps(obj).encode() + b"\n\n"


DONE = b"data: [DONE]\n\n"


def text_stream(*pieces: str, finish: str | None = "stop", thinking: tuple[str, ...] = ()) -> bytes:
    """A small stream: thinking pieces, then text pieces, a finish chunk and [DONE]."""
    body = b"".join(chunk({"reasoning_content": t}) for t in thinking)
    body += b"".join(chunk({"content": p}) for p in pieces)
    body += chunk({}, finish) if finish else b""
    return body + DONE


def reference_texts(body: bytes) -> tuple[str, str]:
    """(thinking, text) of a recorded Chat Completions stream, read plainly as an oracle."""
    thinking, text = [], []
    for line in body.decode().splitlines():
        if not line.startswith("data: ") or line == "data: [DONE]":
            continue
        for choice in json.loads(line[6:]).get("choices") or []:
            delta = choice.get("delta") or {}
            thinking.append(delta.get("reasoning_content") or delta.get("reasoning") or "")
            text.append(delta.get("content") or "")
    return "".join(thinking), "".join(text)
