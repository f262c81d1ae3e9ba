"""What the chat hands to other screens and takes back, without knowing those screens.

The chat asks for compare by posting ``CompareRequested`` and for its stored chats by posting
``ChatListRequested``; the app, above every screen, opens them. Compare answers through
``reply_to`` with a ``Handoff`` (a column the chat continues, its rounds already the chat's own
records), the chat list with a ``ChatChoice``. So the chat imports neither compare nor the
history screens, and they use only what is defined here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.content import Content
from textual.message import Message

from tui.chat.conversation import Conversation, ReplyRecord
from tui.safe_text import printable
from tui.widgets.messages import AssistantMessage, MessageList, UserMessage
from tui.widgets.meters import model_label

if TYPE_CHECKING:
    from backends.base import Backend
    from backends.meters import MeterReading
    from backends.request import Message as Turn
    from tui.chat.history import ChatHistory
    from tui.chat.services import ChatServices

CANCELLED_NOTE = "stopped — the partial reply is kept"


@dataclass(frozen=True)
class ChatChoice:
    """A stored chat picked in the chat list (or a search hit in it)."""

    chat_id: int
    message_id: int | None = None  # a search hit: scroll to this message
    in_thinking: bool = False  # the hit is in that message's thinking


@dataclass(frozen=True)
class Round:
    """One compare round a column took part in: the prompt, the chat's record of the reply
    (a partial reply keeps its text) and the reply's meter reading."""

    prompt: str
    record: ReplyRecord
    reading: MeterReading


@dataclass(frozen=True)
class Handoff:
    """A column handed to the chat: its backend (and the name it goes by), its budget, its
    rounds, and its conversation id (a local model's KV cache follows it)."""

    name: str
    backend: Backend
    budget: int | None
    rounds: tuple[Round, ...]
    conversation_id: str


@dataclass
class CompareRequested(Message):
    """The chat asks for compare: two columns on its backend, seeded with its history."""

    services: ChatServices
    name: str
    backend: Backend
    history: list[Turn]
    budget: int | None
    reply_to: Callable[[Handoff | None], Awaitable[None]]


@dataclass
class ChatListRequested(Message):
    """The chat asks for its stored chats (``search``: the search field first); the choice,
    or ``None``, goes to ``reply_to``."""

    history: ChatHistory
    search: bool
    reply_to: Callable[[ChatChoice | None], Awaitable[None]]


def append_rounds(conversation: Conversation, handoff: Handoff) -> None:
    """Add the handed rounds to ``conversation`` as exchanges (the chat then sends, per
    exchange, the last reply with answer text: what the column's history held)."""
    for item in handoff.rounds:
        conversation.add(item.prompt).replies.append(item.record)
    conversation.id = handoff.conversation_id


async def show_rounds(messages: MessageList, handoff: Handoff, *, expand: bool) -> None:
    """Draw the handed rounds at the end of the chat's message list, meters included."""
    for item in handoff.rounds:
        record = item.record
        model = model_label(record.model)
        view = AssistantMessage(f"{record.backend} · {model} · budget {record.budget} · compare")
        view.keep_thinking_open = expand
        await messages.add_exchange(UserMessage(item.prompt), view)
        await fill_reply(view, record, item.reading)


async def fill_reply(view: AssistantMessage, record: ReplyRecord, reading: MeterReading) -> None:
    """Draw one finished reply in its mounted widget."""
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
