"""Make model output safe to show: it is data, never markup or terminal control.

Control characters (ESC and the rest of C0/C1, except newline and tab) are replaced by a visible
form, so an answer containing ``\\x1b[2J`` shows those characters instead of clearing the screen.
Rich/Textual markup is handled by the widgets (they render ``Text`` objects, never markup strings).
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _visible(match: re.Match[str]) -> str:
    char = match.group()
    if char == "\x1b":
        return "␛"
    if char == "\r":
        return ""
    return f"\\x{ord(char):02x}"


def printable(text: str) -> str:
    """``text`` with control characters (except ``\\n`` and ``\\t``) made visible."""
    return _CONTROL.sub(_visible, text)
