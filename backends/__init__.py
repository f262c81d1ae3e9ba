"""ponder's backends: everything that talks to a model or measures it. No UI imports here."""

from backends.base import Backend, Capabilities, ChatRequest, Message
from backends.budget import Budget
from backends.events import (
    Finished,
    ReasoningDelta,
    StatusNote,
    StopReason,
    StreamEvent,
    TextDelta,
    Timings,
    Usage,
    UsageUpdate,
)

__all__ = [
    "Backend",
    "Budget",
    "Capabilities",
    "ChatRequest",
    "Finished",
    "Message",
    "ReasoningDelta",
    "StatusNote",
    "StopReason",
    "StreamEvent",
    "TextDelta",
    "Timings",
    "Usage",
    "UsageUpdate",
]
