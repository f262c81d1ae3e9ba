"""The chat list: saved chats, most recent first, loaded a page at a time; rename, delete, search.

Only the first page is read when the list opens and another when the cursor or the scroll
nears the end, so 10,000 chats open as fast as 10. Typing in the search box lists the messages
whose text or thinking contains every word (newest first, also paged). Every read and write runs
in a thread. The screen returns a ``ChatChoice`` (the chat to open, and the message to show) or
``None``.
"""

from __future__ import annotations

import asyncio
import dataclasses

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option

from backends.errors import PonderError
from backends.store.history import (
    ChatSummary,
    PageCursor,
    SearchHit,
    list_chats,
    rename_chat,
    search,
)
from tui.bindings import screen_bindings
from tui.chat.handoff import ChatChoice
from tui.chat.history import ChatHistory
from tui.history.search import NO_TITLE, chat_row, flat, hit_row
from tui.safe_text import printable

PAGE_MIN = 20
LOAD_AHEAD = 3  # rows before the end at which the next page is fetched
CHATS_TITLE = "Chats — most recent first (the number is the id for ponder export N)"
HELP = "enter: open · r: rename · d: delete · /: search · esc: close"
RENAME_PLACEHOLDER = "new title — enter saves, esc keeps the old one"
SEARCH_HELP = "enter: open the chat at that message · esc: close · clear the box for all chats"


class ChatOptions(OptionList):
    """The rows of the chat list; plain keys act here only (the search box keeps its typing)."""

    BINDINGS = screen_bindings("chat_rows")


class ConfirmDelete(ModalScreen[bool]):
    """Ask before deleting a chat; returns ``True`` to delete."""

    BINDINGS = screen_bindings("confirm_delete")
    AUTO_FOCUS = "#no"  # the safe answer is the default
    DEFAULT_CSS = """
    ConfirmDelete { align: center middle; }
    #confirm-delete { width: 72; height: auto; border: round $error-fg; background: $status-bg;
                      padding: 0 1; }
    #confirm-delete Static { color: $status-fg; padding: 0 0 1 0; }
    #confirm-buttons { height: auto; }
    #confirm-buttons Button { margin: 0 2 0 0; }
    """

    def __init__(self, chat: ChatSummary) -> None:
        super().__init__()
        self.chat = chat

    def compose(self) -> ComposeResult:
        title = flat(self.chat.title) or NO_TITLE
        count = self.chat.message_count
        with Vertical(id="confirm-delete"):
            yield Static(
                Content(f"Delete “{title}” and its {count} messages? This cannot be undone.")
            )
            with Horizontal(id="confirm-buttons"):
                yield Button("Delete (y)", id="yes", variant="error")
                yield Button("Keep (n)", id="no")

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, delete: bool) -> None:
        self.dismiss(delete)


class ChatListScreen(ModalScreen[ChatChoice | None]):
    """Saved chats, or search hits while the search box has words. See the module docstring."""

    BINDINGS = screen_bindings("chat_list")
    DEFAULT_CSS = """
    ChatListScreen { align: center middle; }
    #chat-list { width: 96; height: 90%; border: round $user-border; background: $status-bg;
                 padding: 0 1; }
    #chat-list-title { text-style: bold; color: $status-fg; }
    #chat-options { height: 1fr; border: none; background: $status-bg; }
    #chat-list-help { color: $meter-fg; }
    """

    def __init__(
        self, history: ChatHistory, *, search: bool = False, page_size: int | None = None
    ) -> None:
        super().__init__()
        assert history.store is not None
        self.history = history
        self.store = history.store
        self.start_in_search = search
        self.page_size = page_size
        self.words = ""
        self.generation = 0
        self.cursor: PageCursor | None = None
        self.hit_offset = 0
        self.exhausted = False
        self.fetching = False
        self.chats: dict[str, ChatSummary] = {}
        self.hits: dict[str, SearchHit] = {}
        self.renaming: ChatSummary | None = None
        # Kept, not queried: a key can dismiss the screen before its children are all mounted.
        self.title_line = Static(CHATS_TITLE, id="chat-list-title")
        self.search_box = Input(placeholder="search text and thinking…", id="chat-search")
        self.options = ChatOptions(id="chat-options")
        self.rename_box = Input(placeholder=RENAME_PLACEHOLDER, id="chat-rename")
        self.rename_box.display = False
        self.help_line = Static(HELP, id="chat-list-help")

    def compose(self) -> ComposeResult:
        with Vertical(id="chat-list"):
            yield self.title_line
            yield self.search_box
            yield self.options
            yield self.rename_box
            yield self.help_line

    def on_mount(self) -> None:
        if self.page_size is None:
            self.page_size = max(PAGE_MIN, self.app.size.height)
        self.watch(self.options, "scroll_y", self._scrolled, init=False)
        self._load_more()
        (self.search_box if self.start_in_search else self.options).focus()

    # ---- pages ------------------------------------------------------------------------------

    @property
    def searching(self) -> bool:
        return bool(self.words)

    def _restart(self, words: str) -> None:
        """Show chats (``words`` empty) or the hits for ``words`` from the first page."""
        self.generation += 1
        self.words = words
        self.cursor, self.hit_offset, self.exhausted, self.fetching = None, 0, False, False
        self.chats.clear()
        self.hits.clear()
        self.options.clear_options()
        self.title_line.update(
            Content(f"Messages with “{flat(words)}” — newest first") if words else CHATS_TITLE
        )
        self.help_line.update(SEARCH_HELP if words else HELP)
        self._load_more()

    def _load_more(self) -> None:
        if self.fetching or self.exhausted:
            return
        self.fetching = True
        self.run_worker(self._fetch(self.generation), group="chat-list", exit_on_error=False)

    async def _fetch(self, generation: int) -> None:
        try:
            if self.searching:
                rows = await self._fetch_hits()
            else:
                rows = await self._fetch_chats()
        except PonderError as exc:
            if generation == self.generation:
                self.fetching = False
                self.notify(f"Could not read the history: {exc}", severity="error", markup=False)
            return
        if generation != self.generation:
            return  # the search changed while this page was read
        self.fetching = False
        self._add_rows(rows)

    async def _fetch_chats(self) -> list[Option]:
        limit = self.page_size or PAGE_MIN
        page = await asyncio.to_thread(list_chats, self.store, limit, self.cursor)
        self.cursor, self.exhausted = page.next, page.next is None
        rows = []
        for chat in page.chats:
            key = f"chat-{chat.id}"
            self.chats[key] = chat
            rows.append(Option(chat_row(chat, current=chat.id == self.history.chat_id), id=key))
        return rows

    async def _fetch_hits(self) -> list[Option]:
        limit = self.page_size or PAGE_MIN
        hits = await asyncio.to_thread(search, self.store, self.words, limit, self.hit_offset)
        self.hit_offset += len(hits)
        self.exhausted = len(hits) < limit
        rows = []
        for hit in hits:
            key = f"hit-{hit.message_id}"
            self.hits[key] = hit
            rows.append(Option(hit_row(hit), id=key))
        return rows

    def _add_rows(self, rows: list[Option]) -> None:
        options = self.options
        if not rows and options.option_count == 0:
            empty = (
                f"No message contains “{flat(self.words)}”."
                if self.searching
                else ("No saved chats yet.")
            )
            options.add_option(Option(Content(empty), id="empty", disabled=True))
            return
        options.add_options(rows)
        if options.highlighted is None and rows:
            options.highlighted = 0

    def _scrolled(self, scroll_y: float) -> None:
        if scroll_y >= self.options.max_scroll_y - LOAD_AHEAD:
            self._load_more()

    @on(OptionList.OptionHighlighted)
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_index >= event.option_list.option_count - LOAD_AHEAD:
            self._load_more()

    # ---- choosing ---------------------------------------------------------------------------

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        key = event.option.id or ""
        if key in self.chats:
            self.dismiss(ChatChoice(self.chats[key].id))
        elif key in self.hits:
            hit = self.hits[key]
            self.dismiss(ChatChoice(hit.chat_id, hit.message_id, hit.field == "thinking"))

    @on(Input.Changed, "#chat-search")
    def _search_changed(self, event: Input.Changed) -> None:
        words = " ".join(event.value.split())
        if words != self.words:
            self._restart(words)

    @on(Input.Submitted, "#chat-search")
    def _search_submitted(self) -> None:
        self.action_focus_list()

    def action_focus_search(self) -> None:
        self._stop_renaming()
        self.search_box.focus()

    def action_focus_list(self) -> None:
        self._stop_renaming()
        self.options.focus()

    def action_close(self) -> None:
        if self.renaming is not None:
            self.action_focus_list()
            return
        self.dismiss(None)

    # ---- rename and delete ------------------------------------------------------------------

    def _chosen_chat(self) -> tuple[str, ChatSummary] | None:
        option = self.options.highlighted_option
        key = option.id if option is not None else None
        if key is None or key not in self.chats:
            self.notify(
                "Clear the search to rename or delete chats." if self.searching else "No chat.",
                markup=False,
            )
            return None
        return key, self.chats[key]

    def action_rename(self) -> None:
        chosen = self._chosen_chat()
        if chosen is None:
            return
        self.renaming = chosen[1]
        field = self.rename_box
        field.value = printable(chosen[1].title)
        field.display = True
        field.focus()

    def _stop_renaming(self) -> None:
        self.renaming = None
        self.rename_box.display = False

    @on(Input.Submitted, "#chat-rename")
    async def _rename_submitted(self, event: Input.Submitted) -> None:
        chat, title = self.renaming, " ".join(event.value.split())
        if chat is None or not title:
            self.app.bell()
            return
        try:
            await asyncio.to_thread(rename_chat, self.store, chat.id, title)
        except PonderError as exc:
            self.notify(f"Could not rename the chat: {exc}", severity="error", markup=False)
            return
        renamed = dataclasses.replace(chat, title=title)
        key = f"chat-{chat.id}"
        self.chats[key] = renamed
        current = chat.id == self.history.chat_id
        self.options.replace_option_prompt(key, chat_row(renamed, current=current))
        self.action_focus_list()

    def action_delete(self) -> None:
        chosen = self._chosen_chat()
        if chosen is None:
            return
        key, chat = chosen

        async def answered(delete: bool | None) -> None:
            if delete:
                await self._delete(key, chat)

        self.app.push_screen(ConfirmDelete(chat), answered)

    async def _delete(self, key: str, chat: ChatSummary) -> None:
        try:
            await asyncio.to_thread(self.history.delete, chat.id)
        except PonderError as exc:
            self.notify(f"Could not delete the chat: {exc}", severity="error", markup=False)
            return
        del self.chats[key]
        options = self.options
        options.remove_option(key)
        self.notify(f"Deleted “{flat(chat.title) or NO_TITLE}”.", markup=False)
        if options.option_count == 0 and self.exhausted:
            self._add_rows([])
        elif options.option_count == 0:
            self._load_more()
