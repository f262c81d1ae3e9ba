"""Every key binding of the chat, each with an id (for remapping) and a description.

The chat bindings are ``priority`` so they work while the prompt has focus; none is a plain
printable key, so typing is never stolen. ``settings.keys`` (binding id -> key string, e.g.
``budget_up = "ctrl+k"``) is fed to ``App.set_keymap``. The prompt's own keys (Enter sends,
shift+enter / ctrl+j insert a newline) are listed in ``PROMPT_KEYS`` for the help screen.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from textual.app import App
from textual.binding import Binding, BindingType


@dataclass(frozen=True, slots=True)
class KeySpec:
    """One chat binding: its id, default key(s), action on the chat screen and description."""

    id: str
    key: str
    action: str
    description: str
    show: bool = False
    footer: str = ""  # short footer label; the description when empty


KEY_SPECS: tuple[KeySpec, ...] = (
    KeySpec("cancel", "escape", "cancel", "Cancel the reply (keeps the partial text)", True,
            "Cancel"),
    KeySpec("budget_down", "ctrl+down", "budget_down", "Thinking budget: one step down", True,
            "Budget−"),
    KeySpec("budget_up", "ctrl+up", "budget_up", "Thinking budget: one step up", True,
            "Budget+"),
    KeySpec("budget_off", "ctrl+o", "budget_off", "Thinking budget: off (no thinking)"),
    KeySpec("budget_max", "ctrl+g", "budget_max",
            "Thinking budget: the largest that leaves room for the answer"),
    KeySpec("stop_thinking", "ctrl+s", "stop_thinking", "Stop thinking now and answer", True,
            "Stop thinking"),
    KeySpec("think_longer", "ctrl+l", "think_longer", "Think longer (at least 256 more tokens)"),
    KeySpec("toggle_thinking", "ctrl+t", "toggle_thinking", "Show / hide all thinking", True,
            "Thinking"),
    KeySpec("retry", "ctrl+r", "retry", "Retry the last reply (adds another reply)"),
    KeySpec("edit_last", "ctrl+e", "edit_last",
            "Edit a sent message and resend (again: the one before; the old branch is kept)"),
    KeySpec("system_prompt", "f9", "system_prompt", "System prompt of this chat"),
    KeySpec("new_chat", "ctrl+n", "new_chat", "Start a new chat"),
    KeySpec("chat_list", "f5", "chat_list", "Saved chats: resume, rename, delete"),
    KeySpec("search", "ctrl+f", "search", "Search saved chats (text and thinking)"),
    KeySpec("backend_picker", "ctrl+b,f4", "pick_backend", "Pick the backend", True, "Backend"),
    KeySpec("copy_answer", "f2", "copy_answer", "Copy the last answer"),
    KeySpec("copy_code", "f3", "copy_code", "Copy the last code block of the last answer"),
    KeySpec("eval", "f6", "app.open_eval",
            "Evaluate strategies: a task set across backends and budgets"),
    KeySpec("compare", "f7", "compare",
            "Compare side by side: this chat on several backends / budgets"),
    KeySpec("scroll_up", "pageup", "scroll_chat('page_up')", "Scroll the chat up a page"),
    KeySpec("scroll_down", "pagedown", "scroll_chat('page_down')",
            "Scroll the chat down a page"),
    KeySpec("scroll_top", "ctrl+home", "scroll_chat('home')", "Scroll to the first message"),
    KeySpec("scroll_bottom", "ctrl+end", "scroll_chat('end')", "Scroll to the newest message"),
    KeySpec("scroll_top_empty", "home", "scroll_if_empty('home')",
            "Scroll to the first message while the prompt is empty (else: start of line)"),
    KeySpec("scroll_bottom_empty", "end", "scroll_if_empty('end')",
            "Scroll to the newest message while the prompt is empty (else: end of line)"),
    KeySpec("help", "f1", "help", "Show all keys", True, "Help"),
)  # fmt: skip

PROMPT_KEYS: tuple[tuple[str, str], ...] = (
    ("enter", "Send the message"),
    ("ctrl+j, alt+enter", "Insert a newline (work in every terminal)"),
    (
        "shift+enter",
        "Insert a newline where the terminal sends CSI-u (kitty, WezTerm, "
        "foot; not tmux by default, where it sends the message)",
    ),
    ("up (empty prompt)", "Edit the last message (as ctrl+e)"),
    ("ctrl+p", "Command palette (every action below)"),
    ("ctrl+q", "Quit"),
)


def chat_bindings() -> list[BindingType]:
    """The chat screen's bindings (priority, with ids) built from ``KEY_SPECS``."""
    return [
        Binding(
            spec.key,
            spec.action,
            spec.footer or spec.description,
            show=spec.show,
            priority=True,
            id=spec.id,
            tooltip=spec.description,
        )
        for spec in KEY_SPECS
    ]


def spec_by_id(binding_id: str) -> KeySpec:
    """The spec with ``binding_id``; ``KeyError`` when there is none."""
    for spec in KEY_SPECS:
        if spec.id == binding_id:
            return spec
    raise KeyError(binding_id)


def unknown_ids(keymap: Mapping[str, str]) -> list[str]:
    """Ids in a configured keymap that name no binding (shown as a warning, not an error)."""
    known = {spec.id for spec in KEY_SPECS}
    return sorted(set(keymap) - known)


def key_for(app: App[Any], binding_id: str, keymap: Mapping[str, str]) -> str:
    """The key currently bound to ``binding_id`` as shown to the user (``^r``, ``f1``)."""
    spec = spec_by_id(binding_id)
    keys = keymap.get(binding_id, spec.key)
    first = keys.split(",")[0].strip()
    return app.get_key_display(Binding(first, spec.action))


def keys_shown(app: App[Any], keys: str) -> str:
    """``ctrl+b,f4`` as the footer shows keys: ``^b, f4``."""
    return ", ".join(app.get_key_display(Binding(key.strip(), "")) for key in keys.split(","))


def key_table(app: App[Any], keymap: Mapping[str, str]) -> Iterable[tuple[str, str, str]]:
    """Rows of (key, description, id) for the help screen, in ``KEY_SPECS`` order."""
    for spec in KEY_SPECS:
        yield keys_shown(app, keymap.get(spec.id, spec.key)), spec.description, spec.id
