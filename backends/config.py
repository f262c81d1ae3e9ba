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
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from backends.budget_text import MAX_TOKENS_SETTING
from backends.errors import ConfigError
from backends.pricing import PriceOverride

if TYPE_CHECKING:
    from pydantic import ConfigDict, ValidationError

APP_NAME = "ponder"
CONFIG_ENV = "PONDER_CONFIG"
SYSTEM_PROMPT_MAX = 20_000  # characters; a system prompt is a few lines, not a document
DEFAULT_BUDGET_STEPS: list[int | Literal["auto"]] = [
    0,
    256,
    512,
    1024,
    2048,
    4096,
    8192,
    16384,
    32768,
    "auto",
]


@dataclass
class BackendEntry:
    """One configured backend. ``options`` are validated later by the backend kind's model."""

    __pydantic_config__: ClassVar[ConfigDict] = {"extra": "forbid"}

    kind: str
    model: str = ""
    base_url: str | None = None
    api_key_env: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    hardware_cost_per_hour: float | None = None  # None: pricing's default

    def __post_init__(self) -> None:
        if self.hardware_cost_per_hour is not None and self.hardware_cost_per_hour < 0:
            raise ValueError("hardware_cost_per_hour: must be 0 or more")


def _default_backends() -> dict[str, BackendEntry]:
    return {"local": BackendEntry(kind="llama", model="embedded")}


@dataclass
class Settings:
    """Everything the config file can say. Built-in ``local`` backend is always present.

    A stdlib dataclass, not a pydantic model: the chat's first frame builds the defaults without
    importing pydantic (about 0.1 s). A config file is validated against these same annotations
    with pydantic (``settings_from_dict``); ``__post_init__`` holds the checks both ways share.
    ``default_budget`` is ``None`` when the config sets none (see ``budget_limit``).
    """

    __pydantic_config__: ClassVar[ConfigDict] = {"extra": "forbid"}

    default_backend: str = "local"
    theme: str = "ponder-dark"
    budget_steps: list[int | Literal["auto"]] = field(
        default_factory=lambda: list(DEFAULT_BUDGET_STEPS)
    )
    default_budget: int | Literal["auto"] | None = None
    max_tokens: int | None = None
    keys: dict[str, str] = field(default_factory=dict)
    backends: dict[str, BackendEntry] = field(default_factory=_default_backends)
    prices: dict[str, PriceOverride] = field(default_factory=dict)
    history: bool = True
    system_prompt: str = ""

    def __post_init__(self) -> None:
        self.system_prompt = _system_prompt_text(self.system_prompt)
        self.backends = _default_backends() | self.backends
        _check_steps(self.budget_steps)
        budget = self.default_budget
        if isinstance(budget, int) and not 0 <= budget <= MAX_TOKENS_SETTING:
            raise ValueError(
                f"default_budget: must be 'auto' or a number of tokens from 0 to "
                f"{MAX_TOKENS_SETTING:,} (got {budget})"
            )
        if self.max_tokens is not None and not 0 < self.max_tokens <= MAX_TOKENS_SETTING:
            raise ValueError(f"max_tokens: must be from 1 to {MAX_TOKENS_SETTING:,} tokens")
        for binding_id, keys in self.keys.items():
            problem = key_problem(keys)
            if problem:
                raise ValueError(f"keys.{binding_id}: {keys!r}: {problem}")

    @property
    def budget_chosen(self) -> bool:
        """Whether the config sets ``default_budget`` (else the model suggests where to start)."""
        return self.default_budget is not None

    def budget_limit(self) -> int | None:
        """``default_budget`` as a budget limit: ``None`` for auto, 0 (off) when not set."""
        if self.default_budget is None:
            return 0
        return _limit(self.default_budget)

    def step_limits(self) -> list[int | None]:
        """``budget_steps`` as budget limits: ``"auto"`` becomes ``None``."""
        return [_limit(step) for step in self.budget_steps]


def _limit(value: int | Literal["auto"]) -> int | None:
    """The one place a config's ``"auto"`` becomes a budget limit (``None``)."""
    return None if value == "auto" else int(value)


def _system_prompt_text(value: str) -> str:
    # Sent to every backend as the chat's first message: plain text, no control characters.
    if len(value) > SYSTEM_PROMPT_MAX:
        raise ValueError(f"system_prompt: at most {SYSTEM_PROMPT_MAX:,} characters")
    if any(ord(ch) < 32 and ch not in "\n\t" for ch in value):
        raise ValueError("system_prompt: must be plain text (no control characters)")
    return value.strip()


def _check_steps(value: list[int | Literal["auto"]]) -> None:
    numbers = [step for step in value if step != "auto"]
    if any(isinstance(step, int) and step < 0 for step in numbers):
        raise ValueError("budget_steps: must be >= 0")
    if any(isinstance(step, int) and step > MAX_TOKENS_SETTING for step in numbers):
        raise ValueError(f"budget_steps: must be at most {MAX_TOKENS_SETTING:,} tokens")
    if numbers != sorted(numbers) or len(set(numbers)) != len(numbers):
        raise ValueError("budget_steps: must be increasing numbers (then optionally 'auto')")
    if not value:
        raise ValueError("budget_steps: give at least one budget step")


# ---- key bindings (Textual's key names, checked without importing Textual) -------------------

MODIFIERS = frozenset({"ctrl", "shift", "alt", "super", "meta", "hyper"})
NAMED_KEYS = frozenset(
    {
        "escape",
        "enter",
        "return",
        "tab",
        "space",
        "backspace",
        "delete",
        "insert",
        "home",
        "end",
        "pageup",
        "pagedown",
        "up",
        "down",
        "left",
        "right",
        *(f"f{n}" for n in range(1, 25)),
    }
)
# Keys the prompt needs for itself: sending, new lines, editing, moving the cursor, focus.
PROMPT_OWNED = frozenset(
    {
        "enter",
        "return",
        "ctrl+m",
        "shift+enter",
        "ctrl+j",
        "alt+enter",
        "backspace",
        "delete",
        "tab",
        "shift+tab",
        "left",
        "right",
        "up",
        "down",
        "home",
        "end",
        "ctrl+q",
        "ctrl+p",
    }
)


def _char_key_names() -> frozenset[str]:
    """Textual's names of the printable ASCII characters that are not letters or digits."""
    import unicodedata

    replace = {
        "solidus": "slash",
        "reverse_solidus": "backslash",
        "commercial_at": "at",
        "hyphen_minus": "minus",
        "plus_sign": "plus",
        "low_line": "underscore",
    }
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
        return (
            f"{key!r} types a character, so typing it would trigger the binding; "
            f'add a modifier, e.g. "ctrl+{name.lower()}"'
        )
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
    from pydantic import TypeAdapter, ValidationError  # only with a config to check (~0.1 s)

    try:
        return TypeAdapter(Settings).validate_python(raw)
    except ValidationError as exc:
        raise ConfigError(f"{source}: {describe_validation_error(exc)}", _fix_for(exc)) from None


UNKNOWN_FIELD = frozenset({"extra_forbidden", "unexpected_keyword_argument"})


def describe_validation_error(exc: ValidationError) -> str:
    """The first problem as ``field.path: message`` (plus how many more).

    A check in ``__post_init__`` names its own field (``"budget_steps: ..."``); pydantic gives
    the path to the dataclass it ran in.
    """
    errors = exc.errors()
    first = errors[0]
    where = ".".join(str(part) for part in first["loc"])
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] in UNKNOWN_FIELD:
        message = "unknown setting"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    if first["type"] == "value_error" and ": " in message:
        return f"{where + '.' if where else ''}{message}{more}"
    return f"{where or '(top level)'}: {message}{more}"


def _fix_for(exc: ValidationError) -> str:
    first = exc.errors()[0]
    if first["type"] in UNKNOWN_FIELD:
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
