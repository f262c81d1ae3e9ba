"""The answer keeps single newlines and table alignment, also when it streams in pieces."""

from __future__ import annotations

from textual.widgets import Static

from backends.events import Finished, StopReason, TextDelta, Usage
from tests.tui.helpers import SIZE, app_with, backend_ready, reply_done, screen_text, send
from tests.tui.scripted import ScriptedBackend
from tui.widgets.answer_markdown import AlignedTableContent, answer_parser, cell_alignment

ANSWER = (
    "Roses are red\nViolets are blue\n\n"
    "| name | n | mid |\n|:---|---:|:-:|\n| a | 1 | x |\n| bb | 12345 | y |\n\n"
    "```\nkeep  two spaces\n```\n"
)


def test_single_newlines_become_line_breaks_outside_code() -> None:
    tokens = answer_parser().parse("one\ntwo\n\n```\na\nb\n```\n")
    inline = next(t for t in tokens if t.type == "inline")
    assert [c.type for c in inline.children or []] == ["text", "hardbreak", "text"]
    fence = next(t for t in tokens if t.type == "fence")
    assert fence.content == "a\nb\n"
    assert cell_alignment("text-align:right") == "right" and cell_alignment(None) is None


async def test_a_streamed_answer_keeps_its_lines_and_table_alignment() -> None:
    pieces = [TextDelta(ANSWER[i : i + 7]) for i in range(0, len(ANSWER), 7)]
    backend = ScriptedBackend([*pieces, Finished(StopReason.STOP, usage=Usage())])
    app = app_with(backend)
    async with app.run_test(size=SIZE) as pilot:
        await backend_ready(pilot)
        await send(pilot, "poem and table")
        await reply_done(pilot)
        await pilot.pause()
        lines = [line.strip() for line in screen_text(pilot).splitlines()]
        assert "Roses are red" in lines and "Violets are blue" in lines
        table = app.screen.query_one(AlignedTableContent)
        cells = list(table.query_children(Static))
        assert len(cells) == 9  # a header row and two body rows of three columns
        aligns = [cell.styles.text_align for cell in cells]
        assert aligns == ["left", "right", "center"] * 3
        assert any(line.endswith("12345 │") or "12345 │" in line for line in lines)
