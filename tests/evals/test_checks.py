"""The answer checkers: normalisation, number and choice extraction, each check kind."""

from __future__ import annotations

import pytest

from backends.evals.checks import (
    check_answer,
    expected_problem,
    extract_choice,
    extract_number,
    normalise,
)


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("  Paris. ", "paris"),
        ("**Cal**", "cal"),
        ('"Saturday"!', "saturday"),
        ("Answer: Yes.", "yes"),
        ("Final answer = Oslo", "oslo"),
        ("New   York\n", "new york"),
        ("(C).", "c"),
        ("ＰＡＲＩＳ", "paris"),  # full-width letters fold under NFKC
    ],
)
def test_normalise(text: str, normal: str) -> None:
    assert normalise(text) == normal


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("42", 42.0),
        ("The answer is 42.", 42.0),
        ("17 + 25 = 42", 42.0),
        ("It costs $1,250.50 in total", 1250.5),
        ("10,000", 10000.0),
        ("about 72 km/h", 72.0),
        ("40%", 40.0),
        ("7 - 15 = -8", -8.0),
        ("7 − 15 = −8", -8.0),  # Unicode minus
        ("due 2024-04-14", 14.0),  # a date's dash is not a minus sign
        ("3-4 items", 4.0),
        ("1, 2, 3", 3.0),
        ("1e3", 1000.0),
        ("0.5", 0.5),
        ("the 2nd of 9 bags", 9.0),
    ],
)
def test_extract_number_takes_the_last_one(text: str, number: float) -> None:
    assert extract_number(text) == number


@pytest.mark.parametrize("text", ["", "no digits here", "v.", "nine"])
def test_extract_number_none(text: str) -> None:
    assert extract_number(text) is None


@pytest.mark.parametrize(
    ("text", "letter"),
    [
        ("C", "C"),
        ("c", "C"),
        ("(B).", "B"),
        ("The answer is (C) 29.", "C"),
        ("Answer: d", "D"),
        ("I think option E is right", "E"),
        ("Between A and B, I pick B", "B"),
        ("A cat is not a number; the prime is C", "C"),
        ("[A]", "A"),
    ],
)
def test_extract_choice(text: str, letter: str) -> None:
    assert extract_choice(text) == letter


@pytest.mark.parametrize("text", ["", "none of them", "the answer is a bit unclear", "F"])
def test_extract_choice_none(text: str) -> None:
    assert extract_choice(text) is None


@pytest.mark.parametrize(
    ("kind", "expected", "answer", "correct", "extracted"),
    [
        ("exact", "Cal", "cal.", True, "cal"),
        ("exact", "Cal", "It is Cal", False, "it is cal"),
        ("contains", "2024-04-14", "The due date is 2024-04-14.", True, None),
        ("contains", "Oslo", "Bergen", False, None),
        ("number", "42", "17 + 25 = 42", True, "42"),
        ("number", "42", "42 or maybe 43", False, "43"),
        ("number", "10000", "That is 10,000.", True, "10000"),
        ("number", "9.75", "$9.750", True, "9.75"),
        ("number", "0.1", "0.1000000001", True, "0.1000000001"),
        ("number", "12", "no idea", False, None),
        ("regex", r"help@ponder\.example", "Write to HELP@ponder.example now", True, None),
        ("regex", r"(?-i:Priya)", "priya", False, None),
        ("choice", "C", "The answer is C.", True, "C"),
        ("choice", "c", "(C)", True, "C"),
        ("choice", "B", "A", False, "A"),
    ],
)
def test_check_answer(
    kind: str, expected: str, answer: str, correct: bool, extracted: str | None
) -> None:
    result = check_answer(kind, expected, answer)
    assert result.correct is correct
    if extracted is not None:
        assert result.extracted == extracted


def test_regex_extracted_is_the_match() -> None:
    assert check_answer("regex", r"\d+ pens", "send 12 pens").extracted == "12 pens"


def test_unknown_kind_and_bad_regex_are_wrong_not_errors() -> None:
    assert check_answer("fuzzy", "a", "a").correct is False
    assert check_answer("regex", "(", "(").correct is False


@pytest.mark.parametrize(
    ("kind", "expected", "problem"),
    [
        ("number", "twelve", "must contain a number"),
        ("choice", "F", "one letter A-E"),
        ("choice", "AB", "one letter A-E"),
        ("regex", "(unclosed", "not a valid regular expression"),
        ("exact", " . ", "empty after normalisation"),
    ],
)
def test_expected_problem(kind: str, expected: str, problem: str) -> None:
    found = expected_problem(kind, expected)
    assert found is not None and problem in found


def test_valid_expected_has_no_problem() -> None:
    assert expected_problem("number", "1,000") is None
    assert expected_problem("choice", "e") is None
    assert expected_problem("regex", r"\bx\b") is None
