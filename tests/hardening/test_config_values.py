"""Values the config accepts are values the app can use: budgets and keys are checked at load.

Each bad value gives the usual one line (file, field, fix) and exit 2, never a traceback in
``ponder ask`` or a crash in the TUI on send.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from backends.budget_text import MAX_TOKENS_SETTING
from backends.config import Settings, key_problem
from backends.errors import ConfigError
from tests.hardening.hostile import decoded, run_cli
from tui.bindings import KEY_SPECS


def one_line(result) -> str:  # type: ignore[no-untyped-def]
    err = decoded(result.stderr)
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("ponder: ")
    return lines[0]


@pytest.mark.parametrize(
    ("config", "needles"),
    [
        ("default_budget = -5\n", ["default_budget", "from 0 to 10,000,000"]),
        ("default_budget = 99999999999999999999\n", ["default_budget"]),
        ("budget_steps = [0, 256, 9223372036854775808]\n", ["budget_steps", "at most"]),
        ("max_tokens = 9223372036854775807\n", ["max_tokens"]),
        ('[keys]\ncancel = "a"\n', ["keys", "cancel", "types a character", "ctrl+a"]),
        ('[keys]\nbudget_up = "enter"\n', ["budget_up", "needed by the prompt"]),
        ('[keys]\nretry = "ctrl+nonsense+++"\n', ["retry", "not a key"]),
        ('[keys]\nretry = "ctrl+nonsense"\n', ["'nonsense' is not a key name"]),
        ('[keys]\nretry = "cmd+r"\n', ["'cmd' is not a modifier"]),
        ('[keys]\nnew_chat = "shift+n"\n', ["types a character"]),
    ],
)
def test_a_bad_value_is_one_line_at_load(tmp_path: Path, config: str, needles: list[str]) -> None:
    result = run_cli(tmp_path, "ask", "--no-history", "hi", config=config)
    assert result.returncode == 2
    line = one_line(result)
    assert "config.toml" in line
    for needle in needles:
        assert needle in line, (needle, line)


def test_a_budget_beyond_the_cap_on_the_command_line_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "ask", "--budget", str(2**64), "hi")
    assert result.returncode == 2
    assert "at most 10,000,000" in decoded(result.stderr)
    assert "Traceback" not in decoded(result.stderr)


def test_settings_refuse_a_negative_default_budget() -> None:
    with pytest.raises(ValueError, match="default_budget: must be 'auto' or a number"):
        Settings(default_budget=-5)
    assert Settings(default_budget=MAX_TOKENS_SETTING).default_budget == MAX_TOKENS_SETTING


def test_non_utf8_config_says_so(tmp_path: Path) -> None:
    from backends.config import load_settings

    path = tmp_path / "config.toml"
    path.write_bytes(b'theme = "caf\xe9"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert "not UTF-8" in str(caught.value) and "save the file as UTF-8" in str(caught.value)
    assert "permissions" not in str(caught.value)


@pytest.mark.parametrize(
    "keys",
    [
        "ctrl+k",
        "ctrl+b,f4",
        "f8",
        "alt+up",
        "ctrl+shift+up",
        "escape",
        "ctrl+slash",
        "super+k",
        "shift+f5",
        "pageup",
        "ctrl+right_square_bracket",
        "alt+a",
    ],
)
def test_good_keys_pass(keys: str) -> None:
    assert key_problem(keys) is None


@pytest.mark.parametrize(
    "keys",
    [
        "a",
        "A",
        "shift+a",
        "space",
        "slash",
        "1",
        "enter",
        "ctrl+m",
        "tab",
        "backspace",
        "up",
        "",
        "ctrl+",
        "+a",
        "ctrl+ctrl+a",
        "f8,,f9",
        "ctrl+f99",
        "hyper+nonsense",
    ],
)
def test_bad_keys_are_refused(keys: str) -> None:
    assert key_problem(keys)


def test_every_default_binding_passes_the_check() -> None:
    """Home/End scroll only while the prompt is empty and are the prompt's keys otherwise, so
    they are the one deliberate exception; a user's remap onto them is still refused."""
    shared_with_prompt = {"scroll_top_empty", "scroll_bottom_empty"}
    for spec in KEY_SPECS:
        if spec.id in shared_with_prompt:
            assert spec.action.startswith("scroll_if_empty("), spec
            assert key_problem(spec.key) is not None, spec
            continue
        assert key_problem(spec.key) is None, spec
