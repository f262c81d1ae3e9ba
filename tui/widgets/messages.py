"""The message list: user prompts and assistant replies (thinking, answer, notes, meters)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.timer import Timer
from textual.widgets import Static

from backends.errors import PonderError
from tui.safe_text import printable
from tui.widgets import stream_gc
from tui.widgets.meters import MeterLine
from tui.widgets.thinking import ThinkingPane

if TYPE_CHECKING:  # Markdown (markdown-it) loads with the first reply, not before the prompt
    from backends.meters import MeterReading
    from tui.widgets.answer_markdown import AnswerStream
    from tui.widgets.keys_first import KeysFirst

# Extra answer batching (s) before the answer stream; 0: none. The stream already joins what
# arrives while a step is drawn, one step per frame and STEP_PAUSE_S; bench/stream_render.py
# showed 50 ms batching on top of it made neither keys nor the render faster, so it is off.
ANSWER_FLUSH_S = 0.0

WELCOME = (
    "Ask anything.  Enter sends · ctrl+j new line · ctrl+↑/↓ thinking budget · "
    "F1 keys · ctrl+p commands"
)


class UserMessage(Static):
    """A prompt the user sent, shown as plain text."""

    def __init__(self, text: str) -> None:
        super().__init__(Content(printable(text)), classes="user-message")


class AssistantMessage(Vertical):
    """One reply: header (who answered), thinking pane, streamed Markdown answer, notes, meters.

    The answer streams through ``AnswerMarkdown.stream`` (appends, never a full re-render per
    token; finished blocks are frozen into lines, so a long answer stays cheap to draw).
    Model text is made printable first, so escapes never reach the terminal; Markdown
    text is not Rich markup, and links do not open (``LinkClicked`` is handled by the screen).
    """

    flush_s: float = ANSWER_FLUSH_S  # answer batching interval; 0 writes every piece at once

    def __init__(
        self, header: str, *, summary_thinking: bool = False, keys_first: KeysFirst | None = None
    ) -> None:
        from tui.widgets.answer_markdown import AnswerMarkdown

        super().__init__(classes="assistant-message -streaming")
        self._header = Static(Content(printable(header)), classes="reply-header")
        self.thinking = ThinkingPane(summary=summary_thinking)
        self.thinking.display = False
        self.answer = AnswerMarkdown(classes="answer")  # single newlines kept, tables aligned
        self.answer.display = False
        self.note = Static("", classes="reply-note")
        self.note.display = False
        self.error = Static("", classes="reply-error")
        self.error.display = False
        self.meter = MeterLine("", classes="meter-line")
        self.keep_thinking_open = False
        self.note_text = ""
        self._stream: AnswerStream | None = None
        self._keys_first = keys_first  # keys typed in the prompt are drawn before each step
        self._reading: MeterReading | None = None  # the last tick's, for the thinking header
        self._answer_parts: list[str] = []
        self._pending: list[str] = []
        self._flush_timer: Timer | None = None
        self._gc_held = False  # this reply holds off full garbage collections (stream_gc)

    def compose(self) -> ComposeResult:
        yield self._header
        yield self.thinking
        yield self.answer
        yield self.note
        yield self.error
        yield self.meter

    @property
    def answer_text(self) -> str:
        """The answer as received so far (after control characters were made visible)."""
        return "".join(self._answer_parts)

    @property
    def answering(self) -> bool:
        return self._stream is not None

    def add_thinking(self, text: str) -> None:
        """Buffer thinking text; shown at the next ``tick``."""
        if text:
            self._hold_gc()
            self.thinking.display = True
            self.thinking.append(text)

    def rollback_thinking(self, keep_chars: int) -> None:
        """Cut the thinking back to ``keep_chars`` characters (budget lowered below spent)."""
        self.thinking.truncate(keep_chars)

    async def add_answer(self, text: str) -> None:
        """Write a piece of the answer to the answer stream (``flush_s`` > 0: in batches).

        The first piece is written at once (time to first token is what the user sees). The
        stream shows pieces in steps and joins those that arrive meanwhile, so a fast backend
        never makes a write per piece; ``flush_s`` batches on top of that (off by default).
        """
        safe = printable(text)
        if not safe:
            return
        self._answer_parts.append(safe)
        self._pending.append(safe)
        if self._stream is None:
            self._start_answer()
            await self._flush_answer()
        elif self.flush_s <= 0:
            await self._flush_answer()
        elif self._flush_timer is None:
            self._flush_timer = self.set_timer(self.flush_s, self._flush_answer)

    async def _flush_answer(self) -> None:
        self._flush_timer = None
        if self._pending and self._stream is not None:
            text = "".join(self._pending)
            self._pending.clear()
            await self._stream.write(text)

    def _hold_gc(self) -> None:
        if not self._gc_held:  # released when the reply ends (finish) or goes away
            stream_gc.hold()
            self._gc_held = True

    def _start_answer(self) -> None:
        self._hold_gc()
        self.answer.display = True
        self._stream = self.answer.stream(self._keys_first)
        self.thinking.flush()
        if not self.keep_thinking_open:
            self.thinking.collapsed = True

    def _release_gc(self) -> None:
        if self._gc_held:
            self._gc_held = False
            stream_gc.release()

    def on_unmount(self) -> None:
        self._release_gc()  # a reply removed while it streams (a new chat) holds no more

    def set_header(self, text: str) -> None:
        """Who answered: ``backend · model · budget``."""
        self._header.update(Content(printable(text)))

    def show_note(self, text: str) -> None:
        """A status line under the answer (loading model, budget change, stop reason).

        The text may hold a server's error message (a retry note): it is made printable, so it
        can never write to the terminal, not even when the note is repainted later.
        """
        text = printable(text)
        self.note_text = text
        self.note.update(Content(text))
        self.note.display = bool(text)

    def show_error(self, error: PonderError, next_step: str) -> None:
        """The error that ended this reply, what to do about it, and the keys that help."""
        lines = [f"✗ {error.message}"]
        if error.hint:
            lines.append(f"  fix: {error.hint}")
        lines.append(f"  {next_step}")
        self.error.update(Content(printable("\n".join(lines))))
        self.error.display = True

    def tick(self, reading: MeterReading) -> None:
        """Redraw what streams cheaply: buffered thinking, its header, the meters.

        While the user types, the thinking and its header are redrawn right after a key's frame
        instead (they re-lay out the screen, which a typed key should not wait for).
        """
        self._reading = reading
        if self._keys_first is not None:
            self._keys_first.soon(self._draw_thinking)
        else:
            self._draw_thinking()
        self.meter.show(reading)

    def _draw_thinking(self) -> None:
        self.thinking.flush()
        if self._reading is not None:
            self._show_thinking_progress(self._reading, done=self.answering)

    def _show_thinking_progress(self, reading: MeterReading, *, done: bool) -> None:
        if self.thinking.display:
            mark = "~" if "reasoning" in reading.estimated else ""
            self.thinking.set_progress(
                reading.usage.reasoning, reading.thinking_s, done=done, mark=mark
            )

    async def finish(self, status: str, reading: MeterReading, *, hidden_text: bool) -> None:
        """Close the answer stream and draw the final meters and thinking header.

        ``hidden_text``: the provider reports thinking tokens but not (all) their text, so a
        pane with only the count says so.
        """
        if self._flush_timer is not None:
            self._flush_timer.stop()
        await self._flush_answer()
        if self._stream is not None:
            await self._stream.stop()
        self._release_gc()
        if reading.usage.reasoning and hidden_text and not self.thinking.text:
            self.thinking.display = True
            self.thinking.show_hidden_notice()
            self.thinking.collapsed = not self.keep_thinking_open
        self._reading = None  # a redraw still waiting for a key's frame only flushes (nothing)
        self.thinking.flush()  # now, even while the user types: no tick comes after this one
        self.meter.show(reading)
        self._show_thinking_progress(reading, done=True)
        # One class update: each re-styles every block of the answer (long answers: many).
        self.update_classes({"-streaming": False, f"-{status}": True})


class MessageList(VerticalScroll):
    """The scrolling list of messages; follows new text until the user scrolls up.

    Uses Textual's anchor: scrolling up releases it, scrolling back to the bottom restores it.
    ``welcome`` is the line an empty chat shows (the screen sets it from the bound keys).
    """

    welcome = WELCOME

    def compose(self) -> ComposeResult:
        yield Static(Content(self.welcome), classes="welcome")

    def set_welcome(self, text: str) -> None:
        """Use ``text`` as the welcome line (now, and after every ``clear``)."""
        self.welcome = text
        for welcome in self.query(".welcome"):
            if isinstance(welcome, Static):
                welcome.update(Content(text))

    def on_mount(self) -> None:
        self.anchor()

    async def add_exchange(self, *widgets: Static | Vertical) -> None:
        """Mount a prompt and/or a reply at the end and follow them."""
        for welcome in self.query(".welcome"):
            await welcome.remove()
        await self.mount_all(widgets)
        self.anchor()

    async def clear(self) -> None:
        """Remove every message (new chat) and show the welcome text again."""
        await self.remove_children()
        await self.mount(Static(Content(self.welcome), classes="welcome"))
        self.anchor()
