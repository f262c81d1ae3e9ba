"""Typed stream events and the records they carry.

Every backend turns its provider's wire format into these small frozen types; nothing outside a
backend's own module ever sees provider JSON. The usage record follows the inclusive convention of
shared/reference/providers.md §0.1: ``input`` counts every prompt token (cache reads and writes
included) and ``output`` counts every generated token (reasoning included).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from backends.errors import PonderError


class StopReason(StrEnum):
    """Why a reply ended."""

    STOP = "stop"  # the model finished
    LENGTH = "length"  # hit max tokens / context
    CANCELLED = "cancelled"  # the user stopped it
    INTERRUPTED = "interrupted"  # the connection dropped or the stream ended without a finish
    ERROR = "error"  # the provider reported an error


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts for one reply, inclusive convention (see module docstring).

    ``reasoning`` is ``None`` when the provider does not report it. ``estimated`` marks counts
    made locally (tokenizer estimate) rather than reported by the provider.
    """

    input: int = 0
    cached_input: int = 0
    cache_write: int = 0
    output: int = 0
    reasoning: int | None = None
    estimated: bool = False

    def __post_init__(self) -> None:
        for name in ("input", "cached_input", "cache_write", "output"):
            if getattr(self, name) < 0:
                raise ValueError(f"Usage.{name} must be >= 0")

    @property
    def cache_hit(self) -> float | None:
        """Cached input tokens / input tokens, or None when there was no input."""
        return self.cached_input / self.input if self.input else None

    def __add__(self, other: Usage) -> Usage:
        reasoning = (
            None
            if self.reasoning is None and other.reasoning is None
            else (self.reasoning or 0) + (other.reasoning or 0)
        )
        return Usage(
            input=self.input + other.input,
            cached_input=self.cached_input + other.cached_input,
            cache_write=self.cache_write + other.cache_write,
            output=self.output + other.output,
            reasoning=reasoning,
            estimated=self.estimated or other.estimated,
        )


@dataclass(frozen=True, slots=True)
class Timings:
    """Monotonic timestamps (seconds, ``time.monotonic``) of one reply, plus server figures.

    ``first_token`` is the first reasoning-or-answer delta; ``first_text`` the first answer delta.
    ``server_*`` fields are what the provider itself reported (llama.cpp ``timings``, Ollama
    durations, the local backend's own decode clock); ``None`` when not reported.
    """

    started: float
    first_token: float | None = None
    first_text: float | None = None
    ended: float | None = None
    server_prompt_ms: float | None = None
    server_decode_ms: float | None = None
    server_decode_tokens: int | None = None


@dataclass(frozen=True, slots=True)
class ReasoningDelta:
    """A piece of the model's thinking (raw chain of thought or a provider's summary)."""

    text: str


@dataclass(frozen=True, slots=True)
class TextDelta:
    """A piece of the answer."""

    text: str


@dataclass(frozen=True, slots=True)
class ReasoningRollback:
    """Thinking already streamed was taken back: keep only its first ``keep_chars`` characters.

    Sent by a backend that enforces the budget exactly (the local one) when the budget is lowered
    below what was already spent: the excess thinking is removed from the model's context, so the
    UI truncates the thinking it shows to match. Later ``ReasoningDelta`` events append as usual.
    """

    keep_chars: int


@dataclass(frozen=True, slots=True)
class UsageUpdate:
    """Usage so far (running snapshot, not an increment)."""

    usage: Usage


@dataclass(frozen=True, slots=True)
class StatusNote:
    """Something the user should see that is not model output.

    ``kind`` is one of: ``retrying`` (with ``wait_s``), ``loading``, ``queued``, ``budget``
    (how a budget change was applied), ``warning``, ``skipped`` (a malformed event was skipped).
    """

    kind: str
    text: str
    wait_s: float | None = None


@dataclass(frozen=True, slots=True)
class Finished:
    """The last event of every stream, whatever happened.

    ``continuation`` is provider data a later request must send back (Anthropic thinking
    signatures, OpenAI encrypted reasoning items, Gemini thought signatures, OpenRouter
    reasoning_details). It is JSON-serialisable, opaque to everyone but the adapter that wrote
    it, and never contains secrets.
    """

    stop_reason: StopReason
    usage: Usage | None = None
    timings: Timings | None = None
    error: PonderError | None = None
    model: str | None = None
    continuation: dict[str, Any] | None = None
    provider_cost_usd: float | None = None
    skipped_events: int = 0
    budget_applied: str | None = None
    # Tokens a budget-forcing backend wrote to close the thinking (the local one); they are in
    # ``usage.output`` but not in ``usage.reasoning``, which counts what the model thought.
    forced_close_tokens: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


StreamEvent = ReasoningDelta | TextDelta | ReasoningRollback | UsageUpdate | StatusNote | Finished
