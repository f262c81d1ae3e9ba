"""The help screen: every key (with its id for remapping) and how to remap them."""

from __future__ import annotations

from collections.abc import Mapping

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.bindings import PROMPT_KEYS, key_table

REMAP = (
    'Remap any key in the config file, by id:  [keys]  budget_up = "ctrl+k"\n'
    "Meters: ~ marks a local estimate (until the provider reports usage), ? unknown, "
    "$? an unknown price."
)


class HelpScreen(ModalScreen[None]):
    """Keys of the chat in a table: key, what it does, binding id."""

    BINDINGS = [  # noqa: RUF012
        Binding("escape,f1,q", "close_help", "Close", id="help_close"),
    ]

    def __init__(self, keymap: Mapping[str, str]) -> None:
        super().__init__()
        self.keymap = dict(keymap)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Static("Keys", id="help-title")
            yield Static(Content(self._table()), id="help-table")
            yield Static(Content(REMAP), id="help-remap")

    def _table(self) -> str:
        rows = [(key, text, "") for key, text in PROMPT_KEYS]
        rows += list(key_table(self.app, self.keymap))
        width = max(len(key) for key, _, _ in rows) + 2
        lines = [f"{key:<{width}}{text:<52}{binding_id}" for key, text, binding_id in rows]
        return "\n".join(lines)

    def action_close_help(self) -> None:
        self.dismiss(None)
