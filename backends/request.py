"""One request to a backend: the conversation's turns and the knobs sent with them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from backends.budget import Budget

Role = Literal["system", "user", "assistant"]


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


@dataclass(frozen=True, slots=True)
class RequestOptions:
    """The knobs sent with a request besides the budget: one value, passed along whole.

    ``max_tokens`` caps all output (thinking included); ``temperature`` and ``seed`` steer
    sampling. ``None`` = the backend's default (its options, else the provider's).
    """

    max_tokens: int | None = None
    temperature: float | None = None
    seed: int | None = None


@dataclass(slots=True)
class ChatRequest:
    """One request to a backend.

    ``budget`` is live: the UI may change it while the reply streams. ``conversation_id`` lets a
    local backend keep a KV-cache snapshot per conversation; with ``own_history_only`` a
    conversation the backend has no snapshot of starts from an empty KV cache instead of
    reusing whatever prefix another conversation left (the eval isolates strategies this way).
    ``options`` are the output cap and sampling knobs (``RequestOptions``); the adapters read
    them through ``max_tokens``, ``temperature`` and ``seed``.
    """

    messages: Sequence[Message]
    budget: Budget = field(default_factory=Budget)
    options: RequestOptions = field(default_factory=RequestOptions)
    conversation_id: str | None = None
    own_history_only: bool = False

    @property
    def max_tokens(self) -> int | None:
        return self.options.max_tokens

    @property
    def temperature(self) -> float | None:
        return self.options.temperature

    @property
    def seed(self) -> int | None:
        return self.options.seed
