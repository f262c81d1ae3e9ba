"""The JSON records that leave ponder: one pydantic model per shape, one key name per field.

``ponder ask --json``, ``ponder compare --json``, the history (its rows and ``ponder export
--format json``) and the eval results file all write a reply's token counts as a ``UsageRecord``,
its meters as a ``MeterRecord``, its budget as a ``BudgetRecord`` and its error as an
``ErrorRecord``, so a tool reading one output reads them all (the envelopes around them, one per
command, are in ``backends.outputs``). A value that is not known is ``null``, never a 0 that
would read as a measurement: an unknown prompt size is ``"input": null``, an unknown price
``"cost_usd": null``.

Older files keep loading: the history's rows and eval results written before these models used
``decode_tps``, ``cost``, ``provider_cost``, ``input_known`` and a boolean ``estimated`` (and the
eval a budget in tokens); they are accepted on read (validation aliases and before-validators)
and never written again.

Only the commands that print or store records import this module (it pulls in pydantic); the
chat's first frame never does.
"""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator

from backends.errors import PonderError
from backends.events import StopReason, Usage
from backends.meter_lines import format_meter_line
from backends.meters import USAGE_FIELDS, MeterReading
from backends.pricing import Cost

STOP_REASONS = frozenset(reason.value for reason in StopReason)


class Record(BaseModel):
    """A record: keys added by a later ponder are ignored on read, old names accepted by alias."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class UsageRecord(Record):
    """Token counts of one reply (or the sum of a strategy's samples).

    ``input`` is ``null`` when the prompt size is not known at all; ``reasoning`` is ``null``
    when nobody reported or estimated it. ``estimated`` names the counts that are local
    estimates (``input``, ``output``, ``reasoning``); empty means all are the provider's own.
    """

    input: int | None = None
    cached_input: int = 0
    cache_write: int = 0
    output: int = 0
    reasoning: int | None = None
    estimated: list[str] = []

    @model_validator(mode="before")
    @classmethod
    def _accept_old_forms(cls, data: Any) -> Any:
        """A ``Usage`` value, or an old record whose ``estimated`` was one boolean for all."""
        if isinstance(data, Usage):
            return usage_record(data).model_dump()
        if isinstance(data, dict) and isinstance(data.get("estimated"), bool):
            flagged = list(USAGE_FIELDS) if data["estimated"] else []
            return {**data, "estimated": flagged}
        return data

    @property
    def input_known(self) -> bool:
        return self.input is not None

    def to_usage(self) -> Usage:
        """The stream model's ``Usage`` (an unknown input counts as 0 there, with the flag)."""
        return Usage(
            input=self.input or 0,
            cached_input=self.cached_input,
            cache_write=self.cache_write,
            output=self.output,
            reasoning=self.reasoning,
            estimated=bool(self.estimated),
        )


class CostSplit(Record):
    """ponder's own price of a reply in USD, by what was billed (``hardware``: local time)."""

    input: float = 0.0
    cached_input: float = 0.0
    cache_write: float = 0.0
    output: float = 0.0
    hardware: float = 0.0
    total: float = 0.0

    def to_cost(self) -> Cost:
        return Cost(**self.model_dump())


class MeterRecord(Record):
    """The meters of one reply: cost, cache, latency and speed; ``null`` = unknown.

    ``cost_usd`` is the cost to show: ``provider_cost_usd`` (what the provider itself reported,
    e.g. OpenRouter) when there is one, else ``cost_split_usd.total``. ``cost_estimated``: it
    rests on estimated token counts; ``cost_approx``: it is a local backend's hardware time at an
    hourly price. Times are seconds from the request. ``line`` is the meter line as ponder
    prints it (``null`` for a combined record of several samples, which no one line describes).
    """

    cache_hit: float | None = None
    cost_usd: float | None = None
    cost_split_usd: CostSplit | None = Field(
        default=None, validation_alias=AliasChoices("cost_split_usd", "cost")
    )
    provider_cost_usd: float | None = Field(
        default=None, validation_alias=AliasChoices("provider_cost_usd", "provider_cost")
    )
    cost_estimated: bool = False
    cost_approx: bool = False
    local: bool = False
    ttft_s: float | None = None
    first_answer_s: float | None = None
    thinking_s: float | None = None
    total_s: float | None = None
    decode_tok_s: float | None = Field(
        default=None, validation_alias=AliasChoices("decode_tok_s", "decode_tps")
    )
    line: str | None = None


class ErrorRecord(Record):
    """A ponder error as written out: its kind name, message and hint (already redacted)."""

    kind: str
    message: str
    hint: str = ""


class BudgetRecord(Record):
    """A reply's thinking budget: asked for, the last value set, how it was applied.

    ``requested``/``final`` are budget text (``auto``, ``off``, ``1024``); ``precision`` and
    ``thinking`` describe the backend (how exactly it keeps a budget, its thinking label).
    Fields an output does not know are ``null``.
    """

    requested: str | None = None
    final: str | None = None
    minimum: int | None = None
    applied: str | None = None
    precision: str | None = None
    thinking: str | None = None
    reasoning_tokens_spent: int | None = None
    forced_close_tokens: int | None = None


class NoteRecord(Record):
    """A status note a reply showed (``queued``, ``loading``, ``warning`` ...)."""

    kind: str
    text: str


# ---- from the stream model and back -----------------------------------------------------------


def usage_record(
    usage: Usage, estimated: frozenset[str] | None = None, *, input_known: bool = True
) -> UsageRecord:
    """``usage`` as a record; ``estimated`` names the estimated counts (default: all of them
    when ``usage.estimated``, since a bare ``Usage`` does not say which)."""
    if estimated is None:
        estimated = frozenset(USAGE_FIELDS) if usage.estimated else frozenset()
    return UsageRecord(
        input=usage.input if input_known else None,
        cached_input=usage.cached_input,
        cache_write=usage.cache_write,
        output=usage.output,
        reasoning=usage.reasoning,
        estimated=sorted(estimated),
    )


def reading_usage(reading: MeterReading) -> UsageRecord:
    """A reading's token counts as a record (its own estimated set and unknown input)."""
    return usage_record(reading.usage, reading.estimated, input_known=reading.input_known)


def cost_split(cost: Cost | None) -> CostSplit | None:
    if cost is None:
        return None
    return CostSplit(
        input=cost.input,
        cached_input=cost.cached_input,
        cache_write=cost.cache_write,
        output=cost.output,
        hardware=cost.hardware,
        total=cost.total,
    )


def meter_record(reading: MeterReading) -> MeterRecord:
    """A reading's meters as a record, with its meter line."""
    return MeterRecord(
        cache_hit=reading.cache_hit,
        cost_usd=reading.cost_usd,
        cost_split_usd=cost_split(reading.cost),
        provider_cost_usd=reading.provider_cost,
        cost_estimated=reading.cost_estimated,
        cost_approx=reading.cost_approx,
        local=reading.local,
        ttft_s=reading.ttft_s,
        first_answer_s=reading.first_answer_s,
        thinking_s=reading.thinking_s,
        total_s=reading.total_s,
        decode_tok_s=reading.decode_tps,
        line=format_meter_line(reading),
    )


def to_reading(
    usage: UsageRecord, meters: MeterRecord, stop_reason: str | None = None
) -> MeterReading:
    """The (finished, never live) reading two stored records describe, to draw its line."""
    return MeterReading(
        usage=usage.to_usage(),
        cache_hit=meters.cache_hit,
        cost=None if meters.cost_split_usd is None else meters.cost_split_usd.to_cost(),
        ttft_s=meters.ttft_s,
        first_answer_s=meters.first_answer_s,
        thinking_s=meters.thinking_s,
        total_s=meters.total_s,
        decode_tps=meters.decode_tok_s,
        live=False,
        provider_cost=meters.provider_cost_usd,
        estimated=frozenset(usage.estimated),
        input_known=usage.input_known,
        local=meters.local,
        stop_reason=StopReason(stop_reason) if stop_reason in STOP_REASONS else None,
    )


def error_record(error: BaseException | None) -> ErrorRecord | None:
    """A writable form of ``error`` (non-ponder exceptions keep their class name)."""
    if error is None:
        return None
    if isinstance(error, PonderError):
        return ErrorRecord(kind=error.kind, message=error.message, hint=error.hint)
    text = PonderError(str(error)).message  # redacts any registered secret
    return ErrorRecord(kind=type(error).__name__, message=text)
