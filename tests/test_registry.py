from pathlib import Path

import pytest

from backends.config import BackendEntry, Settings
from backends.errors import ConfigError
from backends.registry import KINDS, entry_for, static_availability


def settings(**backends: BackendEntry) -> Settings:
    return Settings(backends=backends)


def test_local_is_the_embedded_model() -> None:
    name, entry = entry_for(Settings(), "local")
    assert (name, entry.kind, entry.model) == ("local", "llama", "embedded")


def test_llama_path_spec() -> None:
    _, entry = entry_for(Settings(), "llama:/models/qwen.gguf")
    assert (entry.kind, entry.model) == ("llama", "/models/qwen.gguf")


@pytest.mark.parametrize(
    "spec", ["openai-compat:http://127.0.0.1:8080/v1", "http://127.0.0.1:8080/v1/"]
)
def test_openai_compatible_url_specs(spec: str) -> None:
    _, entry = entry_for(Settings(), spec)
    assert entry.kind == "openai-compat"
    assert entry.base_url == "http://127.0.0.1:8080/v1"


def test_kind_model_spec() -> None:
    _, entry = entry_for(Settings(), "anthropic:claude-sonnet-4-5")
    assert (entry.kind, entry.model) == ("anthropic", "claude-sonnet-4-5")


def test_unknown_kind_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError) as info:
        entry_for(Settings(), "frobnicate:model")
    assert "unknown backend kind 'frobnicate'" in info.value.message
    assert "anthropic" in info.value.hint and "llama" in info.value.hint


def test_unknown_name_says_what_specs_look_like() -> None:
    with pytest.raises(ConfigError) as info:
        entry_for(Settings(), "nosuch")
    assert "llama:PATH.gguf" in info.value.hint


def test_missing_key_is_reported_by_availability_with_the_env_var() -> None:
    entry = BackendEntry(kind="anthropic", model="claude-sonnet-4-5")
    assert static_availability(entry, env={}) == "no key: set ANTHROPIC_API_KEY"
    assert static_availability(entry, env={"ANTHROPIC_API_KEY": "sk-x"}) is None
    custom = BackendEntry(kind="openai", model="gpt-5", api_key_env="WORK_OPENAI")
    assert static_availability(custom, env={"OPENAI_API_KEY": "k"}) == "no key: set WORK_OPENAI"


def test_missing_model_file_is_reported(tmp_path: Path) -> None:
    entry = BackendEntry(kind="llama", model=str(tmp_path / "gone.gguf"))
    assert "model file not found" in (static_availability(entry, env={}) or "")


def test_every_kind_points_at_an_importable_class() -> None:
    from backends.registry import backend_class

    for kind in KINDS:
        cls = backend_class(kind)
        assert cls.kind == kind, f"{cls.__name__}.kind should be {kind!r}"


def test_a_catalogue_name_is_checked_as_a_pulled_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``model = "qwen3-1.7b"`` is a catalogue name, not a path: not pulled yet says how to pull."""
    monkeypatch.setenv("PONDER_DATA_DIR", str(tmp_path))
    reason = static_availability(BackendEntry(kind="llama", model="qwen3-1.7b"), env={})
    assert reason is not None and "ponder models pull qwen3-1.7b" in reason
    assert "model file not found" not in reason
