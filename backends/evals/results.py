"""Stored results of an evaluation run: one JSON object per line, appended as replies finish.

Each line is a ``TaskResult``: the task, the strategy (backend x budget), the reply's text and
thinking, usage, meters, correctness and any error. Lines are appended with flush + fsync, so a
run killed at any moment leaves every finished result on disk; at worst the last line is torn,
and ``ResultsFile.load`` drops that unfinished line. When a (task, strategy) pair appears more
than once (an errored result redone), the last line wins.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from backends.base import Backend
from backends.errors import ConfigError, PonderError
from backends.evals.checks import check_answer
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
    usage: Usage  # the stream model's own record, stored as its fields
    meters: ResultMeters
    error: ResultError | None = None
    finished_at: str

    @property
    def pair(self) -> tuple[str, str]:
        """The (task id, strategy key) this result answers."""
        return (self.task_id, self.strategy)


def error_record(error: BaseException | None) -> ResultError | None:
    """A storable form of ``error`` (non-ponder exceptions keep their class name)."""
    if error is None:
        return None
    if isinstance(error, PonderError):
        return ResultError(kind=error.kind, message=error.message, hint=error.hint)
    text = PonderError(str(error)).message  # redacts any registered secret
    return ResultError(kind=type(error).__name__, message=text)


def make_result(
    task: Task,
    strategy_key: str,
    budget: int | None,
    backend: Backend,
    reply: Reply,
    reading: MeterReading,
    error: BaseException | None,
    settings: RequestSettings | None = None,
) -> TaskResult:
    """Build the stored result of one reply, checking its answer against the task."""
    finished = reply.finished
    error = error if error is not None else (finished.error if finished else None)
    verdict = check_answer(task.check, task.expected, reply.text)
    usage = reading.usage
    return TaskResult(
        task_id=task.id,
        task_fingerprint=task.fingerprint(),
        strategy=strategy_key,
        backend=backend.name,
        kind=backend.kind,
        model=(finished.model if finished and finished.model else backend.model),
        budget=budget,
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
        usage=usage,
        meters=ResultMeters(
            cost_usd=reading.cost_usd,
            cost_estimated=reading.cost_estimated,
            cache_hit=reading.cache_hit,
            ttft_s=reading.ttft_s,
            first_answer_s=reading.first_answer_s,
            thinking_s=reading.thinking_s,
            total_s=reading.total_s,
            decode_tok_s=reading.decode_tps,
        ),
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


def latest_by_pair(results: list[TaskResult]) -> dict[tuple[str, str], TaskResult]:
    """The last result stored for each (task id, strategy key) pair."""
    latest: dict[tuple[str, str], TaskResult] = {}
    for result in results:
        latest[result.pair] = result
    return latest
