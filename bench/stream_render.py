"""Streaming render: 20,000 Markdown tokens into the chat as fast as a backend can push them.

A synthetic backend (a ``Backend`` subclass given to ``make_app`` through ``backend_factory``,
as the TUI tests inject theirs) streams a Markdown answer of headings, paragraphs with inline
markup, bullet lists, fenced code blocks and one table, in word-sized pieces, never waiting.
The chat runs headless under Textual's ``run_test`` (100x32). While it streams, the bench types
a letter into the prompt with ``Pilot.press`` every ``--key-every`` seconds and measures how long
until the prompt holds it ("handled") and until the first frame written out with it ("drawn":
each frame's prompt text is recorded as it is written). While keys are typed, the answer
grows only in the gaps after them (``tui/widgets/keys_first.py``), and that is measured too. After
the reply ends it checks that all the text reached the screen: the answer widget's Markdown
source equals what was sent, every code block and the table were rendered as such (finished
blocks of a long answer are frozen into lines, ``tui/widgets/frozen_lines.py``, which count the
blocks they were drawn from), every part's heading and code are in the drawn text, and the
last words are in the last rendered block.

The first line is the shipped setting (the answer batching of ``tui/widgets/messages.py``,
``AssistantMessage.flush_s``, now none: every piece is written to the answer stream, which
joins what arrives while it draws a step) on ``--tokens`` pieces; then each other ``--flush``
interval (50 ms by default) on ``--compare-tokens`` pieces (default: as many), side by side.
Each line: total render time (request to the reply's end) and keystroke latency p50/p95.
Target: keystroke p95 (drawn) < 50 ms.

    python bench/stream_render.py [--tokens 20000] [--compare-tokens N] [--key-every 0.05]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from textual.app import App
from textual.screen import Screen

from backends.base import Backend, BackendSpec
from backends.capabilities import Capabilities
from backends.config import Settings
from backends.events import Finished, ReasoningDelta, StopReason, StreamEvent, TextDelta, Usage
from backends.request import ChatRequest
from tui.app import make_app
from tui.chat.screen import ChatScreen
from tui.widgets.messages import ANSWER_FLUSH_S, AssistantMessage
from tui.widgets.prompt import PromptInput

TARGET_P95_MS = 50.0
THOUGHT_ANSWER = "The answer, after the thinking."
SIZE = (100, 32)
TABLE_SECTION = 3
KEY_TIMEOUT_S = 60.0
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
    "render",
    "frame",
    "widget",
    "markdown",
    "table",
]


def section(n: int) -> str:
    """One section of the answer: a heading, paragraphs, a list, a code block; one has a table."""
    words = [WORDS[(n * 7 + i * 3) % len(WORDS)] for i in range(200)]
    table = ""
    if n == TABLE_SECTION:
        rows = "".join(
            f"| {WORDS[(n + r) % len(WORDS)]} | {r * 17 + n} | {(r + n) % 5 / 4:.2f} |\n"
            for r in range(8)
        )
        table = "| name | count | share |\n|---|---:|---:|\n" + rows + "\n"
    code = "".join(
        f"    {words[100 + i]}_{i} = {words[120 + i]}(x, {i})  # {words[140 + i]}\n"
        for i in range(10)
    )
    return (
        f"## Part {n}: {words[0]} and {words[1]}\n\n"
        f"{' '.join(words[2:80]).capitalize()}, with **bold {words[80]}**, *{words[81]}* "
        f"and `inline_{words[82]}()`.\n\n"
        f"{' '.join(words[83:140]).capitalize()}.\n\n"
        + "".join(f"- {words[i]} {words[i + 1]} {words[i + 2]}\n" for i in range(140, 149, 3))
        + f"\n```python\ndef {words[5]}_{n}(x: int) -> int:\n{code}    return x\n```\n\n"
        + table
        + f"{' '.join(words[150:190]).capitalize()}.\n\n"
    )


def pieces(text: str) -> list[str]:
    """Word-sized pieces (a word with its trailing space or newline), as models stream."""
    out: list[str] = []
    word = ""
    for char in text:
        word += char
        if char in " \n":
            out.append(word)
            word = ""
    if word:
        out.append(word)
    return out


def answer(tokens: int) -> tuple[str, list[str], int]:
    """The answer text, its pieces (at least ``tokens``) and its number of code blocks."""
    parts: list[str] = []
    count = 0
    while count < tokens:
        text = section(len(parts))
        parts.append(text)
        count += len(pieces(text))
    text = "".join(parts) + "The end of the answer: every piece arrived."
    return text, pieces(text), len(parts)


class SyntheticBackend(Backend):
    """Streams the given pieces as text deltas, as fast as the consumer takes them.

    With ``think_every`` (s) the pieces are thinking instead, one per ``think_every`` (thinking
    is drawn on a timer, so a firehose of it would only test the timer), then a short answer.
    """

    kind = "synthetic"
    capabilities = Capabilities()

    def __init__(self, chunks: list[str], think_every: float | None = None) -> None:
        super().__init__(BackendSpec(name="synthetic", kind="synthetic", model="synthetic-1"))
        self.chunks = chunks
        self.think_every = think_every

    async def _stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        for chunk in self.chunks:
            if self.think_every is None:
                yield TextDelta(chunk)
            else:
                yield ReasoningDelta(chunk)
                await asyncio.sleep(self.think_every)
        if self.think_every is not None:
            yield TextDelta(THOUGHT_ANSWER)
        yield Finished(StopReason.STOP, usage=Usage(input=10, output=len(self.chunks)))


@dataclass
class Result:
    render_s: float
    handled_ms: list[float] = field(default_factory=list)
    drawn_ms: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    widgets: int = 0  # in the chat screen once the reply is shown
    layout_ms: float = 0.0  # one full layout and frame of that screen


def p95(values: list[float]) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def p50(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


async def run_once(
    flush_s: float,
    text: str,
    chunks: list[str],
    sections: int,
    key_every: float,
    think_every: float | None = None,
) -> Result:
    AssistantMessage.flush_s = flush_s
    backend = SyntheticBackend(chunks, think_every)

    async def ready(name: str) -> str | None:
        return None

    app = make_app(Settings(), backend_factory=lambda name: backend, availability=ready)
    async with app.run_test(size=SIZE) as pilot:
        screen = next(s for s in app.screen_stack if isinstance(s, ChatScreen))
        await screen.slot.wait()
        prompt = screen.query_one(PromptInput)
        frames = frame_times(app, prompt)
        prompt.insert("go")
        started = time.perf_counter()
        enter = asyncio.create_task(pilot.press("enter"))  # press() returns when all is idle
        while screen.worker is None:
            await asyncio.sleep(0.001)
        worker = screen.worker
        handled: list[float] = []
        drawn: list[float] = []
        letter = 0
        presses: list[asyncio.Task[None]] = []
        while not worker.is_finished:
            await asyncio.sleep(key_every)
            if worker.is_finished:
                break
            key = "abcdefghijklmnopqrstuvwxyz"[letter % 26]
            letter += 1
            before = prompt.text
            first = len(frames)  # frames written from now on
            pressed = time.perf_counter()
            presses.append(asyncio.create_task(pilot.press(key)))
            while prompt.text == before:
                if time.perf_counter() - pressed > KEY_TIMEOUT_S:
                    raise RuntimeError(f"the key {key!r} never reached the prompt")
                await asyncio.sleep(0.0005)
            handled.append((time.perf_counter() - pressed) * 1000)
            while not (shown := [t for t, text in frames[first:] if text != before]):
                await asyncio.sleep(0.0005)
            drawn.append((shown[0] - pressed) * 1000)  # the first frame written with the key
        await worker.wait()
        render_s = time.perf_counter() - started
        await asyncio.gather(enter, *presses)
        await pilot.pause()
        view = screen.query(AssistantMessage).last()
        while view.answer.busy:  # a freeze of the last finished blocks
            await pilot.pause()
        result = Result(render_s, handled, drawn)
        if think_every is None:
            result.problems = check_screen(view, text, sections)
        else:
            result.problems = check_thinking(view, text)
        result.widgets = sum(1 for _ in screen.walk_children())
        layout = time.perf_counter()
        screen.refresh(layout=True)
        await pilot.pause()
        result.layout_ms = (time.perf_counter() - layout) * 1000
    return result


def frame_times(app: App[None], prompt: PromptInput) -> list[tuple[float, str]]:
    """When each frame was written out, with the prompt's text it drew (``_display`` wrapped).

    A frame is rendered and written in one go, so the prompt's text when it is written is the
    text the frame shows. (Taking the first frame after the bench saw the key would skip the
    frame that drew it whenever that frame came before the bench's next look.)
    """
    frames: list[tuple[float, str]] = []
    display = app._display

    def timed(screen: Screen[object], update: object) -> None:
        display(screen, update)  # type: ignore[arg-type]
        frames.append((time.perf_counter(), prompt.text))

    app._display = timed  # type: ignore[method-assign,assignment]
    return frames


def check_thinking(view: AssistantMessage, text: str) -> list[str]:
    """What of the thinking did not make it to the screen (its pieces, tui/widgets/thinking)."""
    from textual.widgets import Static

    problems = []
    pieces = [w for w in view.thinking.query(".thinking-text") if isinstance(w, Static)]
    shown = "\n".join(str(piece.render()) for piece in pieces)
    if view.thinking.text != text or shown != text:
        problems.append(f"the thinking pane shows {len(shown)} of {len(text)} characters")
    if view.answer.source != THOUGHT_ANSWER:
        problems.append(f"the answer after the thinking is {view.answer.source!r}")
    return problems


def check_screen(view: AssistantMessage, text: str, sections: int) -> list[str]:
    """What did not make it to the screen (empty when everything did).

    Finished blocks of a long answer are frozen into the lines they drew (``FrozenLines``,
    see ``tui/widgets/frozen_lines.py``): they count the code blocks and tables they were
    drawn from, and their lines must hold every part's heading, code and closing words.
    """
    from textual.widgets._markdown import MarkdownBlock, MarkdownFence, MarkdownTable

    problems = []
    answer = view.answer
    if answer.source != text:
        problems.append(f"the Markdown source has {len(answer.source)} of {len(text)} characters")
    frozen = answer.frozen
    fences = len(answer.query(MarkdownFence)) + frozen.blocks["MarkdownFence"]
    tables = len(answer.query(MarkdownTable)) + frozen.blocks["AlignedTable"]
    want = 1 if sections > TABLE_SECTION else 0  # a short answer has no table
    if fences != sections or tables != want:
        problems.append(f"{fences} of {sections} code blocks and {tables} of {want} table rendered")
    live = [block for block in answer.query(MarkdownBlock) if not block.query(MarkdownBlock)]
    shown = frozen.text + "\n" + "\n".join(str(block._content) for block in live)
    missing = [
        n
        for n in range(sections)
        if f"Part {n}:" not in shown or f"_{n}(x: int) -> int:" not in shown
    ]
    if missing:
        problems.append(f"{len(missing)} parts missing (first: {missing[0]})")
    blocks = answer.blocks()
    last = str(blocks[-1]._content) if blocks else ""
    if "every piece arrived." not in last:
        problems.append(f"the last rendered block is {last[-80:]!r}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=20_000, help="pieces to stream")
    parser.add_argument(
        "--compare-tokens",
        type=int,
        default=None,
        help="pieces for the other intervals (default: --tokens)",
    )
    parser.add_argument("--key-every", type=float, default=0.05, help="seconds between keys")
    parser.add_argument(
        "--flush",
        type=float,
        nargs="+",
        default=[ANSWER_FLUSH_S, 0.05],
        help="answer batching intervals to compare (s; 0 = none)",
    )
    parser.add_argument(
        "--thinking-tokens", type=int, default=4000, help="thinking pieces (0: no thinking run)"
    )
    parser.add_argument(
        "--think-every", type=float, default=0.003, help="seconds between thinking pieces"
    )
    args = parser.parse_args()
    compare = args.tokens if args.compare_tokens is None else args.compare_tokens
    others = [flush for flush in args.flush if flush != ANSWER_FLUSH_S]
    runs: list[tuple[str, float, int, float | None]] = [
        ("answer", ANSWER_FLUSH_S, args.tokens, None)
    ]
    runs += [(f"answer, {flush * 1000:.0f} ms batching", flush, compare, None) for flush in others]
    if args.thinking_tokens:
        runs.append(("thinking", ANSWER_FLUSH_S, args.thinking_tokens, args.think_every))
    every = args.key_every * 1000
    print(
        f"Markdown answers of headings, paragraphs, lists, code blocks and one table, streamed "
        f"as fast as the chat takes them; thinking, one piece every {args.think_every * 1000:g} "
        f"ms; terminal {SIZE[0]}x{SIZE[1]}; keys typed every {every:.0f} ms"
    )
    print(
        f"{'stream':<26s} {'pieces':>7s} {'render s':>9s} {'keys':>5s} "
        f"{'handled p50/p95 ms':>19s} {'drawn p50/p95 ms':>17s}  widgets  layout ms  "
        "on screen"
    )
    ok = True
    for label, flush_s, tokens, think_every in runs:
        text, chunks, code_blocks = answer(tokens)
        run = run_once(flush_s, text, chunks, code_blocks, args.key_every, think_every)
        result = asyncio.run(run)
        drawn95 = p95(result.drawn_ms)
        met = drawn95 < TARGET_P95_MS  # False when no key was timed (nan)
        ok = ok and met and not result.problems
        print(
            f"{label:<26s} {len(chunks):7d} {result.render_s:9.2f} {len(result.drawn_ms):5d} "
            f"{p50(result.handled_ms):9.1f}/{p95(result.handled_ms):<9.1f} "
            f"{p50(result.drawn_ms):7.1f}/{drawn95:<9.1f} "
            f"{result.widgets:7d}  {result.layout_ms:9.0f}  "
            f"{'all text' if not result.problems else '; '.join(result.problems)}"
            f"   p95 < {TARGET_P95_MS:.0f} ms: {'met' if met else 'NOT met'}"
        )
    print(
        "render s: request to the end of the reply; handled: key press to the prompt holding "
        "it; drawn: to the first frame written with it; widgets: in the chat screen at the end; "
        "layout ms: one full layout and frame of it."
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
