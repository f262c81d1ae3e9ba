"""The chat's link to its history: open the store, record each reply, know which chat is open.

``ChatHistory`` is built by ``make_app`` from a store factory (the CLI opens the default file;
tests pass one on a temporary file) and opened off the event loop after the first frame
(``open_history``), so a big or locked database never delays the prompt. A damaged or locked
file shows ``HistoryErrorScreen``: start a fresh history (the old file is kept aside) or go on
without one. ``ReplyRecording`` writes one reply: the prompt before the request goes out, thinking
and text while it streams, how it ended at the end. History problems are shown once as a warning
and never stop a chat.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import suppress
from typing import TYPE_CHECKING, Any

from backends.errors import PonderError
from backends.request import Message
from tui.chat.conversation import CANCELLED, ERROR, Conversation, Exchange

if TYPE_CHECKING:  # the store's modules (sqlite) load in the thread that opens it
    from textual.app import App

    from backends.base import Backend
    from backends.budget import Budget
    from backends.events import StreamEvent
    from backends.meters import MessageMeter
    from backends.store.db import Store
    from backends.store.errors import HistoryError
    from backends.store.recorder import MessageRecorder

StoreFactory = Callable[[], "Store"]
OFF_IN_CONFIG = "History is off (history = false in the config): chats are not saved."
NOT_IN_SESSION = "History is not available in this session: chats are not saved."
WITHOUT = "Continuing without history: chats are not saved."


def open_default_store() -> Store:
    """Open the history at its default place (``PONDER_DATA_DIR`` or the platform data dir)."""
    from backends.store.db import Store, default_path

    return Store.open(default_path())


class ChatHistory:
    """The store in use (or why there is none) and which stored chat the chat screen shows.

    ``chat_id`` is the open chat (``None`` until its first message is saved); ``saved`` is how
    many of the chat's exchanges have their prompt stored. ``on_problem(text)`` shows a warning.
    """

    def __init__(self, factory: StoreFactory | None, *, enabled: bool = True) -> None:
        self.factory = factory if enabled else None
        self.store: Store | None = None
        self.off_reason = "" if self.factory else (NOT_IN_SESSION if enabled else OFF_IN_CONFIG)
        self.chat_id: int | None = None
        self.saved = 0
        self.saved_system: str | None = None  # the system prompt the stored chat ends with
        self.fork_of: int | None = None  # the stored chat the next new chat was edited from
        self.open_chat_deleted = False
        self.on_problem: Callable[[str], None] = lambda text: None
        self._warned = False
        self._closed = False
        self._ready = asyncio.Event()
        if self.factory is None:
            self._ready.set()

    @property
    def settled(self) -> bool:
        """True once the store was opened, or it is known there will be none."""
        return self._ready.is_set()

    async def open(self) -> HistoryError | None:
        """Open the store in a thread; return the ``HistoryError`` that stopped it, if any.

        On an error nothing is settled yet: the caller calls ``use`` with the user's choice.
        """
        if self.factory is None or self.settled:
            return None
        from backends.store.errors import HistoryError

        try:
            store = await asyncio.to_thread(self.factory)
        except HistoryError as exc:
            return exc
        self.use(store)
        return None

    def use(self, store: Store | None, reason: str = "") -> None:
        """Settle on ``store`` (``None``: no history, for ``reason``)."""
        if self._closed and store is not None:
            store.close()  # the app quit while the file was being opened
            store = None
        self.store = store
        self.off_reason = reason if store is None else ""
        self._ready.set()

    async def wait(self) -> Store | None:
        """The store once settled (``None`` when there is no history)."""
        await self._ready.wait()
        return self.store

    def close(self) -> None:
        """Close the store (at exit). Safe to call twice."""
        self._closed = True
        if self.store is not None:
            self.store.close()

    # ---- the open chat ----------------------------------------------------------------------

    def new_chat(self) -> None:
        """The screen starts a new chat: it is stored from its first message on."""
        self.chat_id, self.saved, self.saved_system = None, 0, None
        self.fork_of = None

    def resume(self, chat_id: int, exchanges: int, system: str | None = None) -> None:
        """The screen shows stored chat ``chat_id``, whose ``exchanges`` prompts are stored
        (and whose stored system prompt is ``system``)."""
        self.chat_id, self.saved, self.saved_system = chat_id, exchanges, system or None
        self.open_chat_deleted = False

    def delete(self, chat_id: int) -> None:
        """Delete a stored chat (blocking: run it in a thread). Raises ``HistoryError``."""
        from backends.store import history as store_history

        assert self.store is not None
        store_history.delete_chat(self.store, chat_id)
        if chat_id == self.chat_id:
            self.new_chat()
            self.open_chat_deleted = True

    def take_deleted(self) -> bool:
        """Whether the open chat was deleted since the last call."""
        deleted, self.open_chat_deleted = self.open_chat_deleted, False
        return deleted

    def warn(self, error: PonderError) -> None:
        """Say once per session that history is not being saved, and why."""
        if not self._warned:
            self._warned = True
            self.on_problem(f"History not saved: {error}")

    def recording(
        self, conversation: Conversation, exchange: Exchange, backend_name: str, budget: Budget
    ) -> ReplyRecording | None:
        """A recording for the next reply to ``exchange``; ``None`` when history is off."""
        if self.factory is None or (self.settled and self.store is None):
            return None
        return ReplyRecording(self, conversation, exchange, backend_name, budget)

    def prompts_to_save(self, conversation: Conversation, exchange: Exchange) -> list[Message]:
        """The messages a reply to ``exchange`` must write first (none for a retry).

        A chat not stored yet gets everything its request sends (earlier answered exchanges
        too, e.g. when history became available mid-chat), so the stored chat resumes the same.
        A system prompt changed since it was stored is written again first (an empty one
        clears it): a resumed chat takes the last one.
        """
        if self.chat_id is None:
            return conversation.messages_for(exchange)
        changed = (conversation.system or None) != self.saved_system
        first = [Message("system", conversation.system or "")] if changed else []
        index = next(n for n, item in enumerate(conversation.exchanges) if item is exchange)
        if index < self.saved:
            return first
        unsaved = conversation.exchanges[self.saved : index + 1]
        return first + [Message("user", item.prompt) for item in unsaved]


class ReplyRecording:
    """Writes one reply of the chat screen to the store. See the module docstring."""

    def __init__(
        self,
        history: ChatHistory,
        conversation: Conversation,
        exchange: Exchange,
        backend_name: str,
        budget: Budget,
    ) -> None:
        self.history = history
        self.conversation = conversation
        self.exchange = exchange
        self.backend_name = backend_name
        self.budget = budget
        self.recorder: MessageRecorder | None = None
        self._begun: asyncio.Future[HistoryError | None] | None = None

    async def start(self, backend: Backend | None, meter: MessageMeter | None) -> None:
        """Write the prompt and the reply's partial row; returns once they are committed.

        Call before the request goes out. ``backend`` is ``None`` when it never got built (the
        prompt is still kept, with the reply's error). A failed write is warned about, not raised.
        """
        store = await self.history.wait()
        if store is None or self._begun is not None:
            return
        self._begun = asyncio.ensure_future(asyncio.to_thread(self._begin, store, backend, meter))
        # Shielded: cancelling the reply must not leave a half-known row behind; ``end`` waits.
        error = await asyncio.shield(self._begun)
        if error is not None:
            self.history.warn(error)

    def _begin(
        self, store: Store, backend: Backend | None, meter: MessageMeter | None
    ) -> HistoryError | None:
        from backends.store.db import title_from
        from backends.store.errors import HistoryError
        from backends.store.recorder import MessageRecorder

        history = self.history
        prompts = history.prompts_to_save(self.conversation, self.exchange)
        try:
            if history.chat_id is None:
                # The first prompt names the chat (also for a branch stored after an edit).
                first = self.conversation.exchanges[0].prompt if self.conversation.exchanges else ""
                title = title_from(first or self.exchange.prompt)
                if history.fork_of is not None:  # the chat list tells the branches apart
                    title = f"{title} · edit of #{history.fork_of}"
                history.chat_id = store.create_chat(title)
                history.fork_of = None
            recorder = MessageRecorder(
                store,
                history.chat_id,
                backend=backend.name if backend else self.backend_name,
                kind=backend.kind if backend else "",
                model=backend.model if backend else "",
                budget=self.budget,
                meter=meter,
            )
            recorder.begin(prompts)
        except HistoryError as exc:
            return exc
        if prompts:
            index = next(
                n for n, item in enumerate(self.conversation.exchanges) if item is self.exchange
            )
            history.saved = max(history.saved, index + 1)
            history.saved_system = self.conversation.system or None
        self.recorder = recorder
        return None

    def feed(self, event: StreamEvent) -> None:
        """Pass one stream event on (after the meter saw it); returns at once."""
        if self.recorder is not None:
            self.recorder.feed(event)

    async def end(self, status: str, error: PonderError | None, meter: MessageMeter | None) -> None:
        """Write how the reply ended (the chat record's ``status``) and wait for the last write.

        A reply that ended before ``start`` (cancelled or failed while the backend was being
        built) still stores its prompt and the reply's status.
        """
        if self._begun is None and self.history.settled:
            await self.start(None, meter)
        if self._begun is not None:
            with suppress(Exception):
                await self._begun
        recorder = self.recorder
        if recorder is None:
            return
        if status == CANCELLED:
            recorder.cancel()
        elif status == ERROR and error is not None:
            recorder.fail(error)  # no-op when a ``Finished`` event already ended it
        await recorder.aclose()
        if recorder.error is not None:
            self.history.warn(recorder.error)


async def open_history(app: App[Any], history: ChatHistory) -> None:
    """Open the store after the first frame; on a problem let the user choose what to do."""
    from tui.chat.history_error import HistoryErrorScreen

    history.on_problem = lambda text: app.notify(text, severity="warning", markup=False)
    error = await history.open()
    if error is None:
        _report_recovered(app, history)
        return

    async def chosen(choice: str | None) -> None:
        if choice == "fresh":
            await start_fresh(app, history, error)
        else:
            history.use(None, WITHOUT)
            app.notify(WITHOUT, markup=False)

    app.push_screen(HistoryErrorScreen(error), chosen)


async def start_fresh(app: App[Any], history: ChatHistory, error: HistoryError) -> None:
    """Keep the broken file aside, open a new history and say where the old one is."""
    from backends.store.db import Store
    from backends.store.errors import HistoryError

    try:
        store = await asyncio.to_thread(Store.start_fresh, error.path)
    except HistoryError as exc:
        history.use(None, f"{WITHOUT} ({exc.message})")
        app.notify(f"Could not start a fresh history: {exc}", severity="error", markup=False)
        return
    history.use(store)
    app.notify(
        f"Started a fresh history. The old file was kept as {store.moved_aside}.",
        timeout=10,
        markup=False,
    )


def _report_recovered(app: App[Any], history: ChatHistory) -> None:
    store = history.store
    if store is not None and store.recovered > 0:
        replies = "reply was" if store.recovered == 1 else "replies were"
        app.notify(
            f"{store.recovered} interrupted {replies} kept in the history "
            "(marked interrupted, with the text received before ponder stopped).",
            markup=False,
        )
