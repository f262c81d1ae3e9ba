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
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, SecretStr

from backends.capabilities import PROMPTED, Capabilities
from backends.events import (
    Finished,
    ReasoningDelta,
    StreamEvent,
    TextDelta,
    Timings,
)
from backends.request import ChatRequest


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

    async def prepare(self) -> None:
        """Load what the first request needs (a local model) so it need not wait; nothing to do
        by default. Safe to call again and while a request runs (``stream`` prepares on its own
        when nobody did). Raises ``ModelLoadError`` / ``ConfigError`` when it cannot."""
        return None

    @property
    def prepared(self) -> bool:
        """True when ``prepare`` has nothing (left) to do: the first request will not wait."""
        return True

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

    def output_cap(self) -> int | None:
        """The most tokens a reply may take by this backend's own setting (a local model's
        ``max_tokens`` option), thinking included; ``None`` when the provider sets its own."""
        return None

    def threads(self) -> int | None:
        """The CPU threads this backend decodes with by its own setting (a local model's
        ``n_threads``); ``None`` when it sets none (the runtime's default, or not on this CPU)."""
        return None

    def gpu_layers(self) -> int | None:
        """Layers this backend offloads to a GPU by its own setting (-1 = all, 0 = none);
        ``None`` when it sets none."""
        return None

    def context_size(self) -> int | None:
        """The context window in tokens when this backend knows it before a request (a local
        model's ``n_ctx``); ``None`` when it does not."""
        return None

    def suggested_budget(self, steps: Sequence[int | str], output_cap: int | None) -> int | None:
        """Where the thinking budget starts for this model when the config sets none; asked only
        when ``thinking_format()`` is known. By default: off for prompted thinking, else auto."""
        return 0 if self.thinking_format() == PROMPTED else None
