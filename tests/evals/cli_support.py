"""Run ``ponder`` in-process with the eval sub-command registered."""

from __future__ import annotations

import pytest

from tui.cli import entry as cli

EVAL_MODULE = "tui.cli.eval"
# For a subprocess: ``python -c CLI_CODE ARGS...`` runs ``ponder ARGS...`` with ``eval`` present.
CLI_CODE = (
    "import sys\n"
    "from tui.cli import entry as cli\n"
    f"if {EVAL_MODULE!r} not in cli.COMMAND_MODULES:\n"
    f"    cli.COMMAND_MODULES.append({EVAL_MODULE!r})\n"
    "sys.exit(cli.main(sys.argv[1:]))\n"
)


def run_ponder(monkeypatch: pytest.MonkeyPatch, *argv: str) -> int:
    """``ponder ARGV`` in this process; returns the exit code."""
    if EVAL_MODULE not in cli.COMMAND_MODULES:
        monkeypatch.setattr(cli, "COMMAND_MODULES", [*cli.COMMAND_MODULES, EVAL_MODULE])
    return cli.main(list(argv))
