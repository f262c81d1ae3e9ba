"""Compare and the chat: the backends compare uses, and a column promoted back to the chat.

The compare screen's backends are a ``backends.pool.BackendPool`` (the chat's own backend is
only borrowed from it). ``promote_into_chat`` makes the chat continue one column: the column's
rounds are appended to the chat's conversation and drawn in its message list, and the chat takes
the column's backend and budget.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.content import Content

from backends.base import Backend
from backends.compare.runner import ColumnOutcome
from tui.chat.conversation import Conversation, ReplyRecord
from tui.chat.reply import status_for
from tui.chat.services import BackendSlot
from tui.compare.column import CANCELLED_NOTE, RoundEntry
from tui.safe_text import printable
from tui.widgets.budget import BudgetSlider
from tui.widgets.messages import AssistantMessage, MessageList, UserMessage
from tui.widgets.meters import model_label

if TYPE_CHECKING:
    from tui.chat.screen import ChatScreen


@dataclass(frozen=True)
class Promotion:
    """A column handed back to the chat: its backend (and the name it goes by), its budget,
    the rounds it took part in, and its conversation id (a local model's KV cache follows it).
    """

    name: str
    backend: Backend
    budget: int | None
    entries: tuple[RoundEntry, ...]
    conversation_id: str


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


def append_rounds(conversation: Conversation, promotion: Promotion) -> list[ReplyRecord]:
    """Add the promoted rounds to ``conversation`` as exchanges; return their replies.

    The chat sends, per exchange, the last reply with answer text: exactly what the runner put
    in the column's history, so the chat's next request continues the column's conversation.
    """
    records = []
    for entry in promotion.entries:
        record = reply_record(promotion.name, promotion.backend, entry.outcome)
        conversation.add(entry.prompt).replies.append(record)
        records.append(record)
    conversation.id = promotion.conversation_id
    return records


async def show_rounds(
    messages: MessageList, promotion: Promotion, records: list[ReplyRecord], *, expand: bool
) -> None:
    """Draw the promoted rounds at the end of the chat's message list, meters included."""
    for entry, record in zip(promotion.entries, records, strict=True):
        model = model_label(record.model)
        view = AssistantMessage(f"{record.backend} · {model} · budget {record.budget} · compare")
        view.keep_thinking_open = expand
        await messages.add_exchange(UserMessage(entry.prompt), view)
        await fill_reply(view, record, entry.outcome)


async def fill_reply(view: AssistantMessage, record: ReplyRecord, outcome: ColumnOutcome) -> None:
    """Draw one finished compare reply in its mounted widget."""
    reading = outcome.reading
    if record.thinking:
        view.thinking.display = True
        view.thinking.append(record.thinking)
        view.thinking.flush()
        view.thinking.collapsed = not view.keep_thinking_open
    if record.answer:
        view.answer.display = True
        await view.answer.update(printable(record.answer))
    if record.error is not None:
        view.error.update(Content(printable(f"✗ {record.error.message}")))
        view.error.display = True
    if record.status == "cancelled":
        view.show_note(CANCELLED_NOTE)
    await view.finish(record.status, reading, hidden_text=False)


async def promote_into_chat(chat: ChatScreen, promotion: Promotion | None) -> None:
    """Make the chat continue ``promotion``'s column (nothing when compare closed without one).

    The chat starts a new stored chat: its conversation now differs from the one saved before,
    and the next reply stores all of it.
    """
    if promotion is None:
        return
    records = append_rounds(chat.conversation, promotion)
    chat.history.new_chat()
    messages = chat.query_one(MessageList)
    await show_rounds(messages, promotion, records, expand=chat.expand_thinking)
    await adopt_backend(chat, promotion)
    chat._set_budget(promotion.budget)
    chat.notify(f"The chat continues with {promotion.name} (from compare).", markup=False)


async def adopt_backend(chat: ChatScreen, promotion: Promotion) -> None:
    """Give the chat the promoted column's backend object (its loaded model included)."""
    old = chat.slot
    if old.backend is promotion.backend:
        return
    slot = BackendSlot(promotion.name)
    backend = promotion.backend
    await slot.build(lambda name: backend)
    if old.backend is not None:
        chat._retired.append(old.backend)
    chat.slot = slot
    chat._show_backend_state()
    chat.query_one(BudgetSlider).set_precision(backend.capabilities)
    await chat._close_retired()
