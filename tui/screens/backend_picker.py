"""The backend picker: configured backends with their model and whether each is usable."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from backends.config import Settings
from tui.screens.services import Availability
from tui.widgets.meters import model_label

CHECKING = "… checking"


def backend_row(name: str, kind: str, model: str, state: str, *, current: bool) -> Content:
    """Two lines: ``● local   llama · SmolLM2.gguf`` then ``✓ ready`` (plain text, no markup)."""
    marker = "●" if current else " "
    what = f"{kind} · {model_label(model) or 'default'}"
    return Content(f"{marker} {name:<16} {what}\n  {'':<16} {state}")


def availability_text(reason: str | None) -> str:
    return "✓ ready" if reason is None else f"✗ {reason}"


class BackendPicker(ModalScreen[str | None]):
    """Pick the backend for the next message; returns its name, or ``None`` when dismissed."""

    BINDINGS = [  # noqa: RUF012
        Binding("escape", "dismiss_picker", "Close", id="picker_close"),
        Binding("f2", "pull_model", "Pull a model", id="picker_pull"),
    ]

    def __init__(self, settings: Settings, availability: Availability, *, current: str) -> None:
        super().__init__()
        self.settings = settings
        self.availability = availability
        self.current = current
        self.names = list(settings.backends)
        if current not in settings.backends:
            self.names.insert(0, current)

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Static("Backend — the next message goes to the one you pick", id="picker-title")
            yield OptionList(*(Option(self._row(name, CHECKING), id=name) for name in self.names))
            yield Static(
                "enter: switch · f2: pull a reasoning model · esc: keep the current one",
                id="picker-help",
            )

    def _row(self, name: str, state: str) -> Content:
        entry = self.settings.backends.get(name)
        kind, model = (entry.kind, entry.model) if entry else ("spec", name)
        return backend_row(name, kind, model, state, current=name == self.current)

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = self.names.index(self.current)
        options.focus()
        for name in self.names:
            self.run_worker(self._check(name), group="availability", exit_on_error=False)

    async def _check(self, name: str) -> None:
        if name not in self.settings.backends:
            state = "(from the command line)"
        else:
            try:
                state = availability_text(await self.availability(name))
            except Exception as exc:  # a failing check is shown, never fatal
                state = f"✗ check failed: {type(exc).__name__}"
        self.query_one(OptionList).replace_option_prompt(name, self._row(name, state))

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_dismiss_picker(self) -> None:
        self.dismiss(None)

    def action_pull_model(self) -> None:
        """The catalogue with pull and progress (tui/widgets/model_pull.py); a pulled model
        picked there becomes the backend (``llama:NAME``)."""
        from tui.widgets.model_pull import ModelPullScreen

        self.app.push_screen(ModelPullScreen(), self._pulled)

    def _pulled(self, spec: str | None) -> None:
        if spec:
            self.dismiss(spec)
