"""The final answer of a reply: how ponder asks for it, and how it finds it again.

A checker that greps the whole reply rewards echoes: a model that repeats the prompt's options
"A) 21 ... E) 35" or asks back "positive or negative?" contains every possible answer. So ponder
tells the model how to end its reply (``answer_instruction``: a last line ``Answer: ...``) and the
checkers look only at that final answer (``final_answer``). When the line is missing the
fallbacks stay strict:

1. the last line that starts with ``Answer:`` / ``Final answer:`` (Markdown bold allowed); an
   empty one takes the next non-empty line;
2. else the last explicit statement "the answer is X" (up to the end of its sentence);
3. else the whole reply, when it is one short line (at most ``SHORT_WORDS`` words) that is not a
   question;
4. else there is no answer, which is wrong.

``echo`` tells a reply that repeats the prompt (``ECHO_WORDS`` consecutive words of it) or all of
the task's options in its answer. ``PROMPT_FORMAT_VERSION`` changes whenever the instruction or
these rules change, so results made under other rules are not reused.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

PROMPT_FORMAT_VERSION = 2
SHORT_WORDS = 6
ECHO_WORDS = 8
MIN_ECHO_WORDS = 5

How = Literal["line", "short", "stated"]

_LINE = re.compile(
    r"^[ \t>#*_\-]*(?:final[ \t]+)?answer[ \t*_]*[:=][ \t*_]*(?P<answer>[^\n]*)$",
    re.IGNORECASE | re.MULTILINE,
)
_STATED = re.compile(
    r"\b(?:the\s+)?(?:final\s+|correct\s+)?answer\s+is\s*:?\s*(?P<answer>.+?)(?=\.\s|\.$|\n|$)",
    re.IGNORECASE,
)
_EDGE = "\"'`*_()[]{}<>“”‘’ \t"
_LABELLED = re.compile(r"(?:(?<=\s)|^)\(?([A-E])[).:]\s+", re.MULTILINE)
_OPTION_END = re.compile(r"\.\s+[A-Z]|\n|\?\s")

_SHAPES = {
    "choice": "the letter of exactly one option",
    "number": "the number alone, with its unit if it has one",
}


def answer_instruction(check: str) -> str:
    """The line ponder appends to every task prompt: how the reply must end."""
    shape = _SHAPES.get(check, "your short answer")
    return f'End your reply with a last line of the form "Answer: X", where X is {shape}.'


def task_prompt(prompt: str, check: str) -> str:
    """The prompt sent for a task: the task's own text, then the answer instruction."""
    return f"{prompt.rstrip()}\n\n{answer_instruction(check)}"


@dataclass(frozen=True, slots=True)
class FinalAnswer:
    """The answer found in a reply (``None`` when there is none) and which rule found it."""

    text: str | None
    how: How | None


def clean(text: str) -> str:
    """Strip Markdown and quotes around an answer, and a trailing full stop."""
    text = unicodedata.normalize("NFKC", text).strip()
    previous = None
    while previous != text:
        previous = text
        text = text.strip(_EDGE).rstrip(".!;:,")
    return text


def final_answer(reply: str) -> FinalAnswer:
    """Find the reply's final answer by the rules in the module docstring."""
    lines = list(_LINE.finditer(reply))
    for match in reversed(lines):
        found = clean(match.group("answer"))
        if not found:  # "Answer:" alone on its line: the answer is on the next one
            rest = [line for line in reply[match.end() :].splitlines() if line.strip()]
            found = clean(rest[0]) if rest else ""
        if found:
            return FinalAnswer(found, "line")
    stated = list(_STATED.finditer(reply))
    if stated:
        found = clean(stated[-1].group("answer"))
        if found:
            return FinalAnswer(found, "stated")
    whole = clean(reply)
    short = whole and "\n" not in whole and len(whole.split()) <= SHORT_WORDS
    if short and not whole.endswith("?"):
        return FinalAnswer(whole, "short")
    return FinalAnswer(None, None)


def prompt_options(prompt: str) -> dict[str, str]:
    """The lettered options a prompt offers (``A) 21 B) 27`` -> {"A": "21", "B": "27"}).

    Only a run of labels A, B, C... in order counts, so a stray "I." is not an option.
    """
    labels = list(_LABELLED.finditer(prompt))
    options: dict[str, str] = {}
    expected = "A"
    for index, match in enumerate(labels):
        if match.group(1) != expected:
            continue
        end = labels[index + 1].start() if index + 1 < len(labels) else len(prompt)
        text = prompt[match.end() : end]
        stop = _OPTION_END.search(text)
        options[expected] = clean(text[: stop.start() + 1] if stop else text)
        expected = chr(ord(expected) + 1)
    return options if len(options) >= 2 else {}


def words(text: str) -> list[str]:
    """Lower-case words of ``text`` (letters and digits), for echo detection."""
    return re.findall(r"[^\W_]+", unicodedata.normalize("NFKC", text).casefold())


def repeats_prompt(text: str, prompt: str, run: int = ECHO_WORDS) -> bool:
    """True when ``text`` holds ``run`` consecutive words of ``prompt`` (all of a short one)."""
    source = words(prompt)
    if len(source) < MIN_ECHO_WORDS:  # a very short prompt is restated by honest answers too
        return False
    run = min(run, len(source))
    target = f" {' '.join(words(text))} "
    return any(f" {' '.join(source[i : i + run])} " in target for i in range(len(source) - run + 1))


def mentions(text: str, phrase: str) -> bool:
    """True when ``phrase`` occurs in ``text`` on word boundaries (case-folded)."""
    pattern = r"(?<![\w-])" + re.escape(phrase.casefold()) + r"(?![\w-])"
    return re.search(pattern, unicodedata.normalize("NFKC", text).casefold()) is not None


def mentions_all(text: str, options: list[str] | dict[str, str]) -> bool:
    """True when ``text`` names every option (at least two), by its text or its letter label."""
    if isinstance(options, dict):
        if len(options) < 2:
            return False
        return all(
            mentions(text, value) or re.search(rf"\(?{key}\)", text)
            for key, value in options.items()
        )
    return len(options) >= 2 and all(mentions(text, option) for option in options)
