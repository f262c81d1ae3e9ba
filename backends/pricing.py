"""Prices: what one reply cost in USD, split the way providers bill it.

Prices come from the data snapshot bundled in the ``genai-prices`` wheel (pinned), never from its
network updater, with per-model overrides from the config winning. A model nobody has a price
for gives ``None`` ("price unknown"), never a misleading $0. Local runtimes have no API price:
their cost is hardware time (``hardware_cost``) at the backend's hourly price or a documented
default (``hardware_rate``), which the meters apply and show as an estimate (≈).

Usage follows the inclusive convention of providers.md §0.1, the same one genai-prices uses:
``input`` includes cache reads and writes, ``output`` includes reasoning (billed as output).
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    import genai_prices
    from genai_prices.types import TieredPrices
    from pydantic import ConfigDict

    from backends.events import Usage

MTOK = 1_000_000


@dataclass(frozen=True)
class PriceOverride:
    """A configured price for one model, in USD per million tokens.

    ``cached_input`` and ``cache_write`` default to the ``input`` price (no cache discount or
    premium) when not given. A stdlib dataclass that the config validates with pydantic (see
    ``backends.config.Settings``).
    """

    __pydantic_config__: ClassVar[ConfigDict] = {"extra": "forbid"}

    input: float
    output: float
    cached_input: float | None = None
    cache_write: float | None = None

    def __post_init__(self) -> None:
        prices: dict[str, float | None] = {"input": self.input, "output": self.output}
        prices |= {"cached_input": self.cached_input, "cache_write": self.cache_write}
        for name, value in prices.items():
            if value is not None and not value >= 0:
                raise ValueError(f"{name}: must be 0 or more (USD per million tokens)")


@dataclass(frozen=True, slots=True)
class Cost:
    """USD cost of a reply, split by what was billed.

    ``input`` is the uncached, unwritten part of the prompt; ``output`` includes reasoning.
    ``hardware`` is a local backend's hardware time. ``total`` is the provider's total, which can
    exceed the sum of the parts when a model has other priced units (per-request fees).
    """

    input: float = 0.0
    cached_input: float = 0.0
    cache_write: float = 0.0
    output: float = 0.0
    total: float = 0.0
    hardware: float = 0.0

    def __add__(self, other: Cost) -> Cost:
        return Cost(
            input=self.input + other.input,
            cached_input=self.cached_input + other.cached_input,
            cache_write=self.cache_write + other.cache_write,
            output=self.output + other.output,
            total=self.total + other.total,
            hardware=self.hardware + other.hardware,
        )


def split_cost(
    usage: Usage,
    *,
    input_per_mtok: float,
    output_per_mtok: float,
    cached_per_mtok: float | None = None,
    cache_write_per_mtok: float | None = None,
) -> Cost:
    """Return the cost of ``usage`` at flat per-million-token rates.

    Cache reads and writes are billed at their own rates (the input rate when ``None``); the
    rest of the input at the input rate; all output (reasoning included) at the output rate.
    """
    cached_rate = input_per_mtok if cached_per_mtok is None else cached_per_mtok
    write_rate = input_per_mtok if cache_write_per_mtok is None else cache_write_per_mtok
    plain_input = max(usage.input - usage.cached_input - usage.cache_write, 0)
    parts = (
        plain_input * input_per_mtok / MTOK,
        usage.cached_input * cached_rate / MTOK,
        usage.cache_write * write_rate / MTOK,
        usage.output * output_per_mtok / MTOK,
    )
    return Cost(*parts, total=sum(parts))


# ---- local hardware: wall time x an hourly price ---------------------------------------------
#
# A local model is not free: it holds the machine for the wall time of the reply. Unless a backend
# sets ``hardware_cost_per_hour`` (0 included, for "my laptop is paid for"), ponder prices that
# time at what renting the same compute costs on a public cloud, on demand:
#
# - CPU: USD 0.0408 per vCPU-hour = AWS EC2 m7g.large (2 vCPU, Linux, us-east-1, on demand)
#   at USD 0.0816/h, as listed in June 2026 (AWS EC2 On-Demand pricing page), times the cores the
#   backend uses (its ``n_threads`` option, else every core of this machine).
# - GPU: USD 1.006 per hour = AWS EC2 g5.xlarge (1x NVIDIA A10G 24 GB, 4 vCPU, Linux,
#   us-east-1, on demand), as listed in June 2026; used when layers are offloaded to a GPU.
#
# These are estimates (shown with ≈): a price the user pays for their own hardware belongs in the
# backend's ``hardware_cost_per_hour``.

CPU_USD_PER_VCPU_HOUR = 0.0408
CPU_PRICE_SOURCE = "AWS EC2 m7g.large on demand, us-east-1, USD 0.0816/h for 2 vCPU (June 2026)"
GPU_USD_PER_HOUR = 1.006
GPU_PRICE_SOURCE = "AWS EC2 g5.xlarge on demand, us-east-1, 1x A10G, USD 1.006/h (June 2026)"


def default_hardware_rate(*, gpu: bool = False, cores: int | None = None) -> float:
    """The documented default USD per hour (see above): a GPU-hour, or cores x a vCPU-hour."""
    if gpu:
        return GPU_USD_PER_HOUR
    return CPU_USD_PER_VCPU_HOUR * max(cores or os.cpu_count() or 1, 1)


def _gpu_in_use(gpu_layers: int | None) -> bool:
    if gpu_layers is not None:
        return gpu_layers != 0
    llama = sys.modules.get("llama_cpp")  # never imported here: only asked when already loaded
    try:
        return bool(llama is not None and llama.llama_supports_gpu_offload())
    except Exception:  # an old or odd build: assume the CPU
        return False


def hardware_rate(
    per_hour: float | None, *, threads: int | None = None, gpu_layers: int | None = None
) -> float:
    """The USD per hour to bill a local backend: its own setting, else the default.

    ``threads`` and ``gpu_layers`` are what the backend reports (``Backend.threads()``,
    ``Backend.gpu_layers()``): the cores it decodes with and whether layers go to a GPU;
    ``None`` when it does not set them.
    """
    if per_hour is not None:
        return per_hour
    return default_hardware_rate(gpu=_gpu_in_use(gpu_layers), cores=threads)


def hardware_cost(per_hour: float, seconds: float) -> Cost:
    """Return a local backend's cost: ``per_hour`` USD times the wall time ``seconds``."""
    amount = per_hour * max(seconds, 0.0) / 3600.0
    return Cost(total=amount, hardware=amount)


def format_usd(amount: float | None, *, estimated: bool = False, approx: bool = False) -> str:
    """Return ``amount`` for display: ``$0.00``, ``$0.0013``, ``$1.25``; ``$?`` when unknown.

    Below a dollar two significant digits are kept (so small costs never show as $0.00), with
    at least two decimals; ``estimated`` (token counts estimated) prefixes ``~``, ``approx`` (a
    local hardware-time estimate) prefixes ``≈``.
    """
    if amount is None:
        return "$?"
    mark = "≈" if approx else ("~" if estimated else "")
    if amount <= 0 or amount >= 1:
        return f"{mark}${max(amount, 0.0):.2f}"
    decimals = min(max(2, 1 - math.floor(math.log10(amount))), 10)
    return f"{mark}${amount:.{decimals}f}"


def genai_provider_id(provider: str | None) -> str | None:
    """Return the genai-prices provider id for a ponder kind (``backends.kinds``); any other
    string is passed through, so a genai-prices id ("groq", "x-ai") works too. ``None`` lets
    genai-prices guess from the model name."""
    if provider is None:
        return None
    from backends.kinds import KINDS  # the table: when a price is looked up, not at start-up

    kind = KINDS.get(provider.lower())
    return kind.price_id if kind is not None and kind.price_id else provider.lower()


def has_api_price(provider: str | None) -> bool:
    """False for kinds that run on hardware the user pays for (self-hosted servers, in-process
    models): no per-token price, whatever the model is called."""
    from backends.kinds import KINDS

    kind = KINDS.get(provider.lower()) if provider is not None else None
    return kind is None or kind.price_id is not None


class PriceBook:
    """Looks up prices: config overrides first, then genai-prices' bundled snapshot.

    ``overrides`` maps a model name (matched case-insensitively against the model passed to
    ``cost``) to its price.
    """

    def __init__(self, overrides: Mapping[str, PriceOverride] | None = None) -> None:
        self._overrides = {name.lower(): price for name, price in (overrides or {}).items()}

    def override_for(self, model: str) -> PriceOverride | None:
        """Return the configured price for ``model``, if any."""
        return self._overrides.get(model.lower())

    def cost(
        self, provider: str | None, model: str, usage: Usage, *, at: datetime | None = None
    ) -> Cost | None:
        """Return what ``usage`` cost on ``model`` at ``provider``, or ``None`` if unknown.

        ``provider`` is a ponder kind or a genai-prices provider id; ``None`` lets genai-prices
        guess from the model name. Local kinds have no API price (``None`` unless overridden;
        the meters bill their hardware time instead). ``at`` picks historic or time-of-day
        prices (default: now). Raises nothing: an unknown model or provider, or usage
        genai-prices rejects, is "price unknown".
        """
        override = self.override_for(model)
        if override is not None:
            return split_cost(
                usage,
                input_per_mtok=override.input,
                output_per_mtok=override.output,
                cached_per_mtok=override.cached_input,
                cache_write_per_mtok=override.cache_write,
            )
        if not has_api_price(provider):
            return None
        return _genai_cost(genai_provider_id(provider), model, usage, at)


def _genai_cost(
    provider_id: str | None, model: str, usage: Usage, at: datetime | None
) -> Cost | None:
    # Imported here: loading the price data takes a moment and only pricing needs it.
    import genai_prices

    counts = genai_prices.Usage(
        input_tokens=usage.input,
        cache_read_tokens=usage.cached_input,
        cache_write_tokens=usage.cache_write,
        output_tokens=usage.output,
    )
    try:
        calc = genai_prices.calc_price(
            counts, model, provider_id=provider_id, genai_request_timestamp=at
        )
    except (LookupError, ValueError):
        return None
    price = calc.model_price
    # genai-prices only splits input/output; price the cache parts on their own.
    cached = _part_price("cache_read_mtok", price.cache_read_mtok, counts)
    written = _part_price("cache_write_mtok", price.cache_write_mtok, counts)
    return Cost(
        input=float(calc.input_price - cached - written),
        cached_input=float(cached),
        cache_write=float(written),
        output=float(calc.output_price),
        total=float(calc.total_price),
    )


def _part_price(
    price_key: str, rate: Decimal | TieredPrices | None, counts: genai_prices.Usage
) -> Decimal:
    """Price of one cache unit alone; 0 when the model has no separate price for it.

    Without a separate price genai-prices bills those tokens at the input rate, so they stay in
    the input part. The input price is set to 0 here because genai-prices requires a priced
    ancestor unit; tiered rates still follow the whole prompt's size.
    """
    from genai_prices.types import ModelPrice

    if rate is None:
        return Decimal(0)
    alone = ModelPrice(input_mtok=Decimal(0), **{price_key: rate})
    return alone.calc_price(counts)["total_price"]
