"""Make model output safe to show: it is data, never markup or terminal control.

The sanitiser itself lives in ``backends.safe_text`` (so the headless paths and the backends use
the very same rule); this module re-exports it for the TUI. Control characters (ESC, the rest of
C0/C1, bidi overrides, except newline and tab) are replaced by a visible form, so an answer
containing ``\\x1b[2J`` shows those characters instead of clearing the screen. Rich/Textual
markup is handled by the widgets (they render ``Text``/``Content`` objects, never markup strings).
"""

from __future__ import annotations

from typing import TextIO

from backends.safe_text import from_os, json_for_terminal, one_line, printable, storable

__all__ = ["from_os", "json_for_terminal", "one_line", "printable", "read_text", "storable"]


def read_text(stdin: TextIO) -> str:
    """All of ``stdin`` as text, its bytes decoded as UTF-8 with U+FFFD for undecodable ones."""
    buffer = getattr(stdin, "buffer", None)
    if buffer is None:
        return from_os(stdin.read())
    return bytes(buffer.read()).decode("utf-8", "replace")
