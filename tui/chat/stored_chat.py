"""A stored chat shown again: its messages as widgets, and the chat record to continue it.

``load_chat`` reads a chat (blocking: run it in a thread); ``show_chat`` draws it in the message
list the way a live chat looks (thinking pane, answer, meter line) plus a note for replies that
did not complete (interrupted, cancelled, failed); ``jump_to`` scrolls to one message. The
request history of a resumed chat is the store's ``conversation`` (continuations included, a
compare round's chosen column), turned into the chat screen's ``Conversation``.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.content import Content
from textual.widget import Widget

from backends.budget_text import format_budget, parse_budget
from backends.request import Message
from backends.store.db import Store
from backends.store.history import StoredMessage, conversation, load_messages
from tui.chat.conversation import COMPLETE, Conversation, ReplyRecord
from tui.safe_text import printable
from tui.widgets.messages import AssistantMessage, MessageList, UserMessage
from tui.widgets.meters import model_label

STATUS_NOTES = {
    "partial": "partial: another ponder is still writing this reply (shown as it was when opened)",
    "interrupted": "interrupted: the reply stopped here (ponder quit or the connection dropped)",
    "cancelled": "cancelled — the partial reply is kept",
    "error": "failed",
}


@dataclass(frozen=True)
class StoredChat:
    """A chat read from the store: every message to show, and the record to continue it."""

    chat_id: int
    messages: list[StoredMessage]
    conversation: Conversation


def load_chat(store: Store, chat_id: int) -> StoredChat:
    """Read chat ``chat_id`` (blocking). Raises ``ChatNotFound`` or another ``HistoryError``."""
    messages = load_messages(store, chat_id)
    turns = conversation(store, chat_id)
    return StoredChat(chat_id, messages, resumed_conversation(chat_id, turns))


def resumed_conversation(chat_id: int, turns: list[Message]) -> Conversation:
    """The chat record whose next request sends ``turns`` (the stored conversation) first.

    Each user turn starts an exchange and the assistant turns after it are its replies, so the
    chat screen's rules apply unchanged (a prompt whose replies all failed is not sent again).
    The conversation id is ``chat-<id>``, the same in every session.
    """
    record = Conversation(id=f"chat-{chat_id}")
    for turn in turns:
        if turn.role == "system":
            record.system = turn.text
        elif turn.role == "user":
            record.add(turn.text)
        elif turn.role == "assistant":
            exchange = record.last_exchange or record.add("")
            exchange.replies.append(
                # Only replies with answer text are in ``turns``; that is all ``COMPLETE`` means
                # to the chat record (the stored status is drawn on the widget).
                ReplyRecord(
                    backend="",
                    model="",
                    budget="",
                    thinking=turn.thinking,
                    answer=turn.text,
                    status=COMPLETE,
                    continuation=turn.continuation,
                )
            )
    return record


def budget_text(described: str | None) -> str:
    """A stored budget (``auto``, ``off``, ``1024``) as the slider labels it (``1k``)."""
    if described is None:
        return "?"
    try:
        return format_budget(parse_budget(described))
    except ValueError:  # not written by Budget.describe: shown as it is
        return described


def header_for(message: StoredMessage) -> str:
    """``local · model.gguf · budget 1k`` plus the status when the reply did not complete."""
    model = model_label(message.model) if message.model else "…"
    header = f"{message.backend or '?'} · {model} · budget {budget_text(message.budget_requested)}"
    return header if message.status == COMPLETE else f"{header} · {message.status}"


def widget_for(message: StoredMessage, *, expand: bool) -> Widget:
    """The (not yet filled) widget for one stored message."""
    if message.role != "assistant":
        return UserMessage(message.text)
    view = AssistantMessage(printable(header_for(message)))
    view.keep_thinking_open = expand
    return view


async def fill(view: AssistantMessage, message: StoredMessage, *, expand: bool) -> None:
    """Draw a stored reply in its mounted widget: thinking, answer, notes, meters, status."""
    if message.thinking or message.reasoning_tokens:
        view.thinking.display = True
        if message.thinking:
            view.thinking.append(message.thinking)
            view.thinking.flush()
        else:
            view.thinking.show_hidden_notice()
        seconds = message.meters.thinking_s if message.meters else None
        mark = "~" if message.reasoning_estimated else ""
        view.thinking.set_progress(message.reasoning_tokens, seconds, done=True, mark=mark)
        view.thinking.collapsed = not expand
    if message.text:
        view.answer.display = True
        await view.answer.update(printable(message.text))
    if message.error:
        view.error.update(Content(printable(f"✗ {message.error}")))
        view.error.display = True
    view.show_note(STATUS_NOTES.get(message.status, ""))
    if message.meters is not None:
        view.meter.show(message.meters)
    view.remove_class("-streaming")
    view.add_class(f"-{message.status}")


async def show_chat(messages: MessageList, chat: StoredChat, *, expand: bool) -> dict[int, Widget]:
    """Replace the message list with ``chat``; return its widgets by message id."""
    await messages.clear()
    shown = [m for m in chat.messages if m.role in ("user", "assistant")]
    widgets = {m.id: widget_for(m, expand=expand) for m in shown}
    if widgets:
        await messages.add_exchange(*widgets.values())  # type: ignore[arg-type]
    for message in shown:
        view = widgets[message.id]
        if isinstance(view, AssistantMessage):
            await fill(view, message, expand=expand)
    return widgets


def jump_to(messages: MessageList, widget: Widget, *, open_thinking: bool) -> None:
    """Scroll the list so ``widget`` is at the top (the list stops following new text)."""
    if open_thinking and isinstance(widget, AssistantMessage):
        widget.thinking.collapsed = False
    messages.release_anchor()
    messages.scroll_to_widget(widget, top=True, animate=False, immediate=True)
