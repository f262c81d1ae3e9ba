"""Wiring: build the chat app from settings and injected dependencies, and run it.

``make_app`` is used by the CLI and by every test; nothing here does I/O at import time, and
nothing slow (backend modules, the model, price data) is loaded before the first frame.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import App, SystemCommand
from textual.screen import Screen

from backends.config import Settings
from backends.pricing import PriceBook
from themes import DEFAULT_THEME, THEMES, fallback_variables
from tui import start_gc
from tui.bindings import KEY_SPECS, key_for, unknown_ids
from tui.chat.history import ChatHistory, StoreFactory, open_default_store, open_history
from tui.chat.screen import ChatScreen
from tui.chat.services import Availability, ChatServices

if TYPE_CHECKING:  # the store's and the backends' modules load after the first frame
    from backends.base import Backend
    from backends.pool import BackendFactory
    from backends.store.db import Store
    from tui.chat.handoff import ChatListRequested, CompareRequested


# The terminal chat builds its backend and opens its history this long after the first frame:
# their imports and the tokenizer's set-up hold the interpreter for a few hundred ms, and keys
# typed as soon as the prompt shows must not wait for them (bench/startup.py measures both).
BACKGROUND_DELAY_S = 0.3


class PonderApp(App[None]):
    """The chat app. Build it with ``make_app``."""

    CSS_PATH = "ponder.tcss"
    TITLE = "ponder"

    def __init__(
        self,
        services: ChatServices,
        *,
        persist_theme: Callable[[str], None] | None = None,
        history: ChatHistory | None = None,
    ) -> None:
        super().__init__()
        self.services = services
        self.persist_theme = persist_theme
        self.history = history or ChatHistory(None)
        for theme in THEMES:
            self.register_theme(theme)
        wanted = services.settings.theme
        self._theme_problem = "" if wanted in self.available_themes else wanted
        self._set_first_theme(wanted if not self._theme_problem else DEFAULT_THEME)
        self.set_keymap(services.keymap)

    def _set_first_theme(self, name: str) -> None:
        """Set the theme before the app runs, without Textual's theme watcher.

        The watcher re-parses every stylesheet once more right after start-up (about 40 ms
        before the prompt takes keys); the first parse can use the theme's variables, set here
        with what the watcher does besides: the theme's classes and colour filter.
        """
        self.set_reactive(App.theme, name)
        dark = self.current_theme.dark
        self.set_class(dark, "-dark-mode", update=False)
        self.set_class(not dark, "-light-mode", update=False)
        self.set_class(True, f"-theme-{name}", update=False)
        self._refresh_truecolor_filter(self.ansi_theme)
        self.stylesheet.set_variables(self.get_css_variables())

    def get_theme_variable_defaults(self) -> dict[str, str]:
        # Textual's own themes lack ponder's semantic variables: derive them from their colours.
        return fallback_variables(self.current_theme.to_color_system().generate())

    def get_default_screen(self) -> Screen[Any]:
        # The chat is the app's first screen itself: pushing it over Textual's blank default
        # screen composed, styled and laid out that one too before the first frame.
        return ChatScreen(self.services, self.history)

    def on_mount(self) -> None:
        self.call_after_refresh(self._open_history_soon)  # the prompt first, then the database
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        if self._theme_problem:
            self.notify(
                f"Unknown theme {self._theme_problem!r} in config; using {DEFAULT_THEME}.",
                severity="warning",
                markup=False,
            )
        unknown = unknown_ids(self.services.keymap)
        if unknown:
            self.notify(
                f"Unknown key binding id(s) in config [keys]: {', '.join(unknown)}",
                severity="warning",
                markup=False,
            )

    def _open_history_soon(self) -> None:
        delay = self.services.background_delay_s
        if delay > 0:
            self.set_timer(delay, self._open_history)
        else:
            self._open_history()

    def _open_history(self) -> None:
        start_gc.release()  # the start is over: collect garbage as usual from now on
        self.run_worker(open_history(self, self.history), group="history", exit_on_error=False)

    def on_unmount(self) -> None:
        self.history.close()  # after the screens: a reply's last write is done by now

    def _theme_changed(self, theme: object) -> None:
        if self.persist_theme is None:
            return
        try:
            self.persist_theme(self.theme)
        except Exception as exc:  # the theme still applies; only saving it failed
            self.notify(f"Could not save the theme choice: {exc}", severity="warning", markup=False)

    def on_compare_requested(self, request: CompareRequested) -> None:
        """The chat asks for compare (the app opens it: the chat does not know compare)."""
        from tui.compare.launch import open_compare  # imported late: not needed to chat

        open_compare(self, request)

    def on_chat_list_requested(self, request: ChatListRequested) -> None:
        """The chat asks for its stored chats."""
        from tui.history.chat_list import ChatListScreen

        self.push_screen(ChatListScreen(request.history, search=request.search), request.reply_to)

    def action_open_eval(self) -> None:
        """Open the eval screen (task set x backends x budgets)."""
        from tui.eval.screen import EvalScreen  # imported late: plotext is not needed to chat

        self.push_screen(EvalScreen(self.services))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Textual's commands plus every chat binding (so ctrl+p finds all of them)."""
        yield from super().get_system_commands(screen)
        if not isinstance(screen, ChatScreen):
            return
        for spec in KEY_SPECS:
            key = key_for(self, spec.id, self.services.keymap)
            yield SystemCommand(
                spec.description,
                f"{key} · id {spec.id}",
                partial(screen.run_action, spec.action),
            )


def make_app(
    settings: Settings,
    *,
    backend: str | None = None,
    backend_factory: BackendFactory | None = None,
    availability: Availability | None = None,
    prices: PriceBook | None = None,
    clock: Callable[[], float] = time.monotonic,
    tick_s: float = 0.1,
    persist_theme: Callable[[str], None] | None = None,
    store: Store | StoreFactory | None = None,
    background_delay_s: float = 0.0,
) -> PonderApp:
    """Build the chat app.

    ``backend`` is a configured name or a spec (default: ``settings.default_backend``);
    ``backend_factory(name_or_spec)`` builds it (default: the registry); ``availability(name)``
    checks a configured backend for the picker (default: the registry). ``persist_theme(name)``
    is called when the user changes theme (``None``: the choice is not saved). ``store`` is the
    chat history, or a function that opens it (called in a thread after the first frame; the app
    closes it at exit); ``None`` or ``settings.history = false``: chats are not saved. Raises
    nothing: a backend that cannot be built shows its error on the first message, a history that
    cannot be opened offers its choices on screen. ``background_delay_s``: the backend is built
    (and its model loaded) and the history opened this long after the first frame.
    """
    services = ChatServices(
        settings=settings,
        backend_factory=backend_factory or partial(_build_backend, settings),
        availability=availability or partial(_availability, settings),
        prices=prices or PriceBook(settings.prices),
        backend_name=backend or settings.default_backend,
        clock=clock,
        tick_s=tick_s,
        keymap=dict(settings.keys),
        background_delay_s=background_delay_s,
    )
    factory = store if store is None or callable(store) else (lambda: store)
    history = ChatHistory(factory, enabled=settings.history)
    return PonderApp(services, persist_theme=persist_theme, history=history)


def run_app(settings: Settings, backend: str | None = None, *, config: Path | None = None) -> int:
    """Run the chat in the terminal until the user quits; returns the exit code.

    ``config`` is the config file the theme choice is saved to (default: the standard one).
    """
    from backends.config import save_theme

    app = make_app(
        settings,
        backend=backend,
        persist_theme=partial(_save_theme, save_theme, config),
        store=open_default_store,
        background_delay_s=BACKGROUND_DELAY_S,
    )
    app.run()
    return app.return_code or 0


def _save_theme(save: Callable[..., None], path: Path | None, theme: str) -> None:
    save(theme, path)


def _build_backend(settings: Settings, name_or_spec: str) -> Backend:
    from backends.registry import build_backend  # imported late: keeps start-up fast

    return build_backend(settings, name_or_spec)


async def _availability(settings: Settings, name: str) -> str | None:
    from backends.registry import availability

    return await availability(settings, name)
