"""The chat's widgets: messages, thinking pane, budget slider, meters, status bar, prompt."""

from tui.widgets.budget import BudgetSlider
from tui.widgets.messages import AssistantMessage, MessageList, UserMessage
from tui.widgets.meters import MeterLine, StatusBar
from tui.widgets.prompt import PromptInput
from tui.widgets.thinking import ThinkingPane

__all__ = [
    "AssistantMessage",
    "BudgetSlider",
    "MessageList",
    "MeterLine",
    "PromptInput",
    "StatusBar",
    "ThinkingPane",
    "UserMessage",
]
