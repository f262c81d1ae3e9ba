"""Start-up to a usable prompt: ponder against a bare Textual app with one Input.

Each run spawns a fresh Python process on a pseudo-terminal (100x32, ``TERM=xterm-256color``)
with a fresh ``HOME``, ``PONDER_DATA_DIR`` and ``PONDER_CONFIG`` (no config file: the defaults,
so ponder's backend is the embedded GGUF). As soon as the prompt's placeholder ("...something")
is painted, the bench types two keys (``zq``), as a user who sees the prompt would, and stops
the clock when the typed text comes back in the app's output (if it does not within
``RETYPE_S``, it types them again: a key sent before the prompt took focus is lost). So the
clock stops only when the first frame is painted, the prompt has focus, and a keystroke reaches
it and is drawn. ponder builds its backend and loads its model in the background after the
first frame; that is not waited for, but anything it does that delays the typed keys counts.

The terminal is in non-echo, non-canonical mode from the start, so the terminal itself echoes
nothing. Runs alternate (bare, ponder, bare, …) after one unmeasured warm-up run of each (the
OS file cache, .pyc files). Prints each app's median, the ratio and the target (<= 1.3).

    python bench/startup.py [--runs 7] [--target 1.3]
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KEYS = b"zq"  # never in either app's own text
PAINTED = b"something"  # in both placeholders ("Ask something"), drawn with the first frame
RETYPE_S = 0.05
TIMEOUT_S = 30.0
COLUMNS, ROWS = 100, 32

BARE_APP = """\
from textual.app import App, ComposeResult
from textual.widgets import Input


class Bare(App[None]):
    def compose(self) -> ComposeResult:
        yield Input(placeholder="Ask something")


Bare().run()
"""


def commands(bare_file: Path) -> dict[str, list[str]]:
    return {
        "bare textual": [sys.executable, str(bare_file)],
        "ponder": [sys.executable, "-m", "tui.cli"],
    }


def fresh_env(home: Path) -> dict[str, str]:
    """The environment of a first run: nothing configured, nothing cached."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("XDG_", "PONDER_", "TEXTUAL", "COLUMNS", "LINES"))
    }
    env.update(
        HOME=str(home),
        TERM="xterm-256color",
        COLORTERM="truecolor",
        PONDER_DATA_DIR=str(home / "data"),
        PONDER_CONFIG=str(home / "config" / "config.toml"),
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    )
    return env


def open_terminal() -> tuple[int, int]:
    """A pseudo-terminal of COLUMNS x ROWS whose line discipline neither echoes nor buffers."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
    attrs = termios.tcgetattr(slave)
    attrs[3] &= ~(termios.ECHO | termios.ICANON)
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    return master, slave


def time_to_prompt(command: list[str]) -> tuple[float, float]:
    """Seconds from spawn until the prompt is painted, and until keys typed into it are drawn."""
    master, slave = open_terminal()
    with tempfile.TemporaryDirectory(prefix="ponder-startup-") as tmp:
        home = Path(tmp)
        start = time.perf_counter()
        proc = subprocess.Popen(
            command,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=fresh_env(home),
            cwd=tmp,
            start_new_session=True,
        )
        os.close(slave)
        output = bytearray()
        painted = 0.0
        elapsed: float | None = None
        next_key: float | None = None  # when to type; None until the first frame is seen
        try:
            while elapsed is None:
                now = time.perf_counter()
                if now - start > TIMEOUT_S or proc.poll() is not None:
                    tail = bytes(output[-600:]).decode(errors="replace")
                    raise RuntimeError(f"{command} never showed the typed keys; output: {tail!r}")
                if next_key is not None and now >= next_key:
                    os.write(master, KEYS)
                    next_key = now + RETYPE_S
                wait = 0.1 if next_key is None else max(0.0, next_key - now)
                ready, _, _ = select.select([master], [], [], wait)
                if ready:
                    output += read_some(master)
                    if next_key is None and PAINTED in output:
                        next_key = time.perf_counter()
                        painted = next_key - start
                    if KEYS in output:
                        elapsed = time.perf_counter() - start
        finally:
            stop(proc, master)
    return painted, elapsed


def read_some(fd: int) -> bytes:
    try:
        return os.read(fd, 65536)
    except OSError:  # the app exited and closed the terminal
        return b""


def stop(proc: subprocess.Popen[bytes], master: int) -> None:
    """Quit the app (ctrl+q), drain its output, kill it if it does not exit; wait for it."""
    deadline = time.perf_counter() + 5.0
    with contextlib.suppress(OSError):
        os.write(master, b"\x11")
    while proc.poll() is None and time.perf_counter() < deadline:
        ready, _, _ = select.select([master], [], [], 0.05)
        if ready and not read_some(master):
            break
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    os.close(master)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="measured runs of each app")
    parser.add_argument("--target", type=float, default=1.3, help="ponder/bare ratio to meet")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bare_file = Path(tmp) / "bare_app.py"
        bare_file.write_text(BARE_APP)
        apps = commands(bare_file)
        for command in apps.values():  # warm-up: file cache, .pyc files
            time_to_prompt(command)
        times: dict[str, list[float]] = {name: [] for name in apps}
        painted: dict[str, list[float]] = {name: [] for name in apps}
        for _ in range(args.runs):
            for name, command in apps.items():
                paint, usable = time_to_prompt(command)
                painted[name].append(paint)
                times[name].append(usable)
    print("start-up to a usable prompt (typed keys drawn), ms; first frame in brackets")
    for name, values in times.items():
        runs = " ".join(f"{v * 1000:.0f}" for v in values)
        paint = statistics.median(painted[name]) * 1000
        median = statistics.median(values) * 1000
        print(f"{name:13s} median {median:6.0f} ({paint:4.0f})   runs: {runs}")
    ratio = statistics.median(times["ponder"]) / statistics.median(times["bare textual"])
    met = ratio <= args.target
    verdict = "met" if met else "NOT met"
    print(f"ratio ponder/bare {ratio:.2f}   target <= {args.target}   {verdict}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
