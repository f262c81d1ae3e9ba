"""Headless sub-commands: ``ponder ask`` and ``ponder backends``."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any, TextIO

from backends.base import Backend
from backends.budget import Budget
from backends.capabilities import PROMPTED, thinking_label
from backends.config import Settings
from backends.errors import PonderError
from backends.events import Finished, ReasoningDelta, StatusNote, StreamEvent, TextDelta
from backends.local.formats import PROMPTED_OFF_HINT
from backends.meter_lines import format_meter_line
from backends.meters import MessageMeter
from backends.outputs import AskResult
from backends.pricing import PriceBook
from backends.records import BudgetRecord, error_record, meter_record, reading_usage
from backends.registry import availability, build_backend
from backends.reply import Reply, collect
from backends.request import ChatRequest, Message, RequestOptions
from tui.cli.args import non_negative, parse_budget
from tui.cli.history import add_ask_options, ask_recorder
from tui.safe_text import from_os, one_line, printable, read_text

DIM, RESET = "\x1b[2m", "\x1b[0m"
FROM_CONFIG = object()  # --budget not given: use the config's default_budget


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``ask`` and ``backends`` to the ``ponder`` command."""
    ask = sub.add_parser("ask", help="ask one question headless and print the answer")
    ask.add_argument("prompt", nargs="*", help="the prompt (read from stdin when omitted)")
    ask.add_argument("--backend", "-b", dest="ask_backend", help="backend name or spec")
    ask.add_argument(
        "--budget",
        type=parse_budget,
        default=FROM_CONFIG,
        help="thinking budget in tokens, 4k, 'off' or 'auto'",
    )
    ask.add_argument(
        "--min-think",
        type=non_negative,
        default=0,
        help="think at least this many tokens (local models)",
    )
    ask.add_argument("--max-tokens", type=non_negative, help="cap on all output tokens")
    ask.add_argument("--temperature", type=float, help="sampling temperature")
    ask.add_argument("--seed", type=int, help="sampling seed")
    ask.add_argument("--system", help="system prompt")
    ask.add_argument("--json", action="store_true", help="print one JSON object instead")
    add_ask_options(ask)
    ask.set_defaults(run=run_ask)
    backends = sub.add_parser("backends", help="list backends and whether each is usable")
    backends.set_defaults(run=lambda settings, args: run_backends(settings))


def starting_budget(settings: Settings, backend: Backend, max_tokens: int | None) -> int | None:
    """The budget when --budget is not given: the config's ``default_budget`` when it sets
    one, else what the model suggests (native reasoning models think, prompted ones start off).
    """
    if settings.budget_chosen or backend.thinking_format() is None:
        return settings.budget_limit()
    return backend.suggested_budget(list(settings.budget_steps), max_tokens)


def thinking_line(backend: Backend) -> str:
    """The honest thinking label; a local backend reads its model's header for it (no load)."""
    backend.thinking_format()  # sets the capabilities' format (a local model's file header)
    return thinking_label(backend.capabilities)


def read_prompt(args: argparse.Namespace, stdin: TextIO) -> str:
    """The prompt from argv, else stdin; undecodable bytes become U+FFFD (never a traceback)."""
    if args.prompt:
        return from_os(" ".join(args.prompt))
    if stdin.isatty():
        raise PonderError("no prompt given", 'pass it as an argument: ponder ask "..."')
    text = read_text(stdin)
    if not text.strip():
        raise PonderError("the prompt read from stdin is empty", "pipe some text into ponder ask")
    return text


class TerminalPrinter:
    """Writes thinking (dimmed) to stderr and the answer to stdout as events arrive."""

    def __init__(self, out: TextIO, err: TextIO) -> None:
        self.out, self.err = out, err
        self.dim = err.isatty()
        self.in_thinking = False

    def __call__(self, event: StreamEvent) -> None:
        if isinstance(event, ReasoningDelta):
            if not self.in_thinking:
                self.in_thinking = True
                self.err.write(DIM if self.dim else "")
            self.err.write(printable(event.text))
            self.err.flush()
        elif isinstance(event, TextDelta):
            self._end_thinking()
            self.out.write(printable(event.text))
            self.out.flush()
        elif isinstance(event, StatusNote) and event.kind != "skipped":
            self._end_thinking()
            self.err.write(f"[{event.kind}] {one_line(event.text)}\n")

    def _end_thinking(self) -> None:
        if self.in_thinking:
            self.in_thinking = False
            self.err.write((RESET if self.dim else "") + "\n")
            self.err.flush()


async def run_ask(settings: Settings, args: argparse.Namespace) -> int:
    """``ponder ask``: one reply, streamed; returns the exit code."""
    prompt = read_prompt(args, sys.stdin)
    spec = args.ask_backend or args.backend or settings.default_backend
    backend = build_backend(settings, spec)
    max_tokens = args.max_tokens or settings.max_tokens
    if args.budget is FROM_CONFIG:
        budget_limit = starting_budget(settings, backend, max_tokens)
        chosen = settings.budget_chosen
        prompted = backend.capabilities.thinking_format == PROMPTED
        if budget_limit == 0 and prompted and not chosen and not args.json:
            sys.stderr.write(f"[hint] {PROMPTED_OFF_HINT.format(how='pass --budget 256')}\n")
    else:
        budget_limit = args.budget
    messages = [Message("system", from_os(args.system))] if args.system else []
    messages.append(Message("user", prompt))
    request = ChatRequest(
        messages=messages,
        budget=Budget(budget_limit, args.min_think),
        options=RequestOptions(max_tokens=max_tokens, temperature=args.temperature, seed=args.seed),
    )
    meter = MessageMeter.for_backend(backend, PriceBook(settings.prices))
    meter.estimate_input_from(message.text for message in messages)
    printer = None if args.json else TerminalPrinter(sys.stdout, sys.stderr)

    def on_event(event: StreamEvent) -> None:
        meter.feed(event)
        record(event)  # after the meter: the recorder's final write reads it
        if printer is not None:
            printer(event)

    # The prompt is saved before the request goes out; the reply while it streams.
    with ask_recorder(settings, args, backend, request, meter) as record:
        meter.start()
        try:
            reply = await collect(backend, request, on_event)
        finally:
            await backend.aclose()
    finished = reply.finished
    if args.json:
        json.dump(reply_json(backend, request, reply, meter), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        if printer is not None:
            printer._end_thinking()
        if reply.text and not reply.text.endswith("\n"):
            sys.stdout.write("\n")
        produced = bool(reply.text or reply.thinking)
        error = finished.error if finished is not None else None
        if produced or error is None:
            sys.stderr.write(printable(format_meter_line(meter.reading())) + "\n")
        if error is not None:
            partial = " (partial reply kept above)" if produced else ""
            sys.stderr.write(f"ponder: {one_line(str(error))}{partial}\n")
    return 0 if finished is not None and finished.error is None else 1


def reply_json(
    backend: Backend, request: ChatRequest, reply: Reply, meter: MessageMeter
) -> dict[str, Any]:
    """The ``--json`` object (``backends.records.AskResult``): text, thinking, usage, meters,
    backend, model, budget."""
    finished = reply.finished or Finished(stop_reason=reply.stop_reason)
    reading = meter.reading()
    record = AskResult(
        backend=backend.name,
        kind=backend.kind,
        model=finished.model or backend.model,
        text=reply.text,
        thinking=reply.thinking,
        stop_reason=finished.stop_reason.value,
        error=error_record(finished.error),
        usage=reading_usage(reading),
        meters=meter_record(reading),
        budget=BudgetRecord(
            requested=request.budget.describe(),
            minimum=request.budget.minimum,
            reasoning_tokens_spent=reading.usage.reasoning,
            forced_close_tokens=finished.forced_close_tokens,
            applied=finished.budget_applied,
            precision=backend.capabilities.budget_precision,
            thinking=thinking_label(backend.capabilities) or None,
        ),
        skipped_events=finished.skipped_events,
    )
    return record.model_dump(mode="json")


async def run_backends(settings: Settings) -> int:
    """``ponder backends``: one line per configured backend with its availability."""
    names = list(settings.backends)
    reasons = await asyncio.gather(*(availability(settings, name) for name in names))
    width = max(len(name) for name in names)
    for name, reason in zip(names, reasons, strict=True):
        entry = settings.backends[name]
        mark = "default" if name == settings.default_backend else ""
        state = "ok" if reason is None else reason
        model = entry.model or entry.base_url or "-"
        line = f"{name:<{width}}  {entry.kind:<16} {model:<36} {one_line(state)} {mark}"
        print(printable(line.rstrip()))
        for note in await backend_lines(settings, name) if reason is None else []:
            print(printable(f"{'':<{width}}  {note}"))
    return 0


async def backend_lines(settings: Settings, name: str) -> list[str]:
    """A usable backend's own lines: its thinking label, then its notes (the local CPU path
    chosen); none for a backend that cannot be built."""
    try:
        backend = build_backend(settings, name)
    except PonderError:
        return []
    try:
        return [line for line in (thinking_line(backend), *backend.notes()) if line]
    finally:
        await backend.aclose()
