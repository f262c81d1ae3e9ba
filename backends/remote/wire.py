"""The seam between the HTTP transport and one provider's wire format.

A provider adapter is two small pieces with no I/O, so each can be tested on recorded bytes:

* a ``WireFormat`` (a ``ProviderWire`` dataclass: model, key, base URL, key variable, options)
  that builds the HTTP call for a ``ChatRequest`` and turns an error response into one of
  ponder's errors;
* a ``StreamParser`` (one per request) fed one framed message at a time (an SSE event's data, or
  one NDJSON line) that returns ponder events and, at the end, a ``ParsedEnd`` summary of the
  end-of-stream state it keeps (stop reason, usage, model, error, extra).

``backends.remote.http.HTTPBackend`` owns everything else: the connection, framing (SSE or
NDJSON), retries with backoff before the first token, Retry-After, stall detection, and turning
transport failures into ``Finished(INTERRUPTED)`` with the partial output kept.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from backends.errors import PonderError
from backends.events import StopReason, StreamEvent, Usage
from backends.kinds import kind_info
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

    The end-of-stream state every provider has lives here: ``stop_reason``, ``usage``,
    ``model``, ``error``, ``budget_applied`` and ``extra``. A parser sets them while it reads,
    calls ``fail`` for an error reported inside the stream, and ``end`` returns them as a
    ``ParsedEnd`` (``summary`` adds what only that provider has: a continuation, timings).
    """

    done: bool = False  # set when the provider's terminator was seen

    def __init__(self, budget_applied: str | None = None) -> None:
        self.budget_applied = budget_applied
        self.stop_reason: StopReason | None = None
        self.usage: Usage | None = None
        self.model: str | None = None
        self.error: PonderError | None = None
        self.extra: dict[str, Any] = {}

    @abc.abstractmethod
    def feed(self, data: str, event: str | None = None) -> list[StreamEvent]:
        """One SSE message (``data`` joined, ``event`` name) or one NDJSON line."""

    def fail(self, error: PonderError) -> None:
        """An error reported inside the stream (after HTTP 200): the reply ends with it."""
        self.error, self.stop_reason, self.done = error, StopReason.ERROR, True

    def saw_model(self, model: object) -> None:
        """Keep the model the provider says answered (a non-empty string), else the last one."""
        if isinstance(model, str) and model:
            self.model = model

    def summary(self, **more: Any) -> ParsedEnd:
        """The shared end-of-stream state as a ``ParsedEnd``, with provider-specific ``more``."""
        return ParsedEnd(
            stop_reason=self.stop_reason,
            usage=self.usage,
            model=self.model,
            error=self.error,
            budget_applied=self.budget_applied,
            extra=dict(self.extra),
            **more,
        )

    def end(self) -> ParsedEnd:
        """Called once when the body ends (normally or not); the shared state by default."""
        return self.summary()


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


@dataclass(eq=False, kw_only=True)
class ProviderWire(WireFormat):
    """What every provider's wire format is built from: the model, the key, the base URL, the
    key's env var (named in errors) and the kind's options model.

    ``kind`` names the row of ``backends.kinds`` that gives the defaults when ``base_url`` or
    ``key_env`` are not given (a test building a wire on its own). A subclass declares its own
    ``options`` field with its options model as the default, and may normalise in
    ``__post_init__`` (after calling this one).
    """

    kind: ClassVar[str] = ""

    model: str = field(kw_only=False)
    api_key: str | None = None
    base_url: str = ""
    key_env: str | None = None
    options: Any = None

    def __post_init__(self) -> None:
        info = kind_info(self.kind)
        self.base_url = (self.base_url or info.base_url or "").rstrip("/")
        self.key_env = self.key_env or info.key_env
