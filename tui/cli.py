"""The ``ponder`` command: the chat TUI by default, plus headless sub-commands.

``ponder`` / ``ponder --backend SPEC`` opens the chat. ``ponder ask PROMPT`` streams one reply
(thinking dimmed on stderr, the answer on stdout, a meter line on stderr). ``ponder backends``
lists configured backends and whether each is usable. Errors print one line with the fix and exit
non-zero; no tracebacks.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from backends.config import load_settings
from backends.errors import ConfigError, PonderError

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def parse_budget(value: str) -> int | None:
    """``auto`` → None; ``off`` → 0; ``4k`` → 4096; a number of tokens otherwise."""
    text = value.strip().lower()
    if text == "auto":
        return None
    if text == "off":
        return 0
    scale = 1024 if text.endswith("k") else 1
    try:
        number = int(text[:-1] if scale > 1 else text) * scale
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"budget must be a number of tokens, 4k, off or auto (got {value!r})"
        ) from None
    if number < 0:
        raise argparse.ArgumentTypeError("budget must be >= 0")
    return number


def non_negative(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}") from None
    if number < 0:
        raise argparse.ArgumentTypeError("must be >= 0")
    return number


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ponder",
        description="Chat with local and remote models; see and steer how long they think.",
    )
    parser.add_argument("--backend", "-b", help="backend name or spec (default: from config)")
    parser.add_argument("--config", help="config file (default: the platform config dir)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    ask = sub.add_parser("ask", help="ask one question headless and print the answer")
    ask.add_argument("prompt", nargs="*", help="the prompt (read from stdin when omitted)")
    ask.add_argument("--backend", "-b", dest="ask_backend", help="backend name or spec")
    ask.add_argument("--budget", type=parse_budget, default="config",
                     help="thinking budget in tokens, 'off' or 'auto'")  # fmt: skip
    ask.add_argument("--min-think", type=non_negative, default=0,
                     help="think at least this many tokens (local models)")  # fmt: skip
    ask.add_argument("--max-tokens", type=non_negative, help="cap on all output tokens")
    ask.add_argument("--temperature", type=float, help="sampling temperature")
    ask.add_argument("--seed", type=int, help="sampling seed")
    ask.add_argument("--system", help="system prompt")
    ask.add_argument("--json", action="store_true", help="print one JSON object instead")

    sub.add_parser("backends", help="list configured backends and whether each is usable")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``ponder`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.config:
            from pathlib import Path

            settings = load_settings(Path(args.config).expanduser())
        else:
            settings = load_settings()
        if args.command == "ask":
            from tui.ask import run_ask

            return asyncio.run(run_ask(settings, args))
        if args.command == "backends":
            from tui.ask import run_backends

            return asyncio.run(run_backends(settings))
        return run_tui(settings, args.backend)
    except ConfigError as exc:
        print_error(exc)
        return EXIT_USAGE
    except PonderError as exc:
        print_error(exc)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


def run_tui(settings, backend: str | None) -> int:  # type: ignore[no-untyped-def]
    from tui.app import run_app

    return run_app(settings, backend=backend)


def print_error(exc: PonderError) -> None:
    """One line: what went wrong — what to do about it."""
    print(f"ponder: {exc}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
