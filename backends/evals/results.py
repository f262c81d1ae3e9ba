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

from pydantic import BaseModel, ConfigDict, ValidationError

from backends.base import Backend
from backends.errors import ConfigError, PonderError
from backends.evals.checks import CheckResult, check_answer
from backends.evals.strategy import Strategy
from backends.evals.tasks import Task
from backends.events import Usage
from backends.meters import MeterReading
from backends.reply import Reply


class ResultsFileError(ConfigError):
    """A results file cannot be read or has a line that is not a result (the message names it)."""


class ResultMeters(BaseModel):
    """The meters of one reply; ``None`` = unknown (an unknown price stays unknown)."""

    cost_usd: float | None = None
    cost_estimated: bool = False
    cost_approx: bool = False  # a local hardware-time estimate (shown with ≈)
    cache_hit: float | None = None
    ttft_s: float | None = None
    first_answer_s: float | None = None
    thinking_s: float | None = None
    total_s: float | None = None
    decode_tok_s: float | None = None


class ResultError(BaseModel):
    """A ponder error as stored: its kind name, message and hint (already redacted)."""

    kind: str
    message: str
    hint: str = ""


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
    budget: int | None
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
    budget_applied: str | None = None
    correct: bool
    extracted: str | None = None
    flag: str | None = None
    votes: list[str | None] = []
    usage: Usage  # the stream model's own record, stored as its fields
    meters: ResultMeters
    error: ResultError | None = None
    finished_at: str

    @property
    def pair(self) -> tuple[str, str]:
        """The (task id, strategy key) this result answers."""
        return (self.task_id, self.strategy)

    @property
    def key(self) -> tuple[str, str, int]:
        """The (task id, strategy key, repeat) this result answers."""
        return (self.task_id, self.strategy, self.repeat)


def error_record(error: BaseException | None) -> ResultError | None:
    """A storable form of ``error`` (non-ponder exceptions keep their class name)."""
    if error is None:
        return None
    if isinstance(error, PonderError):
        return ResultError(kind=error.kind, message=error.message, hint=error.hint)
    text = PonderError(str(error)).message  # redacts any registered secret
    return ResultError(kind=type(error).__name__, message=text)


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


def combined_meters(readings: list[MeterReading]) -> ResultMeters:
    """The meters of all samples together: cost, tokens and time summed, first-token times of
    the first sample (a strategy's cost counts every sample it drew)."""
    costs = [r.cost_usd for r in readings]
    inputs = sum(r.usage.input for r in readings)
    hits = [r for r in readings if r.cache_hit is not None]
    totals = [r.total_s for r in readings]
    rates = [r.decode_tps for r in readings if r.decode_tps is not None]
    first = readings[0]
    return ResultMeters(
        cost_usd=None if any(c is None for c in costs) else sum(c or 0.0 for c in costs),
        cost_estimated=any(r.cost_estimated for r in readings),
        cost_approx=any(r.cost_approx for r in readings),
        cache_hit=(sum(r.usage.cached_input for r in hits) / inputs if hits and inputs else None),
        ttft_s=first.ttft_s,
        first_answer_s=first.first_answer_s,
        thinking_s=first.thinking_s,
        total_s=None if any(t is None for t in totals) else sum(t or 0.0 for t in totals),
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
    usage = samples[0].reading.usage
    for other in samples[1:]:
        usage = usage + other.reading.usage
    return TaskResult(
        task_id=task.id,
        task_fingerprint=task.fingerprint(),
        strategy=strategy.key,
        backend=backend.name,
        kind=backend.kind,
        model=(finished.model if finished and finished.model else backend.model),
        budget=strategy.budget,
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
        budget_applied=finished.budget_applied if finished else None,
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
