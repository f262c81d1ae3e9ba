"""Make alt+enter reach the app as ``alt+enter``, not as a plain Enter.

Terminals send alt+enter as ESC CR. Textual's input parser (8.x) has no entry for that sequence:
it drops the ESC and reports ``enter``, so alt+enter sent the message although the prompt says it
inserts a newline. ``install`` adds the one missing entry to Textual's sequence table (the table
the parser consults for every escape sequence); nothing else about key parsing changes.
"""

from __future__ import annotations

from enum import StrEnum

ALT_ENTER_SEQUENCE = "\x1b\r"


class _ExtraKey(StrEnum):
    """Key names for sequences Textual's table lacks (the table holds ``Keys``-like enums)."""

    ALT_ENTER = "alt+enter"


def install() -> None:
    """Map ESC CR to ``alt+enter`` in Textual's sequence table (idempotent)."""
    from textual._ansi_sequences import ANSI_SEQUENCES_KEYS

    table: dict[str, object] = ANSI_SEQUENCES_KEYS  # type: ignore[assignment]
    table.setdefault(ALT_ENTER_SEQUENCE, (_ExtraKey.ALT_ENTER,))
