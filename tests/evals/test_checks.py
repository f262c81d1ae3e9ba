"""The answer checkers on a table of tricky replies: only the final answer counts, echoes lose.

The first rows are the replies quoted in issue 12 that the old grep-style checkers got wrong.
"""

from __future__ import annotations

import pytest

from backends.evals.answers import final_answer, prompt_options, task_prompt
from backends.evals.checks import check_answer, expected_problem, normalise

PRIME = "Which of these numbers is prime? A) 21 B) 27 C) 29 D) 33 E) 35. Answer with the letter."
REVIEW = "Is the sentiment of this review positive or negative? Review: 'The soup was cold.'"
BALL = "A bat and a ball cost $1.10 in total. The bat costs $1.00 more. What does the ball cost?"
MONEY = {"dollars": 1.0, "dollar": 1.0, "$": 1.0, "cents": 0.01, "cent": 0.01, "¢": 0.01}
SENTIMENT = ("positive", "negative")

# kind, expected, reply, extra task fields, correct, flag
CASES: list[tuple[str, str, str, dict[str, object], bool, str | None]] = [
    # --- the quotes ---
    (
        "contains",
        "positive",
        "Is it positive or negative? I cannot tell.",
        {"prompt": REVIEW, "options": SENTIMENT},
        False,
        "echo",
    ),
    (
        "contains",
        "positive",
        "Is it positive or negative? I cannot tell.",
        {"prompt": REVIEW},
        False,
        "no-answer",
    ),
    (
        "choice",
        "E",
        "Which of these numbers is prime? A) 21 B) 27 C) 29 D) 33 E) 35",
        {"prompt": PRIME},
        False,
        "echo",
    ),
    ("choice", "C", "A) 21 B) 27 C) 29 D) 33 E) 35", {"prompt": PRIME}, False, "echo"),
    ("number", "42", "The answer is 42, not 41.", {}, True, None),
    ("number", "41", "The answer is 42, not 41.", {}, False, None),
    ("number", "0.05", "The ball costs 5 cents.", {"prompt": BALL, "units": MONEY}, True, None),
    ("number", "0.05", "Answer: 5 cents", {"units": MONEY}, True, None),
    ("number", "0.05", "Answer: $0.05", {"units": MONEY}, True, None),
    ("number", "0.05", "Answer: 5¢", {"units": MONEY}, True, None),
    ("number", "0.05", "Answer: 0.10 dollars", {"units": MONEY}, False, None),
    ("number", "0.05", "The ball costs 5 cents.", {"prompt": BALL}, False, None),  # no units
    # --- the final answer line wins over everything before it ---
    ("number", "12", "15% of 80: 0.15 * 80 = 12.0 so...\nAnswer: 12", {}, True, None),
    ("number", "12", "I think 12.\nAnswer: 13", {}, False, None),
    ("number", "42", "**Answer:** 42", {}, True, None),
    ("number", "42", "Final answer:\n42", {}, True, None),
    ("number", "42", "Answer: 17 + 25 = 42", {}, True, None),
    ("number", "42", "Answer: 41 or 42", {}, False, "ambiguous"),
    ("number", "-8", "Answer: −8", {}, True, None),
    ("number", "10000", "Answer: 10,000", {}, True, None),
    ("number", "3", "Answer: three socks", {}, True, None),
    ("number", "72", "Answer: 72 km/h", {}, True, None),
    ("number", "2.5", "Answer: 2.49", {"tolerance": 0.01}, True, None),
    ("number", "2.5", "Answer: 2.4", {"tolerance": 0.01}, False, None),
    # strict fallbacks: a long reply without an answer line or statement has no answer
    ("number", "42", "42", {}, True, None),
    (
        "number",
        "42",
        "Let me think. 17 plus 25 makes 42 and then we add 1 to get 43 here.",
        {},
        False,
        "no-answer",
    ),
    ("number", "9", "We need 50 apples and 8 bags hold 48, so the answer is 9.", {}, True, None),
    # --- choice: exactly one option ---
    ("choice", "C", "Answer: C", {"prompt": PRIME}, True, None),
    ("choice", "C", "Answer: (C) 29", {"prompt": PRIME}, True, None),
    ("choice", "C", "Answer: 29", {"prompt": PRIME}, True, None),
    ("choice", "C", "c", {"prompt": PRIME}, True, None),
    ("choice", "C", "Answer: B or C", {"prompt": PRIME}, False, "ambiguous"),
    (
        "choice",
        "C",
        "A prime has no divisors. 21=3*7, 27=3^3, 29 is prime.\nAnswer: C",
        {"prompt": PRIME},
        True,
        None,
    ),
    ("choice", "C", "Answer: A) 21 B) 27 C) 29 D) 33 E) 35", {"prompt": PRIME}, False, "echo"),
    (
        "choice",
        "C",
        "A cat walked by and I lost count of everything in the list.",
        {"prompt": PRIME},
        False,
        "no-answer",
    ),
    # --- contains / exact with options: word boundaries, exactly one label ---
    ("contains", "positive", "Answer: positive", {"options": SENTIMENT}, True, None),
    ("contains", "positive", "Answer: negative", {"options": SENTIMENT}, False, None),
    ("contains", "positive", "Answer: positive or negative", {"options": SENTIMENT}, False, "echo"),
    ("contains", "positive", "Answer: non-positive", {}, False, None),
    ("contains", "positive", "Answer: positively", {}, False, None),
    ("contains", "2024-04-14", "Answer: due on 2024-04-14", {}, True, None),
    ("exact", "Saturday", "Answer: **Saturday**.", {}, True, None),
    ("exact", "Saturday", "Answer: Saturday or Sunday", {}, False, None),
    ("exact", "yes", "Yes.", {"options": ("yes", "no")}, True, None),
    # --- regex on word boundaries of the final answer ---
    ("regex", "priya", "Answer: Priya", {}, True, None),
    ("regex", "priya", "Answer: Priyanka", {}, False, None),
    ("regex", r"help@ponder\.example", "Answer: help@ponder.example", {}, True, None),
    # --- a reply that repeats the prompt is an echo ---
    (
        "number",
        "12",
        "What is 15% of 80? Reply with just the number, please do it now",
        {"prompt": "What is 15% of 80? Reply with just the number, please do it now."},
        False,
        "echo",
    ),
    # a prompt of a few words may be restated by an honest answer
    ("number", "4", "Answer: 2 + 2 = 4", {"prompt": "2 + 2?"}, True, None),
]


@pytest.mark.parametrize(("kind", "expected", "reply", "extra", "correct", "flag"), CASES)
def test_checker_table(
    kind: str,
    expected: str,
    reply: str,
    extra: dict[str, object],
    correct: bool,
    flag: str | None,
) -> None:
    verdict = check_answer(kind, expected, reply, **extra)  # type: ignore[arg-type]
    assert (verdict.correct, verdict.flag) == (correct, flag), verdict


def test_final_answer_rules() -> None:
    assert final_answer("blah\nAnswer: 7\nAnswer: 8").text == "8"
    assert final_answer("blah\nAnswer: 7").how == "line"
    assert final_answer("Oslo.").how == "short"
    assert final_answer("Is it Oslo?").text is None
    assert final_answer("Long text without an answer anywhere in it at all.").text is None
    assert final_answer("So the answer is 9.75. Done.").text == "9.75"


def test_prompt_options_and_instruction() -> None:
    assert prompt_options(PRIME) == {"A": "21", "B": "27", "C": "29", "D": "33", "E": "35"}
    assert prompt_options("I. am not an option list") == {}
    assert task_prompt("What is 2+2?", "number").endswith(
        '"Answer: X", where X is the number alone, with its unit if it has one.'
    )


def test_normalise() -> None:
    assert normalise("Answer: **Cal**.") == "cal"
    assert normalise("ＰＡＲＩＳ") == "paris"


def test_expected_problems() -> None:
    assert expected_problem("number", "no digits")
    assert expected_problem("number", "41 or 42")
    assert expected_problem("choice", "F")
    assert expected_problem("regex", "(")
    assert expected_problem("contains", "maybe", ("yes", "no"))
    assert expected_problem("contains", "yes", ("yes", "no")) is None


REGEX_EXAMPLES = {"ex-email": "j.weber@example.org"}


def test_every_shipped_task_accepts_its_own_answer_and_rejects_an_echo() -> None:
    """The shipped sets: 20+ tasks each, every expected answer readable by its own checker,
    and a reply that repeats the prompt is never counted right."""
    from backends.evals.results import check_reply
    from backends.evals.tasks import load_task_set_named

    sets = {name: load_task_set_named(name) for name in ("easy", "medium", "hard")}
    assert all(len(tasks) >= 20 for tasks in sets.values())
    union = load_task_set_named("sample")
    assert [t.id for t in union.tasks] == [t.id for s in sets.values() for t in s.tasks]
    for tasks in sets.values():
        for task in tasks.tasks:
            answer = REGEX_EXAMPLES.get(task.id, task.expected)
            verdict = check_reply(task, f"Let me work it out.\nAnswer: {answer}")
            assert verdict.correct, (task.id, verdict)
            assert not check_reply(task, task.prompt).correct, task.id
