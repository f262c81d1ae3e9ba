"""The one sanitiser for text from outside (model, server, config, file names) on a terminal.

Text a server or a model sends is data. Written to a terminal as is, ``ESC ] 52 ; …`` writes the
clipboard, ``ESC ] 0 ; …`` sets the title, ``ESC [ 2 J`` wipes the screen, a bare CR overwrites
the line, U+202E reverses what follows. ``printable`` makes every such character visible instead:

* ESC becomes ``␛`` (so ``␛[2J`` reads as what it is); the other C0 controls, DEL and the C1
  controls (U+0080-U+009F, which some terminals obey like ESC sequences) become ``\\xNN``;
* CR is dropped (``\\r\\n`` reads as a line break, a lone CR cannot overwrite the line);
* bidirectional embeddings, overrides and isolates become ``\\u202e`` and friends (the
  implicit marks LRM/RLM stay: right-to-left text uses them and they reorder nothing);
* lone surrogates (undecodable bytes, broken JSON escapes) become U+FFFD, so writing the text
  never raises ``UnicodeEncodeError``;
* newline and tab are kept.

Both ``backends`` (no Textual, no Rich) and ``tui`` use it; ``tui.safe_text`` re-exports it.
"""

from __future__ import annotations

import re

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _visible(match: re.Match[str]) -> str:
    char = match.group()
    if char == "\x1b":
        return "␛"
    if char == "\r":
        return ""
    if char in _BIDI:
        return f"\\u{ord(char):04x}"
    if "\ud800" <= char <= "\udfff":
        return "\ufffd"
    return f"\\x{ord(char):02x}"


def printable(text: str) -> str:
    """``text`` with control characters (except ``\\n`` and ``\\t``) made visible."""
    return _CONTROL.sub(_visible, text)


def one_line(text: str) -> str:
    """``printable`` with newlines and tabs folded to spaces: for a status or error line."""
    return " ".join(printable(text).split())


def storable(text: str) -> str:
    """``text`` that can be encoded as UTF-8: each lone surrogate becomes U+FFFD.

    Everything else is kept exactly (control characters too: stored text is data, made
    printable only where it is shown).
    """
    return _SURROGATE.sub("\ufffd", text) if _SURROGATE.search(text) else text


def from_os(text: str) -> str:
    """Text Python decoded from argv or the environment with ``surrogateescape``, made valid.

    Each undecodable byte becomes U+FFFD (as a UTF-8 decoder with ``errors="replace"`` would
    do), so the prompt can be sent, stored and shown.
    """
    if not _SURROGATE.search(text):
        return text
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # surrogates that were not escaped bytes
        return storable(text)


_JSON_UNSAFE = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def json_for_terminal(text: str) -> str:
    """JSON text (from ``json.dumps(..., ensure_ascii=False)``) safe to write to a terminal.

    ``json.dumps`` escapes C0 controls but writes DEL, C1 controls, bidi overrides and lone
    surrogates raw; each becomes its ``\\uXXXX`` escape, so the JSON still parses to the same
    value.
    """
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
