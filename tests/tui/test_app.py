"""App wiring: themes (ponder's, Textual's, persisted), config warnings, lazy imports."""

from __future__ import annotations

import subprocess
import sys

from textual.color import Color

from backends.config import Settings
from backends.events import Finished, StopReason
from tests.tui.helpers import SIZE, app_with, backend_ready, chat
from tests.tui.scripted import ScriptedBackend
from themes import SEMANTIC_VARIABLES, THEMES
from tui.widgets.messages import MessageList

DONE = Finished(StopReason.STOP)


def test_ponder_themes_define_every_semantic_variable() -> None:
    for theme in THEMES:
        assert set(SEMANTIC_VARIABLES) <= set(theme.variables), theme.name


async def test_the_theme_choice_is_persisted_when_the_user_changes_it() -> None:
    saved: list[str] = []
    app = app_with(
        ScriptedBackend([DONE]), Settings(theme="ponder-dark"), persist_theme=saved.append
    )
    async with app.run_test(size=SIZE) as pilot:
        await backend_ready(pilot)
        assert app.theme == "ponder-dark"
        app.theme = "ponder-light"
        await pilot.pause()
        assert saved == ["ponder-light"]  # nothing written at start-up


async def test_textual_builtin_themes_get_the_semantic_variables() -> None:
    app = app_with(ScriptedBackend([DONE]))
    async with app.run_test(size=SIZE) as pilot:
        messages = chat(pilot).query_one(MessageList)
        before = messages.background_colors[1]  # what shows behind the messages: ponder's theme
        app.theme = "nord"
        await pilot.pause()
        variables = app.get_css_variables()
        generated = app.current_theme.to_color_system().generate()
        assert variables["thinking-fg"] == generated["foreground-muted"]
        assert all(name in variables for name in SEMANTIC_VARIABLES)
        # The list is transparent over the screen, so it shows nord's $background, not ponder's.
        assert messages.background_colors[1] == Color.parse(variables["background"]) != before


async def test_unknown_theme_and_key_ids_in_config_warn_and_fall_back() -> None:
    settings = Settings(theme="no-such-theme", keys={"no_such_binding": "f12"})
    app = app_with(ScriptedBackend([DONE]), settings)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.theme == "ponder-dark"
        messages = [n.message for n in app._notifications]
        assert any("no-such-theme" in m for m in messages)
        assert any("no_such_binding" in m for m in messages)


def test_importing_the_app_loads_no_backend_model_or_price_data() -> None:
    code = (
        "import sys, tui.app\n"
        "heavy = ['llama_cpp', 'backends.registry', 'backends.local.backend', 'genai_prices',"
        " 'tiktoken', 'httpx']\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == ""
