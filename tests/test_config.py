from pathlib import Path

import pytest

from backends.config import Settings, load_settings, save_theme
from backends.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_missing_file_gives_defaults_with_the_embedded_local_backend(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "nope.toml")
    assert settings.default_backend == "local"
    assert settings.backends["local"].kind == "llama"
    assert settings.backends["local"].model == "embedded"
    assert settings.budget_steps[0] == 0 and settings.budget_steps[-1] == "auto"


def test_configured_backends_keep_the_builtin_local(tmp_path: Path) -> None:
    path = write(tmp_path, '[backends.claude]\nkind = "anthropic"\nmodel = "claude-sonnet-4-5"\n')
    settings = load_settings(path)
    assert set(settings.backends) == {"local", "claude"}


def test_malformed_toml_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, 'theme = "dark"\n[backends.x\nkind = "llama"\n')
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    message = str(info.value)
    assert str(path) in message
    assert "line 2" in message
    assert info.value.hint


def test_unknown_field_names_the_field_and_the_fix(tmp_path: Path) -> None:
    path = write(tmp_path, '[backends.x]\nkind = "llama"\nmodle = "a.gguf"\n')
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert "backends.x.modle" in info.value.message
    assert "unknown setting" in info.value.message
    assert "spelling" in info.value.hint


def test_bad_value_names_the_field(tmp_path: Path) -> None:
    path = write(tmp_path, "budget_steps = [512, 256]\n")
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert "budget_steps" in info.value.message


def test_save_theme_keeps_comments_and_other_settings(tmp_path: Path) -> None:
    path = write(
        tmp_path, '# my settings\ndefault_backend = "local"\n\n[backends.x]\nkind = "llama"\n'
    )
    save_theme("ponder-light", path)
    text = path.read_text()
    assert "# my settings" in text
    settings = load_settings(path)
    assert settings.theme == "ponder-light"
    assert settings.backends["x"].kind == "llama"
    save_theme("ponder-dark", path)
    assert load_settings(path).theme == "ponder-dark"


def test_save_theme_creates_the_file(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "config.toml"
    save_theme("ponder-light", path)
    assert load_settings(path).theme == "ponder-light"
    assert isinstance(load_settings(path), Settings)
