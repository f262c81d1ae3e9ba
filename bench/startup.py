"""Start-up to a usable prompt: ponder against a bare Textual app with one Input.

Each run spawns a fresh Python process on a pseudo-terminal (100x32, ``TERM=xterm-256color``)
with a fresh ``HOME``, ``PONDER_DATA_DIR`` and ``PONDER_CONFIG`` (no config file: the defaults,
so ponder's backend is the embedded GGUF). As soon as the prompt's placeholder ("...something")
is painted, the bench types two keys (``zq``), as a user who sees the prompt would, and stops
the clock when the typed text comes back in the app's output (if it does not within
``RETYPE_S``, it types them again: a key sent before the prompt took focus is lost). So the
clock stops only when the first frame is painted, the prompt has focus, and a keystroke reaches
it and is drawn. ponder builds its backend, loads its model and opens its history in the
background, 0.3 s after the first frame (``tui.app.BACKGROUND_DELAY_S``); that is not waited
for, but anything it does that delays the typed keys counts, and the keys typed after the
first ones are timed while it runs (below).

The terminal is in non-echo, non-canonical mode from the start, so the terminal itself echoes
nothing. Runs alternate (bare, ponder, bare, …) after one unmeasured warm-up run of each (the
OS file cache, .pyc files). Both apps run with their bytecode cached, as installed apps do (pip
compiles it): ``PYTHONDONTWRITEBYTECODE`` is dropped and ``PYTHONPYCACHEPREFIX`` points at a
directory of the bench's own, which the warm-up runs fill, so nothing is written into the
source tree. Prints each app's median, the ratio and the target (<= 1.3).
Then, in the same runs, a key every 0.1 s for 1.5 s: how long each takes to be drawn while
ponder builds its backend and loads the model (shown for information; no target).

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
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KEYS = b"zq"  # never in either app's own text
PAINTED = b"something"  # in both placeholders ("Ask something"), drawn with the first frame
RETYPE_S = 0.05
FOLLOW_S, FOLLOW_EVERY_S = 1.5, 0.1  # then one key every 0.1 s for 1.5 s, each timed
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


PYCACHE = Path(tempfile.gettempdir()) / f"ponder-startup-pycache-{os.getuid()}"


def fresh_env(home: Path) -> dict[str, str]:
    """The environment of a first run: nothing configured, no app data cached (bytecode is)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("XDG_", "PONDER_", "TEXTUAL", "COLUMNS", "LINES"))
        and key != "PYTHONDONTWRITEBYTECODE"
    }
    env.update(
        HOME=str(home),
        TERM="xterm-256color",
        COLORTERM="truecolor",
        PONDER_DATA_DIR=str(home / "data"),
        PONDER_CONFIG=str(home / "config" / "config.toml"),
        PYTHONPYCACHEPREFIX=str(PYCACHE),
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


@dataclass
class Run:
    painted_s: float  # spawn to the prompt's placeholder on screen
    usable_s: float  # spawn to the first typed keys drawn
    later_ms: list[float]  # latency of each key typed in the FOLLOW_S after that
    cpu_s: float  # CPU time the app's threads had used when the first keys were drawn


def cpu_seconds(pid: int) -> float:
    """CPU time of all of a process's threads so far (Linux schedstat, in ns)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            total += int((task / "schedstat").read_text().split()[0])
    return total / 1e9


def time_to_prompt(command: list[str]) -> Run:
    """Spawn ``command`` on a terminal; time its first frame, first keys and the keys after."""
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
        screen = Screen(proc, master, start, command)
        try:
            screen.wait_for(PAINTED)
            painted = time.perf_counter() - start
            while not screen.wait_for(KEYS, type_first=KEYS, limit=RETYPE_S):
                pass
            usable = time.perf_counter() - start
            cpu = cpu_seconds(proc.pid)
            later = []
            for n in range(1, int(FOLLOW_S / FOLLOW_EVERY_S) + 1):
                screen.wait_for(None, limit=FOLLOW_EVERY_S)
                typed = time.perf_counter()
                if not screen.wait_for(KEYS + b"x" * n, type_first=b"x", limit=TIMEOUT_S):
                    raise RuntimeError(f"{command}: key {n} after the first never showed")
                later.append((time.perf_counter() - typed) * 1000)
        finally:
            stop(proc, master)
    return Run(painted, usable, later, cpu)


class Screen:
    """The app's terminal output, read as it comes."""

    def __init__(
        self, proc: subprocess.Popen[bytes], master: int, start: float, command: list[str]
    ) -> None:
        self.proc, self.master, self.start, self.command = proc, master, start, command
        self.output = bytearray()

    def wait_for(
        self, text: bytes | None, *, type_first: bytes = b"", limit: float = TIMEOUT_S
    ) -> bool:
        """Type ``type_first``, then read until ``text`` is in the new output or ``limit`` s."""
        seen = max(0, len(self.output) - len(text or b""))
        if type_first:
            os.write(self.master, type_first)
        deadline = time.perf_counter() + limit
        while True:
            now = time.perf_counter()
            if now - self.start > TIMEOUT_S + limit or self.proc.poll() is not None:
                tail = bytes(self.output[-600:]).decode(errors="replace")
                raise RuntimeError(f"{self.command} stopped or hung; output: {tail!r}")
            if now >= deadline:
                return False
            ready, _, _ = select.select([self.master], [], [], deadline - now)
            if ready:
                self.output += read_some(self.master)
                if text is not None and text in self.output[seen:]:
                    return True


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
        runs: dict[str, list[Run]] = {name: [] for name in apps}
        for _ in range(args.runs):
            for name, command in apps.items():
                runs[name].append(time_to_prompt(command))
    print("start-up to a usable prompt (typed keys drawn), ms; first frame painted in brackets")
    for name, results in runs.items():
        usable = " ".join(f"{r.usable_s * 1000:.0f}" for r in results)
        paint = statistics.median(r.painted_s for r in results) * 1000
        median = statistics.median(r.usable_s for r in results) * 1000
        print(f"  {name:13s} median {median:6.0f} ({paint:4.0f})   runs: {usable}")
    print(
        f"keys typed every {FOLLOW_EVERY_S * 1000:.0f} ms in the {FOLLOW_S} s after that "
        "(ponder builds its backend and loads its model then), ms to drawn"
    )
    for name, results in runs.items():
        later = sorted(ms for r in results for ms in r.later_ms)
        p95 = later[max(0, round(0.95 * len(later)) - 1)]
        print(
            f"  {name:13s} p50 {statistics.median(later):5.0f}   p95 {p95:5.0f}   "
            f"max {later[-1]:5.0f}"
        )
    cpu = {name: statistics.median(r.cpu_s for r in results) for name, results in runs.items()}
    bare_cpu, ponder_cpu = cpu["bare textual"], cpu["ponder"]
    print(
        f"CPU time used by then (less sensitive to a busy machine): bare {bare_cpu * 1000:.0f} "
        f"ms, ponder {ponder_cpu * 1000:.0f} ms, ratio {ponder_cpu / bare_cpu:.2f} "
        "(information; the target is on time)"
    )
    times = {name: [r.usable_s for r in results] for name, results in runs.items()}
    ratio = statistics.median(times["ponder"]) / statistics.median(times["bare textual"])
    met = ratio <= args.target
    verdict = "met" if met else "NOT met"
    print(f"ratio ponder/bare {ratio:.2f}   target <= {args.target}   {verdict}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
