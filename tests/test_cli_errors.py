"""Every way ``ponder ask`` can be misconfigured gives one clear line with the fix, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import free_port


def run_ponder(
    tmp_path: Path, *args: str, config: str = "", env: dict | None = None
) -> subprocess.CompletedProcess[str]:
    config_path = tmp_path / "config.toml"
    config_path.write_text(config, encoding="utf-8")
    full_env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    full_env.update(PONDER_CONFIG=str(config_path), PONDER_DATA_DIR=str(tmp_path / "data"))
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def assert_one_clear_line(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("ponder: ")
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


def test_bad_gguf_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.gguf"
    result = run_ponder(tmp_path, "ask", "--backend", f"llama:{missing}", "hi")
    assert_one_clear_line(result, "model file not found", str(missing), "check the path")


def test_file_that_is_not_a_model(tmp_path: Path) -> None:
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"this is not a model at all" * 10)
    result = run_ponder(tmp_path, "ask", "--backend", f"llama:{junk}", "hi")
    assert_one_clear_line(result, "not a GGUF model file", str(junk))


def test_unknown_backend_kind(tmp_path: Path) -> None:
    result = run_ponder(tmp_path, "ask", "--backend", "frobnicate:model", "hi")
    assert_one_clear_line(result, "unknown backend kind 'frobnicate'", "use one of")
    assert result.returncode == 2


def test_missing_key_env_var(tmp_path: Path) -> None:
    result = run_ponder(tmp_path, "ask", "--backend", "anthropic:claude-sonnet-4-5", "hi")
    assert_one_clear_line(result, "ANTHROPIC_API_KEY")


def test_unreachable_url(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    config = (
        "[backends.down]\n"
        'kind = "openai-compat"\n'
        f'base_url = "http://127.0.0.1:{port}/v1"\n'
        "options = { max_retries = 0 }\n"
    )
    result = run_ponder(tmp_path, "ask", "--backend", "down", "hi", config=config)
    assert_one_clear_line(result, f"127.0.0.1:{port}")


def test_malformed_toml(tmp_path: Path) -> None:
    result = run_ponder(tmp_path, "ask", "hi", config="theme = dark\n")
    assert_one_clear_line(result, "config.toml", "not valid TOML", "line 1")
    assert result.returncode == 2


@pytest.mark.parametrize("budget", ["lots", "-3"])
def test_bad_budget_is_a_usage_error(tmp_path: Path, budget: str) -> None:
    result = run_ponder(tmp_path, "ask", "--budget", budget, "hi")
    assert result.returncode == 2
    assert "budget" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("config", "said"),
    [
        ("theme = dark\n", "not valid TOML"),
        ("budget_steps = [512, 256]\n", "budget_steps: must be increasing"),
        ('[prices."m"]\ninput = -1\noutput = 1\n', "prices.m.input: must be 0 or more"),
        ("colour = 'red'\n", "colour: unknown setting"),
    ],
)
def test_plain_ponder_with_a_broken_config_says_why_before_any_screen(
    tmp_path: Path, config: str, said: str
) -> None:
    # ``ponder`` alone skips the argument parser (start-up); the config is still checked first.
    result = run_ponder(tmp_path, config=config)
    assert_one_clear_line(result, "config.toml", said)
    assert result.returncode == 2
