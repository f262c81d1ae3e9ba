"""``ponder history`` / ``ponder export`` headless, and how ``ponder ask`` records (or not)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backends.events import Finished, ReasoningDelta, StopReason, TextDelta
from backends.request import Message
from backends.store.db import Store
from backends.store.history import count_chats
from backends.store.recorder import MessageRecorder
from tests.store.paced_server import PacedServer, Script
from tests.store.support import ponder_env, run_ponder
from tui.cli import entry as cli


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PONDER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PONDER_CONFIG", str(tmp_path / "none.toml"))
    if "tui.cli.history" not in cli.COMMAND_MODULES:
        monkeypatch.setattr(cli, "COMMAND_MODULES", [*cli.COMMAND_MODULES, "tui.cli.history"])
    return tmp_path / "data"


def add_chats(data: Path, prompts: list[str]) -> list[int]:
    ids = []
    with Store.open(data / "history.db") as store:
        for prompt in prompts:
            chat = store.create_chat()
            recorder = MessageRecorder(store, chat, backend="local", kind="llama", model="tiny")
            recorder.begin([Message("user", prompt)])
            recorder.feed(ReasoningDelta(f"pondering {prompt} with a pangolin"))
            recorder.feed(TextDelta(f"answer to {prompt}"))
            recorder.feed(Finished(StopReason.STOP))
            recorder.close()
            ids.append(chat)
    return ids


def test_history_lists_chats_most_recent_first(data: Path, capsys: pytest.CaptureFixture) -> None:
    ids = add_chats(data, ["alpha", "beta", "gamma"])
    assert cli.main(["history", "--limit", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["ID", "UPDATED", "MSGS", "BACKEND", "TITLE"]
    assert [line.split()[0] for line in lines[1:]] == [str(ids[2]), str(ids[1])]
    assert lines[1].endswith("gamma") and " 2  local" in lines[1]
    assert cli.main(["history", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [row["title"] for row in rows] == ["gamma", "beta", "alpha"]


def test_history_search_shows_hits_in_thinking(data: Path, capsys: pytest.CaptureFixture) -> None:
    ids = add_chats(data, ["alpha", "beta"])
    assert cli.main(["history", "--search", "pangolin", "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert sorted(hit["chat_id"] for hit in hits) == ids
    assert {hit["field"] for hit in hits} == {"thinking"}
    assert cli.main(["history", "--search", "answer beta"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"chat {ids[1]} · message ") and "· assistant ·" in out[0]
    assert out[1].strip() == "answer to beta"


def test_export_to_stdout_and_to_a_file(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    [chat] = add_chats(data, ["alpha"])
    assert cli.main(["export", str(chat)]) == 0
    markdown = capsys.readouterr().out
    assert markdown.startswith("# alpha") and "<summary>Thinking</summary>" in markdown
    target = tmp_path / "out.json"
    assert cli.main(["export", str(chat), "--format", "json", "--output", str(target)]) == 0
    assert f"written to {target}" in capsys.readouterr().err
    assert json.loads(target.read_text())["messages"][1]["text"] == "answer to alpha"


def test_export_of_a_missing_chat(data: Path, capsys: pytest.CaptureFixture) -> None:
    add_chats(data, ["alpha"])
    assert cli.main(["export", "99"]) == 1
    assert capsys.readouterr().err == (
        "ponder: there is no chat 99 — run `ponder history` to list chats\n"
    )


def test_a_corrupt_history_then_start_fresh(data: Path, capsys: pytest.CaptureFixture) -> None:
    data.mkdir()
    path = data / "history.db"
    path.write_bytes(b"not a database " * 500)
    before = path.read_bytes()
    assert cli.main(["history"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"ponder: the chat history {path} is damaged")
    assert "run `ponder history --start-fresh`" in err
    assert path.read_bytes() == before
    assert cli.main(["history", "--start-fresh"]) == 0
    [aside] = data.glob("history.db.corrupt-*")
    assert aside.read_bytes() == before
    assert f"kept as {aside}" in capsys.readouterr().err
    assert cli.main(["history"]) == 0
    assert capsys.readouterr().err == "no saved chats yet\n"


@pytest.mark.parametrize("how", ["flag", "config"])
def test_ask_without_history_saves_nothing(tmp_path: Path, how: str) -> None:
    server = PacedServer().start()
    server.scripts.append(Script(text=["hello"]))
    try:
        env = ponder_env(tmp_path, server.url, top="history = false" if how == "config" else "")
        flag = ["--no-history"] if how == "flag" else []
        result = run_ponder(env, "ask", "-b", "paced", "--budget", "off", *flag, "hi")
    finally:
        server.stop()
    assert result.returncode == 0 and result.stdout == "hello\n", result.stderr
    assert not (tmp_path / "data" / "history.db").exists()


def test_ask_with_an_unusable_history_still_answers(tmp_path: Path) -> None:
    server = PacedServer().start()
    server.scripts.append(Script(text=["hello"]))
    path = tmp_path / "data" / "history.db"
    path.parent.mkdir()
    path.write_bytes(b"garbage " * 1000)
    try:
        env = ponder_env(tmp_path, server.url)
        result = run_ponder(env, "ask", "-b", "paced", "--budget", "off", "hi")
    finally:
        server.stop()
    assert result.returncode == 0 and result.stdout == "hello\n"
    assert result.stderr.startswith("ponder: history not saved: the chat history")
    assert path.read_bytes() == b"garbage " * 1000


def test_ask_records_the_chat(tmp_path: Path) -> None:
    server = PacedServer(tmp_path / "data" / "history.db").start()
    server.scripts.append(Script(thinking=["hmm "], text=["hello"]))
    try:
        env = ponder_env(tmp_path, server.url)
        result = run_ponder(env, "ask", "-b", "paced", "--budget", "off", "--system", "terse", "hi")
    finally:
        server.stop()
    assert result.returncode == 0, result.stderr
    assert server.served[0].prompt_in_db is True
    with Store.open(tmp_path / "data" / "history.db") as store:
        assert count_chats(store) == 1
        rows = store.query("SELECT role, text, thinking, status FROM messages ORDER BY id")
    assert [tuple(row) for row in rows] == [
        ("system", "terse", "", "complete"),
        ("user", "hi", "", "complete"),
        ("assistant", "hello", "hmm ", "complete"),
    ]
