"""Headless history commands (``ponder history``, ``ponder export``) and ``ponder ask``'s recorder.

``ponder history`` lists chats, most recent first (``--search`` finds messages by their text or
thinking; ``--start-fresh`` keeps a damaged database aside and starts a new one). ``ponder export
CHAT_ID`` writes a chat as Markdown or JSON. ``ask_recorder`` records one ``ponder ask`` reply
while it streams; a history that cannot be opened is a warning there, never a failed ask.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from backends.base import Backend, ChatRequest
from backends.config import Settings
from backends.errors import PonderError
from backends.events import StreamEvent
from backends.meters import MessageMeter
from backends.store import history
from backends.store.db import Store, default_path
from backends.store.errors import HistoryError
from backends.store.export import export_chat
from backends.store.recorder import MessageRecorder
from tui.safe_text import printable


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``history`` and ``export`` to the ``ponder`` command."""
    from tui.cli import non_negative

    hist = sub.add_parser("history", help="list saved chats, most recent first, or search them")
    hist.add_argument("--limit", type=non_negative, default=20, help="how many (default 20)")
    hist.add_argument("--search", metavar="WORDS", help="find messages (text or thinking)")
    hist.add_argument("--json", action="store_true", help="print JSON instead of a table")
    hist.add_argument(
        "--start-fresh",
        action="store_true",
        help="move the history database aside (kept) and start anew",
    )
    hist.set_defaults(run=run_history)
    export = sub.add_parser("export", help="export a chat as Markdown or JSON")
    export.add_argument("chat_id", type=int, metavar="CHAT_ID", help="the chat (ponder history)")
    export.add_argument("--format", choices=("md", "json"), default="md", dest="export_format")
    export.add_argument("--output", "-o", metavar="FILE", help="write here instead of stdout")
    export.set_defaults(run=run_export)


def add_ask_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--no-history`` to ``ponder ask``."""
    parser.add_argument("--no-history", action="store_true", help="do not save this chat")


def run_history(settings: Settings, args: argparse.Namespace) -> int:
    """``ponder history``: a table (or JSON) of chats or search hits; returns the exit code."""
    if args.start_fresh:
        store = Store.start_fresh(default_path())
        print(
            f"ponder: the old history was kept as {store.moved_aside}; a new one was started",
            file=sys.stderr,
        )
        store.close()
        return 0
    with Store.open(default_path()) as store:
        if args.search:
            hits = history.search(store, args.search, limit=args.limit)
            print_hits(hits, as_json=args.json)
        else:
            chats = history.list_chats(store, limit=args.limit).chats
            print_chats(chats, as_json=args.json)
    return 0


def run_export(settings: Settings, args: argparse.Namespace) -> int:
    """``ponder export CHAT_ID``: the chat as Markdown or JSON on stdout or in ``--output``."""
    with Store.open(default_path()) as store:
        text = export_chat(store, args.chat_id, args.export_format)
    if args.output:
        path = Path(args.output).expanduser()
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise PonderError(
                f"cannot write {path} ({exc.strerror})", "choose another file"
            ) from None
        print(f"ponder: chat {args.chat_id} written to {path}", file=sys.stderr)
    else:
        sys.stdout.write(text if args.export_format == "json" else printable(text))
    return 0


def short_time(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")


def print_chats(chats: list[history.ChatSummary], as_json: bool) -> None:
    if as_json:
        rows = [
            {
                "id": c.id,
                "title": c.title,
                "kind": c.kind,
                "messages": c.message_count,
                "backend": c.backend,
                "model": c.model,
                "created": c.created_at,
                "updated": c.updated_at,
            }
            for c in chats
        ]
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not chats:
        print("no saved chats yet", file=sys.stderr)
        return
    width = max(len(str(c.id)) for c in chats)
    print(f"{'ID':>{width}}  {'UPDATED':<16}  {'MSGS':>4}  {'BACKEND':<12}  TITLE")
    for c in chats:
        title = printable(c.title) or "(untitled)"
        print(
            f"{c.id:>{width}}  {short_time(c.updated_at):<16}  {c.message_count:>4}  "
            f"{printable(c.backend or '-'):<12}  {title}"
        )


def print_hits(hits: list[history.SearchHit], as_json: bool) -> None:
    if as_json:
        rows: list[dict[str, Any]] = [
            {
                "chat_id": h.chat_id,
                "chat_title": h.chat_title,
                "message_id": h.message_id,
                "role": h.role,
                "field": h.field,
                "snippet": h.snippet,
                "spans": [list(span) for span in h.spans],
                "created": h.created_at,
            }
            for h in hits
        ]
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not hits:
        print("no messages match", file=sys.stderr)
        return
    for h in hits:
        where = f"{h.role} {h.field}" if h.field == "thinking" else h.role
        print(
            f"chat {h.chat_id} · message {h.message_id} · {where} · {short_time(h.created_at)}"
            f" · {printable(h.chat_title)}"
        )
        print("    " + printable(" ".join(h.snippet.split())))


# ---- ponder ask ---------------------------------------------------------------------------------


def _ignore(event: StreamEvent) -> None:
    return None


@contextlib.contextmanager
def ask_recorder(
    settings: Settings,
    args: argparse.Namespace,
    backend: Backend,
    request: ChatRequest,
    meter: MessageMeter | None,
) -> Iterator[Callable[[StreamEvent], None]]:
    """Record one ``ponder ask`` reply; yields the function to feed each event to.

    Writes the prompt before the caller sends the request; on leaving, the reply's final state
    (cancelled on Ctrl-C, error on an exception). Off with ``settings.history = false`` or
    ``--no-history``. A history that cannot be opened or written prints one warning line.
    """
    if not settings.history or getattr(args, "no_history", False):
        yield _ignore
        return
    try:
        store = Store.open(default_path())
    except HistoryError as exc:
        warn(exc)
        yield _ignore
        return
    try:
        recorder = MessageRecorder.for_backend(
            store, store.create_chat(), backend, budget=request.budget, meter=meter
        )
        recorder.begin(request.messages)
    except HistoryError as exc:
        warn(exc)
        store.close()
        yield _ignore
        return
    try:
        with recorder:
            yield recorder.feed
    finally:
        if recorder.error is not None:
            warn(recorder.error)
        store.close()


def warn(error: PonderError) -> None:
    print(f"ponder: history not saved: {error}", file=sys.stderr)
