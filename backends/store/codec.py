"""JSON forms of the records the history keeps: usage and meter readings.

Both are stored as the shared records of ``backends.records`` (``UsageRecord`` in ``usage_json``,
``MeterRecord`` in ``meters_json``), the same keys ``ponder ask --json`` and the exports write. A
reading is stored whole (not just its rendered line) so the chat view and the exports can draw a
stored message's meters with the same ``format_meter_line`` as a live one. Readers tolerate
missing keys and rows written by an older ponder (its meters held their own usage, flags and
``decode_tps``); a damaged value reads as "not recorded" rather than failing the load.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from backends.events import Usage
from backends.meters import MeterReading
from backends.records import (
    MeterRecord,
    UsageRecord,
    meter_record,
    reading_usage,
    to_reading,
    usage_record,
)


def usage_data(usage: Usage | None, reading: MeterReading | None = None) -> dict[str, Any] | None:
    """The usage to store: the reading's (it knows which counts are estimates), else ``usage``."""
    if reading is not None:
        return reading_usage(reading).model_dump(mode="json")
    return None if usage is None else usage_record(usage).model_dump(mode="json")


def meters_data(reading: MeterReading | None) -> dict[str, Any] | None:
    """The meters to store, with the rendered ``line``."""
    return None if reading is None else meter_record(reading).model_dump(mode="json")


def usage_from_data(data: Any) -> UsageRecord | None:
    """The stored usage record (``None`` when none was stored or it is damaged)."""
    if not isinstance(data, dict) or not data:
        return None
    try:
        return UsageRecord.model_validate(data)
    except ValidationError:
        return None


def usage_from_dict(data: Any) -> Usage | None:
    """The stored ``Usage`` (``None`` for none); unknown keys are ignored."""
    record = usage_from_data(data)
    return None if record is None else record.to_usage()


def reading_from_dict(
    meters: Any, usage: Any = None, stop_reason: str | None = None
) -> MeterReading | None:
    """The stored reading (never ``live``) from the meters and usage columns; ``None`` when no
    meters were stored. A row from before the shared records kept its usage inside the meters,
    with the estimated counts and ``input_known`` beside it."""
    if not isinstance(meters, dict) or not meters:
        return None
    nested = meters.get("usage")
    if isinstance(nested, dict):
        usage = {**nested, "estimated": meters.get("estimated", nested.get("estimated", False))}
        if meters.get("input_known") is False:
            usage["input"] = None
    record = usage_from_data(usage)
    if record is None:
        return None
    try:
        return to_reading(record, MeterRecord.model_validate(meters), stop_reason)
    except ValidationError:
        return None


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
