"""JSON forms of the records the history keeps: usage and meter readings.

A reading is stored whole (not just its rendered line) so the chat view and the exports can draw
a stored message's meters with the same ``format_meter_line`` as a live one. Readers tolerate
missing keys, so older rows keep loading when a field is added.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from backends.events import StopReason, Usage
from backends.meter_lines import format_meter_line
from backends.meters import MeterReading
from backends.pricing import Cost

STOP_REASONS = frozenset(reason.value for reason in StopReason)


def usage_to_dict(usage: Usage) -> dict[str, Any]:
    """Return the usage record as a plain dict."""
    return dataclasses.asdict(usage)


def usage_from_dict(data: dict[str, Any] | None) -> Usage | None:
    """Return the ``Usage`` a dict describes (``None`` for ``None``); unknown keys are ignored."""
    if not data:
        return None
    names = {f.name for f in dataclasses.fields(Usage)}
    return Usage(**{key: value for key, value in data.items() if key in names})


def reading_to_dict(reading: MeterReading) -> dict[str, Any]:
    """Return a meter reading as JSON-ready data, with its rendered ``line``."""
    return {
        "usage": usage_to_dict(reading.usage),
        "cache_hit": reading.cache_hit,
        "cost": None if reading.cost is None else dataclasses.asdict(reading.cost),
        "cost_usd": reading.cost_usd,
        "provider_cost": reading.provider_cost,
        "ttft_s": reading.ttft_s,
        "first_answer_s": reading.first_answer_s,
        "thinking_s": reading.thinking_s,
        "total_s": reading.total_s,
        "decode_tps": reading.decode_tps,
        "estimated": sorted(reading.estimated),
        "input_known": reading.input_known,
        "local": reading.local,
        "stop_reason": None if reading.stop_reason is None else reading.stop_reason.value,
        "line": format_meter_line(reading),
    }


def reading_from_dict(data: dict[str, Any] | None) -> MeterReading | None:
    """Return the stored reading (never ``live``), or ``None`` when none was stored."""
    if not data or not isinstance(data.get("usage"), dict):
        return None
    cost = data.get("cost")
    stop = data.get("stop_reason")
    return MeterReading(
        usage=usage_from_dict(data["usage"]) or Usage(),
        cache_hit=data.get("cache_hit"),
        cost=Cost(**cost) if isinstance(cost, dict) else None,
        ttft_s=data.get("ttft_s"),
        first_answer_s=data.get("first_answer_s"),
        thinking_s=data.get("thinking_s"),
        total_s=data.get("total_s"),
        decode_tps=data.get("decode_tps"),
        live=False,
        provider_cost=data.get("provider_cost"),
        estimated=frozenset(data.get("estimated") or ()),
        input_known=bool(data.get("input_known", True)),
        local=bool(data.get("local", False)),
        stop_reason=StopReason(stop) if stop in STOP_REASONS else None,
    )


def dumps(value: Any) -> str | None:
    """Compact JSON for a column, ``None`` stays SQL NULL."""
    return None if value is None else json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def loads(text: str | None) -> Any:
    """Parse a JSON column; a damaged value reads as ``None`` rather than failing the load."""
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None
