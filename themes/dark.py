"""ponder-dark: the default theme."""

from __future__ import annotations

from textual.theme import Theme

PONDER_DARK = Theme(
    name="ponder-dark",
    primary="#5B9BD5",
    secondary="#7E6BB5",
    accent="#E0A84B",
    warning="#E0A84B",
    error="#E06C75",
    success="#7FB77E",
    foreground="#D8DEE9",
    background="#16181D",
    surface="#1D2027",
    panel="#252A33",
    dark=True,
    variables={
        "user-fg": "#E6EAF2",
        "user-bg": "#20293A",
        "user-border": "#5B9BD5",
        "answer-fg": "#D8DEE9",
        "thinking-fg": "#9A93B8",
        "thinking-bg": "#1B1C24",
        "thinking-border": "#4A4266",
        "meter-fg": "#7C8696",
        "meter-estimate-fg": "#C9A45C",
        "status-fg": "#C5CCD8",
        "status-bg": "#252A33",
        "warning-fg": "#E0A84B",
        "error-fg": "#F08A93",
        "error-bg": "#3A2026",
        "budget-step-fg": "#7C8696",
        "budget-active-fg": "#16181D",
        "budget-active-bg": "#E0A84B",
        "budget-spent-fg": "#7FB77E",
    },
)
