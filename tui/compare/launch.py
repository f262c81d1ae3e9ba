"""Opening compare from the chat: two columns on the chat's backend, seeded with its history."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from backends.budget import Budget
from backends.compare.column import Column
from backends.pool import BackendPool
from tui.chat.conversation import Exchange
from tui.compare.promotion import promote_into_chat
from tui.compare.screen import CompareScreen

if TYPE_CHECKING:
    from tui.chat.screen import ChatScreen


def other_budget(steps: list[int | None], value: int | None) -> int | None:
    """The second default column's budget: off when the chat thinks, else the next step up."""
    if value != 0:
        return 0
    return next((step for step in steps if step != 0), None)


async def open_compare(chat: ChatScreen) -> None:
    """Open compare from ``chat``: two columns on the chat's backend (the chat's budget and
    ``other_budget``), each starting from the chat's history. Refused, with a note, while a
    reply streams or the backend is not ready.
    """
    if chat.generating:
        chat.notify("A reply is streaming: cancel it first, then compare.", markup=False)
        return
    slot = chat.slot
    if not slot.settled or slot.backend is None:
        reason = slot.error.message if slot.error else "the backend is still starting"
        chat.notify(f"Compare needs the chat's backend: {reason}.", markup=False)
        return
    pool = BackendPool(chat.services.backend_factory)
    pool.borrow(slot.name, slot.backend)
    # The chat's request history without a new prompt: every answered exchange.
    base = chat.conversation.messages_for(Exchange(""))[:-1]
    steps = chat.services.settings.step_limits()
    budgets = (chat.budget_value, other_budget(steps, chat.budget_value))
    columns = [Column(slot.backend, Budget(value), list(base)) for value in budgets]
    screen = CompareScreen(chat.services, columns, pool=pool, base=base)
    chat.app.push_screen(screen, partial(promote_into_chat, chat))
