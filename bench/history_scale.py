"""Does a big history slow ponder down? Startup with 10,000 chats x 20 messages vs an empty one.

Measures, for an empty history and a big one (built once, cached in ``--dir``):

* ``store``: ``Store.open`` + the chat list's first page, in-process (median of ``--repeat``);
* ``process``: a fresh Python process from spawn until the first page is loaded;
* ``app``: a fresh process from spawn until the chat app (``tui.app.make_app`` under Textual's
  ``run_test``, given the history file as its store) is interactive: the prompt has focus and
  the app has opened the history (the chat list is not shown at start);
* ``list``: in that process, from pressing the chat list key (f5) until the list shows its
  first page;
* ``recorder``: while a reply streams into the big history (a delta every 2 ms for 2 s), how
  long ``feed`` takes, how late the event loop runs, and how long each flush write takes.

Prints each timing and the big/empty ratio. The issue's target (<= 1.2) is on ``app`` (start-up to
an interactive prompt) and ``list``; ``store`` and ``process`` are parts of it, shown for
diagnosis with the absolute difference (a ratio of sub-millisecond times is mostly noise). Run:
``python bench/history_scale.py [--chats 10000] [--messages 20] [--repeat 9]``.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from backends.events import Finished, ReasoningDelta, StopReason, TextDelta  # noqa: E402
from backends.store import history  # noqa: E402
from backends.store.db import Store  # noqa: E402
from backends.store.recorder import MessageRecorder  # noqa: E402

WORDS = [
    "budget",
    "thinking",
    "token",
    "cache",
    "latency",
    "model",
    "answer",
    "reason",
    "prompt",
    "stream",
    "window",
    "decode",
    "sample",
    "layer",
    "weight",
    "matrix",
    "vector",
    "python",
    "sqlite",
    "index",
    "search",
    "export",
    "because",
    "therefore",
    "however",
    "consider",
    "first",
    "second",
    "third",
    "result",
    "value",
    "error",
    "retry",
]

PROCESS_PROBE = """
import time, sys
t0 = time.perf_counter()
from backends.store.db import Store
from backends.store import history
store = Store.open(sys.argv[1])
page = history.list_chats(store)
print(time.perf_counter() - t0, len(page.chats))
"""

APP_PROBE = """
import asyncio, sys, time
t0 = time.perf_counter()
from backends.config import Settings
from backends.store.db import Store
from tui.app import make_app
from tui.history.chat_list import ChatListScreen, ChatOptions
from tui.widgets.prompt import PromptInput

async def main():
    async def ready(name):
        return None
    app = make_app(Settings(), backend_factory=lambda name: None, availability=ready,
                   store=lambda: Store.open(sys.argv[1]))
    async with app.run_test(size=(100, 32)) as pilot:
        while not (isinstance(app.focused, PromptInput) and app.history.store is not None):
            await pilot.pause()
        startup = time.perf_counter() - t0
        t1 = time.perf_counter()
        await pilot.press("f5")
        while not (isinstance(app.screen, ChatListScreen) and not app.screen.fetching
                   and app.screen.query_one(ChatOptions).option_count):
            await pilot.pause()
        shown = time.perf_counter() - t1
        rows = app.screen.query_one(ChatOptions).option_count
    print(startup, shown, rows)

asyncio.run(main())
"""


def sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def build(path: Path, chats: int, per_chat: int) -> None:
    """Fill a history with ``chats`` chats of ``per_chat`` messages (user/assistant pairs)."""
    rng = random.Random(7)
    started = time.perf_counter()
    with Store.open(path) as store, store.write() as conn:
        now = time.time()
        for n in range(chats):
            at = now - (chats - n) * 600.0
            chat = conn.execute(
                "INSERT INTO chats (title, created_at, updated_at, backend, model) "
                "VALUES (?, ?, ?, 'local', 'tiny')",
                (sentence(rng, 6), at, at + 60),
            ).lastrowid
            rows = []
            for i in range(per_chat):
                role = "user" if i % 2 == 0 else "assistant"
                text = sentence(rng, 25 if role == "user" else 110)
                thinking = "" if role == "user" else sentence(rng, 140)
                meters = None if role == "user" else '{"usage":{"input":100,"output":250}}'
                rows.append((chat, role, text, thinking, meters, at + i))
            conn.executemany(
                "INSERT INTO messages (chat_id, role, text, thinking, meters_json, status, "
                "created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'complete', ?, ?)",
                [(*row, row[-1]) for row in rows],
            )
    size = path.stat().st_size / 1e6
    print(
        f"built {chats} chats x {per_chat} messages: {size:.0f} MB in "
        f"{time.perf_counter() - started:.0f}s"
    )


def store_startup(path: Path) -> float:
    started = time.perf_counter()
    store = Store.open(path)
    history.list_chats(store)
    elapsed = time.perf_counter() - started
    store.close()
    return elapsed


def probe(script: str, path: Path) -> list[float]:
    """Run ``script`` in a fresh Python on ``path``; return the numbers it printed."""
    result = subprocess.run(
        [sys.executable, "-c", script, str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0:
        raise SystemExit(result.stderr[-2000:])
    return [float(word) for word in result.stdout.split()]


def compare(name: str, measure, paths: dict[str, Path], repeat: int) -> None:  # type: ignore[no-untyped-def]
    """Median of ``measure(path)`` per history; ratios of the big one to the others."""
    compare_all([name], lambda path: [measure(path)], paths, repeat)


def compare_all(names: list[str], measure, paths: dict[str, Path], repeat: int) -> None:  # type: ignore[no-untyped-def]
    """Like ``compare`` for a measure that returns one number per name (one run, many timings)."""
    times: dict[str, list[list[float]]] = {label: [] for label in paths}
    for _ in range(repeat):  # interleaved, so drift in machine load hits all alike
        for label, path in paths.items():
            times[label].append(measure(path))
    for index, name in enumerate(names):
        report(name, {label: [run[index] for run in runs] for label, runs in times.items()})


TARGETED = {"app", "list"}  # what a user waits for: start-up to the prompt, opening the list


def report(name: str, times: dict[str, list[float]]) -> None:
    medians = {label: statistics.median(values) for label, values in times.items()}
    big = medians["big"]
    cells = "  ".join(f"{label} {value * 1000:7.1f} ms" for label, value in medians.items())
    ratio = big / medians["empty"]
    if name in TARGETED:
        verdict = f"{'ok' if ratio <= 1.2 else 'OVER TARGET'}, target 1.2"
    else:
        verdict = f"part of start-up, {(big - medians['empty']) * 1000:+.1f} ms"
    print(
        f"{name:<8} {cells}  big/empty {ratio:4.2f} ({verdict})"
        f"  big/10 chats {big / medians['10 chats']:4.2f}"
    )


async def recorder_under_load(path: Path) -> None:
    """Stream into the big history; report feed time, event-loop lateness and write times."""
    store = Store.open(path)
    chat = store.create_chat("bench")
    recorder = MessageRecorder(store, chat, backend="bench", kind="llama", model="tiny")
    recorder.begin()
    feeds: list[float] = []
    lateness: list[float] = []
    stop = asyncio.Event()

    async def ticker() -> None:
        while not stop.is_set():
            before = time.perf_counter()
            await asyncio.sleep(0.001)
            lateness.append(time.perf_counter() - before - 0.001)

    tick = asyncio.create_task(ticker())
    end = time.perf_counter() + 2.0
    n = 0
    while time.perf_counter() < end:
        event = ReasoningDelta(f"think{n} ") if n < 400 else TextDelta(f"word{n} ")
        started = time.perf_counter()
        recorder.feed(event)
        feeds.append(time.perf_counter() - started)
        n += 1
        await asyncio.sleep(0.002)
    recorder.feed(Finished(StopReason.STOP))
    stop.set()
    await tick
    await recorder.aclose()
    history.delete_chat(store, chat)  # keep the cached history as built
    store.close()
    writes = recorder.flush_seconds
    q = statistics.quantiles
    print(
        f"recorder {n} deltas in 2 s into the big history: feed p50 "
        f"{statistics.median(feeds) * 1e6:.1f} us, p99 {q(feeds, n=100)[98] * 1e6:.1f} us, "
        f"max {max(feeds) * 1e6:.0f} us; event loop late p99 {q(lateness, n=100)[98] * 1e3:.2f}"
        f" ms, max {max(lateness) * 1e3:.2f} ms; {len(writes)} writes (flush thread): p50 "
        f"{statistics.median(writes) * 1e3:.2f} ms, max {max(writes) * 1e3:.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "ponder-bench")
    args = parser.parse_args()
    big = args.dir / f"big-{args.chats}x{args.messages}" / "history.db"
    small = args.dir / f"small-10x{args.messages}" / "history.db"
    empty = args.dir / "empty" / "history.db"
    for path, chats in ((big, args.chats), (small, 10)):
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            build(path, chats, args.messages)
    Store.open(empty).close()
    with Store.open(big) as store:
        print(
            f"big history: {history.count_chats(store)} chats, "
            f"{store.query('SELECT count(*) FROM messages')[0][0]} messages"
        )
    paths = {"empty": empty, "10 chats": small, "big": big}
    compare("store", store_startup, paths, args.repeat * 5)
    compare("process", lambda p: probe(PROCESS_PROBE, p)[0], paths, args.repeat)
    compare_all(["app", "list"], lambda p: probe(APP_PROBE, p)[:2], paths, args.repeat)
    asyncio.run(recorder_under_load(big))


if __name__ == "__main__":
    main()
