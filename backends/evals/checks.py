"""Answer checkers: is a reply's *final answer* the task's expected answer?

Only the final answer counts (``backends.evals.answers.final_answer``), never the whole reply,
so a model that repeats the prompt or lists every option is not rewarded. Kinds:

- ``exact``: the normalised final answer equals the normalised expected text (``normalise``:
  NFKC, case-folded, an "answer:" label, quotes, brackets, ``*`` and trailing punctuation gone).
- ``contains``: the expected text occurs in the final answer on word boundaries ("positive"
  is not found in "positively", nor in "non-positive").
- ``regex``: the expected regular expression is searched in the final answer on word
  boundaries (``(?<!\\w)(?:EXPR)(?!\\w)``), case-insensitively.
- ``number``: the final answer's number: an expression's result (after the last ``=``), the first
  clause only ("42, not 41" is 42), exactly one value (``41 or 42`` is ambiguous), the task's
  declared ``units`` applied ("5 cents" is 0.05 with ``{"dollars": 1, "cents": 0.01}``), within
  the task's absolute ``tolerance`` (default: a relative 1e-6). Small number words count.
- ``choice``: exactly one option: one letter A-E, or exactly one option's text ("29" for
  ``C) 29``); two letters are ambiguous.
- ``scorer``: the final answer goes to an external scorer named by the task (reasoning-gym's
  own ``score_answer``, see ``backends.evals.scorer``).

A task may list its ``options`` (labels such as ``["positive", "negative"]``) for ``exact`` and
``contains``: the final answer must then name exactly one of them. Flags say why an answer is
wrong beyond a plain mismatch: ``echo`` (repeats the prompt or all options), ``ambiguous``,
``no-answer``. Every function here is pure and raises nothing for any reply text.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from backends.evals.answers import (
    clean,
    final_answer,
    mentions,
    mentions_all,
    prompt_options,
    repeats_prompt,
)

CheckKind = Literal["exact", "number", "regex", "contains", "choice", "scorer"]
CHECK_KINDS: tuple[str, ...] = ("exact", "number", "regex", "contains", "choice", "scorer")
CHOICES = "ABCDE"
RELATIVE_TOLERANCE = 1e-6
Flag = Literal["echo", "ambiguous", "no-answer"]

_LABEL = re.compile(r"^\s*(?:final\s+answer|answer)\s*[:=\-]\s*", re.IGNORECASE)
_EDGE_JUNK = "\"'`*()[]{}<>“”‘’ \t\n"
_TRAILING_PUNCT = ".!,;:"
# A number: not glued to a word or another number, an optional currency sign, sign, digits with
# or without thousands separators, fraction, exponent, and the unit word right after it.
_NUMBER = re.compile(
    r"(?<![\w.])(?P<pre>[$€£])?\s?(?P<sign>-)?(?P<int>\d{1,3}(?:,\d{3})+(?!\d)|\d+)"
    r"(?P<frac>\.\d+)?(?P<exp>[eE][-+]?\d+)?(?:\s?(?P<unit>%|¢|[^\W\d_]+))?"
)
_CLAUSE = re.compile(r",\s|;|\s\(|\s[-–—]\s|\s(?:because|since|not|but|which)\s", re.IGNORECASE)
_WORDS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "hundred": 100,
}
_LETTER = re.compile(r"(?<![A-Za-z'’])([B-E]|A(?!\s+(?!or\b|and\b)[a-z]{2,}))(?![A-Za-z'’])")


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The verdict on one reply: ``correct``, what was read from it, and why it failed.

    ``extracted`` is the number, letter or normalised final answer compared (``None`` when the
    reply has no usable answer); ``flag`` is ``echo``, ``ambiguous`` or ``no-answer`` (else
    ``None``).
    """

    correct: bool
    extracted: str | None
    flag: Flag | None = None


def normalise(text: str) -> str:
    """Return ``text`` normalised for ``exact`` (see the module docstring)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _LABEL.sub("", text)
    text = " ".join(text.split())
    previous = None
    while previous != text:
        previous = text
        text = text.strip(_EDGE_JUNK).rstrip(_TRAILING_PUNCT)
    return text


def _unit_factor(unit: str | None, units: Mapping[str, float]) -> float:
    if not unit or not units:
        return 1.0
    folded = {key.casefold(): value for key, value in units.items()}
    unit = unit.casefold()
    for candidate in (unit, unit.removesuffix("s")):
        if candidate in folded:
            return folded[candidate]
    return 1.0


def answer_numbers(answer: str, units: Mapping[str, float] | None = None) -> list[float]:
    """The distinct values the answer's deciding clause states, units applied."""
    text = unicodedata.normalize("NFKC", answer).replace("\u2212", "-")
    text = text.rsplit("=", 1)[-1]
    text = _CLAUSE.split(text, maxsplit=1)[0]
    values: list[float] = []
    for match in _NUMBER.finditer(text):
        digits = match.group("int").replace(",", "")
        try:
            value = float(digits + (match.group("frac") or "") + (match.group("exp") or ""))
        except (ValueError, OverflowError):
            continue
        if not math.isfinite(value):
            continue
        value = -value if match.group("sign") else value
        factor = _unit_factor(match.group("unit"), units or {})
        if match.group("pre") and factor == 1.0:
            factor = _unit_factor(match.group("pre"), units or {})
        values.append(value * factor)
    if not values:
        values = [float(_WORDS[w]) for w in re.findall(r"[a-z]+", text.casefold()) if w in _WORDS]
    distinct: list[float] = []
    for value in values:
        if not any(math.isclose(value, seen, rel_tol=1e-12, abs_tol=1e-12) for seen in distinct):
            distinct.append(value)
    return distinct


def extract_number(text: str) -> float | None:
    """The one number ``text`` states (see ``answer_numbers``), ``None`` if none or several."""
    found = answer_numbers(text)
    return found[0] if len(found) == 1 else None


def numbers_equal(answer: float, expected: float, tolerance: float | None = None) -> bool:
    """Within ``tolerance`` (absolute) when given, else within a relative 1e-6."""
    if tolerance is not None:
        return abs(answer - expected) <= tolerance + 1e-12
    return math.isclose(answer, expected, rel_tol=RELATIVE_TOLERANCE, abs_tol=1e-9)


def answer_letters(answer: str) -> list[str]:
    """The distinct option letters an answer names (the article "A cat" is not one)."""
    text = unicodedata.normalize("NFKC", answer)
    if len(clean(text)) == 1 and clean(text).upper() in CHOICES:
        return [clean(text).upper()]
    found: list[str] = []
    for letter in _LETTER.findall(text):
        if letter not in found:
            found.append(letter)
    return found


def extract_choice(answer: str, options: Mapping[str, str] | None = None) -> str | None:
    """The one option the answer picks: one letter, or exactly one option's text; else ``None``."""
    letters = answer_letters(answer)
    if len(letters) == 1:
        return letters[0]
    if letters or not options:
        return None
    named = [key for key, value in options.items() if value and mentions(answer, value)]
    return named[0] if len(named) == 1 else None


def format_number(value: float) -> str:
    """Return ``value`` as a short string (``42``, ``-3.5``) for the ``extracted`` field."""
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def _echo(reply: str, answer: str | None, prompt: str, options: Sequence[str] | Mapping[str, str]):
    """Is this reply an echo? Its answer (or, with no answer, the whole reply) repeats the
    prompt or names every option."""
    target = answer if answer is not None else reply
    opts = dict(options) if isinstance(options, Mapping) else list(options)
    return mentions_all(target, opts) or (bool(prompt) and repeats_prompt(target, prompt))


def check_answer(
    kind: str,
    expected: str,
    reply: str,
    *,
    prompt: str = "",
    options: Sequence[str] = (),
    units: Mapping[str, float] | None = None,
    tolerance: float | None = None,
) -> CheckResult:
    """Return whether ``reply``'s final answer is correct for ``expected`` under ``kind``.

    ``prompt`` (the task's prompt) finds the lettered options of a ``choice`` task and tells
    echoes; ``options``, ``units`` and ``tolerance`` are the task's own (see the module
    docstring). An unknown kind or an unreadable expected value counts as incorrect.
    """
    found = final_answer(reply)
    choices = prompt_options(prompt) if kind == "choice" else {}
    if _echo(reply, found.text, prompt, choices or options):
        return CheckResult(False, found.text and normalise(found.text), "echo")
    if found.text is None:
        return CheckResult(False, None, "no-answer")
    answer = found.text
    if kind == "number":
        wanted = answer_numbers(expected, units)
        got = answer_numbers(answer, units)
        if len(got) != 1:
            return CheckResult(False, None, "ambiguous" if got else "no-answer")
        ok = len(wanted) == 1 and numbers_equal(got[0], wanted[0], tolerance)
        return CheckResult(ok, format_number(got[0]))
    if kind == "choice":
        letter = extract_choice(answer, choices)
        if letter is None:
            flag: Flag = "ambiguous" if answer_letters(answer) else "no-answer"
            return CheckResult(False, None, flag)
        return CheckResult(letter == expected.strip().upper(), letter)
    if options and kind in ("exact", "contains"):
        named = [option for option in options if mentions(answer, option)]
        if len(named) != 1:
            return CheckResult(False, normalise(answer), "ambiguous" if named else None)
        if kind == "contains":
            return CheckResult(normalise(named[0]) == normalise(expected), normalise(named[0]))
    if kind == "regex":
        try:
            hit = re.search(rf"(?<!\w)(?:{expected})(?!\w)", answer, re.IGNORECASE | re.DOTALL)
        except re.error:
            return CheckResult(False, None)
        return CheckResult(hit is not None, None if hit is None else hit.group(0))
    text = normalise(answer)
    if kind == "exact":
        return CheckResult(text == normalise(expected), text)
    if kind == "contains":
        return CheckResult(mentions(text, normalise(expected)), text)
    return CheckResult(False, None)


def expected_problem(
    kind: str, expected: str, options: Sequence[str] = (), units: Mapping[str, float] | None = None
) -> str | None:
    """Why ``expected`` cannot be checked with ``kind``, or ``None`` when it can."""
    if kind == "number" and len(answer_numbers(expected, units)) != 1:
        return f"expected must contain one number for check 'number' (got {expected!r})"
    if kind == "choice" and expected.strip().upper() not in tuple(CHOICES):
        return f"expected must be one letter A-E for check 'choice' (got {expected!r})"
    if kind == "regex":
        try:
            re.compile(expected)
        except re.error as exc:
            return f"expected is not a valid regular expression: {exc}"
    if kind in ("exact", "contains") and not normalise(expected):
        return f"expected is empty after normalisation (got {expected!r})"
    known = any(normalise(option) == normalise(expected) for option in options)
    if options and kind in ("exact", "contains") and not known:
        return f"expected {expected!r} is not one of the options {list(options)}"
    return None
