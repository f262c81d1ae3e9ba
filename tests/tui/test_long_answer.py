"""A long answer keeps few widgets: finished blocks are frozen into lines, nothing is lost."""

from __future__ import annotations

import gc

from _pytest.monkeypatch import MonkeyPatch
from textual.geometry import Offset
from textual.selection import Selection
from textual.widgets import Markdown
from textual.widgets._markdown import MarkdownBlock, MarkdownFence

from backends.events import Finished, StopReason, TextDelta, Usage
from tests.tui.helpers import SIZE, app_with, backend_ready, reply_done, send, until
from tests.tui.scripted import ScriptedBackend
from tui.widgets import answer_markdown, stream_gc
from tui.widgets.answer_markdown import LIVE_BLOCKS, AnswerMarkdown, answer_parser, split_lines
from tui.widgets.messages import AssistantMessage, MessageList

SECTIONS = 24


def section(n: int) -> str:
    return (
        f"## Part {n}\n\nSome *words* and **more** in part {n}.\nA second line {n}.\n\n"
        f"- item {n}a\n- item {n}b\n\n```python\nvalue_{n} = {n}\n```\n\n"
        f"closing words of part {n}.\n\n"
    )


ANSWER = "".join(section(n) for n in range(SECTIONS)) + "The last words."


class Unfrozen(Markdown):
    """The same Markdown as an answer, every block kept as a widget (to compare with)."""

    BLOCKS = AnswerMarkdown.BLOCKS


def settled(view: AssistantMessage) -> bool:
    answer = view.answer
    return not answer.busy and len(answer.blocks()) <= LIVE_BLOCKS


def shown_text(answer: AnswerMarkdown) -> str:
    live = [b for b in answer.query(MarkdownBlock) if not b.query(MarkdownBlock)]
    return answer.frozen.text + "\n" + "\n".join(str(block._content) for block in live)


async def streamed(pilot: object, text: str = ANSWER, size: int = 23) -> AssistantMessage:
    view = await send(pilot, "a long one")  # type: ignore[arg-type]
    await reply_done(pilot)  # type: ignore[arg-type]
    await until(pilot, lambda: settled(view))  # type: ignore[arg-type]
    return view


def backend_for(text: str, size: int = 23) -> ScriptedBackend:
    pieces = [TextDelta(text[i : i + size]) for i in range(0, len(text), size)]
    return ScriptedBackend([*pieces, Finished(StopReason.STOP, usage=Usage())])


async def test_a_long_streamed_answer_is_frozen_with_all_its_text_and_spacing() -> None:
    app = app_with(backend_for(ANSWER))
    async with app.run_test(size=SIZE) as pilot:
        await backend_ready(pilot)
        view = await streamed(pilot)
        answer = view.answer
        assert answer.source == ANSWER and view.answer_text == ANSWER
        assert len(answer.frozen) and len(answer.blocks()) <= LIVE_BLOCKS
        shown = shown_text(answer)
        for n in range(SECTIONS):
            assert f"Part {n}" in shown and f"value_{n} = {n}" in shown
            assert f"item {n}b" in shown and f"closing words of part {n}." in shown
        assert "Some words and more in part 0." in shown  # markup drawn, not shown as text
        fences = len(answer.query(MarkdownFence)) + answer.frozen.blocks["MarkdownFence"]
        assert fences == SECTIONS
        assert "The last words." in str(answer.blocks()[-1]._content)

        # The frozen lines plus the live blocks take the lines one unfrozen widget takes.
        whole = Unfrozen(ANSWER, parser_factory=answer_parser, classes="answer")
        await view.mount(whole, after=answer)
        await until(pilot, lambda: whole.size.height > 0 and len(whole.children) > 5 * SECTIONS)
        await pilot.pause()
        assert answer.outer_size.height == whole.outer_size.height
        await whole.remove()

        await pilot.press("f2")  # copy the last answer: all of it
        await pilot.pause()
        assert app.clipboard == ANSWER


async def test_frozen_lines_are_selectable_and_drawn_selected() -> None:
    app = app_with(backend_for(ANSWER))
    async with app.run_test(size=SIZE) as pilot:
        await backend_ready(pilot)
        view = await streamed(pilot)
        frozen = view.answer.frozen
        row = next(i for i, line in enumerate(frozen.texts) if "Part 1" in line)
        start = frozen.texts[row].index("Part 1")
        selection = Selection.from_offsets(Offset(start, row), Offset(start + 6, row))
        assert frozen.get_selection(selection) == ("Part 1", "\n")
        plain = frozen.render_line(row)
        app.screen.selections = {frozen: selection}
        selected = frozen.render_line(row)
        assert selected.text == plain.text  # the same characters, with the selection style
        chosen = app.screen.get_component_rich_style("screen--selection").bgcolor
        marked = "".join(seg.text for seg in selected if seg.style and seg.style.bgcolor == chosen)
        assert marked == "Part 1"  # exactly the selected cells, drawn in the selection colour
        assert not any(seg.style and seg.style.bgcolor == chosen for seg in plain)


async def test_frozen_lines_are_redrawn_at_a_new_width() -> None:
    app = app_with(backend_for(ANSWER))
    async with app.run_test(size=SIZE) as pilot:
        await backend_ready(pilot)
        view = await streamed(pilot)
        answer = view.answer
        wide = answer.frozen.width
        await pilot.resize_terminal(60, 30)
        await until(
            pilot,
            lambda: 0 < answer.frozen.width < wide and settled(view) and len(answer.frozen) > 0,
        )
        assert answer.frozen.width == answer.content_region.width
        assert all(len(line) <= answer.frozen.width for line in answer.frozen.texts)
        assert answer.source == ANSWER
        shown = shown_text(answer)
        assert all(f"value_{n} = {n}" in shown for n in range(SECTIONS))


async def test_frozen_lines_are_redrawn_in_a_new_theme() -> None:
    app = app_with(backend_for(ANSWER))
    async with app.run_test(size=SIZE) as pilot:
        await backend_ready(pilot)
        view = await streamed(pilot)
        frozen = view.answer.frozen
        dark = frozen.strip(0)
        app.theme = "ponder-light"
        await until(pilot, lambda: len(frozen) > 0 and frozen.strip(0) != dark)
        await until(pilot, lambda: len(frozen) > 0 and settled(view))
        assert frozen.strip(0).text == dark.text  # the same text in the other theme's colours
        assert [s.style for s in frozen.strip(0)] != [s.style for s in dark]
        assert view.answer.source == ANSWER


async def test_a_stored_long_answer_is_frozen_too_and_a_link_in_it_is_copied() -> None:
    stored = "[the docs](https://example.com/x) first.\n\n" + ANSWER
    app = app_with(backend_for("short"))
    async with app.run_test(size=SIZE) as pilot:
        await backend_ready(pilot)
        view = await streamed(pilot)
        await view.answer.update(stored)
        await until(pilot, lambda: settled(view) and len(view.answer.frozen) > 0)
        frozen = view.answer.frozen
        assert view.answer.source == stored
        assert "the docs first." in frozen.texts[0] or "the docs first." in frozen.text
        row = next(i for i, line in enumerate(frozen.texts) if "the docs" in line)
        actions = {
            str(seg.style.meta.get("@click"))
            for seg in frozen.render_line(row)
            if seg.style and "docs" in seg.text
        }
        assert any("https://example.com/x" in action for action in actions)  # still a link
        await frozen.action_link("https://example.com/x")  # what a click on the link runs
        await pilot.pause()
        assert app.clipboard == "https://example.com/x"

        await view.answer.update("Now short.")  # the frozen lines of the long one go
        await until(pilot, lambda: not view.answer.busy)
        assert len(frozen) == 0 and view.answer.source == "Now short."
        assert "Now short." in str(view.answer.blocks()[-1]._content)


def test_streams_hold_off_full_collections_until_the_last_ends() -> None:
    before = gc.get_threshold()
    stream_gc.hold()
    stream_gc.hold()
    assert gc.get_threshold()[2] == stream_gc.HELD_THRESHOLD
    stream_gc.release()
    assert gc.get_threshold()[2] == stream_gc.HELD_THRESHOLD  # another answer still streams
    stream_gc.release()
    assert gc.get_threshold() == before and stream_gc.holds() == 0
    stream_gc.release()  # an extra release changes nothing
    assert gc.get_threshold() == before


def test_a_stream_step_is_cut_after_a_line_break() -> None:
    assert split_lines("a\nb\nc\n", 2) == ("a\nb\n", "c\n")
    assert split_lines("a\nb", 5) == ("a\nb", "")
    assert split_lines("no break", 1) == ("no break", "")


async def drawn_at_the_top(frozen: bool) -> tuple[int, list[list[tuple[str, str]]]]:
    """The message list's rows (text and style of each segment), scrolled into the answer."""
    app = app_with(backend_for(ANSWER))
    async with app.run_test(size=SIZE) as pilot:
        await backend_ready(pilot)
        view = await streamed(pilot) if frozen else await send(pilot, "a long one")
        await reply_done(pilot)
        await until(pilot, lambda: not view.answer.busy)
        messages = app.screen.query_one(MessageList)
        messages.scroll_to(y=40, animate=False)
        await pilot.pause()
        await pilot.pause()
        rows = app.screen._compositor.render_strips()[: messages.size.height]
        return len(view.answer.frozen), [[(s.text, str(s.style)) for s in row] for row in rows]


async def test_frozen_lines_draw_exactly_what_the_blocks_drew(monkeypatch: MonkeyPatch) -> None:
    frozen_lines, frozen = await drawn_at_the_top(frozen=True)
    monkeypatch.setattr(answer_markdown, "FREEZE_FROM", 10**6)  # every block stays a widget
    none, live = await drawn_at_the_top(frozen=False)
    assert frozen_lines > 40 and none == 0
    assert frozen == live
