"""Split a text stream with ``<think>…</think>`` tags into reasoning and answer pieces.

Used where a model's thinking arrives inline in its text (local models, servers run with
``--reasoning-format none``). Tags may be split across chunks (``<th`` + ``ink>``), so a possible
partial tag at the end of a chunk is held back until the next chunk decides it. Only an opening
tag at the start of the reply opens thinking; blank lines right after either tag are layout and
are dropped.
"""

from __future__ import annotations

from backends.events import ReasoningDelta, TextDelta

Piece = ReasoningDelta | TextDelta

BEFORE, THINKING, ANSWER = "before", "thinking", "answer"


class ThinkTagSplitter:
    """Incremental state machine: BEFORE -> THINKING -> ANSWER (or BEFORE -> ANSWER)."""

    def __init__(
        self,
        open_tag: str = "<think>",
        close_tag: str = "</think>",
        *,
        start_thinking: bool = False,
    ) -> None:
        self.open_tag = open_tag
        self.close_tag = close_tag
        self.state = THINKING if start_thinking else BEFORE
        self._buffer = ""
        self._strip_newlines = start_thinking

    @property
    def thinking(self) -> bool:
        return self.state == THINKING

    def feed(self, chunk: str) -> list[Piece]:
        """Consume a chunk; return the pieces that are certain so far."""
        self._buffer += chunk
        out: list[Piece] = []
        while self._buffer:
            if self.state == BEFORE:
                head = self._buffer.lstrip()
                if head.startswith(self.open_tag):
                    self._buffer = head[len(self.open_tag) :]
                    self._enter(THINKING)
                    continue
                if self.open_tag.startswith(head):  # empty or a partial opening tag
                    break
                self.state = ANSWER
            if self.state == ANSWER:
                self._emit(out, self._buffer)
                self._buffer = ""
                break
            index = self._buffer.find(self.close_tag)
            if index >= 0:
                self._emit(out, self._buffer[:index])
                self._buffer = self._buffer[index + len(self.close_tag) :]
                self._enter(ANSWER)
                continue
            keep = _partial_suffix(self._buffer, self.close_tag)
            self._emit(out, self._buffer[: len(self._buffer) - keep])
            self._buffer = self._buffer[len(self._buffer) - keep :]
            break
        return out

    def finish(self) -> list[Piece]:
        """End of stream: whatever is held back is flushed as it stands."""
        out: list[Piece] = []
        if self._buffer:
            if self.state == BEFORE:
                self.state = ANSWER
            self._emit(out, self._buffer)
            self._buffer = ""
        return out

    def _enter(self, state: str) -> None:
        self.state = state
        self._strip_newlines = True

    def _emit(self, out: list[Piece], text: str) -> None:
        if self._strip_newlines:
            text = text.lstrip("\n")
            if not text:
                return
            self._strip_newlines = False
        if text:
            out.append(ReasoningDelta(text) if self.state == THINKING else TextDelta(text))


def _partial_suffix(text: str, tag: str) -> int:
    """Length of the longest suffix of ``text`` that is a proper prefix of ``tag``."""
    for length in range(min(len(tag) - 1, len(text)), 0, -1):
        if text.endswith(tag[:length]):
            return length
    return 0
