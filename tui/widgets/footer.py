"""The key footer, recomposed once per burst of binding changes.

Textual's ``Footer`` rebuilds all its keys after every ``bindings_updated`` signal, and start-up
sends several in a row (screen pushed, prompt focused, idle callbacks): each rebuild of the chat's
fifteen keys costs tens of milliseconds, and keys typed at the new prompt waited for all of them
(bench/startup.py). A rebuild reads the bindings when it runs, so one pending rebuild covers every
change signalled before it, and a rebuild is skipped when the keys it would show are the same.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


class ChatFooter(Footer):
    """A ``Footer`` that queues at most one rebuild at a time."""

    _rebuild_queued = False
    _shown: tuple[object, ...] | None = None  # what the last rebuild showed

    def bindings_changed(self, screen: Screen[object]) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen:
            self._queue_rebuild()

    def _queue_rebuild(self) -> None:
        if not self._rebuild_queued:
            self._rebuild_queued = True
            self.call_after_refresh(self._rebuild)

    # Small terminals drop the palette's key (ChatActions.on_resize) without a bindings signal.
    def watch_show_command_palette(self) -> None:
        if self.is_attached:
            self._queue_rebuild()

    def __init__(self) -> None:
        super().__init__()
        # Textual's footer composes empty and waits for a first signal; the chat's bindings
        # are known when it is composed, so its keys come with the first frame.
        self.set_reactive(Footer._bindings_ready, True)

    def compose(self) -> ComposeResult:
        self._shown = self._keys()
        for widget in super().compose():
            if isinstance(widget, FooterKey) and widget._reactive_connect:
                self._fix_compact(widget)
            yield widget

    def _fix_compact(self, key: FooterKey) -> None:
        """Give a key the footer's ``compact`` now, instead of through a data binding.

        Textual binds each key's ``compact`` (default True) to the footer's (False here): every
        key then changes class once mounted and restyles itself, ~2 ms a key on the first frame.
        ``watch_compact`` passes a later change on (a narrow terminal, ``ChatActions.on_resize``).
        """
        key._reactive_connect = None  # the binding Footer.compose made; the palette's key has none
        key.set_reactive(FooterKey.compact, self.compact)
        key.set_class(self.compact, "-compact", update=False)

    def _keys(self) -> tuple[object, ...]:
        """What the footer shows: its layout, the bindings with ``show`` and the palette's key."""
        palette = self.app.COMMAND_PALETTE_BINDING
        return (
            self.compact,
            self.show_command_palette,
            *(
                (
                    binding.key,
                    self.app.get_key_display(binding),
                    binding.description,
                    binding.action,
                    binding.show,
                    enabled,
                    tooltip,
                )
                for key, (_, binding, enabled, tooltip) in self.screen.active_bindings.items()
                if binding.show or key == palette
            ),
        )

    def watch_compact(self, compact: bool) -> None:
        """What the data bindings did: a narrow terminal makes the keys compact (chat_actions)."""
        for key in self.query(FooterKey):
            if not key.has_class("-command-palette"):
                key.compact = compact

    async def _rebuild(self) -> None:
        self._rebuild_queued = False
        if not self.is_attached or self._keys() == self._shown:
            return
        await self.recompose()
