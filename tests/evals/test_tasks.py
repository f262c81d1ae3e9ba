"""Task set loading: validation errors name the file, the line and the field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backends.errors import ConfigError
from backends.evals.checks import check_answer
from backends.evals.tasks import Task, TaskSetError, load_tasks, sample_tasks_path

GOOD = {"id": "t1", "prompt": "What is 2 + 2?", "expected": 4, "check": "number"}


def write(tmp_path: Path, *lines: object) -> Path:
    path = tmp_path / "tasks.jsonl"
    text = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def error_of(path: Path) -> str:
    with pytest.raises(TaskSetError) as info:
        load_tasks(path)
    assert isinstance(info.value, ConfigError)  # the CLI exits 2 with the message
    return str(info.value)


def test_loads_fields_and_defaults(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        GOOD,
        "",  # blank lines are skipped
        {
            "id": "t2",
            "prompt": "Capital of France?",
            "expected": "Paris",
            "system": "Be brief.",
            "tags": ["easy", "geo"],
        },
    )
    tasks = load_tasks(path)
    assert [task.id for task in tasks.tasks] == ["t1", "t2"]
    assert tasks.tasks[0].expected == "4" and tasks.tasks[0].check == "number"
    assert tasks.tasks[1].check == "exact" and tasks.tasks[1].system == "Be brief."
    assert tasks.tags == ["easy", "geo"]
    assert tasks.name == "tasks" and tasks.head(1).tasks == tasks.tasks[:1]


def bad_task(**fields: object) -> dict[str, object]:
    return {"id": "x", "prompt": "p", "expected": "1", **fields}


@pytest.mark.parametrize(
    ("bad", "expected_text"),
    [
        ({"id": "x", "prompt": "p"}, ":3: expected: Field required"),
        (bad_task(check="fuzzy"), ":3: check: Input should be"),
        (bad_task(prompt=""), ":3: prompt: String should have at least 1"),
        (bad_task(colour="red"), ":3: colour: unknown field"),
        (bad_task(expected="many", check="number"), ":3: expected must contain one number"),
        (
            bad_task(expected="maybe", check="contains", options=["yes", "no"]),
            ":3: expected 'maybe' is not one of the options",
        ),
        (bad_task(tolerance=-1), ":3: tolerance: Input should be greater"),
        (bad_task(expected="Z", check="choice"), ":3: expected must be one"),
        (bad_task(expected="(", check="regex"), ":3: expected is not a valid"),
        (bad_task(tags="easy"), ":3: tags: Input should be"),
        (bad_task(id=" x"), ":3: id: id must not start or end"),
        (bad_task(expected=True), ":3: expected: Input should be a valid string"),
        ("[1, 2]", ":3: expected a JSON object"),
        ('{"id": "x", "prompt": ', ":3: not valid JSON"),
    ],
)
def test_errors_name_line_and_field(tmp_path: Path, bad: object, expected_text: str) -> None:
    path = write(tmp_path, GOOD, {**GOOD, "id": "t2"}, bad)
    message = error_of(path)
    assert message.startswith(str(path))
    assert expected_text in message


def test_duplicate_id_names_both_lines(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD, {**GOOD, "id": "t2"}, "", GOOD)
    message = error_of(path)
    assert f"{path}:4: id: duplicate id 't1' (first on line 1)" in message


def test_empty_and_missing_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n", encoding="utf-8")
    assert "no tasks" in error_of(empty)
    assert "cannot be read" in error_of(tmp_path / "missing.jsonl")


def test_fingerprint_follows_what_decides_a_result() -> None:
    base = Task.model_validate(GOOD)
    assert base.fingerprint() == Task.model_validate(dict(GOOD)).fingerprint()
    assert base.fingerprint() != Task.model_validate({**GOOD, "prompt": "2+2?"}).fingerprint()
    assert base.fingerprint() != Task.model_validate({**GOOD, "expected": 5}).fingerprint()
    assert base.fingerprint() == Task.model_validate({**GOOD, "tags": ["x"]}).fingerprint()


def test_sample_set_is_the_three_shipped_sets() -> None:
    """The shipped sample: easy classification, medium extraction, hard multi-step logic
    (each set's answers are checked in test_checks)."""
    tasks = load_tasks(sample_tasks_path())
    assert len(tasks) >= 60
    assert {"easy", "medium", "hard"} <= set(tasks.tags)
    assert {"classification", "extraction", "logic"} <= set(tasks.tags)
    assert {task.check for task in tasks.tasks} == {"number", "regex", "contains", "choice"}
    assert check_answer("number", "42", "Answer: 42").correct
