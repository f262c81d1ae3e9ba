"""Every key binding of every screen, each with an id (for remapping) and a description.

The one binding table: the chat's keys (``KEY_SPECS``), compare's own (``COMPARE_SPECS``; it
shares the chat's budget keys by id) and every other screen's (``SCREEN_SPECS``). Screens take
their ``BINDINGS`` from here (``chat_bindings``, ``compare_bindings``, ``screen_bindings``), so
``settings.keys`` (binding id -> key string, e.g. ``budget_up = "ctrl+k"``, fed to
``App.set_keymap``) can remap any of them and ``unknown_ids`` knows them all.
The chat and compare bindings are ``priority`` so they work while the prompt has focus; none
is a plain printable key, so typing is never stolen. The prompt's own keys (Enter sends,
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
    priority: bool = False  # works while a text field has focus (chat and compare: always)


KEY_SPECS: tuple[KeySpec, ...] = (
    KeySpec(
        "cancel", "escape", "cancel", "Cancel the reply (keeps the partial text)", True, "Cancel"
    ),
    KeySpec(
        "budget_down", "ctrl+down", "budget_down", "Thinking budget: one step down", True, "Budget−"
    ),
    KeySpec("budget_up", "ctrl+up", "budget_up", "Thinking budget: one step up", True, "Budget+"),
    KeySpec("budget_off", "ctrl+o", "budget_off", "Thinking budget: off (no thinking)"),
    KeySpec(
        "budget_max",
        "ctrl+g",
        "budget_max",
        "Thinking budget: the largest that leaves room for the answer",
    ),
    KeySpec(
        "stop_thinking",
        "ctrl+s",
        "stop_thinking",
        "Stop thinking now and answer",
        True,
        "Stop thinking",
    ),
    KeySpec("think_longer", "ctrl+l", "think_longer", "Think longer (at least 256 more tokens)"),
    KeySpec(
        "toggle_thinking", "ctrl+t", "toggle_thinking", "Show / hide all thinking", True, "Thinking"
    ),
    KeySpec("retry", "ctrl+r", "retry", "Retry the last reply (adds another reply)"),
    KeySpec(
        "edit_last",
        "ctrl+e",
        "edit_last",
        "Edit a sent message and resend (again: the one before; the old branch is kept)",
    ),
    KeySpec("system_prompt", "f9", "system_prompt", "System prompt of this chat"),
    KeySpec("new_chat", "ctrl+n", "new_chat", "Start a new chat"),
    KeySpec("chat_list", "f5", "chat_list", "Saved chats: resume, rename, delete"),
    KeySpec("search", "ctrl+f", "search", "Search saved chats (text and thinking)"),
    KeySpec("backend_picker", "ctrl+b,f4", "pick_backend", "Pick the backend", True, "Backend"),
    KeySpec("copy_answer", "f2", "copy_answer", "Copy the last answer"),
    KeySpec("copy_code", "f3", "copy_code", "Copy the last code block of the last answer"),
    KeySpec(
        "eval", "f6", "app.open_eval", "Evaluate strategies: a task set across backends and budgets"
    ),
    KeySpec(
        "compare", "f7", "compare", "Compare side by side: this chat on several backends / budgets"
    ),
    KeySpec("scroll_up", "pageup", "scroll_chat('page_up')", "Scroll the chat up a page"),
    KeySpec("scroll_down", "pagedown", "scroll_chat('page_down')", "Scroll the chat down a page"),
    KeySpec("scroll_top", "ctrl+home", "scroll_chat('home')", "Scroll to the first message"),
    KeySpec("scroll_bottom", "ctrl+end", "scroll_chat('end')", "Scroll to the newest message"),
    KeySpec(
        "scroll_top_empty",
        "home",
        "scroll_if_empty('home')",
        "Scroll to the first message while the prompt is empty (else: start of line)",
    ),
    KeySpec(
        "scroll_bottom_empty",
        "end",
        "scroll_if_empty('end')",
        "Scroll to the newest message while the prompt is empty (else: end of line)",
    ),
    KeySpec("help", "f1", "help", "Show all keys", True, "Help"),
)

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


# Compare's own keys; the chat's budget and thinking keys act there too, under the same ids.
COMPARE_SHARED_IDS = (
    "budget_down",
    "budget_up",
    "budget_off",
    "budget_max",
    "stop_thinking",
    "toggle_thinking",
)
COMPARE_SPECS: tuple[KeySpec, ...] = (
    KeySpec(
        "compare_stop_all",
        "escape",
        "stop_all",
        "Stop every column (partial replies kept); close compare when nothing runs",
        True,
        "Stop all",
    ),
    KeySpec(
        "compare_next",
        "tab,ctrl+right",
        "focus_column(1)",
        "Focus the next column",
        True,
        "Column→",
    ),
    KeySpec(
        "compare_previous", "shift+tab,ctrl+left", "focus_column(-1)", "Focus the previous column"
    ),
    KeySpec(
        "compare_move_right", "ctrl+shift+right", "move_column(1)", "Move the focused column right"
    ),
    KeySpec(
        "compare_move_left", "ctrl+shift+left", "move_column(-1)", "Move the focused column left"
    ),
    KeySpec(
        "compare_add", "ctrl+n", "add_column", "Add a column (backend and budget)", True, "Add"
    ),
    KeySpec(
        "compare_remove", "ctrl+d", "remove_column", "Remove the focused column", True, "Remove"
    ),
    KeySpec(
        "compare_promote",
        "f8",
        "promote",
        "Continue the focused column in the chat (its backend, budget and history)",
        True,
        "To chat",
    ),
)

# The other screens' keys, by screen (the key to ``screen_bindings``). Plain keys are fine
# here: these screens (or, for "chat_rows", the chat list's rows) have no prompt to type in.
SCREEN_SPECS: dict[str, tuple[KeySpec, ...]] = {
    "help": (KeySpec("help_close", "escape,f1,q", "close_help", "Close", True),),
    "backend_picker": (
        KeySpec("picker_close", "escape", "dismiss_picker", "Close", True),
        KeySpec("picker_pull", "f2", "pull_model", "Pull a model", True),
    ),
    "model_pull": (KeySpec("model_pull_back", "escape", "back", "Back", True),),
    "system_prompt": (
        KeySpec("system_save", "ctrl+s", "save", "Save", True, priority=True),
        KeySpec("system_keep", "escape", "keep", "Keep", True),
    ),
    "history_error": (
        KeySpec("history_fresh", "f", "choose('fresh')", "Start fresh", True),
        KeySpec(
            "history_without", "c,escape", "choose('without')", "Continue without history", True
        ),
    ),
    "chat_list": (
        KeySpec("chats_close", "escape", "close", "Close", True),
        KeySpec("chats_search", "ctrl+f", "focus_search", "Search", True),
        KeySpec("chats_results", "down", "focus_list", "Results"),
    ),
    "chat_rows": (
        KeySpec("chats_rename", "r,f2", "screen.rename", "Rename", True),
        KeySpec("chats_delete", "d,delete", "screen.delete", "Delete", True),
        KeySpec("chats_find", "slash", "screen.focus_search", "Search", True),
    ),
    "confirm_delete": (
        KeySpec("delete_yes", "y", "answer(True)", "Delete", True),
        KeySpec("delete_no", "n,escape", "answer(False)", "Keep", True),
    ),
    "compare_picker": (KeySpec("compare_picker_close", "escape", "close", "Close", True),),
    "eval": (
        KeySpec("eval_run", "ctrl+r", "run", "Run", True),
        KeySpec("eval_close", "escape", "close", "Cancel run / close", True),
        KeySpec("eval_group", "ctrl+t", "next_group", "Per tag", True),
    ),
    "eval_results": (KeySpec("eval_results_close", "escape,q", "close", "Close", True),),
}


def _binding(spec: KeySpec, *, priority: bool) -> Binding:
    return Binding(
        spec.key,
        spec.action,
        spec.footer or spec.description,
        show=spec.show,
        priority=priority,
        id=spec.id,
        tooltip=spec.description,
    )


def chat_bindings() -> list[BindingType]:
    """The chat screen's bindings (priority, with ids) built from ``KEY_SPECS``."""
    return [_binding(spec, priority=True) for spec in KEY_SPECS]


def compare_bindings() -> list[BindingType]:
    """Compare's bindings, all priority: the chat's budget keys (same ids, so a remap moves
    both screens' keys), then compare's own."""
    shared = [spec_by_id(binding_id) for binding_id in COMPARE_SHARED_IDS]
    return [_binding(spec, priority=True) for spec in (*shared, *COMPARE_SPECS)]


def screen_bindings(screen: str) -> list[BindingType]:
    """The bindings of one of the other screens (``SCREEN_SPECS``)."""
    return [_binding(spec, priority=spec.priority) for spec in SCREEN_SPECS[screen]]


def all_specs() -> tuple[KeySpec, ...]:
    """Every binding of every screen, chat first."""
    others = tuple(spec for specs in SCREEN_SPECS.values() for spec in specs)
    return (*KEY_SPECS, *COMPARE_SPECS, *others)


def spec_by_id(binding_id: str) -> KeySpec:
    """The spec with ``binding_id``; ``KeyError`` when there is none."""
    for spec in KEY_SPECS:
        if spec.id == binding_id:
            return spec
    raise KeyError(binding_id)


def unknown_ids(keymap: Mapping[str, str]) -> list[str]:
    """Ids in a configured keymap that name no binding of any screen (a warning, not an
    error)."""
    known = {spec.id for spec in all_specs()}
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


def compare_key_table(app: App[Any], keymap: Mapping[str, str]) -> Iterable[tuple[str, str, str]]:
    """Rows of (key, description, id) of compare's own keys (the budget keys are the chat's)."""
    for spec in COMPARE_SPECS:
        yield keys_shown(app, keymap.get(spec.id, spec.key)), spec.description, spec.id
    budget = ", ".join(
        keys_shown(app, keymap.get(i, spec_by_id(i).key)) for i in COMPARE_SHARED_IDS
    )
    yield budget, "The chat's budget and thinking keys act on the focused column", ""
