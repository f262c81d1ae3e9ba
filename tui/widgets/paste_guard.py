"""A bracketed paste is text, all of it: escape sequences inside it never become key presses.

Textual's input parser leaves a bracketed paste at the first ESC inside it: the rest of an
escape sequence is reissued as keys (an OSC ending in BEL presses ctrl+g, which is a chat
binding) and arrives before the paste, so the prompt gets the text out of order.
``PasteGuardParser`` finds the paste's end marker itself and hands the parser the pasted text
with every ESC replaced by ``␛`` (and C1 controls made visible), so it stays one ``Paste`` event
in order; ``install`` makes the Linux driver use it. The prompt makes the rest printable.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from typing import Any

from textual._xterm_parser import XTermParser

START, END = "\x1b[200~", "\x1b[201~"
_UNSAFE_IN_PASTE = re.compile("[\x1b\x80-\x9f]")


def _visible(match: re.Match[str]) -> str:
    char = match.group()
    return "␛" if char == "\x1b" else f"\\x{ord(char):02x}"


def _partial_suffix(text: str, marker: str) -> int:
    """Length of the longest end of ``text`` that begins ``marker`` (a marker cut in two)."""
    for size in range(min(len(marker) - 1, len(text)), 0, -1):
        if marker.startswith(text[-size:]):
            return size
    return 0


class PasteGuardParser(XTermParser):
    """``XTermParser`` that keeps escape sequences inside a bracketed paste as pasted text."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_paste = False
        self._tail = ""  # the last characters passed on outside a paste (a split START)
        self._carry = ""  # a possible split END held back inside a paste

    def feed(self, data: str) -> Iterable[Any]:
        if not data:  # end of input: pass on what was held back, then the end
            carry, self._carry = self._carry, ""
            return itertools.chain(super().feed(carry) if carry else (), super().feed(""))
        guarded = self.guard(data)
        return super().feed(guarded) if guarded else ()  # "" would mean the end of input

    def guard(self, data: str) -> str:
        """``data`` with the inside of bracketed pastes made safe (state kept across calls)."""
        out: list[str] = []
        text, i = self._carry + data, 0
        self._carry = ""
        while i < len(text):
            if not self._in_paste:
                seen = self._tail + text[i:]
                j = seen.find(START)
                if j < 0:
                    out.append(text[i:])
                    self._tail = seen[-(len(START) - 1) :]
                    break
                begin = i + j + len(START) - len(self._tail)
                out.append(text[i:begin])
                self._tail, self._in_paste, i = "", True, begin
            else:
                j = text.find(END, i)
                if j < 0:
                    keep = _partial_suffix(text[i:], END)
                    out.append(_UNSAFE_IN_PASTE.sub(_visible, text[i : len(text) - keep]))
                    self._carry = text[len(text) - keep :]
                    break
                out.append(_UNSAFE_IN_PASTE.sub(_visible, text[i:j]) + END)
                self._in_paste, i = False, j + len(END)
        return "".join(out)


def install() -> None:
    """Make Textual's Linux driver parse input with ``PasteGuardParser`` (idempotent)."""
    try:
        from textual.drivers import linux_driver
    except ImportError:  # pragma: no cover - not a POSIX terminal
        return
    linux_driver.XTermParser = PasteGuardParser  # type: ignore[misc]
