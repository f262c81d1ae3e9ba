"""Per-message meters: tokens, cache hits, cost and latency, live while a reply streams.

``MessageMeter`` is fed every ``StreamEvent`` of one reply and gives a ``MeterReading`` at any
moment: estimates (local token counts, marked) until the provider's usage arrives, exact figures
after. ``SessionTotals`` adds finished readings up. The arithmetic is in small pure functions so
it can be checked against hand-computed values; ``format_meter_line`` and
``format_session_line`` render one line each.

Timestamps are the meter's own (its injectable ``clock``, ``time.monotonic`` by default), taken as
events are fed; only the server-side figures (llama.cpp ``timings``, Ollama durations, the local
backend's decode clock) come from ``Finished.timings``.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from backends.errors import PonderError
from backends.events import (
    Finished,
    ReasoningDelta,
    ReasoningRollback,
    StopReason,
    StreamEvent,
    TextDelta,
    Timings,
    Usage,
    UsageUpdate,
)
from backends.pricing import Cost, PriceBook, hardware_cost, hardware_rate
from backends.tokens import estimate_tokens

if TYPE_CHECKING:
    from backends.base import Backend  # pydantic: not on the chat's start path

USAGE_FIELDS = ("input", "output", "reasoning")


@dataclass(frozen=True, slots=True)
class MeterReading:
    """The meters of one reply at one moment.

    ``usage.estimated`` is true when any count is a local estimate; ``estimated`` names which
    (``input``, ``output``, ``reasoning``); ``input_known`` is false while the prompt size is not
    known at all. ``cost`` is ``None`` when the price is unknown; for a local backend it is the
    hardware time. ``provider_cost`` is what the provider itself reported (OpenRouter) and wins
    over ``cost`` in ``cost_usd``. Times are seconds from the request; ``None`` = not (yet)
    happened. ``thinking_s`` runs from the first reasoning token to the first answer token.
    """

    usage: Usage
    cache_hit: float | None
    cost: Cost | None
    ttft_s: float | None
    first_answer_s: float | None
    thinking_s: float | None
    total_s: float | None
    decode_tps: float | None
    live: bool
    provider_cost: float | None = None
    estimated: frozenset[str] = frozenset()
    input_known: bool = True
    local: bool = False
    stop_reason: StopReason | None = None

    @property
    def cost_usd(self) -> float | None:
        """The cost to show: the provider's own figure, else ours; ``None`` = unknown."""
        if self.provider_cost is not None:
            return self.provider_cost
        return self.cost.total if self.cost is not None else None

    @property
    def cost_estimated(self) -> bool:
        """True when the shown cost rests on estimated token counts."""
        return self.provider_cost is None and not self.local and self.usage.estimated

    @property
    def cost_approx(self) -> bool:
        """True when the shown cost is a local backend's hardware time at an hourly price (≈);
        a rate the user set to 0 is exactly $0, not an estimate."""
        return self.provider_cost is None and self.local and bool(self.cost and self.cost.total)


# ---- pure arithmetic -------------------------------------------------------------------------


def cache_hit(cached_input: int, input_tokens: int) -> float | None:
    """Return cached / input tokens (0..1), or ``None`` when there was no input."""
    return cached_input / input_tokens if input_tokens > 0 else None


def tokens_per_second(tokens: int | None, seconds: float | None) -> float | None:
    """Return ``tokens / seconds``, or ``None`` when either is missing or not positive."""
    if not tokens or seconds is None or seconds <= 0:
        return None
    return tokens / seconds


def since(start: float | None, end: float | None) -> float | None:
    """Return ``end - start`` in seconds, or ``None`` when either moment is missing."""
    if start is None or end is None:
        return None
    return max(end - start, 0.0)


def thinking_seconds(
    first_reasoning: float | None, first_text: float | None, end: float | None
) -> float | None:
    """Return the thinking time: first reasoning token to first answer token.

    With reasoning but no answer yet (or ever), thinking runs to ``end``. ``None`` when no
    reasoning came before the answer.
    """
    if first_reasoning is None:
        return None
    if first_text is None:
        return since(first_reasoning, end)
    return first_text - first_reasoning if first_reasoning <= first_text else None


def decode_rate(output_tokens: int, timings: Timings, end: float | None) -> float | None:
    """Return decode tokens per second.

    Prefers the server's own figures (decode tokens / decode time); otherwise output tokens
    over the time from the first token to ``end``.
    """
    if timings.server_decode_tokens and timings.server_decode_ms:
        return tokens_per_second(timings.server_decode_tokens, timings.server_decode_ms / 1000)
    return tokens_per_second(output_tokens, since(timings.first_token, end))


def percentile(values: Sequence[float], p: float) -> float | None:
    """Return the ``p``-th percentile (0 < p <= 100) by the nearest-rank method.

    Nearest rank: the smallest value with at least p% of the values at or below it, i.e.
    ``sorted(values)[ceil(p / 100 * n) - 1]``; always one of the values. ``None`` when empty.
    """
    if not values:
        return None
    ordered = sorted(values)
    rank = max(math.ceil(p / 100 * len(ordered)), 1)
    return ordered[min(rank, len(ordered)) - 1]


def merge_usage(
    exact: Usage | None,
    est_reasoning: int,
    est_text: int,
    input_estimate: int | None,
    *,
    final: bool,
) -> tuple[Usage, frozenset[str], bool]:
    """Combine the provider's usage (if any) with local estimates of the streamed text.

    Returns ``(usage, estimated field names, input_known)``. Without provider usage every
    count is an estimate. A mid-stream snapshot (e.g. Anthropic's ``message_start``) is exact
    for the prompt, but its output is stale while text still flows: until the reply is
    ``final`` the larger of snapshot and estimate is shown, marked. A provider that reports no
    reasoning count keeps the local estimate of the reasoning text, marked.
    """
    est_output = est_reasoning + est_text
    if exact is None:
        usage = Usage(
            input=input_estimate or 0, output=est_output, reasoning=est_reasoning, estimated=True
        )
        return usage, frozenset(USAGE_FIELDS), input_estimate is not None
    estimated = set(USAGE_FIELDS) if exact.estimated else set()
    output, reasoning = exact.output, exact.reasoning
    if not final and est_output > output:
        output = est_output
        estimated.add("output")
    if reasoning is None and est_reasoning:
        reasoning = min(est_reasoning, output)
        estimated.add("reasoning")
    elif reasoning is not None and not final and est_reasoning > reasoning:
        reasoning = est_reasoning
        estimated.add("reasoning")
    usage = Usage(
        input=exact.input,
        cached_input=exact.cached_input,
        cache_write=exact.cache_write,
        output=output,
        reasoning=reasoning,
        estimated=bool(estimated),
    )
    return usage, frozenset(estimated), True


# ---- the live accumulator --------------------------------------------------------------------


class MessageMeter:
    """Accumulates the meters of one reply from its stream events.

    ``provider`` is the backend kind (or a genai-prices provider id) and ``model`` the model
    priced through ``prices``. ``local`` backends are billed ``hardware_cost_per_hour`` times wall
    time instead of per token. ``input_estimate`` is a local count of the prompt, shown (marked)
    until the provider's usage arrives. Call ``start()`` when the request is sent, ``feed()``
    every event, ``reading()`` whenever the meters are drawn. ``feed`` raises ``ConfigError``
    only when the offline tokenizer is not installed.

    ``MessageMeter.for_backend`` is how ponder builds one: it reads all of that off the backend.
    """

    def __init__(
        self,
        provider: str | None,
        model: str,
        prices: PriceBook,
        *,
        local: bool,
        hardware_cost_per_hour: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        input_estimate: int | None = None,
    ) -> None:
        self.provider = provider
        self.model = model
        self.prices = prices
        self.local = local
        self.hardware_cost_per_hour = hardware_rate(hardware_cost_per_hour)
        self._input_estimate = input_estimate
        self._input_texts: tuple[str, ...] | None = None  # counted when first needed
        self._clock = clock
        self._started: float | None = None
        self._first_token: float | None = None
        self._first_reasoning: float | None = None
        self._first_text: float | None = None
        self._ended: float | None = None
        self._est_reasoning = 0
        # (characters, estimated tokens) of the thinking so far, after each delta: a rollback
        # to N characters goes back to the estimate at the last delta boundary within N.
        self._reasoning_marks: list[tuple[int, int]] = [(0, 0)]
        self._est_text = 0
        # Deltas not estimated yet (is it thinking, its text): counted when a reading needs
        # them, so a reply whose provider reports final counts never loads the tokenizer.
        self._unestimated: list[tuple[bool, str]] = []
        self._exact: Usage | None = None
        self._server: Timings | None = None
        self._provider_cost: float | None = None
        self._returned_model: str | None = None
        self._stop_reason: StopReason | None = None
        self._cost_cache: dict[Usage, Cost | None] = {}

    @classmethod
    def for_backend(
        cls,
        backend: Backend,
        prices: PriceBook,
        *,
        clock: Callable[[], float] = time.monotonic,
        input_estimate: int | None = None,
    ) -> MessageMeter:
        """A fresh meter for one reply of ``backend``: priced by its kind and model, or, for a
        local backend, billed by wall time at its hardware rate (``hardware_cost_per_hour``, else
        the default for the cores and GPU it uses; ``backends.pricing.hardware_rate``).
        """
        spec = backend.spec
        local = backend.capabilities.local
        return cls(
            backend.kind,
            backend.model,
            prices,
            local=local,
            hardware_cost_per_hour=(
                hardware_rate(
                    spec.hardware_cost_per_hour,
                    threads=backend.threads(),
                    gpu_layers=backend.gpu_layers(),
                )
                if local
                else None
            ),
            clock=clock,
            input_estimate=input_estimate,
        )

    @property
    def input_estimate(self) -> int | None:
        """The local count of the prompt (``None``: none); see ``estimate_input_from``."""
        if self._input_texts is not None:
            texts, self._input_texts = self._input_texts, None
            with contextlib.suppress(PonderError):  # no tokenizer: the input stays unknown
                self._input_estimate = sum(estimate_tokens(text) for text in texts)
        return self._input_estimate

    @input_estimate.setter
    def input_estimate(self, value: int | None) -> None:
        self._input_estimate, self._input_texts = value, None

    def estimate_input_from(self, texts: Iterable[str]) -> None:
        """Count the prompt ``texts`` locally, but only if a reading needs it.

        A provider that reports the prompt's size makes the count unneeded, and the tokenizer
        (about 40 MB) is then never loaded.
        """
        self._input_estimate, self._input_texts = None, tuple(texts)

    @property
    def finished(self) -> bool:
        """True once the ``Finished`` event was fed."""
        return self._ended is not None

    def start(self) -> None:
        """Mark the moment the request was sent (the origin of every latency)."""
        self._started = self._clock()

    def feed(self, event: StreamEvent) -> None:
        """Account for one stream event (starts the clock if ``start`` was not called)."""
        if self._started is None:
            self.start()
        if isinstance(event, (ReasoningDelta, TextDelta)):
            self._feed_delta(event)
        elif isinstance(event, ReasoningRollback):
            self._rollback(event.keep_chars)
        elif isinstance(event, UsageUpdate):
            self._exact = event.usage
        elif isinstance(event, Finished):
            self._feed_finished(event)

    def _feed_delta(self, event: ReasoningDelta | TextDelta) -> None:
        if not event.text:
            return
        now = self._clock()
        if self._first_token is None:
            self._first_token = now
        thinking = isinstance(event, ReasoningDelta)
        self._unestimated.append((thinking, event.text))
        if thinking:
            if self._first_reasoning is None:
                self._first_reasoning = now
        elif self._first_text is None:
            self._first_text = now

    def _estimates(self) -> tuple[int, int]:
        """The estimated (thinking, answer) tokens so far: each delta estimated once."""
        for thinking, text in self._unestimated:
            tokens = estimate_tokens(text)
            if thinking:
                self._est_reasoning += tokens
                chars = self._reasoning_marks[-1][0] + len(text)
                self._reasoning_marks.append((chars, self._est_reasoning))
            else:
                self._est_text += tokens
        self._unestimated.clear()
        return self._est_reasoning, self._est_text

    def _rollback(self, keep_chars: int) -> None:
        self._estimates()
        while len(self._reasoning_marks) > 1 and self._reasoning_marks[-1][0] > keep_chars:
            self._reasoning_marks.pop()
        self._est_reasoning = self._reasoning_marks[-1][1]

    def _feed_finished(self, event: Finished) -> None:
        self._ended = self._clock()
        self._stop_reason = event.stop_reason
        if event.usage is not None:
            self._exact = event.usage
        self._server = event.timings
        self._provider_cost = event.provider_cost_usd
        self._returned_model = event.model

    def timings(self) -> Timings:
        """Return this reply's timings: the meter's timestamps plus the server's figures."""
        server = self._server
        return Timings(
            started=self._started if self._started is not None else self._clock(),
            first_token=self._first_token,
            first_text=self._first_text,
            ended=self._ended,
            server_prompt_ms=server.server_prompt_ms if server else None,
            server_decode_ms=server.server_decode_ms if server else None,
            server_decode_tokens=server.server_decode_tokens if server else None,
        )

    def reading(self) -> MeterReading:
        """Return the meters now (live figures while streaming, final ones after)."""
        exact = self._exact
        if (
            exact is not None
            and self.finished
            and (exact.reasoning is not None or self._first_reasoning is None)  # or none thought
        ):
            est_reasoning, est_text = 0, 0  # the provider's final counts stand: no estimate
        else:
            est_reasoning, est_text = self._estimates()
        input_estimate = self.input_estimate if exact is None else None  # else unused
        usage, estimated, input_known = merge_usage(
            exact, est_reasoning, est_text, input_estimate, final=self.finished
        )
        timings = self.timings()
        end = self._ended if self._ended is not None else self._clock()
        total_s = since(timings.started, end)
        exact_input = input_known and "input" not in estimated
        return MeterReading(
            usage=usage,
            cache_hit=cache_hit(usage.cached_input, usage.input) if exact_input else None,
            cost=self._cost(usage, input_known, total_s),
            ttft_s=since(timings.started, timings.first_token),
            first_answer_s=since(timings.started, timings.first_text),
            thinking_s=thinking_seconds(self._first_reasoning, self._first_text, end),
            total_s=total_s,
            decode_tps=decode_rate(usage.output, timings, end),
            live=not self.finished,
            provider_cost=self._provider_cost,
            estimated=estimated,
            input_known=input_known,
            local=self.local,
            stop_reason=self._stop_reason,
        )

    def _cost(self, usage: Usage, input_known: bool, total_s: float | None) -> Cost | None:
        if self.local:
            return hardware_cost(self.hardware_cost_per_hour, total_s or 0.0)
        if not input_known:  # pricing without the prompt would understate the cost
            return None
        if usage not in self._cost_cache:
            cost = self.prices.cost(self.provider, self.model, usage)
            if cost is None and self._returned_model and self._returned_model != self.model:
                # e.g. a router alias the price data does not know, resolved by the provider
                cost = self.prices.cost(self.provider, self._returned_model, usage)
            self._cost_cache[usage] = cost
        return self._cost_cache[usage]


# ---- session totals --------------------------------------------------------------------------


@dataclass
class SessionTotals:
    """Totals over the finished replies of a session.

    ``cost_known`` sums the replies whose cost is known; ``unpriced`` counts the others, so a
    partial total is never passed off as complete. Latency percentiles use the nearest-rank
    method (``percentile``).
    """

    messages: int = 0
    usage: Usage = field(default_factory=Usage)
    cost_known: float = 0.0
    unpriced: int = 0
    cost_estimated: bool = False
    cost_approx: bool = False
    total_times: list[float] = field(default_factory=list)
    ttfts: list[float] = field(default_factory=list)

    def add(self, reading: MeterReading) -> None:
        """Add one finished reply's reading."""
        self.messages += 1
        self.usage = self.usage + reading.usage
        cost = reading.cost_usd
        if cost is None:
            self.unpriced += 1
        else:
            self.cost_known += cost
            self.cost_estimated = self.cost_estimated or reading.cost_estimated
            self.cost_approx = self.cost_approx or reading.cost_approx
        if reading.total_s is not None:
            self.total_times.append(reading.total_s)
        if reading.ttft_s is not None:
            self.ttfts.append(reading.ttft_s)

    @property
    def cost(self) -> float | None:
        """Total cost, or ``None`` when no reply had a known price (see ``partial``)."""
        if self.messages and self.unpriced == self.messages:
            return None
        return self.cost_known

    @property
    def partial(self) -> bool:
        """True when some replies' prices are unknown, so ``cost`` is a lower bound."""
        return self.unpriced > 0

    def total_p(self, p: float) -> float | None:
        """The ``p``-th percentile of total reply time in seconds."""
        return percentile(self.total_times, p)

    def ttft_p(self, p: float) -> float | None:
        """The ``p``-th percentile of time to first token in seconds."""
        return percentile(self.ttfts, p)
