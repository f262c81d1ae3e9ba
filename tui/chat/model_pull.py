"""Pull a catalogue model from the backend picker, with a progress bar.

``ModelPullScreen`` lists the catalogue (size, thinking format, whether it fits this machine,
whether it is pulled). Enter on a model that is not on disk pulls it on a worker thread; the
``ProgressBar`` follows the download through ``call_from_thread``. Enter on a pulled model
closes the screen with its spec (``llama:NAME``) so the picker can switch to it. Escape during
a pull stops it; the partial file stays, and the next pull of that model resumes it.
"""

from __future__ import annotations

import contextlib
import threading

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, ProgressBar, Static
from textual.widgets.option_list import Option

from backends.local.catalog import CATALOG, CatalogEntry, Machine, find, fit, gb, pulled_path
from backends.local.catalog import this_machine as read_machine
from tui.bindings import screen_bindings

HELP = "enter: pull (or use a pulled one) · esc: back"


class PullStopped(Exception):
    """Raised from the progress callback to stop a pull (the partial file is kept)."""


def model_row(entry: CatalogEntry, machine: Machine) -> Content:
    """Two plain lines: name, pulled or not, size, format, fit; then the repo and file."""
    _fits, why = fit(entry, machine)
    size = ("" if entry.size_exact else "~") + gb(entry.size)
    pulled = "✓ pulled" if pulled_path(entry.name) else ""
    return Content(
        f"{entry.name:<21}{pulled:<9}{size:>8}  {entry.thinking_format:<8} fits: {why}\n"
        f"  {entry.repo}/{entry.file}"
    )


class ModelPullScreen(ModalScreen[str | None]):
    """Pull a reasoning model; returns ``llama:NAME`` for a pulled model, or None."""

    BINDINGS = screen_bindings("model_pull")
    DEFAULT_CSS = """
    ModelPullScreen { align: center middle; }
    ModelPullScreen #pull-progress { margin: 1 0 0 0; }
    """

    def __init__(self, *, endpoint: str | None = None, machine: Machine | None = None) -> None:
        super().__init__()
        self.endpoint = endpoint
        self.machine = machine or read_machine()
        self.pulling: str | None = None
        self._stop = threading.Event()
        self.idle = threading.Event()  # set when no pull thread is running (tests wait on it)
        self.idle.set()

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Static("Pull a reasoning model (from the Hugging Face Hub)", id="picker-title")
            yield OptionList(
                *(Option(model_row(e, self.machine), id=e.name) for e in CATALOG), id="models"
            )
            yield ProgressBar(total=None, show_eta=False, id="pull-progress")
            yield Static(Content(HELP), id="pull-status")

    def on_mount(self) -> None:
        self.query_one(ProgressBar).display = False
        self.query_one(OptionList).focus()

    def _status(self, text: str) -> None:
        self.query_one("#pull-status", Static).update(Content(text))  # plain text, never markup

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        entry = find(event.option.id or "")
        if entry is None or self.pulling is not None:
            return
        if pulled_path(entry.name) is not None:
            self.dismiss(f"llama:{entry.name}")
            return
        self.pulling = entry.name
        self._stop.clear()
        self.idle.clear()
        bar = self.query_one(ProgressBar)
        bar.update(total=None, progress=0)
        bar.display = True
        self._status(f"pulling {entry.name} · esc: stop (the next pull resumes)")
        self._pull(entry)

    @work(thread=True, exclusive=True, group="pull", exit_on_error=False)
    def _pull(self, entry: CatalogEntry) -> None:
        from backends.errors import PonderError
        from backends.local.pull import pull

        def progress(done: int, total: int | None) -> None:
            if self._stop.is_set():
                raise PullStopped
            self.app.call_from_thread(self._progress, done, total)

        def stage(what: str) -> None:
            self.app.call_from_thread(self._status, f"{entry.name}: {what}…")

        try:
            model = pull(entry, progress, on_stage=stage, endpoint=self.endpoint)
        except PullStopped:
            message = f"stopped {entry.name}; pull it again to resume"
        except PonderError as exc:
            message = f"✗ {exc}"
        except Exception as exc:  # shown, never fatal to the chat
            message = f"✗ pulling {entry.name} failed: {type(exc).__name__}: {exc}"
        else:
            message = f"✓ pulled {entry.name} ({gb(model.size)}, SHA-256 verified) · enter: use it"
        try:
            with contextlib.suppress(RuntimeError):  # the app has closed meanwhile
                self.app.call_from_thread(self._finished, entry, message)
        finally:
            self.idle.set()

    def _progress(self, done: int, total: int | None) -> None:
        if self.is_mounted:
            self.query_one(ProgressBar).update(total=total, progress=done)
            of = f" of {gb(total)}" if total else ""
            self._status(f"pulling {self.pulling}: {gb(done)}{of} · esc: stop (resumable)")

    def _finished(self, entry: CatalogEntry, message: str) -> None:
        self.pulling = None
        if not self.is_mounted:
            return
        self.query_one(ProgressBar).display = message.startswith("✓")
        self.query_one(OptionList).replace_option_prompt(entry.name, model_row(entry, self.machine))
        self._status(message.splitlines()[0] if message else "")

    def action_back(self) -> None:
        if self.pulling is not None:
            self._stop.set()
        self.dismiss(None)
