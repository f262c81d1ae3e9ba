"""One line of a bar: a head that may be cut, and a tail kept whole at the right end."""

from __future__ import annotations

from textual.content import Content

NARROW = 100  # columns below which the bars (and the screens) take their compact layout


def head_and_tail(head: Content, tail: Content, width: int) -> Content:
    """``head``, cut with an ellipsis where the line is too short, then ``tail`` right-aligned
    ``width`` cells wide (at least two spaces between them)."""
    room = max(width - tail.cell_length - 2, 1)
    head = head.truncate(room, ellipsis=True)
    gap = max(width - head.cell_length - tail.cell_length, 2)
    return Content.assemble(head, " " * gap, tail)
