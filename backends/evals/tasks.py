"""Task sets: JSONL files with one task per line, validated with pydantic.

A line is a JSON object::

    {"id": "add-1", "prompt": "What is 17 + 25?", "expected": "42", "check": "number",
     "system": "Answer with a number.", "tags": ["easy", "arithmetic"]}

``id``, ``prompt`` and ``expected`` are required (``expected`` may be a JSON number); ``check``
is one of exact, number, regex, contains, choice (default ``exact``; see ``backends.evals.checks``);
``system`` and ``tags`` are optional, and so are the checker's settings: ``options`` (the labels
a classification task chooses from, e.g. ``["positive", "negative"]``: the answer must name
exactly one), ``units`` (unit word -> factor to the expected's unit, e.g. ``{"dollars": 1,
"cents": 0.01}``), ``tolerance`` (absolute, for ``number``) and ``max_answer_tokens`` (the
task's answer limit after the thinking budget). Blank lines are skipped. Every problem is a
``TaskSetError`` naming the file, the line and the field; duplicate ids are refused.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from backends.errors import ConfigError
from backends.evals.checks import CheckKind, expected_problem

SAMPLE_TASKS = "sample_tasks.jsonl"


class TaskSetError(ConfigError):
    """A task set file is missing, unreadable or has a bad line (the message names it)."""


class Task(BaseModel):
    """One evaluation task (see the module docstring for the fields)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    prompt: str = Field(min_length=1)
    expected: str
    check: CheckKind = "exact"
    system: str | None = None
    tags: tuple[str, ...] = ()
    options: tuple[str, ...] = ()
    units: dict[str, float] | None = None
    tolerance: float | None = Field(default=None, ge=0)
    max_answer_tokens: int | None = Field(default=None, ge=1)
    scorer: dict[str, str | int] | None = None

    @field_validator("expected", mode="before")
    @classmethod
    def _number_as_text(cls, value: object) -> object:
        # JSON numbers are welcome as expected answers; bools are almost certainly a mistake.
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        return value

    @field_validator("id")
    @classmethod
    def _id_is_trimmed(cls, value: str) -> str:
        if value != value.strip():
            raise ValueError("id must not start or end with spaces")
        return value

    @model_validator(mode="after")
    def _expected_fits_check(self) -> Task:
        if self.check == "scorer" and not self.scorer:
            raise ValueError("check 'scorer' needs a scorer (e.g. from ponder eval import)")
        problem = expected_problem(self.check, self.expected, self.options, self.units)
        if problem:
            raise ValueError(problem)
        return self

    def fingerprint(self) -> str:
        """A short hash of what decides a result (prompt, system, expected, check and its
        options, units, tolerance, answer limit).

        A stored result whose fingerprint differs belongs to an edited task and is redone.
        """
        payload = json.dumps(
            [
                self.prompt,
                self.system,
                self.expected,
                self.check,
                list(self.options),
                self.units,
                self.tolerance,
                self.max_answer_tokens,
                self.scorer,
            ],
            sort_keys=True,
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class TaskSet:
    """A loaded task set: its tasks in file order and where it came from."""

    name: str
    source: str
    tasks: tuple[Task, ...]

    def __len__(self) -> int:
        return len(self.tasks)

    @property
    def tags(self) -> list[str]:
        """Every tag used, in order of first appearance."""
        seen: dict[str, None] = {}
        for task in self.tasks:
            for tag in task.tags:
                seen.setdefault(tag, None)
        return list(seen)

    def head(self, count: int) -> TaskSet:
        """The first ``count`` tasks (a quick subset)."""
        return TaskSet(self.name, self.source, self.tasks[:count])


def _field_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    message = str(first["msg"]).removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = (
            "unknown field (allowed: id, prompt, expected, check, system, tags, options, "
            "units, tolerance, max_answer_tokens, scorer)"
        )
    more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
    return f"{where}: {message}{more}" if where else f"{message}{more}"


def parse_line(text: str, where: str) -> Task:
    """Parse one JSONL line into a ``Task``; ``where`` (``file:line``) prefixes every error.

    Raises ``TaskSetError``.
    """
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TaskSetError(
            f"{where}: not valid JSON: {exc.msg} (column {exc.colno})",
            "each line must be one JSON object",
        ) from None
    if not isinstance(raw, dict):
        raise TaskSetError(f"{where}: expected a JSON object", "each line must be one JSON object")
    try:
        return Task.model_validate(raw)
    except ValidationError as exc:
        raise TaskSetError(f"{where}: {_field_error(exc)}", "fix the field named") from None


def parse_tasks(lines: Iterable[str], source: str) -> list[Task]:
    """Parse JSONL ``lines`` (blank ones skipped); errors name ``source:LINE``.

    Raises ``TaskSetError`` for the first bad line, a duplicate id or an empty set.
    """
    tasks: list[Task] = []
    first_line: dict[str, int] = {}
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        task = parse_line(text, f"{source}:{number}")
        if task.id in first_line:
            raise TaskSetError(
                f"{source}:{number}: id: duplicate id {task.id!r} (first on line "
                f"{first_line[task.id]})",
                "give every task its own id",
            )
        first_line[task.id] = number
        tasks.append(task)
    if not tasks:
        raise TaskSetError(f"{source}: no tasks", "add one JSON object per line")
    return tasks


def load_tasks(path: Path | str) -> TaskSet:
    """Read and validate a task set file. Raises ``TaskSetError`` (unreadable, bad line)."""
    path = Path(path).expanduser()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TaskSetError(
            f"{path}: cannot be read: {exc}", "check the path and that it is UTF-8 JSONL"
        ) from None
    tasks = parse_tasks(text.splitlines(), str(path))
    return TaskSet(name=path.stem, source=str(path), tasks=tuple(tasks))


def sample_tasks_path() -> Path:
    """The sample task set shipped with ponder (package data): the three sets together."""
    return Path(str(resources.files("backends.evals") / "data" / SAMPLE_TASKS))


SHIPPED_SETS = {
    "sample": SAMPLE_TASKS,
    "easy": "easy_classification.jsonl",
    "medium": "medium_extraction.jsonl",
    "hard": "hard_logic.jsonl",
}


def shipped_path(name: str) -> Path | None:
    """The file of a shipped set (``sample``, ``easy``, ``medium``, ``hard``), else ``None``."""
    file = SHIPPED_SETS.get(name)
    return None if file is None else Path(str(resources.files("backends.evals") / "data" / file))


def load_task_set_named(name: str, limit: int | None = None) -> TaskSet:
    """A shipped set by name, or a task set file; its first ``limit`` tasks when given.
    Raises ``TaskSetError``."""
    tasks = load_tasks(shipped_path(name) or Path(name))
    return tasks.head(limit) if limit else tasks


def tasks_from(tasks: TaskSet | Sequence[Task]) -> tuple[Task, ...]:
    """The tasks of a ``TaskSet`` or a plain sequence."""
    return tasks.tasks if isinstance(tasks, TaskSet) else tuple(tasks)
