"""The meter line under each reply and the status bar at the bottom of the chat."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar
from urllib.parse import urlsplit

from textual.content import Content
from textual.widget import Widget
from textual.widgets import Static

from backends.local.model_files import EMBEDDED_NAME
from backends.meter_lines import format_meter_line, format_seconds
from backends.pricing import format_usd
from tui.widgets.line import head_and_tail

if TYPE_CHECKING:  # the meters and events load with the first reply
    from backends.meters import MeterReading, SessionTotals


class MeterLine(Static):
    """``in 52 · out 31 · reasoning 12 · $0.00 · TTFT 0.21s · 4.1s · 38 tok/s`` for one reply.

    While the reply streams the line is prefixed ``live`` and counts marked ``~`` are local
    estimates until the provider's usage arrives.
    """

    _lines = 0

    def show(self, reading: MeterReading) -> None:
        line = format_meter_line(reading)
        if reading.live:
            line = f"live · {line}"
        self.set_class(reading.live, "-live")
        self.set_class(bool(reading.estimated), "-estimated")
        # Redrawn ~10 times a second while streaming: only re-lay out the screen when the
        # line's height changes (a full layout costs more the longer the chat gets).
        lines = -(-len(line) // max(self.size.width, 1))
        self.update(Content(line), layout=lines != self._lines)
        self._lines = lines


def model_label(model: str, base_url: str | None = None) -> str:
    """One short model name everywhere (live, resumed, picker, compare).

    The file name of a local model path (``embedded`` is the bundled model's file name, as a
    resumed chat stores it), the id of a remote one. A server configured without a model
    (``default``) is named by its host until it reports the model it used.
    """
    if model == "embedded":
        return EMBEDDED_NAME
    if model in ("", "default") and base_url:
        host = urlsplit(base_url).netloc
        return f"{host} (server's model)" if host else model
    if model.endswith(".gguf") or (model.startswith(("/", "~", ".")) and "/" in model):
        return Path(model).name
    return model


def session_text(totals: SessionTotals | None) -> str:
    """``session $0.0040 · 1,234 tok · p50 4.1s · p95 6.0s`` (unknown prices as ``$?``)."""
    if totals is None or not totals.messages:
        return "session: no replies yet"
    cost = format_usd(totals.cost)
    if totals.partial and totals.cost is not None:
        cost += " + ?"
    tokens = totals.usage.input + totals.usage.output
    p50 = format_seconds(totals.total_p(50), 1)
    p95 = format_seconds(totals.total_p(95), 1)
    return f"session {cost} · {tokens:,} tok · p50 {p50} · p95 {p95}"


class StatusBar(Widget):
    """Backend, model, requested budget and state on the left; session totals on the right.

    One line drawn by one widget (it is on the first frame: a widget per half cost start-up).
    The left part is cut with an ellipsis when the line is too short; the totals are kept.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {"status-bar--totals"}
    DEFAULT_CSS = "StatusBar { height: 1; }"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.backend = ""
        self.model = ""
        self.budget = ""
        self.state = ""
        self.totals = session_text(None)

    def show_backend(
        self, backend: str, model: str, state: str = "", base_url: str | None = None
    ) -> None:
        """Name the backend in use, its model and a state (``loading model…``, an error)."""
        self.backend, self.model, self.state = backend, model_label(model, base_url), state
        self.refresh()

    def show_state(self, state: str) -> None:
        self.state = state
        self.refresh()

    def show_budget(self, budget: str) -> None:
        self.budget = budget
        self.refresh()

    def show_totals(self, totals: SessionTotals) -> None:
        self.totals = session_text(totals)
        self.refresh()

    def left_text(self) -> str:
        parts = [self.backend or "…", self.model or "…", f"budget {self.budget}"]
        if self.state:
            parts.append(self.state)
        return " · ".join(parts)

    def render(self) -> Content:
        totals = Content.styled(
            self.totals, self.get_visual_style("status-bar--totals", partial=True)
        )
        return head_and_tail(Content(self.left_text()), totals, self.content_size.width)
