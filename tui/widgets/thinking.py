"""The thinking pane of one assistant message: the chain of thought, headed with what it cost."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Collapsible, Static

from tui.safe_text import printable

PIECE_CHARS = 2000  # a long thought is drawn in pieces of about this many characters
HIDDEN_BY_PROVIDER = "The provider does not return the thinking text, only how many tokens it used."


def thinking_title(tokens: int | None, seconds: float | None, *, done: bool, mark: str = "") -> str:
    """``Thinking… 120 tokens · 2.0 s`` while it runs, ``Thought for 312 tokens · 4.1 s`` after.

    ``mark`` prefixes the count (``~`` for an estimate).
    """
    count = "? tokens" if tokens is None else f"{mark}{tokens} tokens"
    time = "" if seconds is None else f" · {seconds:.1f} s"
    return f"Thought for {count}{time}" if done else f"Thinking… {count}{time}"


class ThinkingPane(Collapsible):
    """A collapsible block of plain thinking text (never markup; control characters made visible).

    Expanded while the model thinks; ``AssistantMessage`` collapses it when the answer starts.
    Text is buffered and drawn at most once per ``flush``. A long thought is drawn in pieces of
    about ``PIECE_CHARS``, cut at line breaks (so the lines are the ones one widget would draw):
    a flush redraws only the last piece, not every line thought so far.
    """

    def __init__(self, *, summary: bool = False, id: str | None = None) -> None:
        self._body = Static(Content(""), classes="thinking-text")
        super().__init__(self._body, title="Thinking…", collapsed=False, id=id)
        self.summary = summary
        self._parts: list[str] = []
        self._dirty = False
        self._pieces = [self._body]  # drawn in order; only the last one still grows
        self._drawn = 0  # how many of ``_parts`` are drawn (by the pieces)
        self._tail = ""  # the last piece's text

    def _watch_collapsed(self, collapsed: bool) -> None:
        # Textual's Collapsible scrolls itself into view on every change; toggling all panes at
        # once (or collapsing when the answer starts) must not yank the message list around.
        self._update_collapsed(collapsed)
        self.post_message(self.Collapsed(self) if collapsed else self.Expanded(self))

    @property
    def text(self) -> str:
        """All thinking text received so far, control characters made visible."""
        return printable("".join(self._parts))

    def append(self, text: str) -> None:
        """Buffer a piece of thinking; it shows at the next ``flush``."""
        if text:
            self._parts.append(text)
            self._dirty = True

    def truncate(self, keep_chars: int) -> None:
        """Keep only the first ``keep_chars`` characters (the backend took the rest back)."""
        self._parts = ["".join(self._parts)[:keep_chars]]
        for piece in self._pieces[1:]:  # drawn again from the start, in one piece
            piece.remove()
        self._pieces = [self._body]
        self._drawn, self._tail = 0, ""
        self._dirty = True

    def flush(self) -> None:
        """Draw buffered text now (called on a timer while streaming and at the end)."""
        if not self._dirty:
            return
        self._dirty = False
        # printable() works per character, so the new parts can be made printable on their own
        self._tail += printable("".join(self._parts[self._drawn :]))
        self._drawn = len(self._parts)
        while len(self._tail) > PIECE_CHARS and self._body.is_attached:
            cut = self._tail.rfind("\n", 0, PIECE_CHARS)
            if cut < 0:
                cut = self._tail.find("\n", PIECE_CHARS)
            if cut < 0:
                break  # one long line: it stays one piece
            self._pieces[-1].update(Content(self._tail[:cut]))
            self._tail = self._tail[cut + 1 :]
            piece = Static(Content(""), classes="thinking-text")
            self._body.parent.mount(piece, after=self._pieces[-1])  # type: ignore[union-attr]
            self._pieces.append(piece)
        self._pieces[-1].update(Content(self._tail))

    def set_progress(
        self, tokens: int | None, seconds: float | None, *, done: bool, mark: str = ""
    ) -> None:
        """Update the header with the tokens and time spent thinking."""
        title = thinking_title(tokens, seconds, done=done, mark=mark)
        if self.summary:
            title += " (summary shown)"
        self.title = title

    def show_hidden_notice(self) -> None:
        """For providers that report only a count: say the text is hidden by the provider."""
        if not self._parts:
            self._body.update(Content(HIDDEN_BY_PROVIDER))
            self._body.add_class("-hidden-by-provider")
