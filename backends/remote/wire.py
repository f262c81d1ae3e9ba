"""The seam between the HTTP transport and one provider's wire format.

A provider adapter is two small pieces with no I/O, so each can be tested on recorded bytes:

* a ``WireFormat`` that builds the HTTP call for a ``ChatRequest`` and turns an error response
  into one of ponder's errors;
* a ``StreamParser`` (one per request) fed one framed message at a time (an SSE event's data, or
  one NDJSON line) that returns ponder events and, at the end, a ``ParsedEnd`` summary.

``backends.remote.http.HTTPBackend`` owns everything else: the connection, framing (SSE or
NDJSON), retries with backoff before the first token, Retry-After, stall detection, and turning
transport failures into ``Finished(INTERRUPTED)`` with the partial output kept.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Any, Literal

from backends.errors import PonderError
from backends.events import StopReason, StreamEvent, Usage
from backends.request import ChatRequest

Framing = Literal["sse", "ndjson"]


@dataclass(frozen=True, slots=True)
class HttpCall:
    """One HTTP request, ready to send. ``headers`` may hold the key; never log them."""

    method: str
    url: str
    headers: dict[str, str]
    json: dict[str, Any]
    framing: Framing = "sse"


@dataclass(slots=True)
class ParsedEnd:
    """What the parser knows when the stream is over.

    ``stop_reason`` is ``None`` when no finish marker arrived (the transport then reports the
    reply as interrupted). ``error`` is an error reported inside the stream after HTTP 200.
    """

    stop_reason: StopReason | None = None
    usage: Usage | None = None
    model: str | None = None
    continuation: dict[str, Any] | None = None
    provider_cost_usd: float | None = None
    error: PonderError | None = None
    server_prompt_ms: float | None = None
    server_decode_ms: float | None = None
    server_decode_tokens: int | None = None
    budget_applied: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class StreamParser(abc.ABC):
    """Turns one provider's framed stream messages into ponder events.

    ``feed`` must never raise on malformed input: it raises ``MalformedEvent`` for a message it
    cannot use (the transport skips and counts it, and the stream goes on).
    """

    done: bool = False  # set when the provider's terminator was seen

    @abc.abstractmethod
    def feed(self, data: str, event: str | None = None) -> list[StreamEvent]:
        """One SSE message (``data`` joined, ``event`` name) or one NDJSON line."""

    @abc.abstractmethod
    def end(self) -> ParsedEnd:
        """Called once when the body ends (normally or not)."""


class MalformedEvent(Exception):
    """A stream message that could not be parsed; skipped and counted, never fatal."""


class WireFormat(abc.ABC):
    """Builds requests and reads errors for one provider API."""

    @abc.abstractmethod
    def build(self, request: ChatRequest) -> HttpCall:
        """The HTTP call for ``request`` (budget translated, history in the provider's form)."""

    @abc.abstractmethod
    def parser(self, request: ChatRequest) -> StreamParser:
        """A fresh parser for one response stream."""

    @abc.abstractmethod
    def error_for_status(self, status: int, body: bytes, headers: dict[str, str]) -> PonderError:
        """Translate a non-2xx response into ponder's error (with the env var, model, etc.)."""
