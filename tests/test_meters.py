"""Meter arithmetic against hand-computed values, driven by scripted events and a fake clock."""

from __future__ import annotations

import json
from typing import Any

import pytest

from backends.events import (
    Finished,
    ReasoningDelta,
    StatusNote,
    StopReason,
    StreamEvent,
    TextDelta,
    Timings,
    Usage,
    UsageUpdate,
)
from backends.meter_lines import format_meter_line, format_session_line
from backends.meters import (
    MessageMeter,
    MeterReading,
    SessionTotals,
    cache_hit,
    decode_rate,
    merge_usage,
    percentile,
    thinking_seconds,
    tokens_per_second,
)
from backends.pricing import Cost, PriceBook, PriceOverride
from backends.records import meter_record, reading_usage
from backends.tokens import estimate_tokens


class FakeClock:
    """A settable monotonic clock: tests move time explicitly."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def at(self, offset: float) -> None:
        self.now = 100.0 + offset


def meter(
    clock: FakeClock, *, provider: str = "anthropic", model: str = "claude-sonnet-4-5", **kw: Any
) -> MessageMeter:
    kw.setdefault("local", False)
    m = MessageMeter(provider, model, PriceBook(), clock=clock, **kw)
    m.start()
    return m


def feed_at(m: MessageMeter, clock: FakeClock, offset: float, event: StreamEvent) -> None:
    clock.at(offset)
    m.feed(event)


# ---- tokens ----------------------------------------------------------------------------------


def test_estimate_tokens_uses_cl100k() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("Hello world") == 2
    assert estimate_tokens("Hello world, how are you?") == 7


def test_estimate_tokens_counts_special_token_text_as_data() -> None:
    assert estimate_tokens("<|endoftext|>") > 1


# ---- pure arithmetic -------------------------------------------------------------------------


def test_cache_hit() -> None:
    assert cache_hit(48, 52) == pytest.approx(0.923, abs=1e-3)
    assert cache_hit(0, 52) == 0
    assert cache_hit(0, 0) is None


def test_tokens_per_second() -> None:
    assert tokens_per_second(31, 0.8) == pytest.approx(38.75)
    assert tokens_per_second(0, 1.0) is None
    assert tokens_per_second(10, 0.0) is None
    assert tokens_per_second(10, None) is None


def test_thinking_seconds() -> None:
    assert thinking_seconds(0.2, 1.0, 4.0) == pytest.approx(0.8)
    assert thinking_seconds(0.2, None, 4.0) == pytest.approx(3.8)  # all thinking, no answer
    assert thinking_seconds(None, 1.0, 4.0) is None  # no reasoning
    assert thinking_seconds(2.0, 1.0, 4.0) is None  # reasoning only after the answer began


def test_decode_rate_prefers_server_figures() -> None:
    client_only = Timings(started=0.0, first_token=1.0)
    assert decode_rate(30, client_only, 4.0) == pytest.approx(10.0)
    server = Timings(started=0.0, first_token=1.0, server_decode_ms=500, server_decode_tokens=40)
    assert decode_rate(30, server, 4.0) == pytest.approx(80.0)
    assert decode_rate(30, Timings(started=0.0), 4.0) is None  # no token yet


def test_percentile_nearest_rank() -> None:
    values = [float(v) for v in range(10, 0, -1)]  # 10..1, unsorted on purpose
    assert percentile(values, 50) == 5.0  # ceil(0.5 * 10) = 5th smallest
    assert percentile(values, 95) == 10.0  # ceil(9.5) = 10th
    assert percentile([0.2, 0.4, 0.3], 50) == 0.3  # ceil(1.5) = 2nd
    assert percentile([0.2, 0.4, 0.3], 95) == 0.4  # ceil(2.85) = 3rd
    assert percentile([7.0], 95) == 7.0
    assert percentile([], 50) is None


def test_merge_usage_without_provider_usage_is_all_estimated() -> None:
    usage, estimated, input_known = merge_usage(None, 3, 5, None, final=True)
    assert usage == Usage(input=0, output=8, reasoning=3, estimated=True)
    assert estimated == {"input", "output", "reasoning"}
    assert input_known is False
    assert merge_usage(None, 3, 5, 40, final=False)[0].input == 40
    assert merge_usage(None, 3, 5, 40, final=False)[2] is True


def test_merge_usage_snapshot_output_is_topped_up_until_final() -> None:
    snapshot = Usage(input=100, cached_input=80, output=1, reasoning=None)
    live, estimated, _ = merge_usage(snapshot, 0, 6, None, final=False)
    assert (live.input, live.cached_input, live.output, live.reasoning) == (100, 80, 6, None)
    assert estimated == {"output"}
    final, estimated, _ = merge_usage(
        Usage(input=100, output=4, reasoning=0), 0, 6, None, final=True
    )
    assert (final.output, final.estimated, estimated) == (4, False, frozenset())


# ---- the live meter --------------------------------------------------------------------------


def test_scripted_reply_timings_and_switch_to_exact_usage() -> None:
    clock = FakeClock()
    m = meter(clock)
    feed_at(m, clock, 0.1, StatusNote(kind="queued", text="queued"))
    feed_at(m, clock, 0.25, ReasoningDelta("Let me think"))  # 3 tokens
    feed_at(m, clock, 0.75, ReasoningDelta(" about it."))  # 3 tokens
    feed_at(m, clock, 1.25, TextDelta("Hello world"))  # 2 tokens

    clock.at(2.3)
    live = m.reading()
    assert live.live is True
    assert live.usage.output == 8 and live.usage.reasoning == 6
    assert live.estimated == {"input", "output", "reasoning"}
    assert live.ttft_s == pytest.approx(0.25)
    assert live.first_answer_s == pytest.approx(1.25)
    assert live.thinking_s == pytest.approx(1.0)
    assert live.total_s == pytest.approx(2.3)
    assert live.decode_tps == pytest.approx(8 / 2.05)
    assert live.cost is None  # prompt size unknown: a cost would be understated
    assert format_meter_line(live) == (
        "in ? · out ~8 · reasoning ~6 · $? · TTFT 0.25s · 2.3s · 3.9 tok/s"
    )

    exact = Usage(input=10_000, cached_input=8_000, cache_write=1_000, output=500, reasoning=300)
    feed_at(m, clock, 4.3, Finished(stop_reason=StopReason.STOP, usage=exact))
    final = m.reading()
    assert final.live is False
    assert final.usage == exact and final.estimated == frozenset()
    assert final.cache_hit == pytest.approx(0.8)
    assert final.cost is not None and final.cost.total == pytest.approx(0.01665)
    assert final.total_s == pytest.approx(4.3)
    assert final.decode_tps == pytest.approx(500 / 4.05)
    assert final.stop_reason is StopReason.STOP
    clock.at(9.0)  # a finished reply's meters no longer move
    assert m.reading() == final
    assert format_meter_line(final) == (
        "in 10000 (cached 8000, 80%, written 1000) · out 500 · reasoning 300 · $0.017"
        " · TTFT 0.25s · 4.3s · 123 tok/s"
    )


def test_reading_as_json_data() -> None:
    clock = FakeClock()
    m = meter(clock, provider="openrouter", model="anthropic/claude-haiku-4.5")
    feed_at(m, clock, 0.5, TextDelta("Hi"))
    usage = Usage(607, 0, 0, 143, 99)
    feed_at(m, clock, 1.0, Finished(stop_reason=StopReason.STOP, usage=usage))
    reading = m.reading()
    usage = json.loads(json.dumps(reading_usage(reading).model_dump(mode="json")))
    data = json.loads(json.dumps(meter_record(reading).model_dump(mode="json")))
    assert usage == {
        "input": 607,
        "cached_input": 0,
        "cache_write": 0,
        "output": 143,
        "reasoning": 99,
        "estimated": [],
    }
    assert data["cost_split_usd"]["total"] == pytest.approx(0.001322)
    assert data["cost_usd"] == pytest.approx(0.001322)
    assert (data["ttft_s"], data["line"]) == (0.5, format_meter_line(reading))


def test_formatted_line_matches_the_cli_example() -> None:
    clock = FakeClock()
    m = meter(clock, provider="llama", model="smollm2", local=True, hardware_cost_per_hour=0.0)
    feed_at(m, clock, 0.21, TextDelta("Hello"))
    done = Finished(
        stop_reason=StopReason.STOP,
        usage=Usage(input=52, cached_input=48, output=31, reasoning=0),
        timings=Timings(started=0.0, server_decode_ms=789.5, server_decode_tokens=30),
    )
    feed_at(m, clock, 4.1, done)
    reading = m.reading()
    assert reading.decode_tps == pytest.approx(30 / 0.7895)
    assert reading.cost == Cost()
    assert format_meter_line(reading) == (
        "in 52 (cached 48, 92%) · out 31 · reasoning 0 · $0.00 · TTFT 0.21s · 4.1s · 38 tok/s"
    )


def test_finished_without_usage_keeps_the_estimate_marked() -> None:
    clock = FakeClock()
    m = meter(clock, provider="openai-compat", model="smollm2", input_estimate=40)
    feed_at(m, clock, 0.5, TextDelta("Hello world"))
    feed_at(m, clock, 1.0, Finished(stop_reason=StopReason.INTERRUPTED))
    reading = m.reading()
    assert reading.live is False and reading.usage.estimated is True
    assert reading.usage.input == 40 and reading.usage.output == 2
    assert reading.cache_hit is None  # an estimated prompt says nothing about caching
    assert reading.cost is None  # openai-compat has no API price
    assert format_meter_line(reading) == (
        "in ~40 · out ~2 · reasoning ~0 · $? · TTFT 0.50s · 1.0s · 4.0 tok/s"
    )


def test_the_prompt_is_counted_locally_only_when_the_provider_does_not_report_it() -> None:
    clock = FakeClock()
    prompt = ["You are terse.", "What is two plus two, exactly?"]
    cut = meter(clock, provider="openai-compat", model="smollm2")
    cut.estimate_input_from(prompt)
    feed_at(cut, clock, 0.5, TextDelta("Four"))
    feed_at(cut, clock, 1.0, Finished(stop_reason=StopReason.INTERRUPTED))
    assert cut.reading().usage.input == sum(estimate_tokens(text) for text in prompt)
    assert cut.reading().input_known and "input" in cut.reading().estimated

    reported = meter(clock, provider="openai-compat", model="smollm2")
    reported.estimate_input_from(text for text in prompt)  # any iterable, read once
    feed_at(reported, clock, 1.5, TextDelta("Four"))
    feed_at(reported, clock, 2.0, Finished(StopReason.STOP, usage=Usage(input=21, output=1)))
    assert reported.reading().usage.input == 21 and not reported.reading().estimated
    assert reported.input_estimate == sum(estimate_tokens(text) for text in prompt)  # on demand
    reported.input_estimate = 5  # set outright, as the chat does from its own thread
    assert reported.input_estimate == 5


def test_estimated_cost_for_a_priced_model_is_marked() -> None:
    clock = FakeClock()
    m = meter(clock, input_estimate=1_000)
    feed_at(m, clock, 0.5, TextDelta("Hello world"))
    reading = m.reading()
    # 1,000 x $3 + 2 x $15 per Mtok
    assert reading.cost is not None and reading.cost.total == pytest.approx(0.00303)
    assert reading.cost_estimated is True
    assert "· ~$0.0030 ·" in format_meter_line(reading)


def test_usage_snapshot_mid_stream_then_final_usage() -> None:
    clock = FakeClock()
    m = meter(clock)
    snapshot = Usage(input=100, cached_input=80, output=1)
    feed_at(m, clock, 0.1, UsageUpdate(snapshot))
    feed_at(m, clock, 0.3, TextDelta("Hello world, how are you?"))  # 7 tokens
    live = m.reading()
    assert live.usage.output == 7 and live.estimated == {"output"}
    assert live.cache_hit == pytest.approx(0.8)
    assert format_meter_line(live).startswith("in 100 (cached 80, 80%) · out ~7 · reasoning ? ·")
    feed_at(m, clock, 0.5, Finished(stop_reason=StopReason.STOP, usage=Usage(100, 80, 0, 9)))
    final = m.reading()
    assert final.usage.output == 9 and final.estimated == frozenset()
    assert format_meter_line(final).startswith("in 100 (cached 80, 80%) · out 9 · reasoning ? ·")


def test_unreported_reasoning_keeps_its_estimate_capped_at_output() -> None:
    clock = FakeClock()
    m = meter(clock, provider="openai-compat", model="qwen3")
    feed_at(m, clock, 0.1, ReasoningDelta("Let me think about it."))  # 6 tokens
    feed_at(m, clock, 0.2, TextDelta("Hi"))
    feed_at(m, clock, 0.3, Finished(stop_reason=StopReason.STOP, usage=Usage(20, 0, 0, 5)))
    reading = m.reading()
    assert reading.usage.reasoning == 5 and reading.estimated == {"reasoning"}
    assert "· out 5 · reasoning ~5 ·" in format_meter_line(reading)


def test_unknown_model_price_shows_question_mark() -> None:
    clock = FakeClock()
    m = meter(clock, provider="openai", model="no-such-model-xyz")
    feed_at(m, clock, 0.2, TextDelta("Hi"))
    feed_at(m, clock, 0.4, Finished(stop_reason=StopReason.STOP, usage=Usage(10, 0, 0, 1, 0)))
    reading = m.reading()
    assert reading.cost is None and reading.cost_usd is None
    assert "· $? ·" in format_meter_line(reading)


def test_returned_model_prices_an_unknown_alias() -> None:
    clock = FakeClock()
    m = meter(clock, provider="openai", model="my-alias")
    done = Finished(
        stop_reason=StopReason.STOP, usage=Usage(1_000, 500, 0, 100), model="gpt-5-2025-08-07"
    )
    feed_at(m, clock, 0.4, done)
    assert m.reading().cost_usd == pytest.approx(0.0016875)


def test_override_price_is_used() -> None:
    clock = FakeClock()
    book = PriceBook({"house-model": PriceOverride(input=1, output=2)})
    m = MessageMeter("openai-compat", "house-model", book, local=False, clock=clock)
    m.start()
    feed_at(m, clock, 0.4, Finished(stop_reason=StopReason.STOP, usage=Usage(1_000, 0, 0, 500)))
    assert m.reading().cost_usd == pytest.approx((1_000 * 1 + 500 * 2) / 1e6)


def test_provider_reported_cost_wins() -> None:
    clock = FakeClock()
    m = meter(clock, provider="openrouter", model="anthropic/claude-haiku-4.5")
    done = Finished(
        stop_reason=StopReason.STOP, usage=Usage(607, 0, 0, 143, 99), provider_cost_usd=0.0015
    )
    feed_at(m, clock, 1.0, done)
    reading = m.reading()
    assert reading.cost is not None and reading.cost.total == pytest.approx(0.001322)
    assert reading.cost_usd == 0.0015
    assert "· $0.0015 ·" in format_meter_line(reading)


def test_local_hardware_cost_grows_with_wall_time() -> None:
    clock = FakeClock()
    m = meter(clock, provider="llama", model="smollm2", local=True, hardware_cost_per_hour=3.6)
    feed_at(m, clock, 5.0, TextDelta("Hi"))
    assert m.reading().cost_usd == pytest.approx(0.005)  # 3.6 $/h x 5 s, still streaming
    assert m.reading().cost_estimated is False
    feed_at(m, clock, 10.0, Finished(stop_reason=StopReason.STOP, usage=Usage(5, 0, 0, 1, 0)))
    reading = m.reading()
    # approx inside the dataclass: Cost.__eq__ compares fields, approx makes it tolerant.
    approx = pytest.approx(0.01)
    assert reading.cost == Cost(total=approx, hardware=approx)  # type: ignore[arg-type]
    assert reading.cost_approx is True
    assert "· ≈$0.010 ·" in format_meter_line(reading)


def test_local_cost_without_a_rate_uses_the_documented_default_not_zero() -> None:
    import os

    from backends.pricing import CPU_USD_PER_VCPU_HOUR

    clock = FakeClock()
    m = meter(clock, provider="llama", model="smollm2", local=True)
    feed_at(m, clock, 36.0, Finished(stop_reason=StopReason.STOP, usage=Usage(5, 0, 0, 1, 0)))
    reading = m.reading()
    cores = os.cpu_count() or 1
    assert reading.cost_usd == pytest.approx(CPU_USD_PER_VCPU_HOUR * cores * 36 / 3600)
    assert reading.cost_usd is not None and reading.cost_usd > 0
    assert "· ≈$0.0" in format_meter_line(reading)
    totals = SessionTotals()
    totals.add(reading)
    assert "· ≈$0.0" in format_session_line(totals)


def test_empty_reply_has_no_token_times() -> None:
    clock = FakeClock()
    m = meter(clock)
    feed_at(m, clock, 0.3, TextDelta(""))
    feed_at(m, clock, 0.6, Finished(stop_reason=StopReason.CANCELLED, usage=Usage(10, 0, 0, 0, 0)))
    reading = m.reading()
    assert (reading.ttft_s, reading.first_answer_s, reading.thinking_s) == (None, None, None)
    assert reading.decode_tps is None
    assert format_meter_line(reading).endswith("· TTFT - · 0.6s · - tok/s")


# ---- session totals --------------------------------------------------------------------------


def reading(total_s: float, ttft_s: float, cost: float | None, usage: Usage) -> MeterReading:
    return MeterReading(
        usage=usage,
        cache_hit=None,
        cost=None if cost is None else Cost(total=cost),
        ttft_s=ttft_s,
        first_answer_s=ttft_s,
        thinking_s=None,
        total_s=total_s,
        decode_tps=None,
        live=False,
    )


def test_session_totals_and_percentiles() -> None:
    totals = SessionTotals()
    totals.add(reading(4.1, 0.21, 0.001, Usage(52, 48, 0, 31, 0)))
    totals.add(reading(6.0, 0.40, 0.002, Usage(52, 0, 0, 31, 12)))
    totals.add(reading(2.0, 0.10, 0.001, Usage(52, 48, 0, 31, 0)))
    assert totals.messages == 3 and totals.cost == pytest.approx(0.004)
    assert totals.partial is False
    assert totals.usage == Usage(156, 96, 0, 93, 12)
    assert (totals.total_p(50), totals.total_p(95)) == (4.1, 6.0)
    assert (totals.ttft_p(50), totals.ttft_p(95)) == (0.21, 0.40)
    assert format_session_line(totals) == (
        "3 replies · in 156 (cached 96, 61%) · out 93 · reasoning 12 · $0.0040"
        " · total p50 4.1s p95 6.0s · TTFT p50 0.21s p95 0.40s"
    )


def test_session_cost_with_unpriced_replies_is_flagged_partial() -> None:
    totals = SessionTotals()
    totals.add(reading(1.0, 0.1, None, Usage(10, 0, 0, 5)))
    assert totals.cost is None
    assert "· $? ·" in format_session_line(totals)
    totals.add(reading(1.0, 0.1, 0.0013, Usage(10, 0, 0, 5)))
    assert totals.partial is True and totals.cost == pytest.approx(0.0013)
    assert "· $0.0013 + ? (1 unpriced) ·" in format_session_line(totals)


def test_empty_session_line() -> None:
    assert format_session_line(SessionTotals()) == (
        "0 replies · in 0 · out 0 · reasoning ? · $0.00 · total p50 - p95 - · TTFT p50 - p95 -"
    )


def test_reasoning_rollback_lowers_the_thinking_estimate() -> None:
    from backends.events import ReasoningRollback

    meter = MessageMeter("llama", "m", PriceBook(), local=True, clock=lambda: 0.0)
    meter.feed(ReasoningDelta("one two three four"))
    first = meter.reading().usage.reasoning
    assert first is not None
    meter.feed(ReasoningDelta(" five six seven eight nine ten"))
    more = meter.reading().usage.reasoning
    assert more is not None and more > first
    meter.feed(ReasoningRollback(keep_chars=len("one two three four")))
    assert meter.reading().usage.reasoning == first
    meter.feed(ReasoningRollback(keep_chars=0))
    assert meter.reading().usage.reasoning in (0, None)


def test_for_backend_prices_a_local_backend_by_its_threads_and_a_remote_one_by_its_model() -> None:
    from backends.base import BackendSpec
    from backends.local.backend import LocalBackend
    from backends.local.options import LocalOptions
    from backends.pricing import CPU_USD_PER_VCPU_HOUR
    from backends.remote.openai_compat import OpenAIChatBackend

    spec = BackendSpec("q", "llama", "/m.gguf", options=LocalOptions(n_threads=2, n_gpu_layers=0))
    clock = FakeClock()
    local = MessageMeter.for_backend(LocalBackend(spec), PriceBook(), clock=clock)
    assert (local.provider, local.model, local.local) == ("llama", "/m.gguf", True)
    assert local.hardware_cost_per_hour == pytest.approx(2 * CPU_USD_PER_VCPU_HOUR)
    local.start()
    feed_at(local, clock, 3600.0, Finished(stop_reason=StopReason.STOP, usage=Usage(5, 0, 0, 1)))
    assert local.reading().cost_usd == pytest.approx(2 * CPU_USD_PER_VCPU_HOUR)

    own_rate = BackendSpec("q", "llama", "/m.gguf", hardware_cost_per_hour=0.0)
    assert MessageMeter.for_backend(LocalBackend(own_rate), PriceBook()).hardware_cost_per_hour == 0

    book = PriceBook({"house-model": PriceOverride(input=1.0, output=2.0)})
    remote = MessageMeter.for_backend(
        OpenAIChatBackend(BackendSpec("g", "openai", "house-model")), book, input_estimate=7
    )
    assert (remote.provider, remote.model, remote.local) == ("openai", "house-model", False)
    assert remote.input_estimate == 7
    remote.feed(Finished(stop_reason=StopReason.STOP, usage=Usage(1_000_000, 0, 0, 0)))
    assert remote.reading().cost_usd == pytest.approx(1.0)
