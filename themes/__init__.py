"""ponder's themes: Textual ``Theme`` objects carrying ponder's semantic colour variables.

Widget CSS refers only to these variables (``$thinking-fg``, ``$meter-fg``…), never to colours,
so a theme is pure data. ``fallback_variables`` derives the same variables from any other theme's
colour system, so Textual's built-in themes (picked from the command palette) still work.
"""

from __future__ import annotations

from collections.abc import Mapping

from textual.theme import Theme

from themes.dark import PONDER_DARK
from themes.light import PONDER_LIGHT

DEFAULT_THEME = PONDER_DARK.name
THEMES: tuple[Theme, ...] = (PONDER_DARK, PONDER_LIGHT)

# semantic variable -> the Textual colour-system variable it falls back to in foreign themes
_FALLBACKS: dict[str, str] = {
    "user-fg": "foreground",
    "user-bg": "primary-muted",
    "user-border": "primary",
    "answer-fg": "foreground",
    "thinking-fg": "foreground-muted",
    "thinking-bg": "surface",
    "thinking-border": "secondary",
    "meter-fg": "foreground-muted",
    "meter-estimate-fg": "warning",
    "status-fg": "foreground",
    "status-bg": "panel",
    "warning-fg": "warning",
    "error-fg": "error-lighten-1",
    "error-bg": "error-muted",
    "budget-step-fg": "foreground-muted",
    "budget-active-fg": "background",
    "budget-active-bg": "accent",
    "budget-spent-fg": "success",
}

SEMANTIC_VARIABLES: tuple[str, ...] = tuple(_FALLBACKS)


def fallback_variables(generated: Mapping[str, str]) -> dict[str, str]:
    """ponder's semantic variables for a theme that does not define them.

    ``generated`` is a theme's colour system (``theme.to_color_system().generate()``); returns
    a mapping with every name in ``SEMANTIC_VARIABLES``.
    """
    return {name: generated[source] for name, source in _FALLBACKS.items()}


def theme_by_name(name: str) -> Theme | None:
    """One of ponder's themes by name, or ``None``."""
    return next((theme for theme in THEMES if theme.name == name), None)


__all__ = [
    "DEFAULT_THEME",
    "PONDER_DARK",
    "PONDER_LIGHT",
    "SEMANTIC_VARIABLES",
    "THEMES",
    "fallback_variables",
    "theme_by_name",
]
