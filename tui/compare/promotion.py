"""Compare and the chat: the backends compare uses, and a column handed back to the chat.

``BackendPool`` builds the backends the compare columns need (in a thread, once per name, so
columns of one backend share its loaded model) and closes the ones it built; the chat's own
backend is only borrowed. ``handoff`` turns a column into the chat's ``Handoff``: its rounds as
the chat's own reply records (``tui.chat.handoff``), so the chat continues it without knowing
compare.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from contextlib import suppress

from backends.base import Backend
from backends.compare.runner import Column, ColumnOutcome
from tui.chat.conversation import ReplyRecord
from tui.chat.handoff import Handoff, Round
from tui.chat.reply import status_for
from tui.chat.services import BackendFactory
from tui.compare.column import RoundEntry


class BackendPool:
    """Backends by name: borrowed ones (the chat's) and ones built here (closed by ``aclose``)."""

    def __init__(self, factory: BackendFactory) -> None:
        self.factory = factory
        self.backends: dict[str, Backend] = {}
        self.borrowed: set[str] = set()

    def borrow(self, name: str, backend: Backend) -> None:
        """Use ``backend`` (owned by someone else) for ``name``; it is never closed here."""
        self.backends[name] = backend
        self.borrowed.add(name)

    async def get(self, name: str) -> Backend:
        """The backend for ``name``, built in a thread the first time.

        Raises the factory's ``PonderError`` (``ConfigError`` for a bad name or spec).
        """
        backend = self.backends.get(name)
        if backend is None:
            backend = await asyncio.to_thread(self.factory, name)
            self.backends[name] = backend
        return backend

    def name_of(self, backend: Backend) -> str:
        """The name ``backend`` was got by (its own name if it came from elsewhere)."""
        return next((n for n, b in self.backends.items() if b is backend), backend.name)

    async def aclose(self, keep: Backend | None = None) -> None:
        """Close every backend built here except ``keep`` (handed to the chat)."""
        for name, backend in self.backends.items():
            if name in self.borrowed or backend is keep:
                continue
            with suppress(Exception):  # closing is best effort: the screen is going away
                await backend.aclose()


def reply_record(name: str, backend: Backend, outcome: ColumnOutcome) -> ReplyRecord:
    """The chat's record of one compare reply (a partial reply keeps its text)."""
    return ReplyRecord(
        backend=name,
        model=backend.model,
        budget=outcome.budget,
        thinking=outcome.thinking,
        answer=outcome.text,
        status=status_for(outcome.finished),
        error=outcome.finished.error,
        continuation=outcome.finished.continuation,
        reasoning_tokens=outcome.reading.usage.reasoning,
    )


def handoff(name: str, column: Column, entries: Sequence[RoundEntry]) -> Handoff:
    """``column`` (known as ``name``) and the rounds it took part in, for the chat."""
    rounds = tuple(
        Round(
            entry.prompt, reply_record(name, column.backend, entry.outcome), entry.outcome.reading
        )
        for entry in entries
    )
    return Handoff(name, column.backend, column.budget.limit, rounds, column.conversation_id)
