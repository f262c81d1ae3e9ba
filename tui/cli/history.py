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
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from backends.base import Backend
from backends.config import Settings
from backends.errors import (
    PonderError,
    redact,
    redact_all,
    register_secret,
    register_url_secrets,
)
from backends.events import StreamEvent
from backends.meters import MessageMeter
from backends.outputs import SearchHitRecord
from backends.request import ChatRequest
from backends.store import history
from backends.store.db import Store, default_path
from backends.store.errors import HistoryCorrupt, HistoryError
from backends.store.export import chat_record, export_chat, when
from backends.store.readonly import open_for_reading
from backends.store.recorder import MessageRecorder
from tui.cli.args import non_negative
from tui.safe_text import json_for_terminal, one_line, printable


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``history`` and ``export`` to the ``ponder`` command."""
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
        path = default_path()
        store = Store.start_fresh(path, reason=aside_reason(path))
        print(
            f"ponder: the old history was kept as {printable(str(store.moved_aside))}; "
            "a new one was started",
            file=sys.stderr,
        )
        store.close()
        return 0
    if args.limit == 0:
        print(
            "ponder: --limit 0 shows nothing; give a number of chats, e.g. --limit 50",
            file=sys.stderr,
        )
        return 0
    register_known_secrets(settings)  # titles and snippets are redacted like exports
    with open_for_reading(default_path()) as store:
        note_read_only(store)
        if args.search:
            hits = history.search(store, args.search, limit=args.limit)
            print_hits(hits, as_json=args.json)
        else:
            chats = history.list_chats(store, limit=args.limit).chats
            print_chats(chats, as_json=args.json)
    return 0


def note_read_only(store: Store) -> None:
    """Say when the history could only be read (a full disk), and what may be missing."""
    if store.read_only:
        missing = (
            " (replies not yet checkpointed may be missing)"
            if store.read_only == ("immutable")
            else ""
        )
        print(f"ponder: the history is read-only right now (disk full?){missing}", file=sys.stderr)


def aside_reason(path: Path) -> str:
    """How to name the file ``--start-fresh`` keeps: ``corrupt`` only when it is damaged."""
    if not path.exists():
        return "old"
    try:
        Store.open(path).close()
    except HistoryCorrupt:
        return "corrupt"
    except HistoryError:
        return "old"  # locked, too new or unreadable: not known to be damaged
    return "old"


def run_export(settings: Settings, args: argparse.Namespace) -> int:
    """``ponder export CHAT_ID``: the chat as Markdown or JSON on stdout or in ``--output``.

    The keys of every configured backend are registered as secrets first, so the export
    redacts them even from rows written before they were known (or by an older ponder).
    """
    register_known_secrets(settings)
    with open_for_reading(default_path()) as store:
        note_read_only(store)
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
        as_json = args.export_format == "json"
        sys.stdout.write(json_for_terminal(text) if as_json else printable(text))
    return 0


def register_known_secrets(settings: Settings, env: Mapping[str, str] | None = None) -> None:
    """Register every API key ponder could have used: configured envs and each kind's default."""
    from backends.kinds import KINDS

    env = os.environ if env is None else env
    names = {info.key_env for info in KINDS.values() if info.key_env}
    for entry in settings.backends.values():
        if entry.api_key_env:
            names.add(entry.api_key_env)
        register_url_secrets(entry.base_url)
    for name in sorted(names):
        register_secret(env.get(name))


def shown(text: str) -> str:
    """Stored text for the terminal: secrets and URL credentials redacted, controls visible."""
    return printable(redact_all(text))


def short_time(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")


def print_json(rows: list[dict[str, Any]]) -> None:
    print(json_for_terminal(json.dumps(rows, indent=2, ensure_ascii=False)))


def print_chats(chats: list[history.ChatSummary], as_json: bool) -> None:
    if as_json:
        rows = [
            chat_record(c).model_copy(
                update={
                    "title": redact_all(c.title),
                    "backend": c.backend and redact_all(c.backend),
                    "model": c.model and redact_all(c.model),
                }
            )
            for c in chats
        ]
        print_json([row.model_dump(mode="json") for row in rows])
        return
    if not chats:
        print("no saved chats yet", file=sys.stderr)
        return
    width = max(len(str(c.id)) for c in chats)
    print(f"{'ID':>{width}}  {'UPDATED':<16}  {'MSGS':>4}  {'BACKEND':<12}  TITLE")
    for c in chats:
        title = shown(c.title) or "(untitled)"
        print(
            f"{c.id:>{width}}  {short_time(c.updated_at):<16}  {c.message_count:>4}  "
            f"{shown(c.backend or '-'):<12}  {title}"
        )


def print_hits(hits: list[history.SearchHit], as_json: bool) -> None:
    if as_json:
        rows = [
            SearchHitRecord(
                chat_id=h.chat_id,
                chat_title=redact_all(h.chat_title),
                message_id=h.message_id,
                role=h.role,
                field=h.field,
                snippet=redact(h.snippet),
                spans=[list(span) for span in h.spans],
                created_at=h.created_at,
                created=when(h.created_at),
            )
            for h in hits
        ]
        print_json([row.model_dump(mode="json") for row in rows])
        return
    if not hits:
        print("no messages match", file=sys.stderr)
        return
    for h in hits:
        where = f"{h.role} {h.field}" if h.field == "thinking" else h.role
        print(
            f"chat {h.chat_id} · message {h.message_id} · {where} · {short_time(h.created_at)}"
            f" · {shown(h.chat_title)}"
        )
        print("    " + shown(" ".join(h.snippet.split())))


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
    chat_id: int | None = None
    try:
        chat_id = store.create_chat()
        recorder = MessageRecorder.for_backend(
            store, chat_id, backend, budget=request.budget, meter=meter
        )
        recorder.begin(request.messages)
    except HistoryError as exc:
        warn(exc)
        if chat_id is not None:  # never leave an empty chat behind
            with contextlib.suppress(HistoryError):
                history.delete_chat(store, chat_id)
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
    print(f"ponder: history not saved: {one_line(str(error))}", file=sys.stderr)
