"""The summary row under the compare columns: who won the last round, and by how much.

The lines come from ``backends.compare.summary.format_summary`` (the same words as
``ponder compare``): cheapest, fastest TTFT, fastest total, fewest / most reasoning tokens with
the differences (x times, $, s), and which columns agreed on a short answer. Column labels are
names the user configured, but they are shown as plain text all the same.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from backends.compare.runner import RoundResult
from backends.compare.summary import format_summary, summarize
from tui.safe_text import printable


def summary_lines(result: RoundResult, number: int) -> list[str]:
    """The row's lines for round ``number``: a heading, then one line per metric."""
    lines = format_summary(summarize(result))
    heading = f"round {number} · {len(result.outcomes)} columns"
    if not lines:
        lines = ["no column finished: nothing to compare"]
    return [heading, *lines]


class CompareSummary(Static):
    """Plain text lines; hidden until the first round ends."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.lines: list[str] = []
        self.display = False

    def show_round(self, result: RoundResult, number: int) -> None:
        """Show the summary of ``result`` (round ``number``)."""
        self.lines = summary_lines(result, number)
        self.update(Content(printable("\n".join(self.lines))))
        self.display = True
