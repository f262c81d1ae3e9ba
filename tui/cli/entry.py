"""The ``ponder`` command: the chat TUI by default, plus headless sub-commands.

``ponder`` / ``ponder --backend SPEC`` opens the chat. ``ponder ask PROMPT`` streams one reply
(thinking dimmed on stderr, the answer on stdout, a meter line on stderr). ``ponder backends``
lists configured backends and whether each is usable. Errors print one line with the fix and exit
non-zero; no tracebacks.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from backends.config import Settings, load_settings
from backends.errors import ConfigError, PonderError

if TYPE_CHECKING:
    import argparse

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

# Each module adds its sub-commands with ``register(subparsers)``; a sub-command's parser sets
# ``run=callable(settings, args) -> int | Coroutine`` through ``set_defaults``.
# Each sub-command and the module that registers (and runs) it. A command line that names one
# imports only that module: ``ponder ask`` does not load the history, compare or eval code.
COMMANDS = {
    "ask": "tui.cli.ask",
    "backends": "tui.cli.ask",
    "history": "tui.cli.history",
    "export": "tui.cli.history",
    "compare": "tui.cli.compare",
    "eval": "tui.cli.eval",
    "models": "tui.cli.models",  # ponder models (catalogue, list, pull)
}
COMMAND_MODULES = list(dict.fromkeys(COMMANDS.values()))


def build_parser(
    *, commands: bool | Sequence[str] = True, probe: bool = False
) -> argparse.ArgumentParser:
    """The ``ponder`` parser; ``commands=False`` leaves out the sub-commands (and their imports).

    ``commands`` may instead name the modules whose sub-commands to add (see ``needs_commands``).
    ``probe``: no ``--help`` and errors raised, not printed.
    """
    import argparse  # not on the plain chat's start path (see main)

    parser = argparse.ArgumentParser(
        prog="ponder",
        description="Chat with local and remote models; see and steer how long they think.",
        add_help=not probe,
        exit_on_error=not probe,
    )
    parser.add_argument("--backend", "-b", help="backend name or spec (default: from config)")
    parser.add_argument("--config", help="config file (default: the platform config dir)")
    if not commands:
        parser.set_defaults(command=None)
        return parser
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES if commands is True else commands:
        importlib.import_module(module).register(sub)
    return parser


def needs_commands(argv: Sequence[str]) -> bool | list[str]:
    """The sub-command modules ``argv`` needs: none for the chat, one for a named command.

    Plain ``ponder [--backend X] [--config F]`` opens the chat without importing the
    sub-command modules (the headless, history, compare and eval code): start-up stays fast.
    A named command loads only its own module (less memory and time for ``ponder ask``);
    anything else (``--help``, a mistyped command, an error) gets every command, so the
    message lists them all.
    """
    import argparse  # not on the plain chat's start path (see main)

    try:
        _, rest = build_parser(commands=False, probe=True).parse_known_args(argv)
    except argparse.ArgumentError:
        return True  # the full parser prints the error
    if not rest:
        return False
    module = COMMANDS.get(rest[0])
    return [module] if module is not None else True


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``ponder`` console script."""
    tolerate_any_encoding()
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv:  # plain ``ponder``: the chat, without building a parser first (start-up)
        return reporting_errors(lambda: run_tui(load_settings(None), None, None))
    parser = build_parser(commands=needs_commands(argv))
    args = parser.parse_args(argv)
    return reporting_errors(lambda: run_parsed(args))


def run_parsed(args: argparse.Namespace) -> int:
    config = Path(args.config).expanduser() if args.config else None
    settings = load_settings(config)
    if args.command is None:
        return run_tui(settings, args.backend, config)
    result = args.run(settings, args)
    if asyncio.iscoroutine(result):
        result = asyncio.run(result)
    return int(result)


def reporting_errors(run: Callable[[], int]) -> int:
    """``run()``'s exit code; a ponder error becomes its one-line message and exit code."""
    try:
        return run()
    except ConfigError as exc:
        print_error(exc)
        return EXIT_USAGE
    except PonderError as exc:
        print_error(exc)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


def tolerate_any_encoding() -> None:
    """Write what a terminal's encoding cannot show as ``?``, never a ``UnicodeEncodeError``."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):
                reconfigure(errors="replace")


def run_tui(settings: Settings, backend: str | None, config: Path | None) -> int:
    from tui import start_gc

    start_gc.hold()  # released by the app once its first frame is drawn (tui.start_gc)
    from tui.app import run_app

    return run_app(settings, backend=backend, config=config)


def print_error(exc: PonderError) -> None:
    """One line: what went wrong — what to do about it (outside text made printable)."""
    from backends.safe_text import one_line

    print(f"ponder: {one_line(str(exc))}", file=sys.stderr)
