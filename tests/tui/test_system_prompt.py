"""The system prompt: config default, set per chat, sent (seen at a real HTTP server), stored,
resumed, and sent to every column of a compare."""

from __future__ import annotations

import json
from pathlib import Path

from textual.widgets import TextArea

from backends.config import BackendEntry, Settings
from tests.support.replay_server import ReplayServer, json_reply, sse_reply
from tests.tui.helpers import SIZE, backend_ready, chat, reply_done, send, until, until_shown
from tests.tui.history_helpers import history_ready, rows
from tui.app import make_app
from tui.chat.system_prompt import SystemPromptScreen
from tui.compare.screen import CompareScreen
from tui.history.chat_list import ChatChoice


def chunk(delta: dict[str, object], finish: str | None = None, usage: bool = False) -> bytes:
    body: dict[str, object] = {
        "id": "c1",
        "object": "chat.completion.chunk",
        "model": "m",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    if usage:
        body["usage"] = {"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11}
    return b"data: " + json.dumps(body).encode() + b"\n\n"


STREAM = (
    chunk({"role": "assistant", "content": "Bon"})
    + chunk({"content": "jour"})
    + chunk({}, "stop", usage=True)
    + b"data: [DONE]\n\n"
)


def serve(server: ReplayServer, replies: int) -> None:
    for _ in range(replies):
        server.add(sse_reply(STREAM), path="/chat/completions")
    server.set_default(json_reply(200, {"object": "list", "data": [{"id": "m"}]}))


def settings_for(server: ReplayServer) -> Settings:
    entry = BackendEntry(kind="openai-compat", model="m", base_url=server.url("/v1"))
    return Settings(
        system_prompt="Be terse.", default_backend="srv", backends={"srv": entry}, max_tokens=64
    )


def sent_messages(server: ReplayServer) -> list[list[dict[str, object]]]:
    return [
        request.json["messages"]
        for request in server.requests
        if request.path.endswith("/chat/completions")
    ]


async def _ready(name: str) -> str | None:
    return None


def app_on(server: ReplayServer, path: Path):  # type: ignore[no-untyped-def]
    from backends.store.db import Store

    return make_app(settings_for(server), availability=_ready, store=lambda: Store.open(path))


async def test_system_prompt_is_set_sent_stored_resumed_and_shown_in_compare(
    replay_server: ReplayServer, tmp_path: Path
) -> None:
    serve(replay_server, 5)
    db = tmp_path / "history.db"
    app = app_on(replay_server, db)
    async with app.run_test(size=SIZE) as pilot:
        await history_ready(pilot)
        await backend_ready(pilot)
        screen = chat(pilot)
        line = screen.query_one("#system-line")
        assert "system: Be terse." in str(line.render())  # the config's default, shown

        await pilot.press("f9")
        await until_shown(pilot, SystemPromptScreen, "#system-text")
        area = app.screen.query_one(TextArea)
        assert area.text == "Be terse."
        area.text = "Answer in French."
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.screen is screen)
        assert "system: Answer in French." in str(line.render())

        await send(pilot, "hello")
        await reply_done(pilot)
        first = sent_messages(replay_server)[0]
        assert first[0] == {"role": "system", "content": "Answer in French."}
        assert first[-1] == {"role": "user", "content": "hello"}
        stored = rows(db, "SELECT role, text FROM messages ORDER BY id")
        assert stored[0] == ("system", "Answer in French.")
        chat_id = app.history.chat_id
        assert chat_id is not None

    # A new session: the default is back for a new chat, the stored one comes back on resume.
    app = app_on(replay_server, db)
    async with app.run_test(size=SIZE) as pilot:
        await history_ready(pilot)
        await backend_ready(pilot)
        screen = chat(pilot)
        assert screen.conversation.system == "Be terse."
        await screen._resume(ChatChoice(chat_id))
        await pilot.pause()
        assert screen.conversation.system == "Answer in French."
        assert "Answer in French." in str(screen.query_one("#system-line").render())
        await send(pilot, "again")
        await reply_done(pilot)
        resumed = sent_messages(replay_server)[1]
        assert resumed[0] == {"role": "system", "content": "Answer in French."}
        assert [m["role"] for m in resumed] == ["system", "user", "assistant", "user"]
        # Stored once: the resumed chat did not write the unchanged system prompt again.
        systems = rows(db, "SELECT count(*) FROM messages WHERE role = 'system'")
        assert systems == [(1,)]

        await pilot.press("f7")
        await until_shown(pilot, CompareScreen, "#compare-system")
        compare = app.screen
        assert "Answer in French." in str(compare.query_one("#compare-system").render())
        compare.query_one("#prompt", TextArea).insert("compare me")
        await pilot.press("enter")
        await until(pilot, lambda: len(sent_messages(replay_server)) == 4)
        for messages in sent_messages(replay_server)[2:]:
            assert messages[0] == {"role": "system", "content": "Answer in French."}
            assert messages[-1] == {"role": "user", "content": "compare me"}
        worker = compare.worker  # type: ignore[attr-defined]
        await worker.wait()


async def test_a_changed_system_prompt_is_stored_before_the_next_prompt(
    replay_server: ReplayServer, tmp_path: Path
) -> None:
    serve(replay_server, 2)
    db = tmp_path / "history.db"
    app = app_on(replay_server, db)
    async with app.run_test(size=SIZE) as pilot:
        await history_ready(pilot)
        await backend_ready(pilot)
        await send(pilot, "one")
        await reply_done(pilot)
        chat(pilot)._system_chosen("")  # cleared: the next request sends none
        assert not chat(pilot).query_one("#system-line").display
        await send(pilot, "two")
        await reply_done(pilot)
        second = sent_messages(replay_server)[1]
        assert [m["role"] for m in second] == ["user", "assistant", "user"]
        stored = rows(db, "SELECT role, text FROM messages ORDER BY id")
        assert [r[0] for r in stored] == [
            "system",
            "user",
            "assistant",
            "system",
            "user",
            "assistant",
        ]
        assert stored[3] == ("system", "")


def test_the_config_system_prompt_is_validated() -> None:
    import pytest

    from backends.config import settings_from_dict
    from backends.errors import ConfigError

    assert settings_from_dict({"system_prompt": "  Be terse.\n"}).system_prompt == "Be terse."
    assert settings_from_dict({}).system_prompt == ""
    with pytest.raises(ConfigError) as info:
        settings_from_dict({"system_prompt": "evil \x1b[2J"}, source="config.toml")
    assert "system_prompt" in str(info.value) and "control characters" in str(info.value)
    with pytest.raises(ConfigError):
        settings_from_dict({"system_prompt": 42})
