"""Finished blocks of a streamed answer, kept as the lines they drew: one widget for hundreds.

Every widget on a screen costs on every frame that needs a layout: the screen walks and places
all of them, and a Markdown widget re-measures all its blocks. A long answer is a thousand block
widgets (a list is a widget per item, bullet and paragraph), so typing during a long reply lagged
by most of a second. ``AnswerMarkdown`` therefore keeps only its last few blocks live and hands
the finished ones to ``paint_band``, which draws them with each widget's own ``render_lines`` at
the place the screen gave it (the same lines the screen drew), into the ``FrozenLines`` widget
above the live blocks. Its height is its number of lines and a frame draws only the visible
ones, so the cost of a frame no longer grows with the answer.

The lines fit one width and one theme: on a new width or theme the answer is rebuilt from its
Markdown source (``AnswerMarkdown.rebuild``) and frozen again. Text stays selectable (the
selection is drawn over the lines and copies their plain text), and a click on a link still
reaches the screen (copied, never opened).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from rich.segment import Segment
from rich.style import Style
from textual import errors
from textual.events import Resize
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Markdown

if TYPE_CHECKING:
    from textual.selection import Selection


def paint_band(base: Widget, band: Region, widgets: Iterable[Widget]) -> list[Strip]:
    """The lines the screen draws in ``band`` (screen coordinates) for ``widgets`` over ``base``.

    ``base`` is their container: its own lines are the background (the gaps between blocks).
    Each widget and its descendants draw over it in tree order, each clipped to its parent, as
    the screen composes them; only public geometry (``Screen.find_widget``) and rendering
    (``Widget.render_lines``) are used.
    """
    origin = base.region
    lines = base.render_lines(band.translate((-origin.x, -origin.y)))
    lines = [line.extend_cell_length(band.width).crop(0, band.width) for line in lines]

    def paint(widget: Widget, clip: Region) -> None:
        if not widget.display:
            return
        try:
            region = widget.screen.find_widget(widget).region
        except errors.NoWidget:
            return
        visible = region.intersection(clip)
        if not visible:
            return
        drawn = widget.render_lines(visible.translate((-region.x, -region.y)))
        x = visible.x - band.x
        for row, strip in enumerate(drawn):
            y = visible.y - band.y + row
            line = lines[y]
            lines[y] = Strip.join(
                [line.crop(0, x), strip.crop(0, visible.width), line.crop(x + visible.width)]
            )
        inner = visible.intersection(region.shrink(widget.styles.gutter))
        for child in widget.children:
            if isinstance(child, Widget):
                paint(child, inner)

    for widget in widgets:
        paint(widget, band)
    return lines


class FrozenLines(Widget):
    """The rendered lines of an answer's finished blocks (see the module docstring)."""

    DEFAULT_CSS = """
    FrozenLines {
        width: 1fr;
        height: auto;
    }
    """

    def __init__(self, link_target: Markdown, thaw: Callable[[], object]) -> None:
        super().__init__()
        # Each line as its segments, not a Strip: a Strip carries seven caches, and thousands of
        # kept lines were thousands of objects for every garbage collection to walk.
        self._lines: list[tuple[Segment, ...]] = []
        self.texts: list[str] = []  # each line's plain text, for selection and tests
        self.blocks: Counter[str] = Counter()  # the block widgets frozen, by class name
        self.width = 0  # the width the lines were drawn at
        self._link_target = link_target
        self._thaw = thaw
        self._theme = ""

    @property
    def text(self) -> str:
        return "\n".join(self.texts)

    def __len__(self) -> int:
        return len(self._lines)

    def __bool__(self) -> bool:  # a widget with no lines yet is still a widget
        return True

    def strip(self, y: int) -> Strip:
        """Line ``y`` as drawn (without the selection)."""
        return Strip(self._lines[y], self.width)

    def add(self, strips: list[Strip], blocks: Counter[str]) -> None:
        """Append the lines of newly finished blocks (drawn at the current width)."""
        self.width = strips[0].cell_length if strips else self.width
        self._lines.extend(tuple(strip) for strip in strips)
        self.texts.extend(strip.text.rstrip() for strip in strips)
        self.blocks.update(blocks)
        self.refresh(layout=True)

    def clear(self) -> None:
        self._lines.clear()
        self.texts.clear()
        self.blocks.clear()
        self.refresh(layout=True)

    def on_mount(self) -> None:
        self._theme = self.app.theme
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)

    def _theme_changed(self, _theme: object) -> None:
        if self.app.theme != self._theme:
            self._theme = self.app.theme
            if self._lines:
                self._thaw()

    def on_resize(self, event: Resize) -> None:
        if self._lines and event.size.width != self.width:
            self._thaw()

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._lines)

    def render_line(self, y: int) -> Strip:
        if not 0 <= y < len(self._lines):
            return Strip.blank(self.size.width)
        strip = self.strip(y)
        selection = self.text_selection
        span = selection.get_span(y) if selection is not None else None
        if span is not None:
            start, end = span
            end = len(self.texts[y]) if end == -1 else end
            if end > start:
                style = self.screen.get_component_rich_style("screen--selection")
                middle = strip.crop(start, end)
                middle = Strip(
                    [Segment(t, (s or Style()) + style, c) for t, s, c in middle],
                    middle.cell_length,
                )
                before, after = strip.crop(0, start), strip.crop(end)
                strip = Strip.join([before, middle, after])
        return strip.apply_offsets(0, y)

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        return selection.extract(self.text), "\n"

    async def action_link(self, href: str) -> None:
        """A link in the frozen text: the screen decides (copies it), as for live Markdown."""
        self.post_message(Markdown.LinkClicked(self._link_target, href))
