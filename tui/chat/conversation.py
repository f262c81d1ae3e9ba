"""The chat's record: exchanges (a prompt and its replies), independent of any widget.

A retry adds another reply to the same exchange; the history sent to a backend uses, per
exchange, the last reply that has answer text (a failed reply with nothing to show is left out,
together with its prompt, so user/assistant turns still alternate).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from backends.errors import PonderError
from backends.request import Message

STREAMING, COMPLETE, PARTIAL, CANCELLED, ERROR = (
    "streaming",
    "complete",
    "partial",
    "cancelled",
    "error",
)


@dataclass
class ReplyRecord:
    """One assistant reply: which backend answered, what it said, how it ended."""

    backend: str
    model: str
    budget: str
    thinking: str = ""
    answer: str = ""
    status: str = STREAMING
    error: PonderError | None = None
    continuation: dict[str, Any] | None = None
    reasoning_tokens: int | None = None


@dataclass
class Exchange:
    """A user prompt and the replies it got (more than one after a retry)."""

    prompt: str
    replies: list[ReplyRecord] = field(default_factory=list)

    @property
    def last(self) -> ReplyRecord | None:
        return self.replies[-1] if self.replies else None

    def answered(self) -> ReplyRecord | None:
        """The last reply with answer text, which is what the next request sends back."""
        return next((reply for reply in reversed(self.replies) if reply.answer), None)


@dataclass
class Conversation:
    """The exchanges of one chat plus the id backends use to keep a KV-cache per chat."""

    system: str | None = None
    exchanges: list[Exchange] = field(default_factory=list)
    id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def add(self, prompt: str) -> Exchange:
        exchange = Exchange(prompt)
        self.exchanges.append(exchange)
        return exchange

    @property
    def last_exchange(self) -> Exchange | None:
        return self.exchanges[-1] if self.exchanges else None

    def messages_for(self, exchange: Exchange) -> list[Message]:
        """The messages to send for ``exchange``: earlier answered exchanges, then its prompt."""
        messages: list[Message] = []
        if self.system:
            messages.append(Message("system", self.system))
        for earlier in self.exchanges:
            if earlier is exchange:
                break
            reply = earlier.answered()
            if reply is None:
                continue
            messages.append(Message("user", earlier.prompt))
            messages.append(Message("assistant", reply.answer, reply.thinking, reply.continuation))
        messages.append(Message("user", exchange.prompt))
        return messages

    def last_answer(self) -> str | None:
        """The most recent answer text, or ``None`` when nothing has been answered yet."""
        for exchange in reversed(self.exchanges):
            reply = exchange.answered()
            if reply is not None:
                return reply.answer
        return None


def last_code_block(markdown: str) -> str | None:
    """The content of the last fenced or indented code block in ``markdown``, or ``None``."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").parse(markdown)
    blocks = [token.content for token in tokens if token.type in ("fence", "code_block")]
    return blocks[-1] if blocks else None
