"""The chat's key bar: the screen's shown bindings on one line, drawn as one widget.

Textual's ``Footer`` builds a widget per key and rebuilds them all on every bindings signal;
start-up sends several in a row, and the chat's keys cost ~13 ms of the first frame that way
(bench/startup.py). This bar reads the bindings when it renders, so a bindings signal is one
repaint. It keeps what the footer does for a user: each shown key with its description, keys
that cannot run now dimmed, the command palette's key on the right, a click runs a key (a
disabled one rings the bell), the key under the pointer is highlighted and its tooltip shown.
``compact`` (under ``NARROW`` columns) drops the padding and the palette key.
Key names and descriptions come from ponder's binding table and the user's ``[keys]`` config,
so they are drawn as plain text, never parsed as markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import events
from textual.content import Content
from textual.screen import Screen
from textual.style import Style
from textual.widget import Widget

from tui.widgets.line import NARROW


@dataclass(frozen=True)
class ShownKey:
    """One key on the bar."""

    key: str  # what a click presses (Textual's key name)
    display: str  # how it is shown ("^b")
    description: str
    enabled: bool
    tooltip: str


class KeyBar(Widget, can_focus=False):
    """The screen's shown bindings, left to right, and the palette's key at the right end."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "key-bar--key",
        "key-bar--description",
        "key-bar--disabled",
        "key-bar--hover",
        "key-bar--separator",
    }
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        width: 1fr;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
    }
    KeyBar > .key-bar--key {
        color: $footer-key-foreground;
        background: $footer-key-background;
        text-style: bold;
    }
    KeyBar > .key-bar--description {
        color: $footer-description-foreground;
        background: $footer-description-background;
    }
    KeyBar > .key-bar--disabled {
        text-style: dim;
    }
    KeyBar > .key-bar--hover {
        background: $block-hover-background;
    }
    KeyBar > .key-bar--separator {
        color: $foreground 20%;
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self._hover: ShownKey | None = None
        self._placed: list[tuple[int, int, ShownKey]] = []  # as last drawn: start, end, key

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        if screen is self.screen:
            self.refresh()

    @property
    def compact(self) -> bool:
        """Small terminals: no padding and no palette key (ctrl+p is on the welcome line)."""
        return self.outer_size.width < NARROW  # the whole widget, padding included

    def keys(self) -> tuple[list[ShownKey], ShownKey | None]:
        """The keys shown now (bindings with ``show``), and the palette's key (or ``None``)."""
        palette_key = self.app.COMMAND_PALETTE_BINDING
        shown: list[ShownKey] = []
        palette: ShownKey | None = None
        seen: set[str] = set()
        for key, (_, binding, enabled, tooltip) in self.screen.active_bindings.items():
            if key == palette_key and self.app.ENABLE_COMMAND_PALETTE:
                palette = ShownKey(
                    key,
                    self.app.get_key_display(binding),
                    binding.description,
                    enabled,
                    binding.tooltip or binding.description,
                )
            elif binding.show and binding.action not in seen:  # one key per action, as Footer
                seen.add(binding.action)
                shown.append(
                    ShownKey(
                        binding.key,
                        self.app.get_key_display(binding),
                        binding.description,
                        enabled,
                        tooltip,
                    )
                )
        return shown, (None if self.compact else palette)

    def render(self) -> Content:
        shown, palette = self.keys()
        parts: list[tuple[str, Style]] = []
        placed: list[tuple[int, int, ShownKey]] = []
        x = 0
        for item in shown:
            pieces = self._pieces(item)
            width = sum(len(text) for text, _ in pieces)
            placed.append((x, x + width, item))
            parts += pieces
            if self.compact:
                parts.append((" ", Style()))
                width += 1
            x += width
        if palette is not None:
            pieces = [("▏", self.get_visual_style("key-bar--separator", partial=True))]
            pieces += self._pieces(palette)
            width = sum(len(text) for text, _ in pieces)
            start = max(x, self.size.width - width)
            parts.append((" " * (start - x), Style()))
            placed.append((start + 1, start + width, palette))
            parts += pieces
        self._placed = placed
        return Content.assemble(*parts)

    def _pieces(self, item: ShownKey) -> list[tuple[str, Style]]:
        extra = [] if item.enabled else ["key-bar--disabled"]
        if item == self._hover:
            extra.append("key-bar--hover")
        key_style = self.get_visual_style("key-bar--key", *extra, partial=True)
        text_style = self.get_visual_style("key-bar--description", *extra, partial=True)
        if self.compact:
            return [(item.display, key_style), (f" {item.description}", text_style)]
        return [(f" {item.display} ", key_style), (f"{item.description} ", text_style)]

    def key_at(self, x: int) -> ShownKey | None:
        """The key drawn at column ``x`` (as last drawn), or ``None``."""
        return next((item for start, end, item in self._placed if start <= x < end), None)

    def on_mouse_down(self, event: events.MouseDown) -> None:
        item = self.key_at(event.x)
        if item is None:
            return
        event.stop()
        if item.enabled:
            self.app.simulate_key(item.key)
        else:
            self.app.bell()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        item = self.key_at(event.x)
        if item != self._hover:
            self._hover = item
            text = (item.tooltip or item.description) if item else ""
            self.tooltip = Content(text) if text else None
            self.refresh()

    def on_leave(self, event: events.Leave) -> None:
        if self._hover is not None:
            self._hover = None
            self.tooltip = None
            self.refresh()
