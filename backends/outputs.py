"""The envelopes of ponder's JSON outputs, one model per command, around the shared records.

``AskResult`` is ``ponder ask --json``; ``CompareResult`` (columns and summary) is ``ponder
compare --json``; ``ExportedChat`` is ``ponder export --format json`` and ``ChatRecord`` /
``SearchHitRecord`` are ``ponder history --json``. The eval results file's ``TaskResult`` lives
with the eval (``backends.evals.results``). Every usage, meters, budget and error inside them is
the record of ``backends.records``, so the same field has the same key in every output.
"""

from __future__ import annotations

from typing import Any

from backends.records import (
    BudgetRecord,
    ErrorRecord,
    MeterRecord,
    NoteRecord,
    Record,
    UsageRecord,
)


class AskResult(Record):
    """``ponder ask --json``: one reply."""

    backend: str
    kind: str
    model: str
    text: str
    thinking: str
    stop_reason: str
    error: ErrorRecord | None
    usage: UsageRecord
    meters: MeterRecord
    budget: BudgetRecord
    skipped_events: int = 0


class CompareColumnRecord(Record):
    """One column of ``ponder compare --json``: the fields of an ask result, plus its place."""

    index: int
    label: str
    backend: str
    kind: str
    model: str
    text: str
    thinking: str
    stop_reason: str
    error: ErrorRecord | None
    usage: UsageRecord
    meters: MeterRecord
    budget: BudgetRecord
    queued_s: float = 0.0
    notes: list[NoteRecord]


class BestRecord(Record):
    """A winning column of one metric and its value (USD, seconds or tokens)."""

    index: int
    label: str
    value: float


class StandingRecord(BestRecord):
    """Another column of that metric: ``times`` the winner's value (``null`` when the winner's
    is 0) and the absolute ``difference``."""

    times: float | None
    difference: float


class WinnerRecord(Record):
    """One metric's winners (several when tied), the others, and the columns nobody knows."""

    best: list[BestRecord]
    others: list[StandingRecord]
    unknown: list[str]


class AgreementGroupRecord(Record):
    """Columns whose short answers are equal after normalising."""

    answer: str
    labels: list[str]
    indexes: list[int]


class AgreementRecord(Record):
    """Which columns agreed (largest group first); ``not_compared``: answers too long/empty."""

    all_agree: bool
    groups: list[AgreementGroupRecord]
    not_compared: list[str]


class SummaryRecord(Record):
    """A compare round's summary (``backends.compare.summary``): ``null`` where no column has a
    value; ``lines`` as the text report prints them."""

    cheapest: WinnerRecord | None
    fastest_ttft: WinnerRecord | None
    fastest_total: WinnerRecord | None
    fewest_reasoning: WinnerRecord | None
    most_reasoning: WinnerRecord | None
    unpriced: list[str]
    excluded: list[str]
    agreement: AgreementRecord | None
    lines: list[str]


class CompareResult(Record):
    """``ponder compare --json``: the prompt, the round's wall time, the columns, the summary."""

    prompt: str
    wall_s: float
    columns: list[CompareColumnRecord]
    summary: SummaryRecord


class CompareRef(Record):
    """Where a reply sat in a compare round."""

    round: int
    position: int
    chosen: bool


class MessageRecord(Record):
    """One message of an exported chat: every stored field. ``error`` is the stored text; the
    reasoning tokens spent are ``budget.reasoning_tokens_spent`` (marked estimated in
    ``usage.estimated``), as in ``ponder ask --json``; ``cost_usd`` is the stored cost, kept
    when no meters were recorded."""

    id: int
    role: str
    status: str
    text: str
    thinking: str
    backend: str | None
    kind: str | None
    model: str | None
    budget: BudgetRecord
    usage: UsageRecord | None
    meters: MeterRecord | None
    cost_usd: float | None
    stop_reason: str | None
    error: str | None
    continuation: dict[str, Any] | None
    compare: CompareRef | None
    created: str
    updated: str


class ChatRecord(Record):
    """A chat's row in an export and in ``ponder history --json`` (times as Unix seconds and as
    local ISO 8601)."""

    id: int
    title: str
    kind: str
    created_at: float
    updated_at: float
    backend: str | None
    model: str | None
    message_count: int
    created: str
    updated: str


class SearchHitRecord(Record):
    """One ``ponder history --search --json`` hit: where it is and the matching snippet.
    ``spans`` are ``[start, end]`` character offsets of the matches in ``snippet``."""

    chat_id: int
    chat_title: str
    message_id: int
    role: str
    field: str
    snippet: str
    spans: list[list[int]]
    created_at: float
    created: str


class ExportedChat(Record):
    """``ponder export --format json``: ``format: ponder-chat``, its version, chat, messages."""

    format: str
    version: int
    chat: ChatRecord
    messages: list[MessageRecord]
