"""Stored results of an evaluation run: one JSON object per line, appended as replies finish.

Each line is a ``TaskResult``: the task, the strategy (backend x budget x samples), the repeat
and its seed, the configuration key it was made under, the reply's text and thinking, usage,
meters, correctness (with the checker's flag, and each sample's answer when the strategy votes)
and any error. Lines are appended with flush + fsync, so a
run killed at any moment leaves every finished result on disk; at worst the last line is torn,
and ``ResultsFile.load`` drops that unfinished line. When a (task, strategy, repeat) appears
more than once (an errored or outdated result redone), the last line wins.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from backends.base import Backend
from backends.budget import Budget
from backends.errors import ConfigError
from backends.evals.checks import CheckResult, check_answer
from backends.evals.strategy import Strategy
from backends.evals.tasks import Task
from backends.meters import MeterReading
from backends.records import (
    BudgetRecord,
    CostSplit,
    ErrorRecord,
    MeterRecord,
    UsageRecord,
    cost_split,
    error_record,
    meter_record,
    usage_record,
)
from backends.reply import Reply


class ResultsFileError(ConfigError):
    """A results file cannot be read or has a line that is not a result (the message names it)."""


class RequestSettings(BaseModel):
    """The request settings a result was produced with; a rerun with others redoes the pair."""

    model_config = ConfigDict(frozen=True)

    max_tokens: int | None = None
    temperature: float | None = None
    seed: int | None = None


class TaskResult(BaseModel):
    """One task run through one strategy. ``correct`` is false whenever ``error`` is set."""

    model_config = ConfigDict(extra="ignore")

    task_id: str
    task_fingerprint: str
    strategy: str
    backend: str
    kind: str
    model: str
    budget: BudgetRecord  # the strategy's budget as text (off, 64, auto), how it was applied
    samples: int = 1
    repeat: int = 0
    seed: int | None = None
    config_key: str = ""
    settings: RequestSettings = RequestSettings()
    tags: list[str] = []
    check: str
    expected: str
    text: str
    thinking: str
    stop_reason: str
    correct: bool
    extracted: str | None = None
    flag: str | None = None
    votes: list[str | None] = []
    usage: UsageRecord  # the records every JSON output shares (``backends.records``)
    meters: MeterRecord
    error: ErrorRecord | None = None
    finished_at: str

    @model_validator(mode="before")
    @classmethod
    def _accept_old_budget(cls, data: Any) -> Any:
        """A line written before the shared records held ``budget`` as tokens (``null`` = auto)
        and ``budget_applied`` beside it."""
        if isinstance(data, dict) and not isinstance(data.get("budget"), (dict, BudgetRecord)):
            budget = data.get("budget")
            requested = Budget(budget).describe() if isinstance(budget, int) else "auto"
            applied = data.get("budget_applied")
            data = {**data, "budget": {"requested": requested, "applied": applied}}
        return data

    @property
    def pair(self) -> tuple[str, str]:
        """The (task id, strategy key) this result answers."""
        return (self.task_id, self.strategy)

    @property
    def key(self) -> tuple[str, str, int]:
        """The (task id, strategy key, repeat) this result answers."""
        return (self.task_id, self.strategy, self.repeat)


def check_reply(task: Task, text: str) -> CheckResult:
    """Check a reply's text against ``task`` with the task's own checker settings."""
    if task.check == "scorer" and task.scorer:
        from backends.evals.scorer import score_reply

        return score_reply(task.scorer, task.prompt, text)
    return check_answer(
        task.check,
        task.expected,
        text,
        prompt=task.prompt,
        options=task.options,
        units=task.units,
        tolerance=task.tolerance,
    )


@dataclass(frozen=True, slots=True)
class Sample:
    """One reply of a strategy to a task: the reply, its meters, any error, its verdict."""

    reply: Reply
    reading: MeterReading
    error: BaseException | None
    verdict: CheckResult


def majority(samples: list[Sample]) -> int:
    """The index of the sample whose answer most samples agree on (self-consistency).

    Only clean answers vote (an echo, an ambiguous or a missing answer does not); a tie goes to
    the answer given first. With no clean answer the first sample stands.
    """
    counts: dict[str, int] = {}
    first: dict[str, int] = {}
    for index, sample in enumerate(samples):
        answer = sample.verdict.extracted
        if answer is None or sample.verdict.flag is not None or sample.error is not None:
            continue
        counts[answer] = counts.get(answer, 0) + 1
        first.setdefault(answer, index)
    if not counts:
        return 0
    best = max(counts, key=lambda answer: (counts[answer], -first[answer]))
    return first[best]


def combined_usage(readings: list[MeterReading]) -> UsageRecord:
    """The token counts of all samples together; the input is unknown if any sample's was."""
    usage = readings[0].usage
    for other in readings[1:]:
        usage = usage + other.usage
    estimated = frozenset().union(*(r.estimated for r in readings))
    return usage_record(usage, estimated, input_known=all(r.input_known for r in readings))


def known_total(values: list[float | None]) -> float | None:
    """The sum, or ``None`` when any value is unknown (an unknown part makes the total unknown)."""
    return None if any(v is None for v in values) else sum(v or 0.0 for v in values)


def combined_meters(readings: list[MeterReading]) -> MeterRecord:
    """The meters of all samples together: cost, tokens and time summed, first-token times of
    the first sample (a strategy's cost counts every sample it drew). One sample's meters are
    its own record, meter line included."""
    if len(readings) == 1:
        return meter_record(readings[0])
    inputs = sum(r.usage.input for r in readings)
    hits = [r for r in readings if r.cache_hit is not None]
    rates = [r.decode_tps for r in readings if r.decode_tps is not None]
    splits = [cost_split(r.cost) for r in readings]
    first = readings[0]
    return MeterRecord(
        cost_usd=known_total([r.cost_usd for r in readings]),
        cost_split_usd=None
        if any(s is None for s in splits)
        else CostSplit.model_validate(
            {k: sum(getattr(s, k) for s in splits) for k in CostSplit.model_fields}
        ),
        provider_cost_usd=known_total([r.provider_cost for r in readings]),
        cost_estimated=any(r.cost_estimated for r in readings),
        cost_approx=any(r.cost_approx for r in readings),
        local=first.local,
        cache_hit=(sum(r.usage.cached_input for r in hits) / inputs if hits and inputs else None),
        ttft_s=first.ttft_s,
        first_answer_s=first.first_answer_s,
        thinking_s=first.thinking_s,
        total_s=known_total([r.total_s for r in readings]),
        decode_tok_s=sum(rates) / len(rates) if rates else None,
    )


def make_result(
    task: Task,
    strategy: Strategy,
    backend: Backend,
    samples: list[Sample],
    settings: RequestSettings | None = None,
    *,
    repeat: int = 0,
    seed: int | None = None,
    config_key: str = "",
) -> TaskResult:
    """Build the stored result of one (task, strategy, repeat) from its samples (one unless the
    strategy votes), the majority sample's answer deciding."""
    chosen = samples[majority(samples)]
    reply, verdict = chosen.reply, chosen.verdict
    finished = reply.finished
    errors = [s.error or (s.reply.finished.error if s.reply.finished else None) for s in samples]
    error = next((e for e in errors if e is not None), None)
    usage = combined_usage([s.reading for s in samples])
    return TaskResult(
        task_id=task.id,
        task_fingerprint=task.fingerprint(),
        strategy=strategy.key,
        backend=backend.name,
        kind=backend.kind,
        model=(finished.model if finished and finished.model else backend.model),
        budget=BudgetRecord(
            requested=Budget(strategy.budget).describe(),
            applied=finished.budget_applied if finished else None,
            reasoning_tokens_spent=usage.reasoning,
            forced_close_tokens=finished.forced_close_tokens if finished else None,
        ),
        samples=strategy.samples,
        repeat=repeat,
        seed=seed,
        config_key=config_key,
        settings=settings or RequestSettings(),
        tags=list(task.tags),
        check=task.check,
        expected=task.expected,
        text=reply.text,
        thinking=reply.thinking,
        stop_reason=reply.stop_reason.value,
        correct=verdict.correct and error is None,
        extracted=verdict.extracted,
        flag=verdict.flag,
        votes=[s.verdict.extracted for s in samples] if len(samples) > 1 else [],
        usage=usage,
        meters=combined_meters([s.reading for s in samples]),
        error=error_record(error),
        finished_at=datetime.now(UTC).isoformat(timespec="milliseconds"),
    )


class ResultsFile:
    """An append-only JSONL file of ``TaskResult`` lines."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path).expanduser()

    def load(self, *, repair: bool = False) -> list[TaskResult]:
        """Every complete result in the file, in order (none when it does not exist).

        A last line without its newline was cut off mid-write and is ignored; with ``repair``
        it is also truncated away so that appending can continue. Raises ``ResultsFileError``
        for an unreadable file or a complete line that is not a result.
        """
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise ResultsFileError(
                f"{self.path}: cannot be read: {exc}", "check the path"
            ) from None
        complete = data[: data.rfind(b"\n") + 1]
        if repair and len(complete) != len(data):
            with self.path.open("r+b") as handle:
                handle.truncate(len(complete))
        return [
            self._parse(line, number)
            for number, line in enumerate(complete.splitlines(), start=1)
            if line.strip()
        ]

    def _parse(self, line: bytes, number: int) -> TaskResult:
        try:
            return TaskResult.model_validate_json(line)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "line"
            raise ResultsFileError(
                f"{self.path}:{number}: not an eval result ({where}: {first['msg']})",
                "pass a different --results file, or remove that line",
            ) from None

    def append(self, result: TaskResult) -> None:
        """Append one result and force it to disk (flush + fsync) before returning."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = result.model_dump_json() + "\n"
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())


def latest_by_key(results: list[TaskResult]) -> dict[tuple[str, str, int], TaskResult]:
    """The last result stored for each (task id, strategy key, repeat)."""
    latest: dict[tuple[str, str, int], TaskResult] = {}
    for result in results:
        latest[result.key] = result
    return latest


def latest_by_pair(results: list[TaskResult]) -> dict[tuple[str, str], TaskResult]:
    """The last result stored for each (task id, strategy key) pair, any repeat."""
    latest: dict[tuple[str, str], TaskResult] = {}
    for result in results:
        latest[result.pair] = result
    return latest
