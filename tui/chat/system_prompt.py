"""The per-chat system prompt: a modal to edit it, and the one-line form the chat shows.

The chat starts with ``system_prompt`` from the config; this screen changes it for the open chat
only (the config stays as it is). The text is sent as the first message of every request of the
chat, stored with the chat (a changed one is stored before the next prompt) and resumed with it.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static, TextArea

from tui.bindings import screen_bindings
from tui.safe_text import printable

HELP = "ctrl+s saves it for this chat · escape keeps it as it was · an empty text sends none"


def system_line(system: str | None, width: int = 200) -> str:
    """``system: Answer briefly.`` on one line (cut with an ellipsis); ``""`` when none."""
    if not system:
        return ""
    flat = printable(" ".join(system.split()))
    text = f"system: {flat}"
    return text if len(text) <= width else text[: width - 1] + "…"


class SystemPromptScreen(ModalScreen[str | None]):
    """Edit the open chat's system prompt; dismissed with the new text or ``None`` (kept)."""

    BINDINGS = screen_bindings("system_prompt")

    def __init__(self, current: str | None) -> None:
        super().__init__()
        self.current = current or ""

    def compose(self) -> ComposeResult:
        with Vertical(id="system-editor"):
            yield Static("System prompt for this chat", id="system-title")
            yield TextArea(self.current, id="system-text", soft_wrap=True, show_line_numbers=False)
            yield Static(Content(HELP), id="system-help")

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        area.focus()
        area.move_cursor(area.document.end)

    def action_save(self) -> None:
        self.dismiss(self.query_one(TextArea).text.strip())

    def action_keep(self) -> None:
        self.dismiss(None)
