"""The smaller things of issue 14 item 10, each through the real command or transport."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from backends.remote.http_errors import MAX_RETRY_AFTER_S, retry_after_hint
from backends.request import Message
from backends.store.db import Store
from backends.store.recorder import message_row
from tests.hardening.hostile import decoded, run_cli, server_config
from tests.support.replay_server import ReplayServer, json_reply


def saved_chat(data: Path) -> None:
    with Store.open(data / "history.db") as store:
        chat_id = store.create_chat()
        store.insert_messages(chat_id, [message_row(Message("user", "remember the milk"))])


def test_history_and_export_read_a_full_disk(tmp_path: Path) -> None:
    saved_chat(tmp_path / "data")
    config = tmp_path / "config.toml"
    config.write_text("", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env.update(PONDER_CONFIG=str(config), PONDER_DATA_DIR=str(tmp_path / "data"))

    def no_file_may_grow() -> None:  # what a full disk looks like to SQLite: writes fail
        resource.setrlimit(resource.RLIMIT_FSIZE, (0, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))

    for args in (["history"], ["export", "1"]):
        result = subprocess.run(
            [sys.executable, "-m", "tui.cli", *args],
            capture_output=True,
            env=env,
            timeout=120,
            stdin=subprocess.DEVNULL,
            preexec_fn=no_file_may_grow,
        )
        out, err = decoded(result.stdout), decoded(result.stderr)
        assert result.returncode == 0, err
        assert "remember the milk" in out
        assert "read-only" in err


@pytest.mark.parametrize(
    ("header", "expected"),
    [("1e308", MAX_RETRY_AFTER_S), ("nan", None), ("inf", None), ("-3", 0.0), ("2.5", 2.5)],
)
def test_retry_after_is_a_usable_number(header: str, expected: float | None) -> None:
    assert retry_after_hint({"retry-after": header}) == expected
    assert retry_after_hint({"retry-after-ms": header}) == (
        None if expected is None else min(MAX_RETRY_AFTER_S, max(0.0, float(header) / 1000))
    )


def test_a_huge_retry_after_prints_a_short_line(
    tmp_path: Path, replay_server: ReplayServer
) -> None:
    error = {"error": {"message": "slow down", "type": "rate_limit_exceeded"}}
    replay_server.add(json_reply(429, error, headers={"retry-after": "1e308"}))
    config = server_config(replay_server.url("/v1"), max_retries=2)
    result = run_cli(tmp_path, "ask", "--no-history", "-b", "evil", "hi", config=config)
    err = decoded(result.stderr)
    assert result.returncode == 1
    assert "86400s" in err and "0" * 20 not in err
    assert len(replay_server.requests) == 1  # not retried at once


def test_start_fresh_on_a_healthy_history_does_not_call_it_corrupt(tmp_path: Path) -> None:
    saved_chat(tmp_path / "data")
    result = run_cli(tmp_path, "history", "--start-fresh")
    assert result.returncode == 0, decoded(result.stderr)
    kept = [p.name for p in (tmp_path / "data").iterdir() if p.name.startswith("history.db.")]
    assert any(".old-" in name for name in kept) and not any("corrupt" in n for n in kept)
    assert "corrupt" not in decoded(result.stderr)


def test_start_fresh_on_a_damaged_history_says_corrupt(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "history.db").write_bytes(b"not a database at all" * 100)
    result = run_cli(tmp_path, "history", "--start-fresh")
    assert result.returncode == 0, decoded(result.stderr)
    assert ".corrupt-" in decoded(result.stderr)


def test_history_limit_zero_is_not_an_empty_history(tmp_path: Path) -> None:
    saved_chat(tmp_path / "data")
    result = run_cli(tmp_path, "history", "--limit", "0")
    err = decoded(result.stderr)
    assert "no saved chats yet" not in err
    assert "--limit 0" in err
