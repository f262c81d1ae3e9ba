"""Helpers for the adapter tests: recorded fixtures, the transport's framing, a parser runner.

Framing uses the same decoders as ``backends.remote.http`` (httpx-sse over an in-memory
``httpx.Response`` for SSE, ``iter_lines`` for NDJSON), so a parser sees exactly what it would see
from a live stream, including bodies split at arbitrary byte boundaries.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from httpx_sse import EventSource

from backends.budget import Budget
from backends.events import ReasoningDelta, StreamEvent, TextDelta, Usage, UsageUpdate
from backends.remote.wire import MalformedEvent, ParsedEnd, StreamParser
from backends.request import ChatRequest, Message, RequestOptions
from tests.support.replay_server import FIXTURES

SYSTEM = "You are a helpful assistant"
QUESTION = "What's the weather in Florence, Italy?"


def fixture(name: str) -> tuple[bytes, dict[str, Any]]:
    """(raw response body, recorded request body) of ``<name>`` in tests/fixtures/recorded."""
    body = (FIXTURES / f"{name}.sse").read_bytes()
    request = json.loads((FIXTURES / f"{name}.request.json").read_text())
    return body, request["body"]


def _response(body: bytes, chunks: Sequence[int] | None, content_type: str) -> httpx.Response:
    if not chunks:
        return httpx.Response(200, headers={"content-type": content_type}, content=body)
    cuts = sorted({c for c in chunks if 0 < c < len(body)})
    pieces = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True)]
    return httpx.Response(200, headers={"content-type": content_type}, content=iter(pieces))


def sse_frames(body: bytes, chunks: Sequence[int] | None = None) -> list[tuple[str, str | None]]:
    """(data, event name) per SSE event, as the transport frames them (cut at ``chunks``)."""
    frames = []
    for sse in EventSource(_response(body, chunks, "text/event-stream")).iter_sse():
        name = None if sse.event == "message" else sse.event
        if sse.data or name:
            frames.append((sse.data, name))
    return frames


def ndjson_frames(body: bytes, chunks: Sequence[int] | None = None) -> list[tuple[str, str | None]]:
    """One frame per non-blank NDJSON line, as the transport frames them."""
    lines = _response(body, chunks, "application/x-ndjson").iter_lines()
    return [(line, None) for line in lines if line.strip()]


@dataclass
class Run:
    """What a parser produced for one stream."""

    events: list[StreamEvent] = field(default_factory=list)
    end: ParsedEnd = field(default_factory=ParsedEnd)  # run() always sets it
    skipped: int = 0

    @property
    def text(self) -> str:
        return "".join(e.text for e in self.events if isinstance(e, TextDelta))

    @property
    def thinking(self) -> str:
        return "".join(e.text for e in self.events if isinstance(e, ReasoningDelta))

    @property
    def text_deltas(self) -> list[str]:
        return [e.text for e in self.events if isinstance(e, TextDelta)]

    @property
    def usage(self) -> Usage | None:
        return self.end.usage if self.end else None

    def kinds(self) -> list[str]:
        """The order of output kinds with repeats collapsed, e.g. ["thinking", "text"]."""
        order: list[str] = []
        for event in self.events:
            if isinstance(event, (ReasoningDelta, TextDelta)) and event.text:
                kind = "thinking" if isinstance(event, ReasoningDelta) else "text"
                if not order or order[-1] != kind:
                    order.append(kind)
        return order

    def usage_updates(self) -> list[Usage]:
        return [e.usage for e in self.events if isinstance(e, UsageUpdate)]


def run(parser: StreamParser, frames: Iterable[tuple[str, str | None]]) -> Run:
    """Feed ``frames`` like the transport does: ``MalformedEvent`` skipped and counted (any
    other exception fails the test), stop at the provider's terminator, then ``end()``."""
    result = Run()
    for data, event in frames:
        try:
            result.events += parser.feed(data, event)
        except MalformedEvent:
            result.skipped += 1
            continue
        if parser.done:
            break
    result.end = parser.end()
    return result


def request(
    *messages: Message | str,
    budget: int | None = None,
    max_tokens: int | None = None,
    temperature: float | None = None,
) -> ChatRequest:
    """A request; plain strings are user turns."""
    turns = [Message("user", m) if isinstance(m, str) else m for m in messages]
    return ChatRequest(
        turns,
        Budget(budget),
        options=RequestOptions(max_tokens=max_tokens, temperature=temperature),
    )


def sse(events: Iterable[tuple[str | None, Any]], crlf: bool = False) -> bytes:
    """An SSE body from (event name or None, JSON-able data) pairs."""
    out = []
    for name, data in events:
        head = f"event: {name}\n" if name else ""
        out.append(f"{head}data: {json.dumps(data)}\n\n")
    body = "".join(out)
    return (body.replace("\n", "\r\n") if crlf else body).encode()


def raw_events(body: bytes) -> list[Any]:
    """Every ``data:`` line of a recorded SSE body as JSON, decoded without the parser under test
    (an independent reading of the fixture to compare against)."""
    out = []
    for line in body.decode("utf-8").splitlines():
        if line.startswith("data:"):
            out.append(json.loads(line[5:]))
    return out
