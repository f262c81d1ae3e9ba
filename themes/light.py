"""ponder-light: the light theme (same semantic variables as ponder-dark)."""

from __future__ import annotations

from textual.theme import Theme

PONDER_LIGHT = Theme(
    name="ponder-light",
    primary="#2F6DB5",
    secondary="#6A55A8",
    accent="#B86E00",
    warning="#A86400",
    error="#C0392B",
    success="#2E7D32",
    foreground="#1F2328",
    background="#FAFAF7",
    surface="#F0F1EC",
    panel="#E4E6E0",
    dark=False,
    variables={
        "user-fg": "#1F2328",
        "user-bg": "#E3ECF8",
        "user-border": "#2F6DB5",
        "answer-fg": "#1F2328",
        "thinking-fg": "#5E5678",
        "thinking-bg": "#F1EFF7",
        "thinking-border": "#B7ADD6",
        "meter-fg": "#5F6773",
        "meter-estimate-fg": "#8A5A00",
        "status-fg": "#2B3036",
        "status-bg": "#E4E6E0",
        "warning-fg": "#A86400",
        "error-fg": "#B3261E",
        "error-bg": "#FBE3E1",
        "budget-step-fg": "#5F6773",
        "budget-active-fg": "#FFFFFF",
        "budget-active-bg": "#B86E00",
        "budget-spent-fg": "#2E7D32",
    },
)
