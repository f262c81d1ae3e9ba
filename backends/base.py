"""The backend contract: one async ``stream(request)`` that yields typed events.

A backend owns one provider's wire format (or one local runtime). It yields ``ReasoningDelta``,
``TextDelta``, ``UsageUpdate`` and ``StatusNote`` events in order and always ends with exactly one
``Finished`` event, also when it fails: errors that happen once a request is under way are
delivered as ``Finished(stop_reason=ERROR or INTERRUPTED, error=...)`` so partial output is never
lost. Errors that make the request impossible before it starts (bad configuration, missing key)
are raised as ``ConfigError`` / ``AuthError`` from ``stream`` before the first event.
"""

from __future__ import annotations

import abc
import contextlib
import time
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, SecretStr

from backends.budget import Budget
from backends.events import (
    Finished,
    ReasoningDelta,
    StreamEvent,
    TextDelta,
    Timings,
)

Role = Literal["system", "user", "assistant"]
ThinkingText = Literal["full", "summary", "count", "none"]
BudgetPrecision = Literal["exact", "approximate", "bucketed", "on_off", "none"]


@dataclass(frozen=True, slots=True)
class Message:
    """One turn of a conversation.

    ``continuation`` is what the backend that produced an assistant turn asked to get back on
    later requests (see ``Finished.continuation``); other backends ignore it.
    """

    role: Role
    text: str
    thinking: str = ""
    continuation: dict[str, Any] | None = None


@dataclass(slots=True)
class ChatRequest:
    """One request to a backend.

    ``budget`` is live: the UI may change it while the reply streams. ``conversation_id`` lets a
    local backend keep a KV-cache snapshot per conversation; with ``own_history_only`` a
    conversation the backend has no snapshot of starts from an empty KV cache instead of
    reusing whatever prefix another conversation left (the eval isolates strategies this way).
    ``max_tokens`` caps all output (thinking included); ``None`` = the backend's default.
    """

    messages: Sequence[Message]
    budget: Budget = field(default_factory=Budget)
    max_tokens: int | None = None
    temperature: float | None = None
    seed: int | None = None
    conversation_id: str | None = None
    own_history_only: bool = False


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a backend can do, shown to the user instead of pretending.

    ``thinking_text``: full chain of thought, a provider summary, only a token count, or nothing.
    ``budget_precision``: how closely the thinking budget is honoured. ``live_budget``: whether a
    budget change acts on the reply in flight (else it applies to the next request).
    ``thinking_format``: for local models, how the model thinks: ``"prompted"`` when it was not
    trained to reason (ponder opens a thinking block for it), otherwise the native format's name
    (``"r1"``, ``"qwen3"``, ``"smollm3"``, ``"harmony"``); ``None`` for remote backends, whose
    provider owns the format. :func:`thinking_label` turns it into the line the UI shows.
    """

    can_think: bool = False
    thinking_text: ThinkingText = "none"
    budget_precision: BudgetPrecision = "none"
    live_budget: bool = False
    local: bool = False
    reports_usage: bool = True
    thinking_format: str | None = None


PROMPTED = "prompted"
_FORMAT_NAMES = {
    "r1": "<think> tags (DeepSeek-R1 style)",
    "qwen3": "Qwen3 enable_thinking",
    "smollm3": "SmolLM3 /think",
    "harmony": "gpt-oss harmony analysis channel",
}


def thinking_label(capabilities: Capabilities) -> str:
    """One honest line on where a model's thinking comes from ("" for remote backends)."""
    fmt = capabilities.thinking_format
    if fmt is None:
        return ""
    if fmt == PROMPTED:
        return "thinking is prompted (this model was not trained to reason)"
    return f"native thinking: {_FORMAT_NAMES.get(fmt, fmt)}"


class NoOptions(BaseModel):
    """Options model of a backend kind that takes none."""

    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True, slots=True)
class BackendSpec:
    """Everything needed to build one backend, already validated by the registry.

    ``name`` is the configured name ("local", "gpt"); ``options`` is an instance of the backend
    class's ``Options`` model. ``api_key`` is read from the env var ``api_key_env`` and is never
    logged, stored or shown.
    """

    name: str
    kind: str
    model: str
    options: BaseModel = field(default_factory=NoOptions)
    base_url: str | None = None
    api_key: SecretStr | None = None
    api_key_env: str | None = None
    hardware_cost_per_hour: float | None = None  # None = the documented default (pricing)


class Backend(abc.ABC):
    """Base class of every backend.

    Subclasses implement ``_stream``; ``stream`` wraps it to stamp client-side timings on the final
    ``Finished`` event. Subclasses declare ``kind`` and an ``Options`` pydantic model
    (``extra="forbid"``) and are built from a ``BackendSpec``.
    """

    kind: ClassVar[str] = ""
    Options: ClassVar[type[BaseModel]] = NoOptions
    capabilities: Capabilities = Capabilities()

    def __init__(self, spec: BackendSpec) -> None:
        self.spec = spec
        self.name = spec.name
        self.model = spec.model

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        """Stream one reply. Ends with exactly one ``Finished``.

        Raises ``ConfigError`` / ``AuthError`` before the first event when the request cannot be
        made at all; every later failure arrives as ``Finished.error``.
        """
        started = time.monotonic()
        first_token: float | None = None
        first_text: float | None = None
        async with contextlib.aclosing(self._stream(request)) as events:
            async for event in events:
                if isinstance(event, (ReasoningDelta, TextDelta)) and event.text:
                    now = time.monotonic()
                    if first_token is None:
                        first_token = now
                    if first_text is None and isinstance(event, TextDelta):
                        first_text = now
                if isinstance(event, Finished):
                    server = event.timings
                    timings = Timings(
                        started=started,
                        first_token=first_token,
                        first_text=first_text,
                        ended=time.monotonic(),
                        server_prompt_ms=server.server_prompt_ms if server else None,
                        server_decode_ms=server.server_decode_ms if server else None,
                        server_decode_tokens=server.server_decode_tokens if server else None,
                    )
                    yield replace(event, timings=timings)
                    return
                yield event

    @abc.abstractmethod
    def _stream(self, request: ChatRequest) -> AsyncGenerator[StreamEvent, None]:
        """Yield the reply's events, ending with ``Finished``; see ``stream``."""

    async def list_models(self) -> list[str]:
        """Models this backend can serve; the default is just the configured one."""
        return [self.model]

    async def check(self) -> str | None:
        """Is the backend usable? ``None`` when it is, else a one-line reason with the fix.

        Must be cheap and must not load a model or spend tokens.
        """
        return None

    async def aclose(self) -> None:
        """Release connections, threads and model memory. Safe to call twice."""
        return None

    def describe(self) -> str:
        return f"{self.name} ({self.kind}: {self.model})"

    def notes(self) -> list[str]:
        """One-line facts about how this backend will run (e.g. the local CPU path chosen),
        shown by ``ponder backends``; none by default."""
        return []

    def thinking_format(self) -> str | None:
        """How this backend's model thinks (``Capabilities.thinking_format``): ``None`` for
        remote backends, whose provider owns the format. A local backend may read its model
        file for it without loading the model."""
        return self.capabilities.thinking_format

    def suggested_budget(self, steps: Sequence[int | str], output_cap: int | None) -> int | None:
        """Where the thinking budget starts for this model when the config sets none; asked only
        when ``thinking_format()`` is known. By default: off for prompted thinking, else auto."""
        return 0 if self.thinking_format() == PROMPTED else None
