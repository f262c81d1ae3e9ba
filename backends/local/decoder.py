"""Decode one reply on the worker thread: thinking, budget forcing, answer.

The context is one list of token ids, and the loop is plain: make the session's KV cache hold
the context (it evaluates only what is new: the last kept token, plus any forced text), sample
one token, let ``forcing.decide`` say what to do with it, then keep it, force text, or roll the
context back. Forced text is never evaluated on its own: it goes into the same batch as the last
kept token, at the next sample, so forcing a close, appending "Wait" or rolling back never
re-evaluates the history.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from backends.answer_room import BudgetFit
from backends.budget import Budget, BudgetSnapshot
from backends.events import (
    Finished,
    ReasoningDelta,
    ReasoningRollback,
    StatusNote,
    StopReason,
    StreamEvent,
    TextDelta,
    Timings,
    Usage,
    UsageUpdate,
)
from backends.local.detok import Detokenizer, decode_tokens
from backends.local.forcing import (
    Action,
    Applied,
    CloseMatcher,
    Ending,
    TagHit,
    common_prefix,
    decide,
    extension_text,
    partial_suffix,
    reached,
    wants_more,
)
from backends.local.loader import LoadedModel
from backends.local.prompt import Prompt
from backends.local.sampler import Sampling
from backends.local.session import Sampler

Emit = Callable[[StreamEvent], None]
CONTINUE = object()  # keep sampling
FORCED = object()  # text was forced (evaluated with the next sample)


@dataclass(frozen=True, slots=True)
class ReplyTrace:
    """The token ids of one finished reply, for inspection (tests, debugging).

    ``tokens`` is the whole context: prompt, thinking, forced text and answer. ``think_start`` /
    ``think_end`` delimit the thinking (``think_end`` is just after the closing text), and
    ``forced_close`` is how many of those last tokens ponder forced to close it.
    """

    tokens: tuple[int, ...]
    prompt_len: int
    cached: int
    think_start: int | None
    think_end: int | None
    forced_close: int = 0


class ReplyDecoder:
    """One reply: call ``run`` on the thread that owns the model; it returns the Finished."""

    def __init__(
        self,
        model: LoadedModel,
        prompt: Prompt,
        sampling: Sampling,
        budget: Budget,
        emit: Emit,
        cancel: threading.Event,
        room: BudgetFit | None = None,
    ) -> None:
        self.model = model
        self.room = room  # the largest budget that leaves the answer room (None: uncapped)
        self.room_noted = False
        self.session = model.session
        self.tags = model.tags
        self.sampling = sampling
        self.budget = budget
        self.emit = emit
        self.cancel = cancel
        self.context = list(prompt.tokens)
        self.prompt_len = len(prompt.tokens)
        self.n_ctx = self.session.max_ctx
        self.forced_close = 0  # tokens of closing text ponder forced (not the model's thinking)
        self.sampler: Sampler | None = None
        self.no_eog: Sampler | None = None
        self.cached = 0
        self.thinking = prompt.thinking
        self.think_start: int | None = self.prompt_len if prompt.thinking else None
        self.think_end: int | None = None
        self.tail = prompt.text[-1:]
        self.reasoning_parts: list[str] = []
        self.strip_reasoning = True
        self.strip_answer = True
        single = self.tags.close_id is not None
        self.matcher = None if single else CloseMatcher(self.tags.close)
        self.detok = Detokenizer(model.pieces)
        self.applied = Applied(requested=budget.describe())
        if not prompt.thinking:
            none = "no thinking" if self.tags.can_think else "no thinking (the model has none)"
            self.applied.no_thinking = none
        self.extend_cost = len(model.tokenize("\n" + sampling.extend_text))
        self.sampled = 0
        self.last_usage = 0
        self.t_start = self.t_first = self.t_last = 0.0

    # ---- counters -------------------------------------------------------------------------

    @property
    def output(self) -> int:
        return len(self.context) - self.prompt_len

    @property
    def spent(self) -> int:
        """Thinking tokens in the context (forced "Wait"s included, the closing text not)."""
        return len(self.context) - self.think_start if self.think_start is not None else 0

    def reasoning_tokens(self) -> int:
        """What the model thought: the thinking block without the closing text ponder forced."""
        if self.think_start is None:
            return 0
        end = self.think_end if self.think_end is not None else len(self.context)
        return end - self.think_start - self.forced_close

    def usage(self) -> Usage:
        return Usage(
            input=self.prompt_len,
            cached_input=self.cached,
            output=self.output,
            reasoning=self.reasoning_tokens(),
        )

    def trace(self) -> ReplyTrace:
        return ReplyTrace(
            tuple(self.context),
            self.prompt_len,
            self.cached,
            self.think_start,
            self.think_end,
            self.forced_close,
        )

    # ---- the loop -------------------------------------------------------------------------

    def run(self) -> Finished:
        """Decode until the model stops, a limit hits or ``cancel`` is set; emit as it goes."""
        session = self.session
        self.cached = session.reusable(self.context)
        self.t_start = time.perf_counter()
        self.sampler = session.sampler(self.sampling, self.sampling.seed)
        stop = None
        try:
            while stop is None:
                if self.cancel.is_set():
                    stop = StopReason.CANCELLED
                    break
                session.evaluate(self.context)
                outcome = self._step(self.sampler.sample())
                if outcome is not CONTINUE and outcome is not FORCED:
                    stop = outcome
        finally:
            for sampler in (self.sampler, self.no_eog):
                if sampler is not None:
                    sampler.close()
        if self.thinking and self.matcher is not None and self.matcher.pending:
            self._emit_reasoning(self.matcher.pending)  # cut off mid-thought: show all of it
        self.applied.requested = self.budget.describe()  # as it stands at the end
        return Finished(
            stop_reason=stop,
            usage=self.usage(),
            timings=self._timings(),
            model=self.model.path.name,
            budget_applied=self.applied.describe(),
            forced_close_tokens=self.forced_close,
        )

    def _step(self, token: int):
        self.t_last = time.perf_counter()
        if not self.sampled:
            self.t_first = self.t_last
        self.sampled += 1
        if self.cancel.is_set():
            return StopReason.CANCELLED
        if self.output >= self.sampling.max_tokens or len(self.context) >= self.n_ctx:
            return StopReason.LENGTH
        outcome = self._think_step(token) if self.thinking else self._answer_step(token)
        if self.output - self.last_usage >= self.sampling.usage_every:
            self.last_usage = self.output
            self.emit(UsageUpdate(self.usage()))
        full = self.output >= self.sampling.max_tokens or len(self.context) >= self.n_ctx
        if full and (outcome is CONTINUE or outcome is FORCED):
            return StopReason.LENGTH  # stop before evaluating a token nothing will follow
        return outcome

    def _answer_step(self, token: int):
        if self.model.is_eog(token):
            if self.strip_answer and self.applied.forced:
                # Nothing answered yet after a forced close: sample again from the same
                # logits (nothing was evaluated since) with every ending token banned.
                if self.no_eog is None:
                    self.no_eog = self.session.sampler(
                        self.sampling, self.sampling.seed, ban_eog=True
                    )
                self._keep_answer(self.no_eog.sample())
                return CONTINUE
            self.context.append(token)
            return StopReason.STOP
        self._keep_answer(token)
        return CONTINUE

    def _keep_answer(self, token: int) -> None:
        self.context.append(token)
        self._emit_answer(self.detok.feed(token))

    # ---- thinking ---------------------------------------------------------------------------

    def _snapshot(self) -> BudgetSnapshot:
        """The live budget, capped so that the answer keeps its room (auto included)."""
        snap = self.budget.snapshot()
        cap = self.room.largest if self.room is not None else None
        if cap is None or (snap.limit is not None and snap.limit <= cap):
            return snap
        if snap.limit is not None and not self.room_noted:
            self.room_noted = True  # a budget raised live past what leaves the answer room
            note = f"budget {snap.limit} clamped to {cap}: the answer needs the rest"
            self.emit(StatusNote("budget", note))
        return dataclasses.replace(snap, limit=cap)

    def _think_step(self, token: int):
        snap = self._snapshot()
        spent = self.spent
        ending = Ending.NONE
        if token == self.tags.close_id:  # before EOG: harmony's <|end|> may be both
            ending = Ending.CLOSE
        elif self.model.is_eog(token):
            ending = Ending.END_OF_TURN
        action = decide(snap, spent, ending, self.extend_cost)
        if action is Action.KEEP:
            return self._keep_thinking(token, snap)
        if action is Action.ROLLBACK:
            return self._rollback(snap, spent)
        if action is Action.EXTEND:
            return self._extend(prefix="")
        if action is Action.ACCEPT_CLOSE:
            self.context.append(token)
            self.applied.closed_by_model_at = spent
            if self.tags.answer_header:  # harmony: start the final channel after <|end|>
                return self._close_with(self.tags.answer_header)
            self._enter_answer()
            return CONTINUE
        return self._force_close(snap, spent, ending)

    def _keep_thinking(self, token: int, snap: BudgetSnapshot):
        self.context.append(token)
        text = self.detok.feed(token)
        if self.matcher is None:
            self._emit_reasoning(text)
        else:
            shown, hit = self.matcher.feed(text, len(self.context) - 1)
            if hit is not None:
                return self._model_closed(hit, snap)
            self._emit_reasoning(shown)
        snap = self._snapshot()  # re-read: the UI may have moved it meanwhile
        if snap.limit is not None and self.spent > snap.limit and not snap.stop_requested:
            return self._rollback(snap, self.spent)
        if reached(snap, self.spent):
            # Close now, so the token just kept is evaluated together with the closing text.
            return self._force_close(snap, self.spent, Ending.NONE)
        return CONTINUE

    def _model_closed(self, hit: TagHit, snap: BudgetSnapshot):
        """The model wrote the closing tag itself (several tokens)."""
        self._emit_reasoning(hit.before)
        spent_before = hit.start_token - (self.think_start or 0)
        if wants_more(snap, spent_before, self.extend_cost):
            del self.context[hit.start_token :]
            return self._extend(prefix=hit.prefix)
        self.applied.closed_by_model_at = spent_before  # the tag's tokens are not thinking
        self._enter_answer()
        self._emit_answer(hit.after)
        return CONTINUE

    def _extend(self, prefix: str):
        """Strip the model's attempt to stop and append "Wait" (s1)."""
        if self.matcher is not None and self.matcher.pending:
            self._emit_reasoning(self.matcher.pending)
            self.matcher.reset()
        self.detok.reset()
        tail = prefix[-1:] if prefix else self.tail
        text = extension_text(self.sampling.extend_text, tail)
        if not self._append_forced(prefix + text):
            return StopReason.LENGTH
        self._emit_reasoning(text)
        self.applied.extensions += 1
        return FORCED

    def _force_close(self, snap: BudgetSnapshot, spent: int, ending: Ending):
        pending = self.matcher.pending if self.matcher is not None else ""
        if snap.stop_requested:
            self.applied.stopped_at = spent
        elif ending is Ending.END_OF_TURN:
            self.applied.end_of_turn_at = spent
        else:
            self.applied.forced_at = spent
        return self._close_with(self.tags.closing_text(pending, self.tail))

    def _rollback(self, snap: BudgetSnapshot, spent: int):
        """The budget went below what was spent: cut the thinking back to it, then close."""
        limit = snap.limit or 0
        cut = (self.think_start or 0) + limit
        del self.context[cut:]
        text = decode_tokens(self.model.pieces, self.context[self.think_start : cut]).lstrip("\n")
        held = partial_suffix(text, self.tags.close) if self.matcher is not None else 0
        visible = text[: len(text) - held]
        shown = "".join(self.reasoning_parts)
        keep = common_prefix(visible, shown)
        self.emit(ReasoningRollback(keep_chars=keep))
        self.reasoning_parts = [shown[:keep]]
        self.strip_reasoning = not keep
        note = f"budget lowered to {limit} after {spent} thinking tokens: took back {spent - limit}"
        self.emit(StatusNote("budget", note))
        self._emit_reasoning(visible[keep:])
        self.tail = text[-1:] or self.tags.prefill[-1:]
        self.applied.rolled_back_to = limit
        return self._close_with(self.tags.closing_text(text[len(text) - held :], self.tail))

    def _close_with(self, text: str):
        if self.matcher is not None:
            self.matcher.reset()
        self.detok.reset()
        before = len(self.context)
        if not self._append_forced(text):
            return StopReason.LENGTH
        self.forced_close = len(self.context) - before
        self._enter_answer()
        return FORCED

    def _append_forced(self, text: str) -> bool:
        """Add forced text to the context; False when it does not fit the limits."""
        forced = self.model.tokenize(text)
        # Leave room for at least one sampled token after the forced text.
        room = min(self.sampling.max_tokens - self.output, self.n_ctx - len(self.context)) - 1
        if len(forced) > room:
            return False
        self.context.extend(forced)
        if self.sampler is not None:
            for token in forced:
                self.sampler.accept(token)  # repetition penalties see forced text too
        return True

    def _enter_answer(self) -> None:
        self.thinking = False
        self.think_end = len(self.context)
        self.detok.reset()

    # ---- output -----------------------------------------------------------------------------

    def _emit_reasoning(self, text: str) -> None:
        if not text:
            return
        self.tail = text[-1]
        if self.strip_reasoning:
            text = text.lstrip("\n")
            if not text:
                return
            self.strip_reasoning = False
        self.reasoning_parts.append(text)
        self.emit(ReasoningDelta(text))

    def _emit_answer(self, text: str) -> None:
        if self.strip_answer:
            text = text.lstrip("\n")
            if not text:
                return
            self.strip_answer = False
        self.emit(TextDelta(text))

    def _timings(self) -> Timings:
        if not self.sampled:
            return Timings(started=self.t_start)
        return Timings(
            started=self.t_start,
            server_prompt_ms=(self.t_first - self.t_start) * 1000.0,
            server_decode_ms=(self.t_last - self.t_first) * 1000.0,
            server_decode_tokens=self.sampled - 1,
        )
