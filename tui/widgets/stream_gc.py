"""No full garbage collection while a reply (thinking or answer) streams: it would stall typing.

A full (oldest-generation) collection walks every object the process holds: Textual, the
stylesheets, the screens, the answer so far, about 200,000 objects in a chat, 75-130 ms on a
2-core machine (bench/stream_render.py). A streamed answer makes many objects that live for a
few frames (block widgets until they are frozen), so CPython starts such a collection every
second or two while text streams, and every key typed during one waits for it. ``hold()``
raises the oldest generation's threshold while at least one answer streams (the compare screen
streams several at once); ``release()`` puts it back when the last one ends, and the garbage
of the reply is then collected as usual. The younger generations are collected as always.
"""

from __future__ import annotations

import gc

HELD_THRESHOLD = 1_000_000  # younger collections between full ones while an answer streams

_holds = 0
_saved: int | None = None


def hold() -> None:
    """One more answer streams: no full collection until every hold is released."""
    global _holds, _saved
    _holds += 1
    if _holds == 1:
        first, second, third = gc.get_threshold()
        _saved = third
        gc.set_threshold(first, second, HELD_THRESHOLD)


def release() -> None:
    """An answer ended; the last release restores the oldest generation's threshold."""
    global _holds, _saved
    if _holds == 0:
        return
    _holds -= 1
    if _holds == 0 and _saved is not None:
        first, second, _ = gc.get_threshold()  # the younger ones may have been changed since
        gc.set_threshold(first, second, _saved)
        _saved = None


def holds() -> int:
    """How many answers hold it now (for tests)."""
    return _holds
