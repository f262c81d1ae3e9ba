"""The backend picker: configured backends with their model and whether each is usable.

A backend that is not configured can be typed as a spec (``llama:PATH.gguf``, a URL,
``anthropic:MODEL``): it is checked with the registry's own parsing and file/key checks, and a
bad one gets a one-line error under the field instead of closing the picker.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from backends.config import BackendEntry, Settings
from backends.errors import PonderError
from tui.bindings import screen_bindings
from tui.chat.services import Availability
from tui.widgets.meters import model_label

CHECKING = "… checking"
SPEC_PLACEHOLDER = "…or type a spec: llama:PATH.gguf · http://HOST:PORT/v1 · anthropic:MODEL"


def backend_row(name: str, kind: str, model: str, state: str, *, current: bool) -> Content:
    """Two lines: ``● local   llama · SmolLM2.gguf`` then ``✓ ready`` (plain text, no markup)."""
    marker = "●" if current else " "
    what = f"{kind} · {model_label(model) or 'default'}"
    return Content(f"{marker} {name:<16} {what}\n  {'':<16} {state}")


def spec_problem(settings: Settings, spec: str) -> str | None:
    """``None`` when ``spec`` names a usable backend, else one line saying what is wrong.

    Uses the registry's own parsing and its checks that need no network (kind known, model
    file present, key set); a server that is down is reported on the first message instead.
    """
    from backends.registry import entry_for, static_availability

    if not spec:
        return "type a spec, e.g. llama:/path/model.gguf, http://127.0.0.1:8080/v1 or KIND:MODEL"
    try:
        _, entry = entry_for(settings, spec)
    except PonderError as exc:
        return " — ".join(part for part in (exc.message, exc.hint) if part)
    return static_availability(entry)


def availability_text(reason: str | None) -> str:
    return "✓ ready" if reason is None else f"✗ {reason}"


class BackendPicker(ModalScreen[str | None]):
    """Pick the backend for the next message; returns its name, or ``None`` when dismissed."""

    BINDINGS = screen_bindings("backend_picker")

    def __init__(
        self,
        settings: Settings,
        availability: Availability,
        *,
        current: str,
        thinking: str = "",
        notes: Sequence[str] = (),
    ) -> None:
        super().__init__()
        self.thinking = thinking  # where the current model's thinking comes from (thinking_label)
        self.notes = tuple(notes)  # the backend's own notes, e.g. the CPU path the AMX guard chose
        self.settings = settings
        self.availability = availability
        self.current = current
        self.names = list(settings.backends)
        if current not in settings.backends:
            self.names.insert(0, current)

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Static("Backend — the next message goes to the one you pick", id="picker-title")
            about = [line for line in (self.thinking, *self.notes) if line]
            if about:
                text = "\n".join(f"{self.current}: {line}" for line in about)
                yield Static(Content(text), id="picker-thinking")
            yield OptionList(*(Option(self._row(name, CHECKING), id=name) for name in self.names))
            yield Input(placeholder=SPEC_PLACEHOLDER, id="picker-spec")
            yield Static("", id="picker-spec-error")
            yield Static(
                "enter: switch · tab: type a spec · f2: pull a reasoning model · "
                "esc: keep the current one",
                id="picker-help",
            )

    def _row(self, name: str, state: str) -> Content:
        entry = self._entry(name)
        if entry is None:
            return backend_row(name, "spec", name, state, current=name == self.current)
        model = model_label(entry.model, entry.base_url) if entry.model or entry.base_url else ""
        return backend_row(name, entry.kind, model, state, current=name == self.current)

    def _entry(self, name: str) -> BackendEntry | None:
        """The config entry of ``name``, or the one a spec stands for (``None`` if invalid)."""
        entry = self.settings.backends.get(name)
        if entry is not None:
            return entry
        from backends.registry import entry_for  # imported late: only a spec needs it

        try:
            return entry_for(self.settings, name)[1]
        except PonderError:
            return None

    # ---- a typed spec -------------------------------------------------------------------------

    @on(Input.Submitted, "#picker-spec")
    def _typed_spec(self, event: Input.Submitted) -> None:
        event.stop()
        problem = spec_problem(self.settings, event.value.strip())
        error = self.query_one("#picker-spec-error", Static)
        error.update(Content(f"✗ {problem}" if problem else ""))
        if problem is None:
            self.dismiss(event.value.strip())

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = self.names.index(self.current)
        options.focus()
        for name in self.names:
            self.run_worker(self._check(name), group="availability", exit_on_error=False)

    async def _check(self, name: str) -> None:
        if name not in self.settings.backends:
            state = "(a spec, not in the config)"
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
        """The catalogue with pull and progress (tui/chat/model_pull.py); a pulled model
        picked there becomes the backend (``llama:NAME``)."""
        from tui.chat.model_pull import ModelPullScreen

        self.app.push_screen(ModelPullScreen(), self._pulled)

    def _pulled(self, spec: str | None) -> None:
        if spec:
            self.dismiss(spec)
