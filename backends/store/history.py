"""Reading the history: chat list pages, rename, delete, search, and loading a chat to resume it.

The chat list is paged by a keyset cursor over ``(updated_at, id)``, so the first page costs the
same with 10 chats or 10,000 and a screen can load more as the user scrolls. Search uses the FTS5
index over message text and thinking and returns snippets with the matched spans as offsets (no
markup: the text is model output). ``conversation`` turns a stored chat into the ``Message`` list
a backend expects, each assistant turn carrying the ``continuation`` its adapter asked for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from backends.events import Usage
from backends.meter_lines import format_meter_line
from backends.meters import MeterReading
from backends.request import Message
from backends.store import codec
from backends.store.db import Store, clean
from backends.store.errors import ChatNotFound

PAGE_SIZE = 50
MARK_OPEN, MARK_CLOSE = "\x02", "\x03"  # snippet() delimiters, turned into offsets
_SUMMARY_SQL = (
    "SELECT c.id, c.title, c.kind, c.created_at, c.updated_at, c.backend, c.model, "
    "c.message_count FROM chats c "
)


@dataclass(frozen=True, slots=True)
class ChatSummary:
    """One row of the chat list. Times are Unix seconds."""

    id: int
    title: str
    kind: str
    created_at: float
    updated_at: float
    backend: str | None
    model: str | None
    message_count: int


@dataclass(frozen=True, slots=True)
class PageCursor:
    """Where the next page of the chat list starts (after this chat)."""

    updated_at: float
    id: int


@dataclass(frozen=True, slots=True)
class ChatPage:
    """A page of chats, most recent first; ``next`` is ``None`` on the last page."""

    chats: list[ChatSummary]
    next: PageCursor | None


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """A message as stored, with everything the chat view and the exports show.

    ``compare`` is ``(round_id, position, chosen)`` for a reply in a compare round.
    """

    id: int
    chat_id: int
    role: str
    text: str
    thinking: str
    status: str
    backend: str | None
    backend_kind: str | None
    model: str | None
    budget_requested: str | None
    budget_final: str | None
    budget_minimum: int
    budget_applied: str | None
    reasoning_tokens: int | None
    reasoning_estimated: bool
    usage: Usage | None
    meters: MeterReading | None
    cost_usd: float | None
    stop_reason: str | None
    error: str | None
    continuation: dict[str, Any] | None
    created_at: float
    updated_at: float
    compare: tuple[int, int, bool] | None = None

    @property
    def meter_line(self) -> str | None:
        """The one-line meters of an assistant reply, ``None`` when none were recorded."""
        return None if self.meters is None else format_meter_line(self.meters)

    def to_message(self) -> Message:
        """The turn to send to a backend; continuation only from a reply that completed."""
        continuation = self.continuation if self.status == "complete" else None
        return Message(self.role, self.text, self.thinking, continuation)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One message that matched a search.

    ``field`` is ``text`` or ``thinking`` (where the snippet comes from); ``spans`` are the
    ``(start, end)`` offsets of the matched words in ``snippet``.
    """

    chat_id: int
    chat_title: str
    message_id: int
    role: str
    field: str
    snippet: str
    spans: list[tuple[int, int]]
    created_at: float


# ---- the chat list ------------------------------------------------------------------------------


def list_chats(store: Store, limit: int = PAGE_SIZE, after: PageCursor | None = None) -> ChatPage:
    """Return a page of chats, most recently active first, starting after ``after``."""
    if after is None:
        rows = store.query(
            _SUMMARY_SQL + "ORDER BY c.updated_at DESC, c.id DESC LIMIT ?", (limit + 1,)
        )
    else:
        rows = store.query(
            _SUMMARY_SQL + "WHERE (c.updated_at, c.id) < (?, ?) "
            "ORDER BY c.updated_at DESC, c.id DESC LIMIT ?",
            (after.updated_at, after.id, limit + 1),
        )
    chats = [_summary(row) for row in rows[:limit]]
    more = len(rows) > limit and chats
    return ChatPage(chats, PageCursor(chats[-1].updated_at, chats[-1].id) if more else None)


def count_chats(store: Store) -> int:
    """Return how many chats there are."""
    return int(store.query("SELECT count(*) FROM chats")[0][0])


def get_chat(store: Store, chat_id: int) -> ChatSummary:
    """Return one chat's summary. Raises ``ChatNotFound``."""
    rows = store.query(_SUMMARY_SQL + "WHERE c.id = ?", (chat_id,))
    if not rows:
        raise ChatNotFound(f"there is no chat {chat_id}", "run `ponder history` to list chats")
    return _summary(rows[0])


def rename_chat(store: Store, chat_id: int, title: str) -> None:
    """Set a chat's title. Raises ``ChatNotFound``."""
    with store.write() as conn:
        cursor = conn.execute("UPDATE chats SET title = ? WHERE id = ?", (clean(title), chat_id))
    if cursor.rowcount == 0:
        raise ChatNotFound(f"there is no chat {chat_id}", "run `ponder history` to list chats")


def delete_chat(store: Store, chat_id: int) -> None:
    """Delete a chat with its messages and compare rounds. Raises ``ChatNotFound``."""
    with store.write() as conn:
        cursor = conn.execute("DELETE FROM chats WHERE id = ?", (chat_id,))
    if cursor.rowcount == 0:
        raise ChatNotFound(f"there is no chat {chat_id}", "run `ponder history` to list chats")


def _summary(row: Any) -> ChatSummary:
    return ChatSummary(
        id=row["id"],
        title=row["title"],
        kind=row["kind"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        backend=row["backend"],
        model=row["model"],
        message_count=row["message_count"],
    )


# ---- loading a chat -----------------------------------------------------------------------------


def load_messages(store: Store, chat_id: int) -> list[StoredMessage]:
    """Return every message of a chat in order (compare columns included). ``ChatNotFound``."""
    get_chat(store, chat_id)
    rows = store.query(
        "SELECT m.*, cc.round_id, cc.position, cr.chosen_position FROM messages m "
        "LEFT JOIN compare_columns cc ON cc.message_id = m.id "
        "LEFT JOIN compare_rounds cr ON cr.id = cc.round_id "
        "WHERE m.chat_id = ? ORDER BY m.id",
        (chat_id,),
    )
    return [_stored(row) for row in rows]


def conversation(
    store: Store, chat_id: int, *, chosen: Mapping[int, int] | None = None
) -> list[Message]:
    """Return the chat as the message list to send when resuming it. ``ChatNotFound``.

    Replies that produced no answer text (errors before output, still streaming) are left out;
    a compare round contributes only its chosen column (``chosen`` maps round id to position,
    overriding the stored choice). Assistant turns carry their ``continuation`` (thinking
    signatures, encrypted reasoning) when they completed, so each adapter can send the history
    in the form its provider requires.
    """
    messages: list[Message] = []
    for stored in load_messages(store, chat_id):
        if stored.role == "assistant":
            if stored.status == "partial" or not stored.text:
                continue
            if stored.compare is not None:
                round_id, position, is_chosen = stored.compare
                if chosen is not None and round_id in chosen:
                    is_chosen = chosen[round_id] == position
                if not is_chosen:
                    continue
        messages.append(stored.to_message())
    return messages


def _stored(row: Any) -> StoredMessage:
    compare = None
    if row["round_id"] is not None:
        compare = (row["round_id"], row["position"], row["position"] == row["chosen_position"])
    usage = codec.loads(row["usage_json"])
    return StoredMessage(
        id=row["id"],
        chat_id=row["chat_id"],
        role=row["role"],
        text=row["text"],
        thinking=row["thinking"],
        status=row["status"],
        backend=row["backend"],
        backend_kind=row["backend_kind"],
        model=row["model"],
        budget_requested=row["budget_requested"],
        budget_final=row["budget_final"],
        budget_minimum=row["budget_minimum"],
        budget_applied=row["budget_applied"],
        reasoning_tokens=row["reasoning_tokens"],
        reasoning_estimated=bool(row["reasoning_estimated"]),
        usage=codec.usage_from_dict(usage),
        meters=codec.reading_from_dict(codec.loads(row["meters_json"]), usage, row["stop_reason"]),
        cost_usd=row["cost_usd"],
        stop_reason=row["stop_reason"],
        error=row["error"],
        continuation=codec.loads(row["continuation_json"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        compare=compare,
    )


# ---- search -------------------------------------------------------------------------------------


def fts_query(words: str, prefix: bool = True) -> str:
    """Return an FTS5 query matching every word (the last one as a prefix when ``prefix``).

    Each word is quoted, so FTS5 operators typed by the user (``AND``, ``*``, ``:``) are
    searched for as text instead of failing as a bad query.
    """
    terms = ['"' + word.replace('"', '""') + '"' for word in words.split()]
    if terms and prefix:
        terms[-1] += "*"
    return " ".join(terms)


def search(
    store: Store,
    words: str,
    limit: int = PAGE_SIZE,
    offset: int = 0,
    *,
    order: str = "recent",
    context_words: int = 12,
) -> list[SearchHit]:
    """Return messages whose text or thinking contains every word.

    ``order="recent"`` (newest message first) stops after ``limit`` matches, so it stays fast
    when a word is in every message (~10 ms over 200,000 messages); ``"relevance"`` (FTS5's
    bm25 rank) must score every match first (~0.5 s in the same case): run it off the UI thread.
    """
    query = fts_query(words)
    if not query:
        return []
    ordering = {"recent": "messages_fts.rowid DESC", "relevance": "rank"}[order]
    marks = (MARK_OPEN, MARK_CLOSE, "…", context_words)
    rows = store.query(
        "SELECT m.id, m.chat_id, m.role, m.created_at, c.title, "
        "snippet(messages_fts, 0, ?, ?, ?, ?) AS text_snippet, "
        "snippet(messages_fts, 1, ?, ?, ?, ?) AS thinking_snippet "
        "FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid "
        "JOIN chats c ON c.id = m.chat_id "
        f"WHERE messages_fts MATCH ? ORDER BY {ordering} LIMIT ? OFFSET ?",
        (*marks, *marks, query, limit, offset),
    )
    return [_hit(row) for row in rows]


def _hit(row: Any) -> SearchHit:
    field, raw = "text", row["text_snippet"] or ""
    if MARK_OPEN not in raw and MARK_OPEN in (row["thinking_snippet"] or ""):
        field, raw = "thinking", row["thinking_snippet"]
    snippet, spans = split_marks(raw)
    return SearchHit(
        chat_id=row["chat_id"],
        chat_title=row["title"],
        message_id=row["id"],
        role=row["role"],
        field=field,
        snippet=snippet,
        spans=spans,
        created_at=row["created_at"],
    )


def split_marks(marked: str) -> tuple[str, list[tuple[int, int]]]:
    """Remove the snippet delimiters; return the plain text and the marked spans."""
    text: list[str] = []
    spans: list[tuple[int, int]] = []
    length, start = 0, None
    for char in marked:
        if char == MARK_OPEN:
            start = length
        elif char == MARK_CLOSE and start is not None:
            spans.append((start, length))
            start = None
        else:
            text.append(char)
            length += 1
    return "".join(text), spans
