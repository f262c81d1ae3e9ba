"""ponder's backends: everything that talks to a model or measures it. No UI imports here."""

import sys

from backends.base import Backend, Capabilities, ChatRequest, Message
from backends.budget import Budget
from backends.events import (
    Finished,
    ReasoningDelta,
    ReasoningRollback,
    StatusNote,
    StopReason,
    StreamEvent,
    TextDelta,
    Timings,
    Usage,
    UsageUpdate,
)

# httpx imports its optional command-line client (click, rich, pygments) at import time whenever
# those packages happen to be installed. ponder never uses that client; keeping it out keeps rich
# out of headless runs and ~0.1 s off start-up. httpx falls back to a stub when the import fails.
# (None of the modules imported above imports httpx.)
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

__all__ = [
    "Backend",
    "Budget",
    "Capabilities",
    "ChatRequest",
    "Finished",
    "Message",
    "ReasoningDelta",
    "ReasoningRollback",
    "StatusNote",
    "StopReason",
    "StreamEvent",
    "TextDelta",
    "Timings",
    "Usage",
    "UsageUpdate",
]
