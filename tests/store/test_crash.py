"""Kill ``ponder ask`` with SIGKILL mid-stream; the restarted ponder finds the reply interrupted.

The backend is the real OpenAI-compatible adapter against a 127.0.0.1 server streaming numbered
words every 20 ms, so what was lost is measurable: the child prints every delta as it arrives
(read here with timestamps), and the text in the database must contain everything that arrived
more than 250 ms before the kill (plus an allowance for one write and thread scheduling).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from backends.store.db import Store
from backends.store.history import load_messages
from tests.store.paced_server import PacedServer, Script, endless
from tests.store.support import TimedReader, ponder, ponder_env, run_ponder

PACE_S = 0.02
FLUSH_S = 0.25
# One write (< 5 ms measured) plus waking the flush thread on a loaded 2-core machine.
ALLOWANCE_S = 0.10
WORDS_BEFORE_KILL = 60  # about 1.2 s of streaming
PROMPT = "count slowly please"


def kill_mid_stream(
    tmp_path: Path, phase: str, sig: int = signal.SIGKILL
) -> tuple[PacedServer, TimedReader, float]:
    """Run ``ponder ask`` against the paced server and send it ``sig`` during ``phase``."""
    db = tmp_path / "data" / "history.db"
    server = PacedServer(db).start()
    thinking = endless("think") if phase == "thinking" else endless("think")[:10]
    server.scripts.append(
        Script(thinking=thinking, text=endless("word"), pace_s=PACE_S, finish=False)
    )
    env = ponder_env(tmp_path, server.url)
    proc = ponder(
        env,
        "ask",
        "-b",
        "paced",
        "--budget",
        "off",
        PROMPT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    out, err = TimedReader(proc.stdout), TimedReader(proc.stderr)
    watched = err if phase == "thinking" else out
    try:
        arrived = watched.wait_for(lambda text: text.count(" ") >= WORDS_BEFORE_KILL, 90)
        assert arrived, f"no stream: {err.text[-2000:]}"
        killed_at = time.monotonic()
        os.kill(proc.pid, sig)
        proc.wait(30)
        out.thread.join(30)
        err.thread.join(30)
    finally:
        if proc.poll() is None:
            proc.kill()
        server.stop()
    assert proc.returncode == (-signal.SIGKILL if sig == signal.SIGKILL else 130), err.text
    return server, watched, killed_at


@pytest.mark.parametrize("phase", ["thinking", "answer"])
def test_sigkill_mid_stream_keeps_all_but_the_last_250ms(tmp_path: Path, phase: str) -> None:
    server, watched, killed_at = kill_mid_stream(tmp_path, phase)
    # The prompt was committed before the request reached the server.
    assert server.served[0].prompt_in_db is True

    # Restart: the real CLI opens the history, which marks the orphaned reply interrupted.
    env = ponder_env(tmp_path)
    listed = run_ponder(env, "history", "--json")
    assert listed.returncode == 0, listed.stderr
    chats = json.loads(listed.stdout)
    assert [chat["title"] for chat in chats] == [PROMPT]

    with Store.open(tmp_path / "data" / "history.db") as store:
        assert store.recovered == 0  # the CLI run above already recovered it
        user, reply = load_messages(store, chats[0]["id"])
    assert (user.role, user.text, user.status) == ("user", PROMPT, "complete")
    assert reply.status == "interrupted"
    assert reply.backend == "paced" and reply.model == "paced-model"

    stored = reply.thinking if phase == "thinking" else reply.text
    received = watched.text
    if phase == "answer":
        assert reply.thinking == "".join(endless("think")[:10])
    assert stored, "nothing was flushed while streaming"
    assert received.startswith(stored), "the stored text is not what was streamed"
    wanted = "reasoning_content" if phase == "thinking" else "content"
    sent = "".join(word for _, kind, word in server.served[0].sent if kind == wanted)
    assert sent.startswith(stored)

    if len(stored) < len(received):
        first_missing_at = watched.arrived_at(len(stored))
        lost_s = killed_at - first_missing_at
        print(
            f"\n[{phase}] stored {len(stored.split())} words, received "
            f"{len(received.split())}; lost the last {lost_s * 1000:.0f} ms"
        )
        assert lost_s <= FLUSH_S + ALLOWANCE_S, f"lost {lost_s:.3f}s of streamed text"


def test_ctrl_c_mid_stream_saves_the_whole_reply_as_cancelled(tmp_path: Path) -> None:
    _, watched, _ = kill_mid_stream(tmp_path, "answer", signal.SIGINT)
    with Store.open(tmp_path / "data" / "history.db") as store:
        assert store.recovered == 0  # nothing was left partial: the final write happened
        [chat] = store.query("SELECT id FROM chats")
        _, reply = load_messages(store, chat[0])
    assert (reply.status, reply.stop_reason) == ("cancelled", "cancelled")
    assert reply.text and watched.text.startswith(reply.text)
    assert len(reply.text.split()) >= WORDS_BEFORE_KILL  # everything received, not a flush ago
