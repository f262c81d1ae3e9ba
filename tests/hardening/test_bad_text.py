"""Text that cannot be encoded never gives a traceback, never loses a reply, never leaves an
empty chat: undecodable input becomes U+FFFD, lone surrogates in a reply are shown and stored
as U+FFFD with everything around them kept.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from backends.events import Finished, StopReason, TextDelta, Usage
from backends.request import Message
from backends.safe_text import from_os, storable
from backends.store.db import Store
from backends.store.recorder import MessageRecorder
from tests.hardening.hostile import chat_sse, decoded, run_cli, server_config
from tests.support.replay_server import ReplayServer, sse_reply
from tests.tui.helpers import SIZE, app_with, backend_ready, reply_done, send
from tests.tui.scripted import ScriptedBackend

SURROGATE_REPLY = (
    b'data: {"choices":[{"index":0,"delta":{"content":"half \\ud83d of an emoji"}}]}\n\n'
)


def rows(data_dir: Path) -> list[tuple[int, str, str, str]]:
    with sqlite3.connect(data_dir / "history.db") as conn:
        return conn.execute(
            "SELECT chat_id, role, status, text FROM messages ORDER BY id"
        ).fetchall()


def chat_count(data_dir: Path) -> int:
    with sqlite3.connect(data_dir / "history.db") as conn:
        return int(conn.execute("SELECT COUNT(*) FROM chats").fetchone()[0])


def test_invalid_utf8_in_argv_and_system(tmp_path: Path, replay_server: ReplayServer) -> None:
    replay_server.add(sse_reply(chat_sse(text="ok")))
    config = tmp_path / "config.toml"
    config.write_text(server_config(replay_server.url("/v1")), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env.update(PONDER_CONFIG=str(config), PONDER_DATA_DIR=str(tmp_path / "data"))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tui.cli",
            "ask",
            "-b",
            "evil",
            "--system",
            b"sys\xff",
            b"caf\xe9 au lait",
        ],
        capture_output=True,
        env=env,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, decoded(result.stderr)
    assert "Traceback" not in decoded(result.stderr)
    sent = replay_server.requests[0].json["messages"]
    assert [m["content"] for m in sent] == ["sys\ufffd", "caf\ufffd au lait"]
    stored = rows(tmp_path / "data")
    assert [(r[1], r[3]) for r in stored] == [
        ("system", "sys\ufffd"),
        ("user", "caf\ufffd au lait"),
        ("assistant", "ok"),
    ]
    assert chat_count(tmp_path / "data") == 1


def test_invalid_utf8_on_stdin(tmp_path: Path, replay_server: ReplayServer) -> None:
    replay_server.add(sse_reply(chat_sse(text="ok")))
    config = server_config(replay_server.url("/v1"))
    result = run_cli(tmp_path, "ask", "-b", "evil", config=config, stdin=b"na\xefve \xff?\n")
    assert result.returncode == 0, decoded(result.stderr)
    assert replay_server.requests[0].json["messages"][-1]["content"] == "na\ufffdve \ufffd?\n"
    assert chat_count(tmp_path / "data") == 1


def test_a_reply_with_lone_surrogates_is_printed_and_kept(
    tmp_path: Path, replay_server: ReplayServer
) -> None:
    body = SURROGATE_REPLY + chat_sse(text=" and the rest")
    replay_server.add(sse_reply(body))
    replay_server.add(sse_reply(body))
    config = server_config(replay_server.url("/v1"))
    plain = run_cli(tmp_path, "ask", "-b", "evil", "hi", config=config)
    assert plain.returncode == 0, decoded(plain.stderr)
    assert decoded(plain.stdout) == "half \ufffd of an emoji and the rest\n"
    as_json = run_cli(tmp_path, "ask", "--json", "-b", "evil", "hi", config=config)
    assert as_json.returncode == 0, decoded(as_json.stderr)
    replies = [r for r in rows(tmp_path / "data") if r[1] == "assistant"]
    assert [(r[2], r[3]) for r in replies] == [
        ("complete", "half \ufffd of an emoji and the rest")
    ] * 2


def test_the_recorder_keeps_a_reply_with_a_lone_surrogate(tmp_path: Path) -> None:
    with Store.open(tmp_path / "history.db") as store:
        recorder = MessageRecorder(store, store.create_chat(), backend="b", kind="k", model="m")
        recorder.begin([Message("user", "q\udcff")])
        with recorder:
            recorder.feed(TextDelta("before \ud800 after"))
            recorder.feed(Finished(StopReason.STOP, usage=Usage(output=3)))
        assert recorder.error is None
        got = store.query("SELECT role, status, text FROM messages ORDER BY id")
        assert [tuple(row) for row in got] == [
            ("user", "complete", "q\ufffd"),
            ("assistant", "complete", "before \ufffd after"),
        ]


def test_helpers() -> None:
    assert from_os(os.fsdecode(b"caf\xe9")) == "caf\ufffd"
    assert from_os("plain") == "plain"
    assert storable("a\ud83db\x1b") == "a\ufffdb\x1b"  # control text is stored as it came


async def test_the_chat_shows_a_reply_with_a_lone_surrogate() -> None:
    backend = ScriptedBackend(
        [TextDelta("half \ud83d emoji"), Finished(StopReason.STOP, usage=Usage(output=3))]
    )
    async with app_with(backend).run_test(size=SIZE) as pilot:
        await backend_ready(pilot)
        view = await send(pilot, "q")
        await reply_done(pilot)
        assert view.answer_text == "half \ufffd emoji"
        assert view.has_class("-complete")


def test_compare_takes_undecodable_argv_and_stdin(
    tmp_path: Path, replay_server: ReplayServer
) -> None:
    for _ in range(4):
        replay_server.add(sse_reply(chat_sse(text="ok")))
    url = replay_server.url("/v1")
    config = server_config(url, "one") + server_config(url, "two")
    config_path = tmp_path / "config.toml"
    config_path.write_text(config, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env.update(PONDER_CONFIG=str(config_path), PONDER_DATA_DIR=str(tmp_path / "data"))
    argv = [sys.executable, "-m", "tui.cli", "compare", "-b", "one", "-b", "two"]
    by_arg = subprocess.run(
        [*argv, b"caf\xe9"], capture_output=True, env=env, timeout=120, stdin=subprocess.DEVNULL
    )
    by_stdin = subprocess.run(argv, capture_output=True, env=env, timeout=120, input=b"\xff?")
    for result in (by_arg, by_stdin):
        assert result.returncode == 0, decoded(result.stderr)
        assert "Traceback" not in decoded(result.stderr)
    prompts = [r.json["messages"][-1]["content"] for r in replay_server.requests]
    assert sorted(prompts) == ["caf\ufffd", "caf\ufffd", "\ufffd?", "\ufffd?"]


def test_an_ascii_terminal_gets_question_marks_not_a_traceback(
    tmp_path: Path, replay_server: ReplayServer
) -> None:
    replay_server.add(sse_reply(chat_sse(text="caf\u00e9 \x1b[2J ok", reasoning="hm \u2026")))
    config = server_config(replay_server.url("/v1"))
    result = run_cli(tmp_path, "ask", "-b", "evil", "hi", config=config, PYTHONIOENCODING="ascii")
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"caf? ?[2J ok\n"
    assert b"Traceback" not in result.stderr
