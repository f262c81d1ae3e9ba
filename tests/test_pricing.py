"""Prices from genai-prices' bundled data and config overrides, against hand-computed values.

Reference figures: shared/reference/providers.md §12.1 (claude-sonnet-4-5 example, $0.01665) and
the OpenRouter recording of §6, whose usage chunk reported ``cost: 0.001322``.
"""

from __future__ import annotations

import pytest

from backends.events import Usage
from backends.pricing import (
    Cost,
    PriceBook,
    PriceOverride,
    format_usd,
    genai_provider_id,
    hardware_cost,
    split_cost,
)

SONNET_USAGE = Usage(input=10_000, cached_input=8_000, cache_write=1_000, output=500)


def test_sonnet_example_splits_into_input_cached_write_output() -> None:
    cost = PriceBook().cost("anthropic", "claude-sonnet-4-5", SONNET_USAGE)
    assert cost is not None
    # 1,000 plain input x $3 + 8,000 cached x $0.30 + 1,000 written x $3.75 + 500 out x $15 (/Mtok)
    assert cost.input == pytest.approx(0.003)
    assert cost.cached_input == pytest.approx(0.0024)
    assert cost.cache_write == pytest.approx(0.00375)
    assert cost.output == pytest.approx(0.0075)
    assert cost.total == pytest.approx(0.01665)
    assert cost.hardware == 0


def test_sonnet_uncached_costs_the_full_input_rate() -> None:
    cost = PriceBook().cost("anthropic", "claude-sonnet-4-5", Usage(input=10_000, output=500))
    assert cost is not None
    assert cost.total == pytest.approx(0.0375)
    assert (cost.cached_input, cost.cache_write) == (0, 0)


def test_long_prompt_tier_applies_to_every_part() -> None:
    # Above 200k prompt tokens Sonnet 4.5 doubles input rates and charges $22.5/Mtok output.
    usage = Usage(input=300_000, cached_input=8_000, cache_write=1_000, output=500)
    cost = PriceBook().cost("anthropic", "claude-sonnet-4-5", usage)
    assert cost is not None
    assert cost.input == pytest.approx(291_000 * 6 / 1e6)
    assert cost.cached_input == pytest.approx(8_000 * 0.6 / 1e6)
    assert cost.cache_write == pytest.approx(1_000 * 7.5 / 1e6)
    assert cost.output == pytest.approx(500 * 22.5 / 1e6)
    assert cost.total == pytest.approx(1.76955)


@pytest.mark.parametrize(
    "model", ["anthropic/claude-haiku-4.5", "anthropic/claude-4.5-haiku-20251001"]
)
def test_openrouter_recording_reproduces_reported_cost(model: str) -> None:
    # Recorded usage: prompt 607, completion 143 (99 reasoning), reported cost 0.001322.
    usage = Usage(input=607, output=143, reasoning=99)
    cost = PriceBook().cost("openrouter", model, usage)
    assert cost is not None
    assert cost.input == pytest.approx(0.000607)
    assert cost.output == pytest.approx(0.000715)  # reasoning is billed as output
    assert cost.total == pytest.approx(0.001322)


@pytest.mark.parametrize(
    ("kind", "model"),
    [("gemini", "gemini-2.5-flash"), ("google", "gemini-2.5-flash"), (None, "gemini-2.5-flash")],
)
def test_gemini_kind_maps_to_google_prices(kind: str | None, model: str) -> None:
    cost = PriceBook().cost(kind, model, Usage(input=1_000, cached_input=500, output=100))
    assert cost is not None
    # 500 x $0.30 + 500 cached x $0.03 + 100 x $2.50 per Mtok
    assert cost.input == pytest.approx(0.00015)
    assert cost.cached_input == pytest.approx(0.000015)
    assert cost.output == pytest.approx(0.00025)
    assert cost.total == pytest.approx(0.000415)


@pytest.mark.parametrize("kind", ["openai", "openai-responses"])
def test_openai_kinds_price_dated_model_ids(kind: str) -> None:
    cost = PriceBook().cost(
        kind, "gpt-5-2025-08-07", Usage(input=1_000, cached_input=500, output=100)
    )
    assert cost is not None
    # 500 x $1.25 + 500 cached x $0.125 + 100 x $10 per Mtok
    assert cost.total == pytest.approx(0.0016875)
    assert cost.cached_input == pytest.approx(0.0000625)


def test_provider_ids() -> None:
    assert genai_provider_id("gemini") == "google"
    assert genai_provider_id("openai-responses") == "openai"
    assert genai_provider_id("Groq") == "groq"
    assert genai_provider_id(None) is None


@pytest.mark.parametrize(
    ("kind", "model"),
    [
        ("openai", "no-such-model-xyz"),
        (None, "no-such-model-xyz"),
        ("no-such-provider", "gpt-5"),
        ("ollama", "gpt-5"),  # local kinds have no API price even for a known name
        ("llama", "claude-sonnet-4-5"),
        ("openai-compat", "deepseek-reasoner"),
        ("vllm", "deepseek-reasoner"),
        ("llama-server", "gpt-5"),
    ],
)
def test_unknown_price_is_none_never_zero(kind: str | None, model: str) -> None:
    assert PriceBook().cost(kind, model, Usage(input=100, output=10)) is None


def test_usage_genai_prices_rejects_is_unknown_not_an_exception() -> None:
    assert PriceBook().cost("openai", "gpt-5", Usage(input=1, cached_input=5, output=1)) is None


def test_override_wins_over_genai_prices_and_matches_case_insensitively() -> None:
    book = PriceBook(
        {"Claude-Sonnet-4-5": PriceOverride(input=2, output=10, cached_input=0.5, cache_write=4)}
    )
    cost = book.cost("anthropic", "claude-sonnet-4-5", SONNET_USAGE)
    assert cost == Cost(
        input=1_000 * 2 / 1e6,
        cached_input=8_000 * 0.5 / 1e6,
        cache_write=1_000 * 4 / 1e6,
        output=500 * 10 / 1e6,
        # approx inside the dataclass: Cost.__eq__ compares fields, approx makes it tolerant.
        total=pytest.approx(0.002 + 0.004 + 0.004 + 0.005),  # type: ignore[arg-type]
    )


def test_override_cache_rates_default_to_input_rate() -> None:
    book = PriceBook({"my-model": PriceOverride(input=1, output=3)})
    cost = book.cost("openai-compat", "my-model", SONNET_USAGE)
    assert cost is not None
    assert cost.total == pytest.approx((10_000 * 1 + 500 * 3) / 1e6)
    assert cost.cached_input == pytest.approx(8_000 / 1e6)


def test_override_rejects_unknown_and_negative_fields() -> None:
    with pytest.raises(TypeError, match="reasoning"):
        PriceOverride(input=1, output=1, reasoning=2)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="input: must be 0 or more"):
        PriceOverride(input=-1, output=1)


def test_split_cost_by_hand() -> None:
    usage = Usage(input=52, cached_input=48, output=31, reasoning=0)
    cost = split_cost(usage, input_per_mtok=1e6, output_per_mtok=2e6, cached_per_mtok=0.5e6)
    assert cost == Cost(input=4.0, cached_input=24.0, cache_write=0.0, output=62.0, total=90.0)


def test_hardware_cost_is_rate_times_wall_time() -> None:
    assert hardware_cost(0.36, 60).total == pytest.approx(0.006)
    assert hardware_cost(0.36, 60).hardware == pytest.approx(0.006)
    assert hardware_cost(0.0, 3600).total == 0
    assert hardware_cost(1.0, -5).total == 0


def test_costs_add_part_by_part() -> None:
    total = Cost(1, 2, 3, 4, 10) + Cost(0.5, 0, 0, 1, 1.5, hardware=0.25)
    assert total == Cost(1.5, 2, 3, 5, 11.5, hardware=0.25)


@pytest.mark.parametrize(
    ("amount", "estimated", "shown"),
    [
        (None, False, "$?"),
        (0.0, False, "$0.00"),
        (0.001322, False, "$0.0013"),
        (0.01665, False, "$0.017"),
        (0.5, False, "$0.50"),
        (1.76955, False, "$1.77"),
        (0.00000040, False, "$0.00000040"),
        (0.001322, True, "~$0.0013"),
    ],
)
def test_format_usd(amount: float, estimated: bool, shown: str) -> None:
    assert format_usd(amount, estimated=estimated) == shown


def test_format_usd_marks_a_local_estimate_with_approx() -> None:
    assert format_usd(0.0004, approx=True) == "≈$0.00040"
    assert format_usd(0.0, approx=True) == "≈$0.00"


def test_hardware_rate_defaults_are_documented_and_never_zero() -> None:
    from backends.pricing import (
        CPU_USD_PER_VCPU_HOUR,
        GPU_USD_PER_HOUR,
        default_hardware_rate,
        hardware_rate,
    )

    assert default_hardware_rate(cores=4) == pytest.approx(4 * CPU_USD_PER_VCPU_HOUR)
    assert default_hardware_rate(gpu=True) == GPU_USD_PER_HOUR
    assert hardware_rate(None) > 0
    assert hardware_rate(0.0) == 0.0  # the user said so
    assert hardware_rate(2.5) == 2.5
    cpu = hardware_rate(None, threads=2, gpu_layers=0)
    assert cpu == pytest.approx(2 * CPU_USD_PER_VCPU_HOUR)
    assert hardware_rate(None, threads=2, gpu_layers=-1) == GPU_USD_PER_HOUR
