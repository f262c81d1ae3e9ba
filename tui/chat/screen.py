"""The chat screen: message list, budget slider, prompt, status bar, and every chat key."""

from __future__ import annotations

import asyncio
import dataclasses
from contextlib import suppress
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.widgets import Static
from textual.worker import Worker, WorkerCancelled, WorkerFailed

from backends.answer_room import BudgetFit
from backends.budget import Budget
from backends.budget_text import format_budget
from backends.capabilities import thinking_label
from backends.errors import PonderError
from backends.tokens import estimate_tokens
from tui.bindings import chat_bindings
from tui.chat.actions import ChatActions
from tui.chat.budget_room import fit_for
from tui.chat.conversation import Conversation, Exchange, ReplyRecord
from tui.chat.edit_resend import EditState
from tui.chat.history import ChatHistory
from tui.chat.services import BackendSlot, ChatServices
from tui.safe_text import printable
from tui.widgets.budget import BudgetSlider
from tui.widgets.footer import KeyBar
from tui.widgets.keys_first import KeysFirst
from tui.widgets.messages import AssistantMessage, MessageList, UserMessage
from tui.widgets.meters import StatusBar
from tui.widgets.prompt import PromptInput

if TYPE_CHECKING:  # screens and widgets not on screen at start are imported when first used
    from backends.base import Backend
    from backends.meters import MeterReading, SessionTotals
    from tui.chat.handoff import ChatChoice, Handoff
    from tui.chat.reply import ReplyJob

THINK_MORE = 256  # tokens added per "think longer"


class ChatScreen(ChatActions):
    """One chat with one backend at a time; switching backend keeps the chat."""

    BINDINGS = chat_bindings()

    def __init__(self, services: ChatServices, history: ChatHistory | None = None) -> None:
        super().__init__()
        self.services = services
        self.history = history or ChatHistory(None)
        settings = services.settings
        self.conversation = self._fresh_conversation()
        self._totals: SessionTotals | None = None  # made with the first reply (see totals)
        self.steps = settings.step_limits()
        self.budget_value: int | None = settings.budget_limit()
        self.slot = BackendSlot(services.backend_name)
        self.job: ReplyJob | None = None
        self.worker: Worker[None] | None = None
        self.expand_thinking = False
        self.editing: EditState | None = None
        self._budget_touched = False  # a budget the user chose is never replaced by a default
        self._retired: list[Backend] = []
        self.keys_first = KeysFirst()  # keys typed during a reply are drawn before it grows

    # ---- layout ----------------------------------------------------------------------------

    def _fresh_conversation(self) -> Conversation:
        return Conversation(system=self.services.settings.system_prompt or None)

    def compose(self) -> ComposeResult:
        yield Static("", id="system-line")
        yield MessageList(id="messages")
        yield BudgetSlider(self.steps, self.budget_value, id="budget")
        yield PromptInput(id="prompt", keys_first=self.keys_first)
        yield StatusBar(id="status")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(PromptInput).focus()
        self._show_backend_state()
        self.query_one(StatusBar).show_budget(format_budget(self.budget_value))
        self.query_one(BudgetSlider).set_precision(None)
        self._show_system()
        self._show_keys()
        # After the first frame: the prompt is usable while the backend is built and warmed.
        self.call_after_refresh(self._start_backend_soon, self.slot)

    def _start_backend_soon(self, slot: BackendSlot) -> None:
        delay = self.services.background_delay_s
        if delay > 0:
            self.set_timer(delay, lambda: self._start_backend(slot))
        else:
            self._start_backend(slot)

    def _start_backend(self, slot: BackendSlot) -> None:
        self.run_worker(self._prepare(slot), group="backend", exit_on_error=False)

    async def _prepare(self, slot: BackendSlot) -> None:
        await slot.build(self.services.backend_factory)
        if slot is not self.slot:
            return
        self._show_backend_state()
        backend = slot.backend
        if backend is None:
            return
        self.query_one(BudgetSlider).set_precision(backend.capabilities)
        self._start_budget(backend)
        with suppress(Exception):  # the meters' tokenizer: load it now, not on the first token
            await asyncio.to_thread(estimate_tokens, "warm up")
        await self._load_model(slot, backend)

    async def _load_model(self, slot: BackendSlot, backend: Backend) -> None:
        # Backends that hold a model (the local one) prepare it in the background so the first
        # reply need not wait; a message sent meanwhile waits for the same load inside
        # ``stream`` and shows "loading model".
        if backend.prepared:
            return
        self._show_backend_state("loading model…")
        state = ""
        try:
            await backend.prepare()
        except PonderError as exc:
            state = f"✗ {exc.message}"
        except Exception as exc:  # shown, never fatal: the next message reports it in full
            state = f"✗ loading the model failed: {type(exc).__name__}: {exc}"
        if slot is self.slot:
            self._show_backend_state(state)

    def _show_backend_state(self, state: str | None = None) -> None:
        slot = self.slot
        entry = self.services.settings.backends.get(slot.name)
        model = slot.backend.model if slot.backend else (entry.model if entry else "")
        model = slot.reported_model or model
        base_url = slot.backend.spec.base_url if slot.backend else None
        if state is None:
            state = "starting…" if not slot.settled else ""
            if slot.error is not None:
                state = f"✗ {slot.error.message}"
        self.query_one(StatusBar).show_backend(slot.name, model, printable(state), base_url)

    # ---- sending ----------------------------------------------------------------------------

    @property
    def generating(self) -> bool:
        return self.worker is not None and self.worker.is_running

    @on(PromptInput.Submitted)
    async def _send(self, event: PromptInput.Submitted) -> None:
        if self.generating:
            event.prompt_input.give_back(event.text)
            self.app.bell()
            self.notify(f"A reply is streaming: {self._key('cancel')} cancels it.", markup=False)
            return
        if self.editing is not None:
            await self._resend(self.editing.exchange, event.text)
            return
        exchange = self.conversation.add(event.text)
        await self._reply_to(exchange, UserMessage(event.text))

    async def _reply_to(self, exchange: Exchange, *before: UserMessage) -> None:
        from tui.chat.reply import ReplyJob

        fit = self._fit(self.budget_value)  # the budget sent always leaves room to answer
        record = ReplyRecord(self.slot.name, "", format_budget(fit.budget))
        exchange.replies.append(record)
        caps = self.slot.backend.capabilities if self.slot.backend else None
        view = AssistantMessage(
            f"{self.slot.name} · … · budget {record.budget}",
            summary_thinking=caps is not None and caps.thinking_text == "summary",
            keys_first=self.keys_first,
        )
        view.keep_thinking_open = self.expand_thinking
        await self.query_one(MessageList).add_exchange(*before, view)
        budget = Budget(fit.budget)
        self.job = ReplyJob(
            conversation=self.conversation,
            exchange=exchange,
            record=record,
            view=view,
            budget=budget,
            slot=self.slot,
            services=self.services,
            next_step=(
                f"{self._key('retry')}: retry · {self._key('backend_picker')}: switch backend"
            ),
            on_state=self._show_state,
            recording=self.history.recording(self.conversation, exchange, self.slot.name, budget),
        )
        self.worker = self._generate(self.job)

    def _show_state(self, state: str) -> None:
        self._show_backend_state(state)

    @work(exclusive=True, group="reply", exit_on_error=False)
    async def _generate(self, job: ReplyJob) -> None:
        ticker = self.set_interval(self.services.tick_s, lambda: self._tick(job))
        try:
            reading = await job.run()
        except asyncio.CancelledError:
            # A cancelled reply still spent its tokens (and money): count them, but keep its
            # cut-short timing out of the latency percentiles.
            if job.meter is not None and self.is_mounted:
                partial = dataclasses.replace(job.meter.reading(), total_s=None, ttft_s=None)
                self._account(job, partial)
            raise
        finally:
            ticker.stop()
            await self._close_retired()
        if reading is not None:
            self._account(job, reading)

    def _tick(self, job: ReplyJob) -> None:
        if job.meter is None:
            return
        reading = job.meter.reading()
        job.view.tick(reading)
        self._show_spent(job, reading)

    @property
    def totals(self) -> SessionTotals:
        """This session's meters (built on first use: the meters are not on the first frame)."""
        if self._totals is None:
            from backends.meters import SessionTotals

            self._totals = SessionTotals()
        return self._totals

    def _account(self, job: ReplyJob, reading: MeterReading) -> None:
        if job.slot is self.slot and job.reported_model:
            self.slot.reported_model = job.reported_model
            self._show_backend_state("")
        self.totals.add(reading)
        self.query_one(StatusBar).show_totals(self.totals)
        self._show_spent(job, reading)

    def _show_spent(self, job: ReplyJob, reading: MeterReading) -> None:
        self.query_one(BudgetSlider).set_spent(
            reading.usage.reasoning,
            job.record.budget,
            estimated="reasoning" in reading.estimated,
        )

    async def _stop_generation(self) -> None:
        worker = self.worker
        if worker is not None and worker.is_running:
            worker.cancel()
            with suppress(WorkerCancelled, WorkerFailed):
                await worker.wait()

    async def _close_retired(self) -> None:
        retired, self._retired = self._retired, []
        for backend in retired:
            await backend.aclose()

    # ---- budget -----------------------------------------------------------------------------

    def _fit(self, value: int | None) -> BudgetFit:
        """``value`` clamped so the answer keeps room (output cap, free context)."""
        messages = self.conversation.messages_for(Exchange(""))
        return fit_for(self.services.settings, self.slot.backend, messages, value)

    def _set_budget(self, value: int | None, *, by_user: bool = True) -> None:
        self._budget_touched = self._budget_touched or by_user
        self.budget_value = value
        fit = self._fit(value)
        slider = self.query_one(BudgetSlider)
        slider.set_value(value)
        slider.set_note(f"→ {format_budget(fit.budget)} (answer room)" if fit.clamped else "")
        if fit.clamped and by_user:
            self.notify(fit.note, markup=False)
        label = format_budget(fit.budget)
        self.query_one(StatusBar).show_budget(label)
        job = self.job if self.generating else None
        if job is None:
            return
        job.budget.set_limit(fit.budget)
        # The header and "spent X of Y" name the new budget at once, not at the next tick.
        job.record.budget = label
        job.view.set_header(job.header())
        if job.meter is not None:
            self._show_spent(job, job.meter.reading())
        job.view.show_note(f"budget → {label}: {self._when(job)}")

    def _when(self, job: ReplyJob) -> str:
        backend = job.backend
        if backend is None:
            return "applies to this reply (the backend is still starting)"
        if backend.capabilities.live_budget:
            return "applies to this reply now"
        return "applies to the next request (this backend fixes the budget per request)"

    def action_stop_thinking(self) -> None:
        job = self.job if self.generating else None
        if job is None or job.view.answering:
            self.notify("Nothing is thinking right now.", markup=False)
            return
        job.budget.stop_thinking()
        job.view.show_note(f"stop thinking: {self._when(job)}")

    def action_think_longer(self) -> None:
        job = self.job if self.generating else None
        if job is None or job.view.answering:
            self.notify(
                f"Think longer acts on a reply while it thinks; {self._key('budget_up')} "
                "raises the budget for the next one.",
                markup=False,
            )
            return
        spent = (job.meter.reading().usage.reasoning or 0) if job.meter else 0
        minimum = max(job.budget.minimum, spent) + THINK_MORE
        job.budget.set_minimum(minimum)
        limit = job.budget.limit
        if limit is not None and limit < minimum:
            self._set_budget(
                next((s for s in self.steps if s is not None and s >= minimum), minimum)
            )
        job.view.show_note(f"think longer: at least {minimum} tokens — {self._when(job)}")

    # ---- other actions ----------------------------------------------------------------------

    def action_toggle_thinking(self) -> None:
        self.expand_thinking = not self.expand_thinking
        for view in self.query(AssistantMessage):
            view.keep_thinking_open = self.expand_thinking
            view.thinking.collapsed = not self.expand_thinking

    async def action_cancel(self) -> None:
        if self.editing is not None and not self.generating:
            self._stop_editing(restore=True)
            return
        await self._stop_generation()

    async def action_retry(self) -> None:
        exchange = self.conversation.last_exchange
        if exchange is None or self.generating:
            return
        await self._reply_to(exchange)

    async def action_new_chat(self) -> None:
        await self._stop_generation()
        self._stop_editing(restore=False)
        self.conversation = self._fresh_conversation()
        self._show_system()
        self.history.new_chat()
        self.job = None
        await self.query_one(MessageList).clear()
        self.query_one(BudgetSlider).set_spent(None, "")
        self.query_one(PromptInput).focus()

    def action_pick_backend(self) -> None:
        from tui.chat.backend_picker import BackendPicker

        picker = BackendPicker(
            self.services.settings,
            self.services.availability,
            current=self.slot.name,
            thinking=thinking_label(self.slot.backend.capabilities) if self.slot.backend else "",
            notes=self.slot.backend.notes() if self.slot.backend else (),
        )
        self.app.push_screen(picker, self._switch_backend)

    def _switch_backend(self, name: str | None) -> None:
        if name is None or (name == self.slot.name and self.slot.error is None):
            return  # picking a backend that failed to build again rebuilds it
        self._take_slot(BackendSlot(name))
        self._start_backend(self.slot)
        if not self.generating:
            self.run_worker(self._close_retired(), group="close", exit_on_error=False)
        self.notify(f"Next message goes to {name}.", markup=False)

    def action_chat_list(self, search: bool = False) -> None:
        if self.history.store is None:
            reason = self.history.off_reason or "The history is still being opened."
            self.notify(reason, markup=False)
            return
        from tui.chat.handoff import ChatListRequested  # on request: not on the start path

        self.post_message(ChatListRequested(self.history, search, self._resume))

    def action_search(self) -> None:
        self.action_chat_list(search=True)

    async def _resume(self, choice: ChatChoice | None) -> None:
        from tui.chat.stored_chat import jump_to, load_chat, show_chat

        if self.history.take_deleted():
            await self.action_new_chat()
            self.notify("The open chat was deleted; this is a new chat.", markup=False)
        if choice is None or self.history.store is None:
            return
        await self._stop_generation()
        self._stop_editing(restore=False)
        try:
            stored = await asyncio.to_thread(load_chat, self.history.store, choice.chat_id)
        except PonderError as exc:
            self.notify(f"Could not open the chat: {exc}", severity="error", markup=False)
            return
        self.conversation, self.job = stored.conversation, None
        self.history.resume(
            stored.chat_id, len(stored.conversation.exchanges), stored.conversation.system
        )
        self._show_system()
        messages = self.query_one(MessageList)
        views = await show_chat(messages, stored, expand=self.expand_thinking)
        self.query_one(BudgetSlider).set_spent(None, "")
        self.query_one(PromptInput).focus()
        target = views.get(choice.message_id) if choice.message_id is not None else None
        if target is not None:
            self.call_after_refresh(jump_to, messages, target, open_thinking=choice.in_thinking)

    def action_compare(self) -> None:
        """Ask the app for compare on this chat's backend and history (refused, with a note,
        while a reply streams or the backend is not ready); ``continue_with`` takes a column
        back."""
        if self.generating:
            self.notify("A reply is streaming: cancel it first, then compare.", markup=False)
            return
        slot = self.slot
        if not slot.settled or slot.backend is None:
            reason = slot.error.message if slot.error else "the backend is still starting"
            self.notify(f"Compare needs the chat's backend: {reason}.", markup=False)
            return
        # The chat's request history without a new prompt: every answered exchange.
        history = self.conversation.messages_for(Exchange(""))[:-1]
        from tui.chat.handoff import CompareRequested  # on request: not on the start path

        request = CompareRequested(
            self.services, slot.name, slot.backend, history, self.budget_value, self.continue_with
        )
        self.post_message(request)

    async def continue_with(self, handoff: Handoff | None) -> None:
        """Continue a column handed back by compare (nothing when compare closed without one):
        its rounds join this conversation and the message list, and the chat takes the
        column's backend and budget. A new stored chat starts: the conversation now differs
        from the one saved before, and the next reply stores all of it."""
        if handoff is None:
            return
        from tui.chat.handoff import append_rounds, show_rounds

        append_rounds(self.conversation, handoff)
        self.history.new_chat()
        await show_rounds(self.query_one(MessageList), handoff, expand=self.expand_thinking)
        await self._adopt_backend(handoff.name, handoff.backend)
        self._set_budget(handoff.budget)
        self.notify(f"The chat continues with {handoff.name} (from compare).", markup=False)

    async def _adopt_backend(self, name: str, backend: Backend) -> None:
        """Take ``backend`` (already built, its loaded model included) as the chat's."""
        if self.slot.backend is backend:
            return
        slot = BackendSlot(name)
        await slot.build(lambda _name: backend)
        self._take_slot(slot)
        await self._close_retired()

    def _take_slot(self, slot: BackendSlot) -> None:
        """Make ``slot`` the chat's; its old backend is retired (closed once no reply uses it)."""
        if self.slot.backend is not None:
            self._retired.append(self.slot.backend)
        self.slot = slot
        self._show_backend_state()
        backend = slot.backend
        self.query_one(BudgetSlider).set_precision(backend.capabilities if backend else None)

    async def on_unmount(self) -> None:
        await self._stop_generation()
        if self.slot.backend is not None:
            self._retired.append(self.slot.backend)
        await self._close_retired()
