"""Every key shown (F1, README, welcome line) is the bound one; alt+enter and the scroll keys."""

from __future__ import annotations

from textual import events
from textual._xterm_parser import XTermParser
from textual.widget import Widget

from backends.config import Settings
from backends.events import Finished, StopReason, TextDelta, Usage
from tests.tui.helpers import SIZE, app_with, backend_ready, chat, reply_done, send
from tests.tui.keys_shown import help_rows, readme_rows
from tests.tui.scripted import ScriptedBackend
from tui.bindings import COMPARE_SPECS, KEY_SPECS, keys_shown
from tui.widgets.messages import MessageList
from tui.widgets.prompt import PromptInput

DONE = Finished(StopReason.STOP, usage=Usage(input=3, output=4))
REMAP = {"retry": "f12", "help": "f10", "backend_picker": "ctrl+k", "compare_add": "ctrl+w"}


async def test_f1_shows_the_keys_bound_after_a_remap() -> None:
    app = app_with(ScriptedBackend([DONE]), Settings(keys=REMAP))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f10")
        await pilot.pause()
        table = help_rows(str(app.screen.query_one("#help-table").render()))
        rows = {row.binding_id: row for row in table}
        compare = {
            row.binding_id: row
            for row in help_rows(str(app.screen.query_one("#help-compare").render()))
        }
        for spec in KEY_SPECS:
            assert rows[spec.id].key == keys_shown(app, REMAP.get(spec.id, spec.key)), spec.id
            assert rows[spec.id].description == spec.description
        for spec in COMPARE_SPECS:
            assert compare[spec.id].key == keys_shown(app, REMAP.get(spec.id, spec.key))
            assert compare[spec.id].description == spec.description
        assert rows["retry"].key == "f12" and rows["backend_picker"].key == "^k"
        prompt_rows = [row for row in table if not row.binding_id]
        keys = " ".join(row.key for row in prompt_rows)
        assert "alt+enter" in keys and "shift+enter" in keys and "ctrl+j" in keys
        # Bound keys do what F1 says: the remapped help key closes help and is the only one.
        await pilot.press("escape")
        await pilot.press("f1")
        assert app.screen is chat(pilot)


def test_the_readme_key_tables_are_the_binding_tables() -> None:
    chat_rows = readme_rows("| id | key | what |")
    assert [row.binding_id for row in chat_rows] == [spec.id for spec in KEY_SPECS]
    for row, spec in zip(chat_rows, KEY_SPECS, strict=True):
        assert row.key == spec.key.replace(",", ", "), spec.id
        assert row.description == spec.description
    compare_rows = readme_rows("| compare id | key | what |")
    assert [row.binding_id for row in compare_rows] == [spec.id for spec in COMPARE_SPECS]
    for row, spec in zip(compare_rows, COMPARE_SPECS, strict=True):
        assert row.key == spec.key.replace(",", ", ") and row.description == spec.description


async def test_the_welcome_line_and_placeholder_follow_a_remap() -> None:
    app = app_with(ScriptedBackend([DONE]), Settings(keys={"help": "f10", "budget_up": "f12"}))
    async with app.run_test(size=SIZE) as pilot:
        welcome = str(chat(pilot).query_one(".welcome").render())
        assert "f10 keys" in welcome and "f12/" in welcome and "F1" not in welcome
        assert "f10: keys" in str(chat(pilot).query_one(PromptInput).placeholder)
        await pilot.press("ctrl+n")
        assert "f10 keys" in str(chat(pilot).query_one(".welcome").render())


def test_the_terminal_sequence_for_alt_enter_is_parsed_as_alt_enter() -> None:
    import tui.widgets.prompt  # noqa: F401  (installs the mapping)

    parser = XTermParser()
    parsed = [*parser.feed("\x1b\r"), *parser.feed("\r")]
    assert all(isinstance(event, events.Key) for event in parsed)
    keys = [event.key for event in parsed if isinstance(event, events.Key)]
    assert keys == ["alt+enter", "enter"]


async def test_alt_enter_inserts_a_newline_and_enter_sends() -> None:
    backend = ScriptedBackend([TextDelta("ok"), DONE])
    app = app_with(backend)
    async with app.run_test(size=SIZE) as pilot:
        await backend_ready(pilot)
        prompt = chat(pilot).query_one(PromptInput)
        await pilot.press("a", "alt+enter", "b")
        assert prompt.text == "a\nb"
        assert not backend.requests
        await pilot.press("enter")
        await reply_done(pilot)
        assert backend.requests[0].messages[-1].text == "a\nb"


async def test_page_up_scrolls_the_chat_while_the_prompt_has_focus() -> None:
    backend = ScriptedBackend([TextDelta("line\n\n" * 40), DONE])
    app = app_with(backend)
    async with app.run_test(size=SIZE) as pilot:
        await backend_ready(pilot)
        await send(pilot, "long please")
        await reply_done(pilot)
        messages = chat(pilot).query_one(MessageList)
        prompt = chat(pilot).query_one(PromptInput)
        await pilot.pause()
        bottom = messages.scroll_y
        assert bottom > 0 and prompt.has_focus
        await pilot.press("pageup")
        await pilot.pause()
        assert messages.scroll_y < bottom and prompt.has_focus
        await pilot.press("pagedown")
        await pilot.press("home")  # the prompt is empty: home scrolls to the top
        await pilot.pause()
        assert messages.scroll_y == 0
        await pilot.press("ctrl+end")
        await pilot.pause()
        assert messages.scroll_y == messages.max_scroll_y
        await pilot.press("x", "y", "home")  # with text, home moves the cursor, not the chat
        assert prompt.cursor_location == (0, 0)
        assert messages.scroll_y == messages.max_scroll_y


async def test_f1_fits_an_80_column_terminal_without_running_into_the_ids() -> None:
    app = app_with(ScriptedBackend([DONE]))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f1")
        await pilot.pause()
        table = str(app.screen.query_one("#help-table").render())
        assert max(len(line) for line in table.splitlines()) <= 80 - 4
        rows = {row.binding_id: row for row in help_rows(table) if row.binding_id}
        assert set(rows) == {spec.id for spec in KEY_SPECS}
        for spec in KEY_SPECS:
            assert rows[spec.id].description == spec.description


def test_every_screen_takes_its_keys_from_the_one_binding_table() -> None:
    # Each screen's BINDINGS are the table's (ids, keys, actions), and unknown_ids knows them
    # all: a remap of any screen's key is not reported as a typo, a real typo is.
    from textual.binding import Binding

    from tui.bindings import all_specs, unknown_ids
    from tui.chat.backend_picker import BackendPicker
    from tui.chat.help import HelpScreen
    from tui.chat.history_error import HistoryErrorScreen
    from tui.chat.model_pull import ModelPullScreen
    from tui.chat.screen import ChatScreen
    from tui.chat.system_prompt import SystemPromptScreen
    from tui.compare.picker import ColumnPicker
    from tui.compare.screen import CompareScreen
    from tui.eval.screen import EvalScreen, StrategyResults
    from tui.history.chat_list import ChatListScreen, ChatOptions, ConfirmDelete

    table = {spec.id: spec for spec in all_specs()}
    classes: list[type[Widget]] = [
        BackendPicker,
        HelpScreen,
        HistoryErrorScreen,
        ModelPullScreen,
        ChatScreen,
        SystemPromptScreen,
        ColumnPicker,
        CompareScreen,
        EvalScreen,
        StrategyResults,
        ChatListScreen,
        ChatOptions,
        ConfirmDelete,
    ]
    seen: set[str] = set()
    for cls in classes:
        for binding in cls.BINDINGS:
            assert isinstance(binding, Binding), cls
            assert binding.id in table, (cls.__name__, binding.key)
            spec = table[binding.id]
            assert (binding.key, binding.action) == (spec.key, spec.action), binding.id
            seen.add(binding.id)
    assert seen == set(table)  # no spec is left unused
    assert unknown_ids({binding_id: "f12" for binding_id in table}) == []
    assert unknown_ids({"chats_renam": "f12"}) == ["chats_renam"]
