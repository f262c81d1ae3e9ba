"""``SPEC[:BUDGET]`` parsing: the budget is the last part only when nothing else can claim it."""

import pytest

from backends.compare.spec import ColumnSpec, parse_column_spec
from backends.errors import ConfigError

NAMES = {"local", "claude", "gpt"}


@pytest.mark.parametrize(
    ("text", "backend", "budget"),
    [
        ("local:64", "local", 64),
        ("local:off", "local", 0),
        ("local:auto", "local", None),
        ("claude:4k", "claude", 4096),
        ("llama:/m.gguf:0", "llama:/m.gguf", 0),
        ("llama:/models/qwen3.gguf:2k", "llama:/models/qwen3.gguf", 2048),
        ("http://127.0.0.1:8080/v1:auto", "http://127.0.0.1:8080/v1", None),
        ("http://127.0.0.1:8080:64", "http://127.0.0.1:8080", 64),
        ("http://127.0.0.1:off", "http://127.0.0.1", 0),
        ("openai-compat:http://127.0.0.1:8080:128", "openai-compat:http://127.0.0.1:8080", 128),
        ("anthropic:claude-sonnet-4-5:8000", "anthropic:claude-sonnet-4-5", 8000),
        ("ollama:qwen3:8b:off", "ollama:qwen3:8b", 0),
        ("ollama:model:4k:auto", "ollama:model:4k", None),
        ("http://[::1]:8080:32", "http://[::1]:8080", 32),
    ],
)
def test_budget_suffix_is_split_off(text: str, backend: str, budget: int | None) -> None:
    assert parse_column_spec(text, NAMES) == ColumnSpec(backend, budget, budget_given=True)


@pytest.mark.parametrize(
    "text",
    [
        "local",
        "llama:/m.gguf",
        "http://127.0.0.1:8080",  # a port, not budget 8080
        "http://127.0.0.1:8080/v1",
        "https://[::1]:8443",
        "openai-compat:http://127.0.0.1:8080",
        "anthropic:claude-sonnet-4-5",  # "4-5" is not a budget
        "ollama:qwen3:8b",  # an Ollama tag, not a budget
        "ollama:64",  # "ollama" alone is not a spec, so 64 is the model
        "llama:0",
        "local:",
        "http://:64",
    ],
)
def test_no_budget_when_the_last_part_belongs_to_the_spec(text: str) -> None:
    assert parse_column_spec(text, NAMES) == ColumnSpec(text)


def test_a_configured_name_with_a_colon_is_taken_whole() -> None:
    assert parse_column_spec("team:64", {"team:64"}) == ColumnSpec("team:64")
    assert parse_column_spec("team:64:8", {"team:64"}) == ColumnSpec("team:64", 8, True)


def test_an_unconfigured_name_keeps_its_suffix() -> None:
    # Without "local" among the names, "local:64" could only be KIND:MODEL.
    assert parse_column_spec("local:64", set()) == ColumnSpec("local:64")


def test_a_budget_over_the_cap_is_an_error_naming_the_column() -> None:
    with pytest.raises(ConfigError, match=r"local:99999999.*at most 10,000,000"):
        parse_column_spec("local:99999999", NAMES)
