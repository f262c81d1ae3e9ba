"""Start-up stays light: the chat's first frame never waits for modules it does not show.

bench/startup.py measures the time; these tests keep the cheap part of it from regressing: a
fresh interpreter that goes the ``ponder`` (chat) path, up to the first frame, must not have
imported pydantic, the model runtime, the plot library, price data, the tokenizer, the HTTP client,
Markdown, the history's database code, the sub-commands or the screens that are not shown.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

HEAVY = [
    "pydantic",  # validates a config file and backend options; the defaults need none
    "backends.base",  # the Backend class (and pydantic): built in the background
    "backends.local.formats",
    "backends.kinds",  # read when a price is looked up or a backend built
    "backends.pool",
    "backends.events",  # the stream's types and the meters load with the first reply
    "backends.meters",
    "tui.chat.handoff",  # what the chat hands to compare and the chat list, on request
    "textual.widgets._footer",  # the chat's key bar is one widget (tui.widgets.footer)
    "llama_cpp",
    "textual_plotext",
    "plotext",
    "genai_prices",
    "tiktoken",
    "httpx",
    "openai",
    "markdown_it",
    "sqlite3",
    "backends.registry",
    "backends.store.db",
    "backends.compare",
    "backends.evals",
    "tui.cli.ask",
    "tui.cli.history",
    "tui.cli.compare",
    "tui.cli.eval",
    "tui.compare.screen",
    "tui.eval.screen",
    "tui.history.chat_list",
    "tui.chat.help",
    "tui.chat.backend_picker",
    "tui.chat.history_error",
    "tui.chat.stored_chat",
    "tui.chat.reply",
]

FIRST_FRAME = """
import asyncio, json, sys
from tui.cli import entry as cli

parser = cli.build_parser(commands=cli.needs_commands([]))  # what ``ponder`` alone does
parser.parse_args([])
from backends.config import Settings
from tui.app import make_app
from tui.chat.screen import ChatScreen
from tui.widgets.prompt import PromptInput


class NoBackend(Exception):
    pass


def factory(name):
    raise NoBackend(name)  # never called: the background work is delayed past the test


async def main():
    app = make_app(Settings(), backend_factory=factory, background_delay_s=600)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ChatScreen), screen
        assert isinstance(app.focused, PromptInput), app.focused
        print(json.dumps(sorted(k for k, v in sys.modules.items() if v is not None)))

asyncio.run(main())
"""


def loaded(code: str, tmp_path: Path) -> set[str]:
    env = dict(
        os.environ,
        HOME=str(tmp_path),
        PONDER_DATA_DIR=str(tmp_path / "data"),
        PONDER_CONFIG=str(tmp_path / "config.toml"),
        PYTHONPATH=str(ROOT),
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


def heavy_in(modules: set[str]) -> list[str]:
    return sorted(
        name for name in modules if any(name == h or name.startswith(h + ".") for h in HEAVY)
    )


def test_importing_the_cli_loads_nothing_heavy(tmp_path: Path) -> None:
    modules = loaded(
        "import json, sys\nimport tui.cli.entry\n"
        "print(json.dumps(sorted(k for k, v in sys.modules.items() if v is not None)))",
        tmp_path,
    )
    assert "tui.cli.entry" in modules
    assert heavy_in(modules) == []


def test_the_chat_reaches_its_first_frame_without_heavy_modules(tmp_path: Path) -> None:
    modules = loaded(FIRST_FRAME, tmp_path)
    assert "tui.chat.screen" in modules and "textual.widgets._text_area" in modules
    assert heavy_in(modules) == []


def test_a_sub_command_still_gets_its_parser(tmp_path: Path) -> None:
    code = (
        "import json, sys\nfrom tui.cli import entry as cli\n"
        "assert cli.needs_commands(['ask', 'hi']) and cli.needs_commands(['--help'])\n"
        "assert not cli.needs_commands(['--backend', 'local'])\n"
        "cli.build_parser(commands=True).parse_args(['backends'])\n"
        "print(json.dumps(sorted(k for k, v in sys.modules.items() if v is not None)))"
    )
    modules = loaded(code, tmp_path)
    assert "tui.cli.ask" in modules


def test_ask_on_the_local_model_never_loads_the_local_tokenizer(tmp_path: Path) -> None:
    """llama.cpp reports exact counts: tiktoken's vocabulary (about 40 MB) is never read."""
    modules = loaded(
        "import json, sys\n"
        "import backends.tokens as tokens\n"
        "from tui.cli.entry import main\n"
        "assert main(['ask', '--max-tokens', '8', 'What is 2+2?']) == 0\n"
        "assert tokens._encoding.cache_info().currsize == 0, 'the tokenizer was loaded'\n"
        "print(json.dumps(sorted(k for k, v in sys.modules.items() if v is not None)))",
        tmp_path,
    )
    assert "tui.cli.compare" not in modules and "tui.cli.eval" not in modules  # not asked for
    assert "tui.cli.ask" in modules


def test_every_sub_command_is_mapped_to_the_module_that_registers_it() -> None:
    import argparse

    from tui.cli import entry

    for name, module in entry.COMMANDS.items():
        parser = entry.build_parser(commands=[module])
        actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        assert name in actions[0].choices, (name, module)
    every = entry.build_parser(commands=True)
    actions = [a for a in every._actions if isinstance(a, argparse._SubParsersAction)]
    assert set(actions[0].choices) == set(entry.COMMANDS)
    assert entry.needs_commands(["ask", "hi"]) == ["tui.cli.ask"]
    assert entry.needs_commands(["--backend", "x", "export", "1"]) == ["tui.cli.history"]
    assert entry.needs_commands(["asj"]) is True  # a typo gets every command in its message
