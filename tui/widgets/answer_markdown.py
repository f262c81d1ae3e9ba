"""The answer's Markdown: single newlines kept, table column alignment honoured.

Model output often relies on single line breaks (a poem, an address, "Step 1 … / Step 2 …").
Standard Markdown joins them into one paragraph; here a newline inside a paragraph is a line
break (markdown-it's ``breaks``, applied to the tokens Textual renders). Code blocks are
untouched, and streaming is unchanged: the rule lives in the parser every append uses.
Textual's table ignores the ``:--:`` / ``--:`` alignment row; ``AlignedTable`` reads it from the
parsed header cells and aligns every cell of the column.

A long answer (more than ``FREEZE_FROM`` blocks) keeps only its last ``LIVE_BLOCKS`` blocks as
widgets: the finished ones are frozen into the lines they drew (``frozen_lines``), so the cost of
an append and of a frame stays bounded however long the answer grows. A short answer stays all
widgets. ``source`` is the whole answer (while a rebuild runs, ``busy``, the part redrawn).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Coroutine, Iterable
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from textual import errors
from textual.app import ComposeResult
from textual.await_complete import AwaitComplete
from textual.content import Content
from textual.css.types import TextAlign
from textual.geometry import Region
from textual.widgets import Markdown, Static
from textual.widgets._markdown import (
    MarkdownBlock,
    MarkdownTable,
    MarkdownTableContent,
    MarkdownTH,
)

from tui.widgets.frozen_lines import FrozenLines, paint_band
from tui.widgets.keys_first import KeysFirst

LIVE_BLOCKS = 1  # top-level blocks kept as widgets; the finished ones before them are frozen
FREEZE_FROM = 12  # an answer of at most this many blocks is never frozen
FREEZE_STEP = 8  # most blocks frozen in one step (a stored or rebuilt answer: many steps)
REBUILD_LINES = 40  # a rebuilt answer is appended in pieces of this many lines
STEP_LINES = 12  # most lines a stream appends at once (more wait for the next step)
STEP_PAUSE_S = 0.03  # least pause between two steps (frames without new text are cheap)
ALIGNMENTS: dict[str, TextAlign] = {"left": "left", "center": "center", "right": "right"}


def answer_parser() -> MarkdownIt:
    """Textual's default parser ("gfm-like") with single newlines as line breaks."""
    parser = MarkdownIt("gfm-like", {"breaks": True})
    parser.core.ruler.push("soft_breaks_are_breaks", _hard_breaks)
    return parser


def _hard_breaks(state: StateCore) -> None:
    # markdown-it leaves ``breaks`` to its HTML renderer; Textual renders the tokens itself
    # (a softbreak as a space), so turn the paragraph-internal newlines into hard breaks here.
    for token in state.tokens:
        if token.type == "inline" and token.children:
            for child in token.children:
                if child.type == "softbreak":
                    child.type = "hardbreak"


def cell_alignment(style: object) -> TextAlign | None:
    """``text-align:right`` (markdown-it's attribute on a table cell) as a text-align value."""
    if not isinstance(style, str) or ":" not in style:
        return None
    name, _, value = style.partition(":")
    return ALIGNMENTS.get(value.strip()) if name.strip() == "text-align" else None


class AlignedTableContent(MarkdownTableContent):
    """Textual's table grid with each column's cells aligned as the alignment row says."""

    def __init__(
        self, headers: list[Content], rows: list[list[Content]], aligns: list[TextAlign | None]
    ) -> None:
        super().__init__(headers, rows)
        self.aligns = aligns

    def on_mount(self) -> None:
        super().on_mount()
        self._align()

    async def _update_rows(self, updated_rows: list[list[Content]]) -> None:
        await super()._update_rows(updated_rows)  # rows streamed in are aligned too
        self._align()

    def _align(self) -> None:
        columns = len(self.headers)
        if not columns or not any(self.aligns):
            return
        for index, cell in enumerate(self.query_children(Static)):
            align = self.aligns[index % columns] if index % columns < len(self.aligns) else None
            if align is not None:
                cell.styles.text_align = align


class AlignedTable(MarkdownTable):
    """A Markdown table whose columns keep their ``:--`` / ``:-:`` / ``--:`` alignment."""

    def compose(self) -> ComposeResult:
        headers, rows = self._get_headers_and_rows()
        self._headers = headers
        self._rows = rows
        yield AlignedTableContent(headers, rows, self._alignments())

    def _alignments(self) -> list[TextAlign | None]:
        def flatten(block: MarkdownBlock) -> Iterable[MarkdownBlock]:
            for child in block._blocks:
                yield from flatten(child)
                yield child

        return [
            cell_alignment(block._token.attrs.get("style"))
            for block in flatten(self)
            if isinstance(block, MarkdownTH)
        ]


class AnswerMarkdown(Markdown):
    """``Markdown`` for model answers (see the module docstring); links never open."""

    BLOCKS = {**Markdown.BLOCKS, "table_open": AlignedTable}  # noqa: RUF012 (as Textual does)

    def __init__(self, markdown: str | None = None, **kwargs: Any) -> None:
        super().__init__(markdown, open_links=False, parser_factory=answer_parser, **kwargs)
        self.frozen = FrozenLines(self, self._rebuild_later)
        self.edit_lock = asyncio.Lock()  # appends, freezes and rebuilds, one at a time
        self._background: dict[str, asyncio.Task[None]] = {}  # rebuild / freeze, by name
        self._placed = False  # a frame laid out the blocks since they last changed

    def compose(self) -> ComposeResult:
        yield self.frozen

    @property
    def busy(self) -> bool:
        """An append, freeze or rebuild is under way (``source`` may lack text until it ends)."""
        return self.edit_lock.locked() or any(not t.done() for t in self._background.values())

    def blocks(self) -> list[MarkdownBlock]:
        """The live block widgets (the frozen ones are lines in ``frozen``)."""
        return [child for child in self.children if isinstance(child, MarkdownBlock)]

    def stream(self, keys_first: KeysFirst | None = None) -> AnswerStream:
        """A stream that appends in the background and freezes finished blocks as it goes.

        With ``keys_first``, each step waits until keys typed meanwhile are on screen.
        """
        return AnswerStream(self, keys_first)

    async def add(self, markdown: str) -> None:
        """Freeze what the last step finished, append ``markdown``, wait for its frame.

        The blocks are frozen where the last frame placed them and the append follows at once,
        so one frame re-lays out both. Each step waits for the frame that shows it: Textual
        holds frames back while an append mounts, so back-to-back appends would keep typed keys
        off the screen.
        """
        async with self.edit_lock:
            if self._too_many() and (done := self._freeze(FREEZE_STEP)):
                await self._remove(done)
            self._placed = False
            await self.append(markdown)
            await self._wait_for_frame()

    async def _wait_for_frame(self) -> bool:
        """Wait for the next frame (which lays out what changed); False if none can come."""
        self._placed = self.is_attached and await self.wait_for_refresh()
        return self._placed

    async def _remove(self, blocks: list[MarkdownBlock]) -> None:
        self._placed = False
        await self.remove_children(blocks)

    def update(self, markdown: str) -> AwaitComplete:
        """Show ``markdown`` as the whole answer (a stored reply); it is frozen in steps after."""
        if len(markdown.splitlines()) <= REBUILD_LINES and not len(self.frozen):
            return super().update(markdown)
        return AwaitComplete(self._replace(markdown, in_steps=False))

    async def _replace(self, markdown: str | None, *, in_steps: bool) -> None:
        async with self.edit_lock:
            if markdown is None:  # a rebuild: the source as it is now (a stream may append)
                markdown = self.source
            self.frozen.clear()
            self._placed = False
            await super().update("")
            # Appended, not given to Textual's update(): that resumes the next append at the
            # last line, not at the start of the last block (an open code fence would break).
            if not in_steps:
                await self.append(markdown)
            else:  # as if streamed, frozen as it goes: no frame draws the whole answer
                lines = markdown.splitlines(keepends=True)
                for start in range(0, len(lines), REBUILD_LINES):
                    await self.append("".join(lines[start : start + REBUILD_LINES]))
                    await self._freeze_steps()
        if not in_steps:  # the caller may be the screen, which must go on drawing meanwhile
            self.freeze_later()

    def _start(self, name: str, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` in the background, once: a rebuild or freeze already waiting does it."""
        task = self._background.get(name)
        if task is not None and not task.done() and not self.edit_lock.locked():
            work.close()
        else:
            self._background[name] = asyncio.create_task(work)

    def freeze_later(self) -> None:
        """Freeze the finished blocks after the next frame, in the background."""
        self._start("freeze", self.freeze_finished())

    def _rebuild_later(self) -> None:
        """The frozen lines no longer fit (a new width or theme): draw the answer again."""
        self._start("rebuild", self.rebuild())

    async def rebuild(self) -> None:
        """Draw the whole answer again from its source, in steps (see ``_replace``)."""
        await self._replace(None, in_steps=True)

    async def freeze_finished(self) -> None:
        """Freeze the finished blocks of a long answer (see ``_too_many``)."""
        if self._too_many():
            async with self.edit_lock:
                await self._freeze_steps()

    def _too_many(self) -> bool:
        """More live blocks than a frame should lay out: a long answer's, or one frozen before."""
        live = len(self.blocks())
        return live > LIVE_BLOCKS and (live > FREEZE_FROM or bool(len(self.frozen)))

    async def _freeze_steps(self) -> None:
        while self._too_many() and self.is_attached:
            # After the next frame every block has its place (appends only lay out the end).
            if not await self._wait_for_frame():
                return
            done = self._freeze(FREEZE_STEP)
            if not done:
                return
            await self._remove(done)
        if not self._placed:  # the next step freezes the blocks where this frame puts them
            await self._wait_for_frame()

    def _freeze(self, most: int) -> list[MarkdownBlock]:
        """Draw up to ``most`` finished blocks into ``frozen``; none if they have no place yet."""
        blocks = self.blocks()
        done = blocks[: min(most, len(blocks) - 1)]
        if not done or not self._placed:  # their places would be a frame old
            return []
        first_live = blocks[len(done)]
        try:
            live = self.screen.find_widget(first_live).region
        except errors.NoWidget:
            return []
        content = self.content_region
        top = content.y + len(self.frozen)
        bottom = live.y - first_live.styles.margin.top
        if bottom <= top or (len(self.frozen) and content.width != self.frozen.width):
            return []
        strips = paint_band(self, Region(content.x, top, content.width, bottom - top), done)
        kinds = Counter(type(w).__name__ for block in done for w in (block, *block.query("*")))
        self.frozen.add(strips, kinds)
        return done


def split_lines(text: str, most: int) -> tuple[str, str]:
    """``text`` cut after its ``most``-th line break (the rest is empty if it has fewer)."""
    end = -1
    for _ in range(most):
        end = text.find("\n", end + 1)
        if end < 0:
            return text, ""
    return text[: end + 1], text[end + 1 :]


class AnswerStream:
    """Writes fragments to an ``AnswerMarkdown`` in the background, as ``MarkdownStream`` does.

    Fragments that arrive during an append are joined, but one append takes at most
    ``STEP_LINES`` lines: a burst (a fast backend, the batch at the end of a reply) is shown in
    several steps with a frame and a freeze between them, so no step blocks input for long.
    After a step the stream pauses at least as long as the step took (``STEP_PAUSE_S`` at
    least): on a busy machine it draws less often, and typed keys still get the loop.
    """

    def __init__(self, markdown: AnswerMarkdown, keys_first: KeysFirst | None = None) -> None:
        self._markdown = markdown
        self._keys_first = keys_first
        self._pending: list[str] = []
        self._new = asyncio.Event()
        self._stopped = False
        self._drain: asyncio.Task[None] | None = None
        self._task: asyncio.Task[None] | None = asyncio.create_task(self._run())

    async def write(self, fragment: str) -> None:
        if self._stopped:
            raise RuntimeError("Can't write to the answer stream after it has stopped.")
        if fragment:
            self._pending.append(fragment)
            self._new.set()
            await asyncio.sleep(0)

    async def stop(self) -> None:
        """Write what is pending, end the background task, then freeze what is finished."""
        if self._task is not None:
            self._task.cancel()
            await self._task
            self._task = None
        self._stopped = True
        self._markdown.freeze_later()

    async def _run(self) -> None:
        try:
            while await self._new.wait():
                self._new.clear()
                self._drain = asyncio.ensure_future(self._write_pending())
                await asyncio.shield(self._drain)
        except asyncio.CancelledError:
            pass
        if self._drain is not None:
            await self._drain  # still running if the stop came during it
        await self._write_pending(last=True)

    async def _write_pending(self, *, last: bool = False) -> None:
        while self._pending:
            if self._keys_first is not None:  # typed keys are drawn first
                await self._keys_first.ready(last=last)
            step, rest = split_lines("".join(self._pending), STEP_LINES)
            self._pending[:] = [rest] if rest else []
            started = time.perf_counter()
            await self._markdown.add(step)
            if self._pending:  # a slow step (a busy machine) is followed by as long a pause
                await asyncio.sleep(max(STEP_PAUSE_S, time.perf_counter() - started))
