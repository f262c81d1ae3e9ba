"""Typed keys first: while the user types, a streaming answer grows only between their keys.

A frame that lays out a grown answer costs 10 to 40 ms of CPU on two cores (Textual arranges
the screen again and repaints the scrolled text), and while new blocks mount Textual holds
every frame back; a frame that shows only a typed key costs about 2 ms. So the prompt notes each
key it is given (``typed``), and before each step the answer stream asks ``ready``:

- a key not yet on screen is drawn first (its frame then has nothing else to lay out);
- while the user is typing (a key in the last ``HOLD_S``), the step waits for the next key's
  frame, so it runs in the gap that follows a key rather than when the next one arrives;
- once the typing pauses for ``HOLD_S``, the answer goes on at its own pace.

What a timer redraws (the thinking text and its header) asks ``soon`` instead: it runs right
after the next key's frame while the user types, at once otherwise. The answer waits at most
``HOLD_S`` for a next key and ``HOLD_S`` for a key's frame, never after Enter (``sent``), and
nothing is dropped: what arrives meanwhile joins the next step. ``bench/stream_render.py``
measures the latency.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from contextlib import suppress

from textual.message_pump import MessagePump

HOLD_S = 0.25  # a step waits for the next key's frame at most this long after the last key


class KeysFirst:
    """Keys typed in a screen's prompt; shared by that prompt and the screen's answers."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.last_key = float("-inf")
        self.steps_held = 0  # answer steps that waited for a key (for tests and benches)
        self._typed = 0  # keys typed so far
        self._shown = 0  # of them, those a frame has drawn
        self._changed = asyncio.Event()  # a key was typed or drawn
        self._after_key: dict[Callable[[], object], None] = {}  # run after the next key's frame

    @property
    def waiting(self) -> bool:
        """A key was typed that no frame has drawn yet."""
        return self._shown < self._typed

    def typed(self, prompt: MessagePump) -> None:
        """``prompt`` is given a key: after its next frame, the key is on screen."""
        self._typed += 1
        self.last_key = self.clock()
        self._changed.set()
        prompt.call_after_refresh(self._frame_drawn, self._typed)

    def sent(self) -> None:
        """The prompt was sent: no more typing to make room for (the reply starts at once)."""
        self.last_key = float("-inf")

    def _frame_drawn(self, typed: int) -> None:
        self._shown = max(self._shown, typed)
        self._changed.set()
        if not self.waiting:
            due, self._after_key = list(self._after_key), {}
            for redraw in due:
                redraw()

    @property
    def typing(self) -> bool:
        """A key is waiting to be drawn, or the last one came less than ``HOLD_S`` ago."""
        return self.waiting or self.clock() - self.last_key < HOLD_S

    def soon(self, redraw: Callable[[], object]) -> None:
        """Call ``redraw`` now, or while the user types, right after the next key's frame.

        For what a timer redraws (the thinking text): if the user stops typing first, the
        timer's next call finds no typing and redraws then.
        """
        if self.typing:
            self._after_key[redraw] = None
        else:
            self._after_key.pop(redraw, None)
            redraw()

    async def ready(self, *, last: bool = False) -> None:
        """Return when the answer may take its next step (at once if the user is not typing).

        While the user types, the step waits for the next key (``HOLD_S`` at most after the
        last one; not for the ``last`` step, which ends the reply); then, with any key that is
        not on screen yet, for the frame that draws it (``HOLD_S`` at most: a screen that went
        away draws nothing).
        """
        held = False
        hold = self.last_key + HOLD_S - self.clock()
        if not last and not self.waiting and hold > 0:
            held = True
            typed = self._typed
            with suppress(TimeoutError):  # the typing may pause
                await asyncio.wait_for(self._until(lambda: self._typed > typed), hold)
        if self.waiting:  # the key's frame first; then the gap before the next key is longest
            held = True
            with suppress(TimeoutError):
                await asyncio.wait_for(self._until(lambda: not self.waiting), HOLD_S)
        if held:
            self.steps_held += 1

    async def _until(self, done: Callable[[], bool]) -> None:
        while not done():
            self._changed.clear()
            await self._changed.wait()
