"""ponder's configuration: one TOML file in the platform config dir, validated with pydantic.

Keys are never stored in the file: a backend names the environment variable that holds its key
(``api_key_env``). Every problem is reported as a ``ConfigError`` that names the file, the line
or field, and the fix. Example::

    default_backend = "local"
    theme = "ponder-dark"
    system_prompt = "Answer briefly."
    budget_steps = [0, 256, 1024, 4096, "auto"]

    [backends.claude]
    kind = "anthropic"
    model = "claude-sonnet-4-5"
    api_key_env = "ANTHROPIC_API_KEY"

    [backends.qwen]
    kind = "llama"
    model = "~/models/Qwen3-1.7B-Q4_K_M.gguf"
    options = { n_ctx = 8192 }

    [prices."my-model"]
    input = 0.5
    output = 1.5

    [keys]
    budget_up = "ctrl+up"
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from backends.errors import ConfigError
from backends.pricing import PriceOverride

APP_NAME = "ponder"
# The largest thinking budget, budget step or token cap a config may give: far beyond any
# model's context, far below the int64 that servers parse (a larger number is a typo).
MAX_TOKENS_SETTING = 10**7
CONFIG_ENV = "PONDER_CONFIG"
SYSTEM_PROMPT_MAX = 20_000  # characters; a system prompt is a few lines, not a document
DEFAULT_BUDGET_STEPS: list[int | Literal["auto"]] = [
    0, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, "auto",
]  # fmt: skip


class BackendEntry(BaseModel):
    """One configured backend. ``options`` are validated later by the backend kind's model."""

    model_config = ConfigDict(extra="forbid")

    kind: str
    model: str = ""
    base_url: str | None = None
    api_key_env: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)
    hardware_cost_per_hour: float | None = Field(default=None, ge=0)  # None: pricing's default


def _default_backends() -> dict[str, BackendEntry]:
    return {"local": BackendEntry(kind="llama", model="embedded")}


class Settings(BaseModel):
    """Everything the config file can say. Built-in ``local`` backend is always present."""

    model_config = ConfigDict(extra="forbid")

    default_backend: str = "local"
    theme: str = "ponder-dark"
    budget_steps: list[int | Literal["auto"]] = Field(
        default_factory=lambda: list(DEFAULT_BUDGET_STEPS)
    )
    default_budget: int | Literal["auto"] = 0
    max_tokens: int | None = Field(default=None, gt=0, le=MAX_TOKENS_SETTING)
    keys: dict[str, str] = Field(default_factory=dict)
    backends: dict[str, BackendEntry] = Field(default_factory=_default_backends)
    prices: dict[str, PriceOverride] = Field(default_factory=dict)
    history: bool = True
    system_prompt: str = Field(default="", max_length=SYSTEM_PROMPT_MAX)

    @field_validator("system_prompt")
    @classmethod
    def _system_prompt_text(cls, value: str) -> str:
        # Sent to every backend as the chat's first message: plain text, no control characters.
        bad = [ch for ch in value if ord(ch) < 32 and ch not in "\n\t"]
        if bad:
            raise ValueError("the system prompt must be plain text (no control characters)")
        return value.strip()

    @field_validator("backends")
    @classmethod
    def _keep_local(cls, value: dict[str, BackendEntry]) -> dict[str, BackendEntry]:
        merged = _default_backends()
        merged.update(value)
        return merged

    @field_validator("budget_steps")
    @classmethod
    def _steps_sorted(cls, value: list[int | str]) -> list[int | str]:
        numbers = [step for step in value if step != "auto"]
        if any(isinstance(step, int) and step < 0 for step in numbers):
            raise ValueError("budget steps must be >= 0")
        if any(isinstance(step, int) and step > MAX_TOKENS_SETTING for step in numbers):
            raise ValueError(f"budget steps must be at most {MAX_TOKENS_SETTING:,} tokens")
        if numbers != sorted(numbers) or len(set(numbers)) != len(numbers):
            raise ValueError("budget steps must be increasing numbers (then optionally 'auto')")
        if not value:
            raise ValueError("give at least one budget step")
        return value

    @field_validator("default_budget")
    @classmethod
    def _budget_in_range(cls, value: int | str) -> int | str:
        if isinstance(value, int) and not 0 <= value <= MAX_TOKENS_SETTING:
            raise ValueError(
                f"must be 'auto' or a number of tokens from 0 to {MAX_TOKENS_SETTING:,} "
                f"(got {value})"
            )
        return value

    @field_validator("keys")
    @classmethod
    def _keys_usable(cls, value: dict[str, str]) -> dict[str, str]:
        for binding_id, keys in value.items():
            problem = key_problem(keys)
            if problem:
                raise ValueError(f"{binding_id} = {keys!r}: {problem}")
        return value


# ---- key bindings (Textual's key names, checked without importing Textual) -------------------

MODIFIERS = frozenset({"ctrl", "shift", "alt", "super", "meta", "hyper"})
NAMED_KEYS = frozenset(
    {"escape", "enter", "return", "tab", "space", "backspace", "delete", "insert", "home", "end",
     "pageup", "pagedown", "up", "down", "left", "right", *(f"f{n}" for n in range(1, 25))}
)  # fmt: skip
# Keys the prompt needs for itself: sending, new lines, editing, moving the cursor, focus.
PROMPT_OWNED = frozenset(
    {"enter", "return", "ctrl+m", "shift+enter", "ctrl+j", "alt+enter", "backspace", "delete",
     "tab", "shift+tab", "left", "right", "up", "down", "home", "end", "ctrl+q", "ctrl+p"}
)  # fmt: skip


def _char_key_names() -> frozenset[str]:
    """Textual's names of the printable ASCII characters that are not letters or digits."""
    import unicodedata

    replace = {"solidus": "slash", "reverse_solidus": "backslash", "commercial_at": "at",
               "hyphen_minus": "minus", "plus_sign": "plus", "low_line": "underscore"}  # fmt: skip
    names = set()
    for code in range(0x21, 0x7F):
        char = chr(code)
        if not char.isalnum():
            name = unicodedata.name(char).lower().replace("-", "_").replace(" ", "_")
            names.add(replace.get(name, name))
    return frozenset(names)


CHAR_KEYS = _char_key_names()


def key_problem(keys: str) -> str | None:
    """Why ``keys`` (``"ctrl+k"`` or ``"ctrl+b,f4"``) cannot be a chat binding, or ``None``.

    Each key is modifiers (ctrl, shift, alt, super, meta, hyper) and one key name joined by
    ``+``: a named key (``f5``, ``pageup``), a letter or digit, or a character's name
    (``slash``, ``comma``). A key that types a character (no modifier, or shift only) would eat
    that character in the prompt; keys the prompt uses (enter, arrows, backspace) are refused.
    """
    parts = [part.strip() for part in keys.split(",")]
    if not keys.strip() or any(not part for part in parts):
        return 'give one or more keys separated by commas, e.g. "ctrl+k" or "ctrl+b,f4"'
    for key in parts:
        problem = _one_key_problem(key)
        if problem:
            return problem
    return None


def _one_key_problem(key: str) -> str | None:
    *modifiers, name = key.split("+")
    example = 'e.g. "ctrl+k", "alt+up" or "f8"'
    if not name or any(not mod for mod in modifiers):
        return f"{key!r} is not a key: join modifiers and one key with '+', {example}"
    unknown = [mod for mod in modifiers if mod not in MODIFIERS]
    if unknown:
        return f"{unknown[0]!r} is not a modifier (use ctrl, shift, alt, super, meta or hyper)"
    if len(set(modifiers)) != len(modifiers):
        return f"{key!r} repeats a modifier"
    single = len(name) == 1 and name.isprintable()
    if not (name in NAMED_KEYS or name in CHAR_KEYS or single):
        return f"{name!r} is not a key name ({example}; characters by name: slash, comma)"
    types_text = single or name in CHAR_KEYS or name == "space"
    if types_text and set(modifiers) <= {"shift"}:
        return f"{key!r} types a character, so typing it would trigger the binding; " \
               f"add a modifier, e.g. \"ctrl+{name.lower()}\""  # fmt: skip
    if key in PROMPT_OWNED:
        return f"{key!r} is needed by the prompt (send, new line, editing); choose another key"
    return None


def config_path() -> Path:
    """The config file: ``$PONDER_CONFIG`` or ``<platform config dir>/ponder/config.toml``."""
    override = os.environ.get(CONFIG_ENV)
    if override:
        return Path(override).expanduser()
    import platformdirs  # only without the override: ~15 ms of the chat's start-up

    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def data_dir() -> Path:
    """Where ponder keeps its data (history database, caches)."""
    override = os.environ.get("PONDER_DATA_DIR")
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME))


def load_settings(path: Path | None = None) -> Settings:
    """Read and validate the config file; a missing file means the defaults.

    Raises ``ConfigError`` naming the file, the line (syntax) or field (validation) and the fix.
    """
    path = path or config_path()
    if not path.exists():
        return Settings()
    import tomllib  # only with a file to read (~10 ms of the chat's start-up otherwise)

    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{path}: not valid TOML: {exc}",
            "fix the line shown (strings need quotes, tables need [brackets])",
        ) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not UTF-8 text (byte {exc.start} cannot be decoded)",
            "save the file as UTF-8",
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"{path}: cannot be read: {exc.strerror or exc}", "check the file's permissions"
        ) from None
    return settings_from_dict(raw, source=str(path))


def settings_from_dict(raw: dict[str, Any], source: str = "config") -> Settings:
    """Validate a parsed config; ``source`` names it in errors."""
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{source}: {describe_validation_error(exc)}", _fix_for(exc)) from None


def describe_validation_error(exc: ValidationError) -> str:
    """The first problem as ``field.path: message`` (plus how many more)."""
    errors = exc.errors()
    first = errors[0]
    where = ".".join(str(part) for part in first["loc"]) or "(top level)"
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "unknown setting"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {message}{more}"


def _fix_for(exc: ValidationError) -> str:
    first = exc.errors()[0]
    if first["type"] == "extra_forbidden":
        return "remove it or check its spelling against the README's configuration section"
    if first["type"] == "missing":
        return "add the missing field"
    return "correct the value (see the README's configuration section)"


def save_theme(theme: str, path: Path | None = None) -> None:
    """Persist the theme choice, keeping the rest of the file (comments included) as it is."""
    path = path or config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    path.write_text(_set_top_level_string(text, "theme", theme), encoding="utf-8")


def _set_top_level_string(text: str, key: str, value: str) -> str:
    """Set ``key = "value"`` in the top-level table of a TOML document, editing in place."""
    import tomlkit

    document = tomlkit.parse(text)
    document[key] = value
    return tomlkit.dumps(document)
