"""Answer checkers: does a model's answer match a task's expected answer?

Only the answer text is checked (the thinking is not). Five kinds:

- ``exact``: the normalised answer equals the normalised expected text. Normalisation (see
  ``normalise``): Unicode NFKC, case-folded, a leading "answer:" / "final answer:" label removed,
  whitespace collapsed, surrounding quotes, brackets, ``*`` (Markdown bold) and trailing
  ``.``/``!``/``,``/``;``/``:`` stripped.
- ``contains``: the normalised expected text occurs in the normalised answer.
- ``number``: the *last* number in the answer equals the expected number. Thousands separators
  (``1,234``), currency signs and units (``$12``, ``12 km``, ``40%``), a Unicode minus and a
  trailing full stop are tolerated; equality allows a relative error of 1e-6.
- ``regex``: the expected text is a Python regular expression searched (not matched) in the
  answer, case-insensitively, ``.`` matching newlines too. Use ``(?-i:...)`` to be case-strict.
- ``choice``: the letter A-E the answer picks (``C``, ``(C)``, ``Answer: C``, ``the answer is
  c``) equals the expected letter; see ``extract_choice``.

Every function here is pure and raises nothing for any answer text.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

CheckKind = Literal["exact", "number", "regex", "contains", "choice"]
CHECK_KINDS: tuple[str, ...] = ("exact", "number", "regex", "contains", "choice")
CHOICES = "ABCDE"
RELATIVE_TOLERANCE = 1e-6

_LABEL = re.compile(r"^\s*(?:final\s+answer|answer)\s*[:=\-]\s*", re.IGNORECASE)
_EDGE_JUNK = "\"'`*()[]{}<>“”‘’ \t\n"
_TRAILING_PUNCT = ".!,;:"
# A number: optional sign (not glued to a preceding word or digit, so dates and ranges like
# "2024-05" or "3-4" do not yield negatives), digits with or without thousands separators, an
# optional fraction and exponent.
_NUMBER = re.compile(
    r"(?<![\w.])(?P<sign>-)?(?P<int>\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?P<frac>\.\d+)?"
    r"(?P<exp>[eE][-+]?\d+)?"
)
# "answer is C" / "answer: (c)"; a lower-case letter only when no word follows ("answer is a
# bit" is not a choice).
_ANSWER_LETTER = re.compile(
    r"(?:answer|option|choice)\s*(?:is|:|=|-)?\s*[(\[*]*\s*"
    r"((?-i:[A-E])\b|(?-i:[a-e])\b(?!\s+[a-z]))",
    re.IGNORECASE,
)
_BRACKET_LETTER = re.compile(r"[(\[]([A-Ea-e])[)\]]")
# A bare capital letter as a word, but not the article "A" starting a phrase ("A cat ...").
_BARE_LETTER = re.compile(r"\b([A-E])\b(?!\s+[a-z])")


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The verdict on one answer: ``correct`` and what the checker read from the answer.

    ``extracted`` is the number, letter or normalised text compared (``None`` when nothing
    usable was found, e.g. no number in the answer).
    """

    correct: bool
    extracted: str | None


def normalise(text: str) -> str:
    """Return ``text`` normalised for ``exact`` and ``contains`` (see the module docstring)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _LABEL.sub("", text)
    text = " ".join(text.split())
    previous = None
    while previous != text:
        previous = text
        text = text.strip(_EDGE_JUNK).rstrip(_TRAILING_PUNCT)
    return text


def _to_float(match: re.Match[str]) -> float:
    digits = match.group("int").replace(",", "")
    value = float(digits + (match.group("frac") or "") + (match.group("exp") or ""))
    return -value if match.group("sign") else value


def extract_number(text: str) -> float | None:
    """Return the last number in ``text``, or ``None`` when there is none."""
    text = unicodedata.normalize("NFKC", text).replace("\u2212", "-")
    matches = list(_NUMBER.finditer(text))
    if not matches:
        return None
    try:
        value = _to_float(matches[-1])
    except (ValueError, OverflowError):
        return None
    return value if math.isfinite(value) else None


def numbers_equal(answer: float, expected: float) -> bool:
    """True when ``answer`` is within a relative 1e-6 of ``expected`` (absolute near zero)."""
    return math.isclose(answer, expected, rel_tol=RELATIVE_TOLERANCE, abs_tol=1e-9)


def extract_choice(text: str) -> str | None:
    """Return the letter (A-E, upper case) the answer picks, or ``None``.

    In order: the whole answer is one letter (``c``, ``(C).``); the last "answer/option/choice
    is X"; the last bracketed letter ``(X)``; the last bare capital letter A-E that is not the
    article "A" in front of a lower-case word.
    """
    text = unicodedata.normalize("NFKC", text)
    whole = normalise(text)
    if len(whole) == 1 and whole.upper() in CHOICES:
        return whole.upper()
    for pattern in (_ANSWER_LETTER, _BRACKET_LETTER, _BARE_LETTER):
        found = pattern.findall(text)
        if found:
            return str(found[-1]).upper()
    return None


def format_number(value: float) -> str:
    """Return ``value`` as a short string (``42``, ``-3.5``) for the ``extracted`` field."""
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def check_answer(kind: str, expected: str, answer: str) -> CheckResult:
    """Return whether ``answer`` is correct for ``expected`` under check ``kind``.

    ``expected`` is assumed valid for ``kind`` (the task loader validates it); an unknown kind
    or an expected value that cannot be read counts as incorrect rather than raising.
    """
    if kind == "number":
        wanted = extract_number(expected)
        got = extract_number(answer)
        ok = wanted is not None and got is not None and numbers_equal(got, wanted)
        return CheckResult(ok, None if got is None else format_number(got))
    if kind == "choice":
        letter = extract_choice(answer)
        return CheckResult(letter is not None and letter == expected.strip().upper(), letter)
    if kind == "regex":
        try:
            found = re.search(expected, answer, re.IGNORECASE | re.DOTALL)
        except re.error:
            return CheckResult(False, None)
        return CheckResult(found is not None, None if found is None else found.group(0))
    text = normalise(answer)
    if kind == "exact":
        return CheckResult(text == normalise(expected), text)
    if kind == "contains":
        return CheckResult(normalise(expected) in text, text)
    return CheckResult(False, None)


def expected_problem(kind: str, expected: str) -> str | None:
    """Why ``expected`` cannot be checked with ``kind``, or ``None`` when it can."""
    if kind == "number" and extract_number(expected) is None:
        return f"expected must contain a number for check 'number' (got {expected!r})"
    if kind == "choice" and expected.strip().upper() not in tuple(CHOICES):
        return f"expected must be one letter A-E for check 'choice' (got {expected!r})"
    if kind == "regex":
        try:
            re.compile(expected)
        except re.error as exc:
            return f"expected is not a valid regular expression: {exc}"
    if kind in ("exact", "contains") and not normalise(expected):
        return f"expected is empty after normalisation (got {expected!r})"
    return None
