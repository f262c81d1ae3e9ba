"""Helpers for the history tests: a ``ponder`` subprocess environment and timed output capture."""

from __future__ import annotations

import codecs
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from tests.support.signals import default_sigint

ROOT = Path(__file__).resolve().parents[2]
API_KEY = "sk-ponder-test-9f8e7d6c5b4a39281706f5e4d3c2b1a0"
KEY_ENV = "PONDER_TEST_KEY"
# Runs the real CLI with the history commands registered (a no-op once tui.cli.entry lists them).
CLI = (
    "import sys; from tui.cli import entry as cli; "
    "'tui.cli.history' in cli.COMMAND_MODULES or cli.COMMAND_MODULES.append('tui.cli.history'); "
    "sys.exit(cli.main(sys.argv[1:]))"
)


def ponder_env(tmp_path: Path, base_url: str | None = None, top: str = "") -> dict[str, str]:
    """Environment for a ``ponder`` subprocess: config and data in ``tmp_path``, a test key.

    ``top`` is extra top-level config (e.g. ``history = false``).
    """
    config = tmp_path / "config.toml"
    lines = [top] if top else []
    if base_url:
        lines += [
            "[backends.paced]",
            'kind = "openai-compat"',
            f'base_url = "{base_url}"',
            'model = "paced-model"',
            f'api_key_env = "{KEY_ENV}"',
        ]
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env.update(
        PONDER_CONFIG=str(config),
        PONDER_DATA_DIR=str(tmp_path / "data"),
        PYTHONPATH=str(ROOT),
        **{KEY_ENV: API_KEY},
    )
    return env


def ponder(env: dict[str, str], *args: str, **popen: object) -> subprocess.Popen[bytes]:
    """Start ``ponder ARGS`` (the real CLI) as a subprocess."""
    return subprocess.Popen(  # type: ignore[call-overload]
        [sys.executable, "-c", CLI, *args],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        preexec_fn=default_sigint,
        **popen,
    )


def run_ponder(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CLI, *args],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


class TimedReader:
    """Reads a pipe in a thread, remembering when each character arrived (``time.monotonic``)."""

    def __init__(self, pipe: IO[bytes]) -> None:
        self.pipe = pipe
        self.text = ""
        self.arrivals: list[tuple[int, float]] = []  # (offset of the chunk's first char, time)
        self.cond = threading.Condition()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        fd = self.pipe.fileno()
        while True:
            chunk = os.read(fd, 65536)
            now = time.monotonic()
            with self.cond:
                piece = decoder.decode(chunk, final=not chunk)
                if piece:
                    self.arrivals.append((len(self.text), now))
                    self.text += piece
                self.cond.notify_all()
            if not chunk:
                return

    def wait_for(self, predicate: Callable[[str], bool], timeout_s: float) -> bool:
        with self.cond:
            return self.cond.wait_for(lambda: predicate(self.text), timeout_s)

    def arrived_at(self, offset: int) -> float:
        """When the character at ``offset`` was read."""
        with self.cond:
            times = [t for start, t in self.arrivals if start <= offset]
            return times[-1]
