"""API keys never reach the database (file, WAL, shared memory), exports, or printed output."""

from __future__ import annotations

import json
from pathlib import Path

from backends.errors import AuthError, register_secret
from backends.events import Finished, ReasoningDelta, StopReason, TextDelta
from backends.request import Message
from backends.store.db import Store
from backends.store.export import export_chat
from backends.store.history import rename_chat
from backends.store.recorder import MessageRecorder
from tests.store.paced_server import PacedServer, Script
from tests.store.support import API_KEY, ponder_env, run_ponder


def files_containing(root: Path, secret: str) -> list[Path]:
    """Every file under ``root`` whose raw bytes contain ``secret``."""
    needle = secret.encode()
    return [p for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]


def test_recorded_chats_and_exports_never_contain_a_registered_key(tmp_path: Path) -> None:
    key = "sk-inprocess-0123456789abcdef0123"
    register_secret(key)
    data = tmp_path / "data"
    with Store.open(data / "history.db") as store:
        chat = store.create_chat(f"about {key}")
        recorder = MessageRecorder(store, chat, backend="b", kind="openai", model="m")
        recorder.begin([Message("user", f"my key is {key}, is it valid?")])
        recorder.feed(ReasoningDelta(f"the user pasted {key}"))
        assert recorder.wait_flushed(1, 10)  # a partial flush, too
        recorder.feed(TextDelta(f"Never share {key}."))
        recorder.feed(
            Finished(
                StopReason.ERROR,
                error=AuthError(f"bad key {key}"),
                continuation={"format": "f", "echo": key},
            )
        )
        recorder.close()
        rename_chat(store, chat, f"renamed {key}")
        exports = [export_chat(store, chat, fmt) for fmt in ("md", "json")]
        assert files_containing(data, key) == []  # checked while open: WAL and -shm included
        assert "***" in exports[0] and "Never share ***." in exports[0]
    assert files_containing(data, key) == []
    assert all(key not in text for text in exports)


def test_ponder_ask_history_and_exports_never_contain_the_api_key(tmp_path: Path) -> None:
    server = PacedServer().start()
    try:
        server.scripts += [
            Script(thinking=["checking ", "the ", "key "], text=["fine: ", API_KEY, " ok"]),
            Script(
                status=401,
                error_body={
                    "error": {
                        "message": f"Incorrect API key provided: {API_KEY}.",
                        "type": "invalid_request_error",
                        "code": "invalid_api_key",
                    }
                },
            ),
        ]
        env = ponder_env(tmp_path, server.url)
        runs = [
            run_ponder(env, "ask", "-b", "paced", "--budget", "off", f"is {API_KEY} mine?"),
            run_ponder(env, "ask", "-b", "paced", "--budget", "off", "second try"),
        ]
    finally:
        server.stop()
    assert runs[0].returncode == 0, runs[0].stderr
    assert runs[1].returncode == 1 and "Incorrect API key" in runs[1].stderr
    # The key really was used, so finding no trace of it below means something.
    assert [s.headers["authorization"] for s in server.served] == [f"Bearer {API_KEY}"] * 2

    out_dir = tmp_path / "exports"
    out_dir.mkdir()
    listed = run_ponder(env, "history", "--json")
    chats = json.loads(listed.stdout)
    assert len(chats) == 2
    runs.append(listed)
    runs.append(run_ponder(env, "history", "--search", "fine"))
    with Store.open(tmp_path / "data" / "history.db") as store:  # in-process: faster
        for chat in chats:
            for fmt in ("md", "json"):
                text = export_chat(store, chat["id"], fmt)
                (out_dir / f"chat{chat['id']}.{fmt}").write_text(text, encoding="utf-8")
    runs.append(run_ponder(env, "export", str(chats[1]["id"])))  # and once through the CLI
    assert all(run.returncode == 0 for run in runs[2:]), [r.stderr for r in runs]

    errored = json.loads((out_dir / f"chat{chats[0]['id']}.json").read_text())
    assert errored["messages"][-1]["status"] == "error"
    assert "Incorrect API key provided: ***" in errored["messages"][-1]["error"]
    answered = json.loads((out_dir / f"chat{chats[1]['id']}.json").read_text())
    assert answered["messages"][-1]["text"] == "fine: *** ok"
    assert answered["messages"][0]["text"] == "is *** mine?"

    assert files_containing(tmp_path / "data", API_KEY) == []
    assert files_containing(out_dir, API_KEY) == []
    # Printed output too, except the live answer itself: it is the model's text, shown as is.
    assert API_KEY not in runs[0].stderr
    for run in runs[1:]:
        assert API_KEY not in run.stdout and API_KEY not in run.stderr
