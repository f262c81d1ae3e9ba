"""The chat screen's smaller actions: edit and resend, the system prompt, scrolling, copying,
the compact layout of small terminals, budget defaults by model, help and links.

``ChatActions`` sits between ``BudgetKeysScreen`` and ``ChatScreen`` only to keep each module
small; it relies on the chat screen's state (``conversation``, ``history``, ``services``) and on
``_reply_to`` / ``generating``, which ``ChatScreen`` defines.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING

from textual import events, on
from textual.content import Content
from textual.notifications import SeverityLevel
from textual.widgets import Static

from backends.answer_room import BudgetFit
from tui.bindings import key_for
from tui.chat.budget_keys import BudgetKeysScreen
from tui.chat.budget_room import start_budget
from tui.chat.conversation import Conversation, Exchange, last_code_block
from tui.chat.edit_resend import (
    EditState,
    edit_title,
    fork,
    previous_exchange,
    widgets_from,
)
from tui.chat.history import ChatHistory
from tui.chat.services import ChatServices
from tui.chat.system_prompt import SystemPromptScreen, system_line
from tui.safe_text import printable
from tui.widgets.budget import BudgetSlider
from tui.widgets.line import NARROW
from tui.widgets.messages import MessageList, UserMessage
from tui.widgets.prompt import PromptInput

if TYPE_CHECKING:
    from textual.widgets import Markdown

    from backends.base import Backend
    from tui.chat.reply import ReplyJob


class ChatActions(BudgetKeysScreen[None]):
    """Edit/resend, system prompt, scroll and copy actions of the chat screen."""

    services: ChatServices
    history: ChatHistory
    conversation: Conversation
    editing: EditState | None
    job: ReplyJob | None
    steps: Sequence[int | None]
    budget_value: int | None
    _budget_touched: bool

    @property
    def generating(self) -> bool:
        raise NotImplementedError

    async def _reply_to(self, exchange: Exchange, *before: UserMessage) -> None:
        raise NotImplementedError

    def _fit(self, value: int | None) -> BudgetFit:
        raise NotImplementedError

    def _set_budget(self, value: int | None, *, by_user: bool = True) -> None:
        raise NotImplementedError

    def _key(self, binding_id: str) -> str:
        return key_for(self.app, binding_id, self.services.keymap)

    # ---- edit and resend ----------------------------------------------------------------------

    @on(PromptInput.EditLast)
    def _up_in_empty_prompt(self, event: PromptInput.EditLast) -> None:
        if self.conversation.exchanges and not self.generating:
            self.action_edit_last()

    def action_edit_last(self) -> None:
        if self.generating:
            self.notify(f"A reply is streaming: {self._key('cancel')} cancels it.", markup=False)
            return
        current = self.editing.exchange if self.editing else None
        target = previous_exchange(self.conversation, current)
        if target is None:
            self.notify("No sent message to edit yet.", markup=False)
            return
        prompt = self.query_one(PromptInput)
        if self.editing is None:
            self.editing = EditState(target, prompt.text)
        self.editing.exchange = target
        prompt.text = target.prompt
        prompt.move_cursor(prompt.document.end)
        prompt.border_title = (
            f"{edit_title(self.conversation, target)} · Enter resends (the old branch is kept) · "
            f"{self._key('cancel')} keeps the chat as it is"
        )
        prompt.focus()

    def _stop_editing(self, *, restore: bool) -> None:
        prompt = self.query_one(PromptInput)
        prompt.border_title = None
        if restore and self.editing is not None:
            prompt.text = self.editing.draft
            prompt.move_cursor(prompt.document.end)
        self.editing = None

    async def _resend(self, exchange: Exchange, text: str) -> None:
        """Fork the chat before ``exchange`` and send ``text`` in its place."""
        self._stop_editing(restore=False)
        if exchange not in self.conversation.exchanges:
            return
        index = self.conversation.exchanges.index(exchange)
        old_chat = self.history.chat_id
        for widget in widgets_from(self.query_one(MessageList), index):
            await widget.remove()
        self.conversation = fork(self.conversation, exchange)
        self.history.new_chat()  # the next reply stores the new branch as a chat of its own
        self.history.fork_of = old_chat
        self.job = None
        if old_chat is not None:
            self.notify(
                f"Resent. The earlier version stays in the history as chat {old_chat} "
                f"({self._key('chat_list')}).",
                markup=False,
            )
        new = self.conversation.add(text)
        await self._reply_to(new, UserMessage(text))

    # ---- scrolling while the prompt has focus -------------------------------------------------

    def action_scroll_chat(self, where: str) -> None:
        messages = self.query_one(MessageList)
        # Scrolling up stops following new text; back at the bottom it follows again.
        if where == "page_up":
            messages.release_anchor()
            messages.scroll_page_up(animate=False)
        elif where == "page_down":
            messages.scroll_page_down(animate=False)
        elif where == "home":
            messages.release_anchor()
            messages.scroll_home(animate=False)
        else:
            messages.anchor()

    def action_scroll_if_empty(self, where: str) -> None:
        prompt = self.query_one(PromptInput)
        if prompt.has_focus and prompt.text:
            if where == "home":
                prompt.action_cursor_line_start()
            else:
                prompt.action_cursor_line_end()
            return
        self.action_scroll_chat(where)

    # ---- system prompt ------------------------------------------------------------------------

    _system_shown: str | None = None  # the system line's text as last shown

    def _show_system(self) -> None:
        line = self.query_one("#system-line", Static)
        text = system_line(self.conversation.system, max(self.size.width - 2, 20))
        if text:
            text += f"  ({self._key('system_prompt')} changes it)"
        if text == self._system_shown:  # a resize that changes nothing: no relayout
            return
        self._system_shown = text
        line.update(Content(text))
        line.display = bool(text)

    def action_system_prompt(self) -> None:
        self.app.push_screen(SystemPromptScreen(self.conversation.system), self._system_chosen)

    def _system_chosen(self, text: str | None) -> None:
        if text is None:
            return
        self.conversation.system = text or None
        self._show_system()
        said = "set" if text else "cleared"
        self.notify(
            f"System prompt {said} for this chat (sent with the next message).", markup=False
        )

    async def action_copy_answer(self) -> None:
        text = self.conversation.last_answer()
        if text is None:
            self.notify("No answer to copy yet.", markup=False)
            return
        await self._copy(text, f"The last answer ({len(text)} characters)")

    async def action_copy_code(self) -> None:
        text = self.conversation.last_answer()
        code = last_code_block(text) if text else None
        if code is None:
            self.notify("The last answer has no code block.", markup=False)
            return
        lines = code.count("\n") + (0 if code.endswith("\n") else 1)
        await self._copy(code, f"The last code block ({lines} lines)")

    async def _copy(self, text: str, what: str) -> None:
        """Copy by OSC 52 and a system tool where there is one; say which worked."""
        self.app.copy_to_clipboard(text)
        from tui.clipboard import copy_with_tool  # only on a copy

        copied = await asyncio.to_thread(copy_with_tool, text)
        severity: SeverityLevel = "information" if copied.ok or not copied.tool else "warning"
        self.notify(f"{what}: {copied.how}.", severity=severity, markup=False)

    # ---- layout for the terminal size, keys shown --------------------------------------------

    def on_resize(self, event: events.Resize) -> None:
        # Small terminals (80x24): the slider and key bar compact themselves (NARROW).
        narrow = event.size.width < NARROW
        self.set_class(narrow, "-narrow")
        self._show_system()

    def _show_keys(self) -> None:
        """The welcome line and the prompt's placeholder name the keys bound now."""
        k = self._key
        self.query_one(MessageList).set_welcome(
            f"Ask anything.  Enter sends · ctrl+j new line · {k('budget_up')}/{k('budget_down')} "
            f"thinking budget · {k('system_prompt')} system prompt · {k('help')} keys · "
            "ctrl+p commands"
        )
        self.query_one(
            PromptInput
        ).placeholder = (
            f"Ask something — Enter sends · ctrl+j or alt+enter: new line · {k('help')}: keys"
        )

    # ---- budget defaults ---------------------------------------------------------------------

    def action_budget_max(self) -> None:
        """The largest budget that still leaves room for an answer (a step, or less)."""
        largest_step = self.query_one(BudgetSlider).largest()
        room = self._fit(None).largest
        if room is not None and (largest_step is None or room < largest_step):
            self._set_budget(room)
        else:
            self._set_budget(largest_step)

    def _start_budget(self, backend: Backend) -> None:
        """Apply the capability default (prompted: off with a hint; native: thinking on)."""
        if self._budget_touched:
            return
        value, hint = start_budget(self.services.settings, backend, self.steps, self.budget_value)
        if value != self.budget_value:
            self._set_budget(value, by_user=False)
        if hint:
            self.query_one(BudgetSlider).set_note(f"prompted · {self._key('budget_up')} turns on")
            self.notify(f"{hint}; {self._key('budget_up')} turns it on.", markup=False)

    # ---- help, links -------------------------------------------------------------------------

    def action_help(self) -> None:
        from tui.chat.help import HelpScreen

        self.app.push_screen(HelpScreen(self.services.keymap))

    def on_markdown_link_clicked(self, event: Markdown.LinkClicked) -> None:
        # Links in model output are data: copy, never open or run them.
        event.stop()
        self.app.copy_to_clipboard(event.href)
        self.notify(f"Link copied (not opened): {printable(event.href)}", markup=False)
