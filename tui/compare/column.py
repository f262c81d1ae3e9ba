"""One column of the compare screen: its label and budget, state, and its conversation.

A column shows, for every round it took part in, the prompt and the reply (the chat's
``AssistantMessage``: thinking pane, Markdown answer streamed with ``Markdown.get_stream``, notes,
meter line). Stream events arrive from the runner's callback; ``feed`` applies them in order (the
screen queues them on this widget with ``call_later``, so an answer piece and the end of the reply
are never reordered). Model text is data: the message widget shows it printable, never as markup.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from backends.capabilities import Capabilities
from backends.compare.column import Column
from backends.compare.runner import ColumnOutcome
from backends.errors import PonderError
from backends.events import (
    Finished,
    ReasoningDelta,
    ReasoningRollback,
    StatusNote,
    StreamEvent,
    TextDelta,
)
from backends.meters import MeterReading
from tui.chat.handoff import CANCELLED_NOTE
from tui.chat.reply import note_text, status_for, stop_note
from tui.widgets.budget import precision_text
from tui.widgets.keys_first import KeysFirst
from tui.widgets.messages import AssistantMessage, UserMessage

STATES = {
    "waiting": "",
    "queued": "⧗ queued",
    "loading": "⧗ loading model",
    "running": "● streaming",
    "done": "✓ done",
    "cancelled": "■ stopped",
    "error": "✗ failed",
}
ERROR_NEXT = "send the prompt again, or remove this column"


@dataclass(frozen=True, slots=True)
class RoundEntry:
    """One round as this column saw it: the prompt and the column's outcome."""

    prompt: str
    outcome: ColumnOutcome


class CompareColumn(Vertical):
    """A column: border title ``local @64``, a header line (budget precision · state) and the
    column's rounds. ``column`` is the runner's ``Column`` (backend, live budget, history);
    ``carried`` is how many chat exchanges its conversation starts with.
    """

    @dataclass
    class Clicked(Message):
        """The user clicked the column (the screen focuses it)."""

        column: CompareColumn

    def __init__(
        self, column: Column, *, carried: int = 0, keys_first: KeysFirst | None = None
    ) -> None:
        super().__init__(classes="compare-column")
        self.column = column
        self.carried = carried
        self._keys_first = keys_first  # the compare prompt's keys, drawn before replies grow
        self.state = "waiting"
        self.entries: list[RoundEntry] = []
        self.view: AssistantMessage | None = None
        self._header = Static("", classes="compare-header")
        self._body = VerticalScroll(classes="compare-body")
        # At least as tall as the view: the anchored scroll then keeps short content at the top.
        self._transcript = Vertical(classes="compare-transcript")
        self._precision = precision_text(column.backend.capabilities)

    def compose(self) -> ComposeResult:
        yield self._header
        with self._body, self._transcript:
            if self.carried:
                plural = "exchange" if self.carried == 1 else "exchanges"
                text = f"continues the chat ({self.carried} earlier {plural})"
                yield Static(text, classes="compare-carried")

    def on_mount(self) -> None:
        self.refresh_label()

    def on_click(self, event: events.Click) -> None:
        self.post_message(self.Clicked(self))

    @property
    def capabilities(self) -> Capabilities:
        return self.column.backend.capabilities

    @property
    def thinking_now(self) -> bool:
        """True while this column's reply is thinking (no answer text yet)."""
        return self.state == "running" and self.view is not None and not self.view.answering

    def refresh_label(self) -> None:
        """Redraw the title (name and current budget) and the header line."""
        self.border_title = Content(self.column.label)
        parts = [self._precision, STATES.get(self.state, self.state)]
        self._header.update(Content(" · ".join(part for part in parts if part)))

    def set_state(self, state: str) -> None:
        """The runner's status for this column (queued, loading, running, done…)."""
        self.state = state
        if state == "running" and self.view is not None and self.view.note_text:
            self.view.show_note("")  # the queued / loading note is over
        self.refresh_label()

    async def begin_round(self, prompt: str, number: int, expand: bool) -> AssistantMessage:
        """Mount the prompt and an empty reply for round ``number``; return the reply widget."""
        view = AssistantMessage(
            f"round {number} · {self.column.label}",
            summary_thinking=self.capabilities.thinking_text == "summary",
            keys_first=self._keys_first,
        )
        view.keep_thinking_open = expand
        self.view = view
        self.state = "waiting"
        await self._transcript.mount_all([UserMessage(prompt), view])
        self._body.anchor()
        self.refresh_label()
        return view

    async def feed(self, event: StreamEvent, reading: MeterReading | None) -> None:
        """Apply one stream event to the current reply (``reading``: the meters at its end)."""
        view = self.view
        if view is None:
            return
        if isinstance(event, ReasoningDelta):
            view.add_thinking(event.text)
        elif isinstance(event, ReasoningRollback):
            view.rollback_thinking(event.keep_chars)
        elif isinstance(event, TextDelta):
            await view.add_answer(event.text)
        elif isinstance(event, StatusNote):
            view.show_note(note_text(event))
        elif isinstance(event, Finished) and reading is not None:
            await self._finish(view, event, reading)

    async def _finish(
        self, view: AssistantMessage, finished: Finished, reading: MeterReading
    ) -> None:
        status = status_for(finished)
        if status == "error":
            error = finished.error or PonderError(
                "the stream ended before the reply was finished", "retry"
            )
            view.show_error(error, ERROR_NEXT)
            view.show_note("")
        elif status == "cancelled":
            view.show_note(CANCELLED_NOTE)
        else:
            view.show_note(stop_note(finished))
        hidden = self.capabilities.thinking_text != "full"
        await view.finish(status, reading, hidden_text=hidden)

    def tick(self, reading: MeterReading) -> None:
        """Redraw the streaming reply's thinking and meters (on the screen's timer)."""
        if self.view is not None and self.state == "running":
            self.view.tick(reading)

    def record(self, prompt: str, outcome: ColumnOutcome) -> None:
        """Remember the round's outcome (for promoting this column to the chat)."""
        self.entries.append(RoundEntry(prompt, outcome))

    def show_thinking(self, expand: bool) -> None:
        """Open or close every thinking pane of this column."""
        for view in self.query(AssistantMessage):
            view.keep_thinking_open = expand
            view.thinking.collapsed = not expand
