"""A crash loses a bounded number of characters, not only a bounded time, at any rate.

The recorder runs with a 30 s interval, so the time bound alone would save nothing during the
test: every save below comes from the byte bound, and ``feed`` never lets more than twice
``MAX_UNSAVED_CHARS`` go unsaved. A real SQLite file in tmp_path.
"""

from __future__ import annotations

from pathlib import Path

from backends.events import Finished, ReasoningDelta, StopReason, TextDelta
from backends.store.db import Store
from backends.store.recorder import MAX_UNSAVED_CHARS, MessageRecorder

PIECE = "x" * 1000


def test_a_fast_stream_is_saved_by_bytes(tmp_path: Path) -> None:
    with Store.open(tmp_path / "history.db") as store:
        recorder = MessageRecorder(
            store, store.create_chat(), backend="b", kind="k", model="m", interval_s=30.0
        )
        recorder.begin([])
        recorder.feed(ReasoningDelta("thinking first"))
        assert recorder.wait_flushed(1, 10)  # the first flush is immediate
        total = 0
        worst = 0
        for _ in range(6 * MAX_UNSAVED_CHARS // len(PIECE)):
            recorder.feed(TextDelta(PIECE))
            total += len(PIECE)
            worst = max(worst, recorder.unsaved_chars)
        assert worst <= 2 * MAX_UNSAVED_CHARS + len(PIECE)
        assert recorder.wait_saved(total - MAX_UNSAVED_CHARS, 10), recorder.unsaved_chars
        stored = store.query("SELECT length(text), thinking FROM messages")[0]
        assert stored[0] >= total - MAX_UNSAVED_CHARS and stored[1] == "thinking first"
        recorder.feed(Finished(StopReason.STOP))
        recorder.close()
        final = store.query("SELECT length(text), thinking, status FROM messages")[0]
        assert tuple(final) == (total, "thinking first", "complete")
