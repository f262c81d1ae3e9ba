"""Edit a sent message and resend it; the old branch is kept in the history.

``edit_last`` (ctrl+e) puts the last prompt back in the prompt box (pressed again: the one
before it, and so on); Enter resends the edited text, escape leaves the chat as it was and gives
back what was being typed. Resending from exchange *k* forks the chat: exchanges before *k* stay,
*k* and everything after it leave the screen, and the chat is stored from then on as a new chat
(the earlier exchanges copied into it). The stored chat as it was, old replies included, stays
in the history untouched, so it can be reopened from the chat list. This is how ChatGPT-style
branching looks with a store that keeps each chat as a plain list of messages.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.widget import Widget

from tui.chat.conversation import Conversation, Exchange
from tui.widgets.messages import MessageList, UserMessage


@dataclass
class EditState:
    """The exchange being edited and the draft the prompt held before editing began."""

    exchange: Exchange
    draft: str


def previous_exchange(conversation: Conversation, current: Exchange | None) -> Exchange | None:
    """The exchange to edit next: the last one, or the one before ``current``."""
    exchanges = conversation.exchanges
    if not exchanges:
        return None
    if current is None or current not in exchanges:
        return exchanges[-1]
    index = exchanges.index(current)
    return exchanges[index - 1] if index > 0 else current


def edit_title(conversation: Conversation, exchange: Exchange) -> str:
    """``editing message 2 of 3``: which sent message the prompt box holds now."""
    index = conversation.exchanges.index(exchange) + 1
    return f"editing message {index} of {len(conversation.exchanges)}"


def fork(conversation: Conversation, exchange: Exchange) -> Conversation:
    """The conversation up to (not including) ``exchange``: the branch the edit continues.

    Same system prompt and conversation id (a local model's KV cache keeps the common prefix).
    """
    index = conversation.exchanges.index(exchange)
    return Conversation(
        system=conversation.system,
        exchanges=list(conversation.exchanges[:index]),
        id=conversation.id,
    )


def widgets_from(messages: MessageList, index: int) -> list[Widget]:
    """The message widgets of exchange ``index`` and every later one.

    Each exchange starts with its prompt's ``UserMessage`` (retries add replies after it), so
    the ``index``-th prompt widget and its later siblings are the exchanges to take away.
    """
    prompts = list(messages.query_children(UserMessage))
    if index >= len(prompts):
        return []
    children = list(messages.children)
    start = children.index(prompts[index])
    return children[start:]
