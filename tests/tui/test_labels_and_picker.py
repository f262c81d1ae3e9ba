"""Labels that agree (one model name, a server's reported model, no budget note when off) and
a spec typed into the backend picker."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, OptionList, Static

from backends.config import Settings
from backends.events import Finished, StopReason, TextDelta, Usage
from tests.tui.helpers import SIZE, app_with, backend_ready, chat, reply_done, send, until_shown
from tests.tui.scripted import ScriptedBackend
from tui.chat.backend_picker import BackendPicker, spec_problem
from tui.chat.reply import stop_note
from tui.widgets.meters import StatusBar, model_label


def test_one_model_name_for_live_resumed_and_picked() -> None:
    assert model_label("embedded") == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert model_label("/models/SmolLM2-135M-Instruct.Q4_1.gguf") == model_label("embedded")
    assert model_label("default", "http://10.0.0.5:8080/v1") == "10.0.0.5:8080 (server's model)"
    assert model_label("meta-llama/Llama-3.1-8B") == "meta-llama/Llama-3.1-8B"  # a remote id
    assert model_label("claude-sonnet-4-5") == "claude-sonnet-4-5"


def test_no_budget_note_when_the_budget_was_off_and_not_sent() -> None:
    finished = Finished(StopReason.STOP, budget_applied="0: not sent (this server takes no budget)")
    assert stop_note(finished, 0) == ""
    assert stop_note(finished, None) == ""
    assert "not sent" in stop_note(
        Finished(StopReason.STOP, budget_applied="512: not sent (this server takes no budget)"),
        512,
    )


async def test_the_server_reported_model_replaces_default() -> None:
    backend = ScriptedBackend(
        [
            TextDelta("hi"),
            Finished(StopReason.STOP, usage=Usage(input=1, output=1), model="qwen3-8b"),
        ],
        name="srv",
        model="default",
    )
    app = app_with(backend)
    async with app.run_test(size=SIZE) as pilot:
        await backend_ready(pilot)
        view = await send(pilot, "hello")
        await reply_done(pilot)
        assert "qwen3-8b" in str(view._header.render())
        assert "qwen3-8b" in str(chat(pilot).query_one(StatusBar).render().plain)


def test_spec_problems_are_one_line(tmp_path: Path) -> None:
    settings = Settings()
    assert spec_problem(settings, "http://127.0.0.1:9/v1") is None
    missing = spec_problem(settings, f"llama:{tmp_path}/none.gguf")
    assert missing is not None and "not found" in missing and "\n" not in missing
    unknown = spec_problem(settings, "bogus")
    assert unknown is not None and "unknown backend" in unknown and "\n" not in unknown
    assert "unknown backend kind" in (spec_problem(settings, "nokind:x") or "")


async def test_a_typed_spec_in_the_picker_switches_or_says_what_is_wrong(tmp_path: Path) -> None:
    built: list[str] = []

    def factory(name: str) -> ScriptedBackend:
        built.append(name)
        return ScriptedBackend([TextDelta("ok"), Finished(StopReason.STOP)], name=name)

    app = app_with(factory)
    async with app.run_test(size=SIZE) as pilot:
        await backend_ready(pilot)
        await pilot.press("ctrl+b")
        await until_shown(pilot, BackendPicker, "#picker-spec")
        field = app.screen.query_one("#picker-spec", Input)
        field.focus()
        field.value = f"llama:{tmp_path}/none.gguf"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, BackendPicker)
        assert "model file not found" in str(app.screen.query_one("#picker-spec-error").render())
        field.value = "http://127.0.0.1:9/v1"
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, BackendPicker)
        await backend_ready(pilot)
        assert chat(pilot).slot.name == "http://127.0.0.1:9/v1"
        assert built[-1] == "http://127.0.0.1:9/v1"
        # Listed again, the spec reads as its kind and host, not "spec · v1".
        await pilot.press("ctrl+b")
        await until_shown(pilot, BackendPicker, "#picker-spec")
        options = app.screen.query_one(OptionList)
        row = str(options.get_option("http://127.0.0.1:9/v1").prompt)
        assert "openai-compat · 127.0.0.1:9 (server's model)" in row and "v1\n" not in row


def test_the_chat_list_row_shows_the_id_ponder_export_takes() -> None:
    from backends.store.history import ChatSummary
    from tui.history.search import chat_row

    row = chat_row(
        ChatSummary(412, "Primes", "chat", 0.0, 0.0, "local", "embedded", 6), current=False
    ).plain
    assert row.split()[0] == "412" and "Primes" in row and "6 msgs" in row


class _NotedBackend(ScriptedBackend):
    def notes(self) -> list[str]:
        return ["extra buffer types off: this CPU has AMX (llama.cpp's AMX path crashes)"]


async def test_the_picker_says_which_cpu_path_the_local_backend_chose() -> None:
    backend = _NotedBackend([TextDelta("ok"), Finished(StopReason.STOP)], name="here")
    app = app_with(backend)
    async with app.run_test(size=SIZE) as pilot:
        await backend_ready(pilot)
        await pilot.press("ctrl+b")
        await until_shown(pilot, BackendPicker, "#picker-thinking")
        shown = str(app.screen.query_one("#picker-thinking", Static).render())
        assert "local: extra buffer types off: this CPU has AMX" in shown
