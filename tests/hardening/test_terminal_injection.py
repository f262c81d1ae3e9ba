"""No server or model can write to the terminal: every output path makes control text visible.

The hostile table (tests/hardening/hostile.py: CSI, OSC 0/2/8/52, DCS, C1, BEL, BS, CR, RLO,
NUL) goes through ``ponder ask`` (HTTP errors, in-stream errors, answer on stdout, thinking on
stderr), ``ponder compare``, ``ponder history`` and ``ponder export``, each a real subprocess
against a real HTTP server or a real database; the output bytes must hold no raw ESC, BEL or C1.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backends.request import Message
from backends.safe_text import json_for_terminal, one_line, printable
from backends.store.db import Store
from backends.store.recorder import message_row
from tests.hardening.hostile import (
    ALL,
    HOSTILE,
    assert_terminal_safe,
    chat_sse,
    decoded,
    forbidden_in,
    run_cli,
    server_config,
)
from tests.support.replay_server import ReplayServer, json_reply, sse_reply


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_printable_leaves_no_control_character(name: str) -> None:
    shown = printable(HOSTILE[name])
    assert not forbidden_in(shown)
    assert not forbidden_in(one_line(HOSTILE[name]))
    assert (
        json.loads(json_for_terminal(json.dumps(HOSTILE[name], ensure_ascii=False)))
        == (HOSTILE[name])
    )


def test_the_visible_forms_say_what_was_sent() -> None:
    assert printable(HOSTILE["osc52_clipboard"]) == "␛]52;c;ZWNobyBwd25lZA==\\x07"
    assert printable(HOSTILE["c1_csi"]) == "\\x9b2J"
    assert printable(HOSTILE["rlo"]) == "invoice\\u202egpj.exe"
    assert printable("a\ud83db") == "a\ufffdb"
    assert printable("line one\n\ttwo") == "line one\n\ttwo"


@pytest.mark.parametrize("status", [400, 401, 404, 429, 500])
def test_ask_prints_a_hostile_http_error_safely(
    tmp_path: Path, replay_server: ReplayServer, status: int
) -> None:
    replay_server.add(json_reply(status, {"error": {"message": ALL, "type": "x"}}))
    config = server_config(replay_server.url("/v1"))
    result = run_cli(tmp_path, "ask", "-b", "evil", "hi", config=config)
    err = decoded(result.stderr)
    assert result.returncode == 1, err
    assert_terminal_safe(err, f"stderr (HTTP {status})")
    assert "␛]52;c;" in err  # the attack is shown, not obeyed
    lines = [line for line in err.splitlines() if line.startswith("ponder: ")]
    assert len(lines) == 1 and "Traceback" not in err


def test_ask_json_error_is_safe(tmp_path: Path, replay_server: ReplayServer) -> None:
    replay_server.add(json_reply(400, {"error": {"message": ALL, "type": "x"}}))
    config = server_config(replay_server.url("/v1"))
    result = run_cli(tmp_path, "ask", "--json", "-b", "evil", "hi", config=config)
    out = decoded(result.stdout)
    assert_terminal_safe(out + decoded(result.stderr), "ask --json")
    assert "\x1b]52" in json.loads(out)["error"]["message"]  # JSON is data: kept, escaped


def test_ask_in_stream_error_answer_and_thinking_are_safe(
    tmp_path: Path, replay_server: ReplayServer
) -> None:
    replay_server.add(sse_reply(chat_sse(text=ALL, reasoning=ALL, error=ALL)))
    config = server_config(replay_server.url("/v1"))
    result = run_cli(tmp_path, "ask", "-b", "evil", "hi", config=config)
    out, err = decoded(result.stdout), decoded(result.stderr)
    assert_terminal_safe(out, "stdout (answer)")
    assert_terminal_safe(err, "stderr (thinking, error)")
    assert out.count("␛]52;c;") == 1 and err.count("␛]52;c;") == 2  # thinking + error line
    assert result.returncode == 1


def test_compare_report_is_safe(tmp_path: Path, replay_server: ReplayServer) -> None:
    replay_server.add(sse_reply(chat_sse(text=ALL, reasoning=ALL)))
    replay_server.add(json_reply(400, {"error": {"message": ALL, "type": "x"}}))
    url = replay_server.url("/v1")
    config = server_config(url, "one") + server_config(url, "two")
    result = run_cli(tmp_path, "compare", "-b", "one:0", "-b", "two:0", "hi", config=config)
    out, err = decoded(result.stdout), decoded(result.stderr)
    assert_terminal_safe(out + err, "compare")
    assert out.count("␛]52;c;") == 2  # one answer, one error: shown, not obeyed
    json_result = run_cli(
        tmp_path, "compare", "--json", "-b", "one:0", "-b", "two:0", "hi", config=config
    )
    assert_terminal_safe(decoded(json_result.stdout + json_result.stderr), "compare --json")


def hostile_history(data_dir: Path) -> int:
    """A history whose chat holds the hostile table in every field that is shown."""
    with Store.open(data_dir / "history.db") as store:
        chat_id = store.create_chat(title=ALL)
        assistant = {
            "role": "assistant",
            "text": ALL,
            "thinking": ALL,
            "status": "error",
            "error": ALL,
            "backend": "evil" + HOSTILE["osc0_title"],
            "backend_kind": "openai-compat",
            "model": "m" + HOSTILE["c1_osc"],
        }
        store.insert_messages(chat_id, [message_row(Message("user", ALL)), assistant])
    return chat_id


@pytest.mark.parametrize(
    "args",
    [
        ("history",),
        ("history", "--json"),
        ("history", "--search", "pwned"),
        ("history", "--search", "pwned", "--json"),
        ("export", "1"),
        ("export", "1", "--format", "json"),
    ],
)
def test_history_and_export_are_safe(tmp_path: Path, args: tuple[str, ...]) -> None:
    chat_id = hostile_history(tmp_path / "data")
    assert chat_id == 1
    result = run_cli(tmp_path, *args)
    out, err = decoded(result.stdout), decoded(result.stderr)
    assert result.returncode == 0, err
    assert_terminal_safe(out + err, " ".join(args))
    assert "52;c;" in out
    if "--format" in args:  # the JSON export still holds the exact text
        document = json.loads(out)
        assert document["messages"][1]["text"] == ALL
