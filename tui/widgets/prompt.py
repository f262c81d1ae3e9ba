"""The multi-line prompt: Enter sends, shift+enter / ctrl+j / alt+enter insert a newline."""

from __future__ import annotations

from dataclasses import dataclass

from textual import events
from textual.message import Message
from textual.widgets import TextArea

from tui.alt_enter import install as install_alt_enter
from tui.safe_text import printable
from tui.widgets import paste_guard
from tui.widgets.keys_first import KeysFirst

paste_guard.install()  # before the app starts: the driver builds its parser when it starts
install_alt_enter()  # alt+enter arrives as ESC CR; without this Textual reports a plain Enter

NEWLINE_KEYS = frozenset({"shift+enter", "ctrl+j", "alt+enter"})
PLACEHOLDER = "Ask something — Enter sends · ctrl+j or alt+enter: new line · F1: keys"


class PromptInput(TextArea):
    """A TextArea whose Enter posts ``Submitted`` instead of inserting a newline.

    The prompt is cleared at once, before ``Submitted`` is posted, so a key typed right after
    Enter lands in the empty prompt and is never wiped by a late clear. A screen that refuses
    the message (a reply is streaming) puts the text back with ``give_back``.
    """

    @dataclass
    class Submitted(Message):
        """The user pressed Enter on a prompt that is not blank."""

        prompt_input: PromptInput
        text: str

        @property
        def control(self) -> PromptInput:
            return self.prompt_input

    def __init__(self, *, id: str | None = None, keys_first: KeysFirst | None = None) -> None:
        self.keys_first = keys_first  # told of every key, so a streaming answer lets it show
        super().__init__(
            id=id,
            soft_wrap=True,
            show_line_numbers=False,
            tab_behavior="focus",
            compact=True,
            highlight_cursor_line=False,
            placeholder=PLACEHOLDER,
        )

    @dataclass
    class EditLast(Message):
        """Up was pressed in the empty prompt: the screen may offer the last message to edit."""

        prompt_input: PromptInput

        @property
        def control(self) -> PromptInput:
            return self.prompt_input

    def give_back(self, text: str) -> None:
        """Put a refused message back in front of anything typed since it was sent."""
        self.text = text + self.text
        self.move_cursor(self.document.end)

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            text = self.text
            if text.strip():
                if self.keys_first is not None:
                    self.keys_first.sent()  # the typing is over: the reply must not wait
                self.clear()
                self.post_message(self.Submitted(self, text))
            return
        if event.key == "up" and not self.text:
            event.stop()
            event.prevent_default()
            self.post_message(self.EditLast(self))
            return
        if self.keys_first is not None:
            self.keys_first.typed(self)
        if event.key in NEWLINE_KEYS:
            event.stop()
            event.prevent_default()
            start, end = self.selection
            self.replace("\n", start, end, maintain_selection_offset=False)
            return
        await super()._on_key(event)

    async def _on_paste(self, event: events.Paste) -> None:
        """Insert pasted text with control characters visible (ESC as ␛), line breaks kept."""
        event.prevent_default()  # TextArea's own handler would insert the raw text
        if self.read_only:
            return
        text = printable(event.text.replace("\r\n", "\n").replace("\r", "\n"))
        if result := self._replace_via_keyboard(text, *self.selection):
            self.move_cursor(result.end_location)
            self.focus()
