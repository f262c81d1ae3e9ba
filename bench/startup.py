"""Start-up to a usable prompt: ponder against a bare Textual app with one Input.

Each run spawns a fresh Python process on a pseudo-terminal (100x32, ``TERM=xterm-256color``)
with a fresh ``HOME``, ``PONDER_DATA_DIR`` and ``PONDER_CONFIG`` (no config file: the defaults,
so ponder's backend is the embedded GGUF). From the moment of spawn the bench "types" a pair of
keys (``zq``) every few milliseconds into the terminal and stops the clock the first time the
typed text comes back in the app's output. So the clock stops only when the first frame is
painted, the prompt has focus and a keystroke reaches it and is drawn: a prompt that is on
screen but not yet taking keys does not count as usable. ponder loads its model in the
background after the first frame; that load is not waited for, but anything it does that
delays the typed keys is counted.

The terminal is in non-echo, non-canonical mode from the start, so nothing is echoed by the
terminal itself before the app takes it over (Textual sets raw mode with ``TCSANOW``, which keeps
keys typed earlier). Runs alternate (bare, ponder, bare, …) after one unmeasured warm-up run of
each (the OS file cache). Prints each app's median, the ratio and the target (<= 1.3).

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
TYPE_EVERY_S = 0.005
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


def time_to_prompt(command: list[str]) -> float:
    """Seconds from spawn until keys typed into the app show up in its output."""
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
        elapsed: float | None = None
        next_key = start
        try:
            while elapsed is None:
                now = time.perf_counter()
                if now - start > TIMEOUT_S or proc.poll() is not None:
                    tail = bytes(output[-600:]).decode(errors="replace")
                    raise RuntimeError(f"{command} never showed the typed keys; output: {tail!r}")
                if now >= next_key:
                    os.write(master, KEYS)
                    next_key = now + TYPE_EVERY_S
                ready, _, _ = select.select([master], [], [], max(0.0, next_key - now))
                if ready:
                    output += read_some(master)
                    if KEYS in output:
                        elapsed = time.perf_counter() - start
        finally:
            stop(proc, master)
    return elapsed


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
        for _ in range(args.runs):
            for name, command in apps.items():
                times[name].append(time_to_prompt(command))
    for name, values in times.items():
        runs = " ".join(f"{v * 1000:.0f}" for v in values)
        print(f"{name:13s} median {statistics.median(values) * 1000:6.0f} ms   runs: {runs}")
    ratio = statistics.median(times["ponder"]) / statistics.median(times["bare textual"])
    met = ratio <= args.target
    verdict = "met" if met else "NOT met"
    print(f"ratio ponder/bare {ratio:.2f}   target <= {args.target}   {verdict}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
