"""The compare screen's keys: the chat's budget keys (same ids) and compare's own.

Every binding is ``priority`` (it works while the prompt has focus) and has an id for
``settings.keys``; the budget keys share the chat's ids, so one remap moves both screens' keys.
(The start-up check of ``[keys]`` knows only the chat's ids, as with the eval screen's.)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from textual.app import App
from textual.binding import Binding, BindingType

from tui.bindings import keys_shown, spec_by_id

SHARED_IDS = ("budget_down", "budget_up", "budget_off", "budget_max", "stop_thinking",
              "toggle_thinking")  # fmt: skip
# id, key(s), action, description, footer label (shown when not empty)
COMPARE_KEYS = (
    ("compare_stop_all", "escape", "stop_all",
     "Stop every column (partial replies kept); close compare when nothing runs", "Stop all"),
    ("compare_next", "tab,ctrl+right", "focus_column(1)", "Focus the next column", "Column→"),
    ("compare_previous", "shift+tab,ctrl+left", "focus_column(-1)",
     "Focus the previous column", ""),
    ("compare_move_right", "ctrl+shift+right", "move_column(1)",
     "Move the focused column right", ""),
    ("compare_move_left", "ctrl+shift+left", "move_column(-1)",
     "Move the focused column left", ""),
    ("compare_add", "ctrl+n", "add_column", "Add a column (backend and budget)", "Add"),
    ("compare_remove", "ctrl+d", "remove_column", "Remove the focused column", "Remove"),
    ("compare_promote", "f8", "promote",
     "Continue the focused column in the chat (its backend, budget and history)", "To chat"),
)  # fmt: skip


def compare_bindings() -> list[BindingType]:
    """Priority bindings (they work while the prompt has focus): the chat's budget keys with
    the same ids (so a remap applies to both screens), then compare's own."""
    shared = [spec_by_id(binding_id) for binding_id in SHARED_IDS]
    bindings: list[BindingType] = [
        Binding(s.key, s.action, s.footer or s.description, show=s.show, priority=True, id=s.id,
                tooltip=s.description)
        for s in shared
    ]  # fmt: skip
    bindings += [
        Binding(key, action, footer or text, show=bool(footer), priority=True, id=binding_id,
                tooltip=text)
        for binding_id, key, action, text, footer in COMPARE_KEYS
    ]  # fmt: skip
    return bindings


def compare_key_table(app: App[Any], keymap: Mapping[str, str]) -> Iterable[tuple[str, str, str]]:
    """Rows of (key, description, id) of compare's own keys (the budget keys are the chat's)."""
    for binding_id, key, _action, text, _footer in COMPARE_KEYS:
        yield keys_shown(app, keymap.get(binding_id, key)), text, binding_id
    budget = ", ".join(keys_shown(app, keymap.get(i, spec_by_id(i).key)) for i in SHARED_IDS)
    yield budget, "The chat's budget and thinking keys act on the focused column", ""
