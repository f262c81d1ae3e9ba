"""Compare and the chat: the backends compare uses, and a column handed back to the chat.

The compare screen's backends are a ``backends.pool.BackendPool`` (the chat's own backend is
only borrowed from it). ``handoff`` turns a column into the chat's ``Handoff``: its rounds as
the chat's own reply records (``tui.chat.handoff``), so the chat continues it without knowing
compare.
"""

from __future__ import annotations

from collections.abc import Sequence

from backends.base import Backend
from backends.compare.column import Column
from backends.compare.runner import ColumnOutcome
from tui.chat.conversation import ReplyRecord
from tui.chat.handoff import Handoff, Round
from tui.chat.reply import status_for
from tui.compare.column import RoundEntry


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
