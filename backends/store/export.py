"""Export a chat as Markdown (for reading and sharing) or JSON (everything, for tools).

Markdown: one section per message; an assistant reply's thinking is a collapsible ``<details>``
section marked "Thinking", its text inside a code fence so the chain of thought reads verbatim and
cannot break the page's structure; every reply ends with its meter line. JSON: the chat and every
stored field of every message (usage, meters, budget, continuation). Registered secrets are
redacted from both, as a last guard (nothing secret is stored in the first place).
"""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import datetime

from backends.errors import redact
from backends.meter_lines import format_meter_line
from backends.meters import MeterReading
from backends.outputs import ChatRecord, CompareRef, ExportedChat, MessageRecord
from backends.records import BudgetRecord, meter_record, reading_usage, usage_record
from backends.store.db import Store
from backends.store.history import ChatSummary, StoredMessage, get_chat, load_messages

FORMAT_NAME = "ponder-chat"
FORMAT_VERSION = 2  # 2: the shared records of backends.records (usage, meters, budget)
STATUS_NOTES = {
    "partial": "still streaming when exported",
    "interrupted": "interrupted: the reply stopped here (crash or lost connection)",
    "cancelled": "cancelled by the user",
    "error": "failed",
}


def export_chat(store: Store, chat_id: int, fmt: str = "md") -> str:
    """Return chat ``chat_id`` as ``md`` or ``json`` text. Raises ``ChatNotFound``."""
    chat = get_chat(store, chat_id)
    messages = load_messages(store, chat_id)
    if fmt == "json":
        return render_json(chat, messages)
    if fmt == "md":
        return render_markdown(chat, messages)
    raise ValueError(f"unknown export format {fmt!r} (use md or json)")


def when(timestamp: float) -> str:
    """Return a Unix time as local ISO 8601 with its UTC offset, to the second."""
    return datetime.fromtimestamp(timestamp).astimezone().isoformat(timespec="seconds")


# ---- Markdown -----------------------------------------------------------------------------------


def render_markdown(chat: ChatSummary, messages: list[StoredMessage]) -> str:
    """Return the chat as a Markdown document."""
    title = " ".join(chat.title.split()) or f"Chat {chat.id}"
    lines = [
        f"# {title}",
        "",
        f"Chat {chat.id} · started {when(chat.created_at)} · "
        f"{len(messages)} messages · exported by ponder",
        "",
    ]
    for message in messages:
        lines += ["---", "", *message_markdown(message)]
    return redact("\n".join(lines).rstrip() + "\n")


def message_markdown(message: StoredMessage) -> list[str]:
    """Return the lines of one message's section."""
    lines = [f"### {heading(message)}", ""]
    if message.thinking:
        lines += thinking_details(message)
    if message.text:
        lines += [message.text, ""]
    if message.status in STATUS_NOTES:
        note = STATUS_NOTES[message.status]
        detail = f": {message.error}" if message.error else ""
        lines += [f"*[{note}{detail}]*", ""]
    if message.role == "assistant":
        lines += [f"> meters: {meter_line(message)}", ""]
    return lines


def heading(message: StoredMessage) -> str:
    """``Assistant · local (llama: qwen3) · budget 1024 → 4096 · 10:02:03`` and friends."""
    parts = [message.role.capitalize()]
    if message.compare is not None:
        _, position, chosen = message.compare
        parts.append(f"column {position + 1}" + (" (chosen)" if chosen else ""))
    if message.role == "assistant":
        if message.backend:
            parts.append(f"{message.backend} ({message.backend_kind}: {message.model})")
        if message.budget_requested:
            budget = message.budget_requested
            if message.budget_final and message.budget_final != budget:
                budget += f" → {message.budget_final}"
            parts.append(f"budget {budget}")
    parts.append(when(message.created_at))
    return " · ".join(parts)


def thinking_details(message: StoredMessage) -> list[str]:
    """The thinking as a collapsed ``<details>`` section with the text fenced verbatim."""
    spent = message.reasoning_tokens
    mark = "~" if message.reasoning_estimated else ""
    count = "" if spent is None else f" · {mark}{spent} tokens"
    longest = max((len(run) for run in re.findall(r"`+", message.thinking)), default=0)
    fence = "`" * max(3, longest + 1)
    return [
        "<details>",
        f"<summary>Thinking{count}</summary>",
        "",
        f"{fence}text",
        message.thinking,
        fence,
        "",
        "</details>",
        "",
    ]


def meter_line(message: StoredMessage) -> str:
    """The stored meter line; from usage alone when the meters were not recorded."""
    if message.meters is not None:
        return format_meter_line(message.meters)
    if message.usage is None:
        return "not recorded"
    reading = MeterReading(
        usage=message.usage,
        cache_hit=message.usage.cache_hit,
        cost=None,
        ttft_s=None,
        first_answer_s=None,
        thinking_s=None,
        total_s=None,
        decode_tps=None,
        live=False,
        provider_cost=message.cost_usd,
    )
    return format_meter_line(reading)


# ---- JSON ---------------------------------------------------------------------------------------


def render_json(chat: ChatSummary, messages: list[StoredMessage]) -> str:
    """Return the chat as a JSON document (``backends.records.ExportedChat``: ``format:
    ponder-chat``, ``version: 2``), its usage and meters the records ``ponder ask --json``
    writes."""
    document = ExportedChat(
        format=FORMAT_NAME,
        version=FORMAT_VERSION,
        chat=chat_record(chat),
        messages=[message_json(message) for message in messages],
    )
    text = json.dumps(document.model_dump(mode="json"), indent=2, ensure_ascii=False)
    return redact(text) + "\n"


def chat_record(chat: ChatSummary) -> ChatRecord:
    """A chat's row as written by ``export`` and ``history --json`` (times also as ISO 8601)."""
    return ChatRecord(
        **dataclasses.asdict(chat), created=when(chat.created_at), updated=when(chat.updated_at)
    )


def message_json(message: StoredMessage) -> MessageRecord:
    """Every stored field of one message."""
    compare = None
    if message.compare is not None:
        round_id, position, chosen = message.compare
        compare = CompareRef(round=round_id, position=position, chosen=chosen)
    reading = message.meters
    usage = None
    if reading is not None:
        usage = reading_usage(reading)
    elif message.usage is not None:
        usage = usage_record(message.usage)
    return MessageRecord(
        id=message.id,
        role=message.role,
        status=message.status,
        text=message.text,
        thinking=message.thinking,
        backend=message.backend,
        kind=message.backend_kind,
        model=message.model,
        budget=BudgetRecord(
            requested=message.budget_requested,
            final=message.budget_final,
            minimum=message.budget_minimum,
            applied=message.budget_applied,
            reasoning_tokens_spent=message.reasoning_tokens,
        ),
        usage=usage,
        meters=None if reading is None else meter_record(reading),
        cost_usd=message.cost_usd,
        stop_reason=message.stop_reason,
        error=message.error,
        continuation=message.continuation,
        compare=compare,
        created=when(message.created_at),
        updated=when(message.updated_at),
    )
