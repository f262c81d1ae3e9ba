"""The help screen: every key (with its id for remapping) and how to remap them.

The keys come from the binding tables (``tui.bindings``) and the
keymap in use, so what F1 shows is what is bound. Long descriptions wrap inside their column.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.bindings import PROMPT_KEYS, compare_key_table, key_table, screen_bindings

REMAP = (
    'Remap any key in the config file, by id:  [keys]  budget_up = "ctrl+k"\n'
    "Meters: ~ marks a local estimate (until the provider reports usage), ? unknown, "
    "$? an unknown price."
)
KEY_WIDTH = 22
TEXT_WIDTH = 50
ID_WIDTH = 19  # the longest binding id ("scroll_bottom_empty")


def table_lines(rows: Iterable[tuple[str, str, str]], width: int = TEXT_WIDTH) -> list[str]:
    """``key  description  id`` rows; a long description wraps under itself (at ``width``),
    never into the id column, and a long key list gets a line of its own."""
    lines = []
    for key, text, binding_id in rows:
        wrapped = textwrap.wrap(text, width) or [""]
        if len(key) >= KEY_WIDTH:
            lines.append(key)
            key = ""
        lines.append(f"{key:<{KEY_WIDTH}}{wrapped[0]:<{width}}  {binding_id}".rstrip())
        lines += [f"{'':<{KEY_WIDTH}}{more}" for more in wrapped[1:]]
    return lines


def text_width(screen_width: int) -> int:
    """The description column's width for a terminal ``screen_width`` wide (80: 32)."""
    room = min(screen_width, 100) - 4 - KEY_WIDTH - 2 - ID_WIDTH  # border + padding, gaps, ids
    return max(24, min(TEXT_WIDTH, room))


class HelpScreen(ModalScreen[None]):
    """Keys of the chat in a table: key, what it does, binding id; then compare's keys."""

    BINDINGS = screen_bindings("help")

    def __init__(self, keymap: Mapping[str, str]) -> None:
        super().__init__()
        self.keymap = dict(keymap)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Static("Keys", id="help-title")
            yield Static(Content(self._table()), id="help-table")
            yield Static("Compare", classes="help-section")
            yield Static(Content(self._compare_table()), id="help-compare")
            yield Static(Content(REMAP), id="help-remap")

    def _table(self) -> str:
        rows = [(key, text, "") for key, text in PROMPT_KEYS]
        rows += list(key_table(self.app, self.keymap))
        return "\n".join(table_lines(rows, text_width(self.app.size.width)))

    def _compare_table(self) -> str:
        rows = compare_key_table(self.app, self.keymap)
        return "\n".join(table_lines(rows, text_width(self.app.size.width)))

    def action_close_help(self) -> None:
        self.dismiss(None)
