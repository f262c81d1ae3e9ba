"""The history file cannot be used (damaged, locked, too new): say why and let the user choose.

Two ways on: start a fresh history (the old file is renamed aside, never overwritten or deleted)
or chat without history for this session. Returns ``"fresh"`` or ``"without"``.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from backends.store.errors import HistoryError, HistoryLocked
from tui.bindings import screen_bindings
from tui.safe_text import printable

FRESH, WITHOUT = "fresh", "without"


def choice_text(error: HistoryError) -> str:
    """What each choice does, naming the file concerned."""
    where = f" ({error.path})" if error.path is not None else ""
    lines = [
        f"Start fresh: the old file{where} is kept aside under a new name and a new, empty "
        "history is started.",
        "Continue without history: this session's chats are not saved; the file stays as it is.",
    ]
    if isinstance(error, HistoryLocked):
        lines.append("Or quit (ctrl+q), close the other program that holds the file, and retry.")
    return "\n".join(lines)


class HistoryErrorScreen(ModalScreen[str]):
    """The problem, its fix, and two buttons: start fresh or continue without history."""

    BINDINGS = screen_bindings("history_error")
    AUTO_FOCUS = f"#{WITHOUT}"  # the choice that changes nothing
    DEFAULT_CSS = """
    HistoryErrorScreen { align: center middle; }
    #history-error { width: 90; height: auto; border: round $error-fg; background: $status-bg;
                     padding: 0 1; }
    #history-error-title { text-style: bold; color: $error-fg; padding: 0 0 1 0; }
    #history-error-message { color: $status-fg; padding: 0 0 1 0; }
    #history-error-hint, #history-error-choices { color: $meter-fg; padding: 0 0 1 0; }
    #history-error-buttons { height: auto; }
    #history-error-buttons Button { margin: 0 2 0 0; }
    """

    def __init__(self, error: HistoryError) -> None:
        super().__init__()
        self.error = error

    def compose(self) -> ComposeResult:
        error = self.error
        with Vertical(id="history-error"):
            yield Static("The chat history cannot be opened", id="history-error-title")
            yield Static(Content(printable(error.message)), id="history-error-message")
            if error.hint:
                yield Static(Content(printable(f"fix: {error.hint}")), id="history-error-hint")
            yield Static(Content(printable(choice_text(error))), id="history-error-choices")
            with Horizontal(id="history-error-buttons"):
                yield Button("Start fresh (f)", id=FRESH, variant="warning")
                yield Button("Continue without history (c)", id=WITHOUT)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id)

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)
