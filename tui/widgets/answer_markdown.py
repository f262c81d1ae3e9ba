"""The answer's Markdown: single newlines kept, table column alignment honoured.

Model output often relies on single line breaks (a poem, an address, "Step 1 … / Step 2 …").
Standard Markdown joins them into one paragraph; here a newline inside a paragraph is a line
break (markdown-it's ``breaks``, applied to the tokens Textual renders). Code blocks are
untouched, and streaming is unchanged: the rule lives in the parser every append uses.
Textual's table ignores the ``:--:`` / ``--:`` alignment row; ``AlignedTable`` reads it from the
parsed header cells and aligns every cell of the column.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from textual.app import ComposeResult
from textual.content import Content
from textual.css.types import TextAlign
from textual.widgets import Markdown, Static
from textual.widgets._markdown import (
    MarkdownBlock,
    MarkdownTable,
    MarkdownTableContent,
    MarkdownTH,
)

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

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(open_links=False, parser_factory=answer_parser, **kwargs)
