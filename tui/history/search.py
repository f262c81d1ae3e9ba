"""Rows of the chat list: a stored chat, or a search hit with its matched words highlighted.

Titles and snippets are model or user text: they are built as ``Content`` pieces with
styles attached by offset, never as markup strings, and control characters are made visible.
"""

from __future__ import annotations

from datetime import datetime

from textual.content import Content

from backends.store.history import ChatSummary, SearchHit
from tui.safe_text import printable

MATCH_STYLE = "bold reverse"
TITLE_WIDTH = 46
NO_TITLE = "(untitled)"


def when(timestamp: float) -> str:
    """Local time to the minute: ``2025-03-01 14:05``."""
    return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")


def flat(text: str) -> str:
    """``text`` on one line, control characters visible (length kept for newlines and tabs)."""
    return printable(text.replace("\n", " ").replace("\t", " "))


def short(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters with an ellipsis."""
    return text if len(text) <= width else text[: width - 1] + "…"


def chat_row(chat: ChatSummary, *, current: bool) -> Content:
    """``● 12  title   12 msgs  local        2025-03-01 14:05`` (● marks the open chat).

    The number is the chat id that ``ponder export N`` and ``ponder history`` use.
    """
    marker = "●" if current else " "
    title = short(flat(" ".join(chat.title.split())) or NO_TITLE, TITLE_WIDTH - 6)
    backend = short(flat(chat.backend or "-"), 12)
    return Content(
        f"{marker} {chat.id:>4}  {title:<{TITLE_WIDTH - 6}} {chat.message_count:>4} msgs  "
        f"{backend:<12} {when(chat.updated_at)}"
    )


def highlighted(snippet: str, spans: list[tuple[int, int]]) -> Content:
    """The snippet on one line with each ``(start, end)`` span in ``MATCH_STYLE``."""
    parts: list[str | tuple[str, str]] = []
    position = 0
    for start, end in sorted(spans):
        if start < position:
            continue  # overlapping spans: the first one wins
        parts.append(flat(snippet[position:start]))
        parts.append((flat(snippet[start:end]), MATCH_STYLE))
        position = end
    parts.append(flat(snippet[position:]))
    return Content.assemble(*parts)


def hit_row(hit: SearchHit) -> Content:
    """Two lines: where the match is (chat, role or thinking, time), then the snippet."""
    where = "thinking" if hit.field == "thinking" else hit.role
    title = short(flat(" ".join(hit.chat_title.split())) or NO_TITLE, TITLE_WIDTH)
    head = Content.styled(f"{title} · {where} · {when(hit.created_at)}", "dim")
    return Content.assemble(head, "\n  ", highlighted(hit.snippet.strip(), _shift(hit)))


def _shift(hit: SearchHit) -> list[tuple[int, int]]:
    """The spans after ``strip()`` removed leading whitespace from the snippet."""
    cut = len(hit.snippet) - len(hit.snippet.lstrip())
    return [(max(start - cut, 0), max(end - cut, 0)) for start, end in hit.spans]
