"""Decode one reply on the worker thread: thinking, budget forcing, answer.

The context is one list of token ids. Each phase is one ``Llama.generate`` call over the whole
list; llama-cpp-python's prefix match then evaluates only what is new since the last call (the
last sampled token plus any forced text), so forcing a close, appending "Wait" or rolling back
never re-evaluates the history. A phase ends as soon as text must be forced, before the last
kept token is evaluated on its own, so it is evaluated in the same batch as the forced text.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import llama_cpp

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
from backends.local.kvstate import reusable_prefix
from backends.local.loader import LoadedModel
from backends.local.prompt import Prompt
from backends.local.sampler import Sampling, sample_without_eog

Emit = Callable[[StreamEvent], None]
CONTINUE = object()  # keep sampling in this phase
NEXT_PHASE = object()  # text was forced: start a new generate() call


@dataclass(frozen=True, slots=True)
class ReplyTrace:
    """The token ids of one finished reply, for inspection (tests, debugging).

    ``tokens`` is the whole context: prompt, thinking, forced text and answer. ``think_start`` /
    ``think_end`` delimit the thinking (``think_end`` is just after the closing text).
    """

    tokens: tuple[int, ...]
    prompt_len: int
    cached: int
    think_start: int | None
    think_end: int | None


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
    ) -> None:
        self.model = model
        self.llm = model.llm
        self.tags = model.tags
        self.sampling = sampling
        self.budget = budget
        self.emit = emit
        self.cancel = cancel
        self.context = list(prompt.tokens)
        self.prompt_len = len(prompt.tokens)
        self.n_ctx = int(self.llm.n_ctx())
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
        self.phases = 0
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
        if self.think_start is None:
            return 0
        end = self.think_end if self.think_end is not None else len(self.context)
        return end - self.think_start

    def usage(self) -> Usage:
        return Usage(
            input=self.prompt_len,
            cached_input=self.cached,
            output=self.output,
            reasoning=self.reasoning_tokens(),
        )

    def trace(self) -> ReplyTrace:
        return ReplyTrace(
            tuple(self.context), self.prompt_len, self.cached, self.think_start, self.think_end
        )

    # ---- the loop -------------------------------------------------------------------------

    def run(self) -> Finished:
        """Decode until the model stops, a limit hits or ``cancel`` is set; emit as it goes."""
        self.cached = reusable_prefix(self.llm, self.context)
        self.t_start = time.perf_counter()
        stop = None
        while stop is None:
            stop = StopReason.CANCELLED if self.cancel.is_set() else self._phase()
        if self.thinking and self.matcher is not None and self.matcher.pending:
            self._emit_reasoning(self.matcher.pending)  # cut off mid-thought: show all of it
        self.applied.requested = self.budget.describe()  # as it stands at the end
        return Finished(
            stop_reason=stop,
            usage=self.usage(),
            timings=self._timings(),
            model=self.model.path.name,
            budget_applied=self.applied.describe(),
        )

    def _phase(self) -> StopReason | None:
        """One ``generate`` call; None when text was forced and a new phase must start."""
        s = self.sampling
        self.phases += 1
        self.llm.set_seed(self._seed())
        tokens = self.llm.generate(
            self.context,
            temp=s.temperature,
            top_p=s.top_p,
            top_k=s.top_k,
            min_p=s.min_p,
            repeat_penalty=s.repeat_penalty,
        )
        try:
            for token in tokens:
                outcome = self._step(int(token))
                if outcome is NEXT_PHASE:
                    return None
                if outcome is not CONTINUE:
                    return outcome
        finally:
            tokens.close()
        return StopReason.STOP

    def _seed(self) -> int:
        """A different seed per phase (each generate() call restarts its sampler)."""
        seed = self.sampling.seed
        return llama_cpp.LLAMA_DEFAULT_SEED if seed is None else seed + self.phases

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
        if full and (outcome is CONTINUE or outcome is NEXT_PHASE):
            return StopReason.LENGTH  # stop before evaluating a token nothing will follow
        return outcome

    def _answer_step(self, token: int):
        if self.model.is_eog(token):
            if self.strip_answer and self.applied.forced:
                # Nothing answered yet after a forced close: take the best non-ending token.
                self._keep_answer(sample_without_eog(self.llm, self.sampling, self._seed()))
                return NEXT_PHASE
            self.context.append(token)
            return StopReason.STOP
        self._keep_answer(token)
        return CONTINUE

    def _keep_answer(self, token: int) -> None:
        self.context.append(token)
        self._emit_answer(self.detok.feed(token))

    # ---- thinking ---------------------------------------------------------------------------

    def _think_step(self, token: int):
        snap = self.budget.snapshot()
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
        snap = self.budget.snapshot()  # re-read: the UI may have moved it meanwhile
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
        return NEXT_PHASE

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
        if not self._append_forced(text):
            return StopReason.LENGTH
        self._enter_answer()
        return NEXT_PHASE

    def _append_forced(self, text: str) -> bool:
        """Add forced text to the context; False when it does not fit the limits."""
        forced = self.model.tokenize(text)
        # Leave room for at least one sampled token after the forced text.
        room = min(self.sampling.max_tokens - self.output, self.n_ctx - len(self.context)) - 1
        if len(forced) > room:
            return False
        self.context.extend(forced)
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
