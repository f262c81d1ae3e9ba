"""No key fragment leaks: redaction comes before clipping, URL credentials never leave ponder.

Real subprocesses of ``python -m tui.cli`` against the replay server and a real SQLite history:
the key is looked for in stderr, ``--json``, the history's rows and WAL, ``history`` and
``export``.
"""

from __future__ import annotations

import json
from pathlib import Path

from backends.errors import clip, redact_urls, register_secret, url_credentials
from backends.remote.http_errors import MAX_MESSAGE_CHARS, parse_error_body
from backends.request import Message
from backends.store.db import Store
from backends.store.recorder import message_row
from tests.hardening.hostile import chat_sse, decoded, run_cli
from tests.support.replay_server import ReplayServer, json_reply, sse_reply

KEY = "sk-straddle-0123456789abcdefghij"


def db_bytes(data_dir: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(data_dir.glob("history.db*")) if p.is_file())


def test_clip_redacts_before_the_cut() -> None:
    register_secret(KEY)
    text = "x" * (MAX_MESSAGE_CHARS - 6) + KEY + " tail"
    message, _ = parse_error_body(json.dumps({"error": {"message": text}}))
    assert KEY[:4] not in message and "***" in message
    assert len(message) <= MAX_MESSAGE_CHARS
    assert clip("ab " + KEY, 8) == "ab ***"


def test_a_key_straddling_the_cut_leaks_nowhere(
    tmp_path: Path, replay_server: ReplayServer
) -> None:
    for _ in range(2):
        message = "bad request " + "x" * (MAX_MESSAGE_CHARS - 20) + KEY + " and more"
        replay_server.add(json_reply(400, {"error": {"message": message, "type": "x"}}))
    config = (
        "[backends.keyed]\n"
        'kind = "openai-compat"\nmodel = "m"\n'
        f'base_url = "{replay_server.url("/v1")}"\n'
        'api_key_env = "HARDEN_KEY"\noptions = { max_retries = 0 }\n'
    )
    plain = run_cli(tmp_path, "ask", "-b", "keyed", "hi", config=config, HARDEN_KEY=KEY)
    as_json = run_cli(tmp_path, "ask", "--json", "-b", "keyed", "hi", config=config, HARDEN_KEY=KEY)
    listed = run_cli(tmp_path, "export", "1", "--format", "json", config=config)
    assert plain.returncode == 1 and "***" in decoded(plain.stderr)
    for name, output in [
        ("stderr", plain.stderr),
        ("--json", as_json.stdout),
        ("export", listed.stdout),
        ("the history db", db_bytes(tmp_path / "data")),
    ]:
        assert KEY[:5].encode() not in output, f"a fragment of the key reached {name}"
    error = json.loads(listed.stdout)["messages"][1]["error"]
    assert "***" in error


def test_url_credentials_are_found_and_redacted() -> None:
    url = "https://user:pa55word@host.example/v1?alt=sse&key=AIzaSECRET&api-version=2"
    assert set(url_credentials(url)) == {"pa55word", "AIzaSECRET"}
    assert redact_urls(f"cannot reach {url} now") == (
        "cannot reach https://***@host.example/v1?alt=sse&key=***&api-version=2 now"
    )
    assert redact_urls("https://h/v1?access_token=abc&x=1") == "https://h/v1?access_token=***&x=1"


def test_a_key_in_the_backend_url_is_never_stored_printed_or_exported(
    tmp_path: Path, replay_server: ReplayServer
) -> None:
    secret = "urlkey-SECRET-4242"
    replay_server.add(sse_reply(chat_sse(text="the answer")))
    replay_server.add(sse_reply(chat_sse(text="the answer")))
    spec = f"{replay_server.url('/v1')}?key={secret}"
    asked = run_cli(tmp_path, "ask", "-b", spec, "hi")
    assert asked.returncode == 0, decoded(asked.stderr)
    assert b"the answer" in asked.stdout
    as_json = run_cli(tmp_path, "ask", "--json", "-b", spec, "hi")
    assert json.loads(as_json.stdout)["backend"].endswith("?key=***")
    outputs = {
        "ask": asked.stdout + asked.stderr,
        "ask --json": as_json.stdout + as_json.stderr,
        "db and WAL": db_bytes(tmp_path / "data"),
    }
    for args in [
        ("history",),
        ("history", "--json"),
        ("export", "1"),
        ("export", "1", "--format", "json"),
    ]:
        result = run_cli(tmp_path, *args)
        assert result.returncode == 0, decoded(result.stderr)
        outputs[" ".join(args)] = result.stdout + result.stderr
    assert b"key=***" in outputs["history --json"]
    for name, output in outputs.items():
        assert secret.encode() not in output, f"the URL's key reached {name}"


def test_export_redacts_the_configured_keys(tmp_path: Path) -> None:
    secret = "sk-export-only-SECRET-777"
    with Store.open(tmp_path / "data" / "history.db") as store:  # written before it was known
        chat_id = store.create_chat()
        store.insert_messages(chat_id, [message_row(Message("user", f"my key is {secret}"))])
    config = '[backends.mine]\nkind = "openai"\napi_key_env = "MINE_KEY"\n'
    for fmt in ("md", "json"):
        result = run_cli(
            tmp_path, "export", str(chat_id), "--format", fmt, config=config, MINE_KEY=secret
        )
        assert result.returncode == 0, decoded(result.stderr)
        assert b"my key is ***" in result.stdout
        assert secret.encode() not in result.stdout


def test_a_key_in_a_compare_column_url_is_not_printed(
    tmp_path: Path, replay_server: ReplayServer
) -> None:
    secret = "cmpkey-SECRET-9191"
    for _ in range(4):
        replay_server.add(sse_reply(chat_sse(text="same answer")))
    spec = f"{replay_server.url('/v1')}?key={secret}"
    for extra in ((), ("--json",)):
        result = run_cli(tmp_path, "compare", *extra, "-b", f"{spec}:0", "-b", f"{spec}:64", "q")
        assert result.returncode == 0, decoded(result.stderr)
        assert b"same answer" in result.stdout
        assert secret.encode() not in result.stdout + result.stderr, extra


def test_a_chat_title_never_holds_a_fragment_of_a_key(tmp_path: Path) -> None:
    from backends.store.db import title_from

    secret = "sk-title-SECRET-0123456789"
    register_secret(secret)
    prompt = "x" * 50 + secret + " more words"
    assert secret[:4] not in title_from(prompt)
    with Store.open(tmp_path / "history.db") as store:
        chat_id = store.create_chat(title_from(prompt))
        store.insert_messages(chat_id, [message_row(Message("user", prompt))])
        assert store.query("SELECT title FROM chats")[0][0] == "x" * 50 + "*** more…"
