"""The compare screen: one prompt, 2-4 columns (a backend at its own budget), side by side.

Each column streams its own thinking, answer and meters; a summary row after each round names
the cheapest, the fastest (TTFT and total), the fewest / most reasoning tokens, and which
columns agreed (``backends.compare``). Conversations continue per column. The budget keys (the
chat's ids) act on the focused column; escape stops every column (partial replies are kept), or
closes the screen when nothing runs; f8 hands the focused column back to the chat. Opened from
the chat (``tui.compare.launch.open_compare``), every column starts from the chat's history.
"""

from __future__ import annotations

from contextlib import suppress

from textual import events, on, work
from textual.app import ComposeResult
from textual.containers import HorizontalScroll
from textual.content import Content
from textual.widgets import Footer, Static
from textual.worker import Worker, WorkerCancelled, WorkerFailed

from backends.budget import Budget
from backends.budget_text import format_budget
from backends.compare.column import Column
from backends.compare.runner import CompareRound
from backends.compare.session import CompareSession
from backends.errors import PonderError
from backends.events import Finished, StreamEvent
from backends.pool import BackendPool
from backends.request import Message, RequestOptions
from tui.bindings import compare_bindings
from tui.chat.budget_keys import BudgetKeysScreen
from tui.chat.budget_room import fit_for
from tui.chat.handoff import Handoff
from tui.chat.services import ChatServices
from tui.chat.system_prompt import system_line
from tui.compare.column import CompareColumn
from tui.compare.picker import ColumnChoice, ColumnPicker, backend_names
from tui.compare.promotion import handoff
from tui.compare.summary import CompareSummary
from tui.widgets.budget import BudgetSlider
from tui.widgets.keys_first import KeysFirst
from tui.widgets.line import NARROW
from tui.widgets.prompt import PromptInput

MIN_COLUMNS, MAX_COLUMNS = 2, 4
MIN_COLUMN_WIDTH = 26  # below this, columns scroll sideways at 38 columns each


class CompareScreen(BudgetKeysScreen[Handoff | None]):
    """Columns side by side, one prompt for all. Dismissed with a ``Handoff`` or ``None``.

    ``columns`` are the starting columns; ``pool`` holds their backends (and builds added ones);
    ``base`` is the chat history every column (also an added one) starts from.
    """

    BINDINGS = compare_bindings()
    DEFAULT_CSS = """
    CompareScreen { layout: vertical; }
    CompareScreen #compare-columns { height: 1fr; }
    CompareScreen #compare-system {
        height: 1; padding: 0 1; color: $meter-fg; text-style: italic; background: $status-bg;
    }
    CompareScreen .compare-column {
        width: 1fr; height: 1fr; border: round $meter-fg; border-title-color: $status-fg;
        border-title-style: bold; padding: 0 0 0 1;
    }
    CompareScreen .compare-column.-focused { border: round $budget-active-bg; }
    CompareScreen .compare-header { color: $meter-fg; height: auto; }
    CompareScreen .compare-body { height: 1fr; scrollbar-size-vertical: 1; }
    CompareScreen .compare-transcript { height: auto; min-height: 100%; }
    CompareScreen .compare-carried { color: $meter-fg; text-style: italic; }
    CompareScreen #compare-summary {
        height: auto; max-height: 9; padding: 0 1; color: $status-fg; background: $status-bg;
        overflow-y: auto; scrollbar-size-vertical: 1;
    }
    CompareScreen.-narrow #compare-summary { max-height: 5; }
    CompareScreen #compare-columns { scrollbar-size-horizontal: 1; }
    CompareScreen #compare-columns.-scroll .compare-column { width: 38; }
    """

    def __init__(
        self,
        services: ChatServices,
        columns: list[Column],
        *,
        pool: BackendPool,
        base: list[Message] | None = None,
    ) -> None:
        super().__init__()
        self.services = services
        self.pool = pool
        self.base = list(base or [])
        self.carried = sum(message.role == "assistant" for message in self.base)
        self.session = CompareSession(
            columns, prices=services.prices, clock=services.clock, pool=pool
        )
        self.keys_first = KeysFirst()  # keys typed during a round are drawn before it grows
        self.views = [
            CompareColumn(column, carried=self.carried, keys_first=self.keys_first)
            for column in columns
        ]
        self.steps = services.settings.step_limits()
        self.focus_index = 0
        self.expand_thinking = False
        self.round: CompareRound | None = None
        self.worker: Worker[None] | None = None
        self._stop_soon = False
        self._promoted: Handoff | None = None

    def compose(self) -> ComposeResult:
        system = next((m.text for m in self.base if m.role == "system"), "")
        if system:
            line = system_line(system, 200) + "  (sent to every column)"
            yield Static(Content(line), id="compare-system")
        with HorizontalScroll(id="compare-columns"):
            yield from self.views
        yield CompareSummary(id="compare-summary")
        yield BudgetSlider(self.steps, self.views[0].column.budget.limit, id="budget")
        yield PromptInput(id="prompt", keys_first=self.keys_first)
        yield Footer()

    def on_mount(self) -> None:
        prompt = self.query_one(PromptInput)
        prompt.placeholder = "One prompt for every column — Enter sends · ctrl+j: new line"
        prompt.focus()
        self._show_focus()

    @property
    def busy(self) -> bool:
        """True while a round runs."""
        return self.worker is not None and self.worker.is_running

    @property
    def focused_view(self) -> CompareColumn:
        return self.views[self.focus_index]

    # ---- rounds ------------------------------------------------------------------------------

    @on(PromptInput.Submitted)
    def _send(self, event: PromptInput.Submitted) -> None:
        if self.busy:
            event.prompt_input.give_back(event.text)
            self.app.bell()
            self.notify("A round is running: escape stops it.", markup=False)
            return
        self._stop_soon = False
        self.worker = self._run_round(event.text)

    @work(exclusive=True, group="compare-round", exit_on_error=False)
    async def _run_round(self, prompt: str) -> None:
        number = len(self.session.rounds) + 1
        for view in self.views:
            await view.begin_round(prompt, number, self.expand_thinking)
        round_ = self.session.start_round(
            prompt,
            on_event=self._on_event,
            on_status=self._on_status,
            options=RequestOptions(max_tokens=self.services.settings.max_tokens),
        )
        self.round = round_
        if self._stop_soon:
            round_.stop_all()
        ticker = self.set_interval(self.services.tick_s, self._tick)
        try:
            result = await round_.run()
        finally:
            ticker.stop()
        self.session.rounds.append(result)
        for view, outcome in zip(self.views, result.outcomes, strict=True):
            view.record(prompt, outcome)
        self.query_one(CompareSummary).show_round(result, number)
        self._show_focus()

    def _on_event(self, index: int, event: StreamEvent) -> None:
        # Queued on the column widget: its answer writes and its end stay in stream order.
        assert self.round is not None
        reading = self.round.runs[index].reading() if isinstance(event, Finished) else None
        view = self.views[index]
        view.call_later(view.feed, event, reading)

    def _on_status(self, index: int, status: str) -> None:
        view = self.views[index]
        view.call_later(view.set_state, status)

    def _tick(self) -> None:
        if self.round is None or len(self.round.runs) != len(self.views):
            return
        for view, run in zip(self.views, self.round.runs, strict=True):
            if run.status == "running":
                view.tick(run.reading())
        self._show_spent()

    def _show_spent(self) -> None:
        slider = self.query_one(BudgetSlider)
        index = self.focus_index
        if self.round is not None and index < len(self.round.runs):
            run = self.round.runs[index]
            if run.column is self.focused_view.column:
                reading = run.reading()
                slider.set_spent(
                    reading.usage.reasoning,
                    run.budget,
                    estimated="reasoning" in reading.estimated,
                )
                return
        slider.set_spent(None, "")

    async def action_stop_all(self) -> None:
        if not self.busy:
            self.dismiss(None)
            return
        self._stop_soon = True
        if self.round is not None:
            self.round.stop_all()

    async def _stop(self) -> None:
        worker = self.worker
        if worker is not None and worker.is_running:
            self._stop_soon = True
            if self.round is not None:
                self.round.stop_all()
            with suppress(WorkerCancelled, WorkerFailed):
                await worker.wait()

    async def on_unmount(self) -> None:
        await self._stop()
        keep = self._promoted.backend if self._promoted else None
        await self.pool.aclose(keep)

    # ---- the focused column and its budget ----------------------------------------------------

    def on_resize(self, event: events.Resize) -> None:
        # 80x24: a shorter (scrollable) summary and a compact footer; columns keep a minimum
        # width and scroll sideways (the focused one is scrolled into view).
        narrow = event.size.width < NARROW
        self.set_class(narrow, "-narrow")
        footer = self.query_one(Footer)
        footer.compact = narrow
        footer.show_command_palette = not narrow
        self._fit_columns(event.size.width)

    def _fit_columns(self, width: int | None = None) -> None:
        """Columns narrower than ``MIN_COLUMN_WIDTH`` would be unreadable: give them a fixed
        width and let the row scroll sideways instead."""
        width = width or self.size.width
        if width:
            scroll = width // max(len(self.views), 1) < MIN_COLUMN_WIDTH
            self.query_one("#compare-columns").set_class(scroll, "-scroll")

    def _show_focus(self) -> None:
        for index, view in enumerate(self.views):
            view.set_class(index == self.focus_index, "-focused")
        view = self.focused_view
        if view.is_mounted:  # after the next layout: a column just added has no place yet
            columns = self.query_one("#compare-columns")
            self.call_after_refresh(columns.scroll_to_widget, view, animate=False)
        slider = self.query_one(BudgetSlider)
        slider.set_value(view.column.budget.limit)
        slider.set_precision(view.capabilities)
        self._show_spent()

    def action_focus_column(self, step: int) -> None:
        self.focus_index = (self.focus_index + step) % len(self.views)
        self._show_focus()

    @on(CompareColumn.Clicked)
    def _clicked(self, event: CompareColumn.Clicked) -> None:
        self.focus_index = self.views.index(event.column)
        self._show_focus()

    def _set_budget(self, value: int | None) -> None:
        view = self.focused_view
        column = view.column
        fit = fit_for(self.services.settings, column.backend, column.history, value)
        column.budget.set_limit(fit.budget)  # always leaves the column room to answer
        view.refresh_label()
        slider = self.query_one(BudgetSlider)
        slider.set_value(value)
        slider.set_note(f"→ {format_budget(fit.budget)} (answer room)" if fit.clamped else "")
        if fit.clamped:
            self.notify(fit.note, markup=False)
        if view.state == "running" and view.view is not None:
            view.view.show_note(f"budget → {format_budget(fit.budget)}: {self._when(view)}")

    def action_budget_max(self) -> None:
        """The focused column's largest budget that still leaves room for its answer."""
        column = self.focused_view.column
        largest_step = self.query_one(BudgetSlider).largest()
        room = fit_for(self.services.settings, column.backend, column.history, None).largest
        if room is not None and (largest_step is None or room < largest_step):
            self._set_budget(room)
        else:
            self._set_budget(largest_step)

    def _when(self, view: CompareColumn) -> str:
        if view.capabilities.live_budget:
            return "applies to this reply now"
        return "applies to the next round (this backend fixes the budget per request)"

    def action_stop_thinking(self) -> None:
        view = self.focused_view
        if not view.thinking_now or view.view is None:
            self.notify("The focused column is not thinking right now.", markup=False)
            return
        view.column.budget.stop_thinking()
        view.view.show_note(f"stop thinking: {self._when(view)}")

    def action_toggle_thinking(self) -> None:
        self.expand_thinking = not self.expand_thinking
        for view in self.views:
            view.show_thinking(self.expand_thinking)

    # ---- columns: add, remove, reorder, promote -----------------------------------------------

    def _idle(self, what: str) -> bool:
        if self.busy:
            self.notify(f"{what} after the round (escape stops it).", markup=False)
        return not self.busy

    def action_add_column(self) -> None:
        if not self._idle("Add a column"):
            return
        if len(self.views) >= MAX_COLUMNS:
            self.notify(f"At most {MAX_COLUMNS} columns: remove one first.", markup=False)
            return
        column = self.focused_view.column
        names = backend_names(self.services.settings, list(self.pool.backends))
        picker = ColumnPicker(
            self.services.settings,
            names,
            self.steps,
            current=self.pool.name_of(column.backend),
            budget=column.budget.limit,
        )
        self.app.push_screen(picker, self._add_column)

    async def _add_column(self, choice: ColumnChoice | None) -> None:
        if choice is None or self.busy or len(self.views) >= MAX_COLUMNS:
            return
        try:
            backend = await self.pool.get(choice.backend)
        except PonderError as exc:
            self.notify(f"Could not add {choice.backend}: {exc}", severity="error", markup=False)
            return
        column = Column(backend, Budget(choice.budget), list(self.base))
        self.session.add(column)
        view = CompareColumn(column, carried=self.carried)
        self.views.append(view)
        await self.query_one("#compare-columns").mount(view)
        self.focus_index = len(self.views) - 1
        self._fit_columns()
        self._show_focus()

    async def action_remove_column(self) -> None:
        if not self._idle("Remove a column"):
            return
        if len(self.views) <= MIN_COLUMNS:
            self.notify(f"Compare needs at least {MIN_COLUMNS} columns.", markup=False)
            return
        self.session.remove(self.focus_index)
        view = self.views.pop(self.focus_index)
        await view.remove()
        self.focus_index = min(self.focus_index, len(self.views) - 1)
        self._fit_columns()
        self._show_focus()

    async def action_move_column(self, step: int) -> None:
        if not self._idle("Reorder the columns"):
            return
        old, new = self.focus_index, max(0, min(len(self.views) - 1, self.focus_index + step))
        if old == new:
            return
        self.session.move(old, new)
        view = self.views.pop(old)
        self.views.insert(new, view)
        container = self.query_one("#compare-columns")
        if step > 0:
            container.move_child(view, after=self.views[new - 1])
        else:
            container.move_child(view, before=self.views[new + 1])
        self.focus_index = new
        self._show_focus()

    def action_promote(self) -> None:
        if not self._idle("Continue a column in the chat"):
            return
        view = self.focused_view
        column = view.column
        self._promoted = handoff(self.pool.name_of(column.backend), column, view.entries)
        self.dismiss(self._promoted)
