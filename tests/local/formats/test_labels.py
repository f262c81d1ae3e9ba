"""Honest labels and starting budgets by capability, through the CLI (``ponder ask``/``backends``).

The scripted r1 model thinks " ok" until forced, so ``ask`` without --budget shows whether the
budget started on (a native reasoning model) or off (the embedded SmolLM2, prompted thinking).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.local.formats.conftest import CASES
from tests.support.family_gguf import write_family_gguf
from tests.test_cli_errors import run_ponder

OFF = "default_budget = 0\n"
PROMPTED = "thinking is prompted (this model was not trained to reason)"


@pytest.fixture
def r1_gguf(tmp_path: Path) -> Path:
    return write_family_gguf(tmp_path / "r1.gguf", "r1", CASES[0].forever())


def ask_json(tmp_path: Path, backend: str, *args: str, config: str = "") -> dict:
    result = run_ponder(tmp_path, "ask", "--json", "-b", backend, *args, "Hi", config=config)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_native_model_starts_thinking_and_says_so(tmp_path: Path, r1_gguf: Path) -> None:
    data = ask_json(tmp_path, f"llama:{r1_gguf}", "--max-tokens", "600")
    budget = data["budget"]
    assert budget["thinking"] == "native thinking: <think> tags (DeepSeek-R1 style)"
    # 600 tokens leave room for 344 thinking tokens: the largest step that fits is 256.
    assert budget["requested"] == "256"
    assert budget["applied"] == "budget 256: forced close at 256"
    assert data["text"] == "Yes"


def test_an_explicit_default_budget_in_the_config_wins(tmp_path: Path, r1_gguf: Path) -> None:
    data = ask_json(tmp_path, f"llama:{r1_gguf}", config=OFF)
    assert data["budget"]["requested"] == "off"
    assert data["budget"]["applied"] == "no thinking"


@pytest.mark.embedded
def test_prompted_model_starts_off_with_a_hint(tmp_path: Path) -> None:
    data = ask_json(tmp_path, "local", "--max-tokens", "8")
    assert data["budget"]["thinking"] == PROMPTED
    assert data["budget"]["requested"] == "off"
    result = run_ponder(tmp_path, "ask", "-b", "local", "--max-tokens", "4", "Hi")
    assert result.returncode == 0, result.stderr
    hint = result.stderr.splitlines()[0]
    assert hint.startswith("[hint] thinking is off: this model was not trained to reason")
    assert "--budget 256" in hint
    chosen = run_ponder(tmp_path, "ask", "-b", "local", "--max-tokens", "4", "Hi", config=OFF)
    assert "[hint]" not in chosen.stderr  # the user chose off: no hint


def test_ponder_backends_prints_each_local_models_label(tmp_path: Path, r1_gguf: Path) -> None:
    config = f'[backends.reasoner]\nkind = "llama"\nmodel = "{r1_gguf}"\n'
    result = run_ponder(tmp_path, "backends", config=config)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    local = lines.index(next(line for line in lines if line.startswith("local ")))
    reasoner = lines.index(next(line for line in lines if line.startswith("reasoner ")))
    assert lines[local + 1].strip() == PROMPTED
    assert lines[reasoner + 1].strip() == "native thinking: <think> tags (DeepSeek-R1 style)"
