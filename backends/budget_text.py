"""Budget text: the one way a thinking budget is written and read.

A budget is a number of thinking tokens, ``0`` (no thinking) or ``None`` (auto: the provider's own
default). As text it is ``auto``, ``off``, a number (``300``) or a number of KiB tokens (``4k`` =
4096). ``parse_budget`` reads every form, case and surrounding spaces aside; ``format_budget``
writes the form the parser reads back. Every place that shows or reads a budget (the CLI's
``--budget``, compare's ``SPEC:BUDGET`` columns, the eval's ``--sweep``, the slider, the stored
chats, ``Budget.describe``) goes through these two, so a budget is spelt one way everywhere.

The config's ``default_budget = "auto"`` is turned into ``None`` in one place only:
``backends.config.Settings.budget_limit``.

Pure and light (no pydantic): on the chat's start path.
"""

from __future__ import annotations

# The largest thinking budget, budget step or token cap ponder takes (a command line, a config,
# a column spec): far beyond any model's context, far below the int64 that servers parse (a
# larger number is a typo). ``backends.config`` checks its settings against it too.
MAX_TOKENS_SETTING = 10**7

AUTO, OFF = "auto", "off"
KILO = 1024
FORMS = "a number of tokens, 4k, off or auto"


def looks_like_budget(text: str) -> bool:
    """True when ``text`` has a budget's form (``auto``, ``off``, ``64``, ``4k``), any size.

    Compare uses it to tell a trailing ``:BUDGET`` from part of a spec; ``parse_budget`` then
    says whether the number is allowed.
    """
    word = text.strip().lower()
    if word in (AUTO, OFF):
        return True
    digits = word.removesuffix("k")
    return digits.isascii() and digits.isdigit()


def parse_budget(text: str) -> int | None:
    """``auto`` → None, ``off`` → 0, ``4k`` → 4096, ``64`` → 64.

    Raises ``ValueError`` with a one-line message for anything else: not a budget, negative,
    or above ``MAX_TOKENS_SETTING``.
    """
    word = text.strip().lower()
    if word == AUTO:
        return None
    if word == OFF:
        return 0
    if word.startswith("-") and looks_like_budget(word[1:]):
        raise ValueError(f"budget must be >= 0 (got {text!r})")
    if not looks_like_budget(word):
        raise ValueError(f"budget must be {FORMS} (got {text!r})")
    number = int(word.removesuffix("k")) * (KILO if word.endswith("k") else 1)
    if number > MAX_TOKENS_SETTING:
        raise ValueError(f"budget must be at most {MAX_TOKENS_SETTING:,} tokens (got {text!r})")
    return number


def format_budget(value: int | None, *, exact: bool = False) -> str:
    """``auto`` for None, ``off`` for 0, ``4k`` for 4096, ``300`` for 300.

    ``exact`` spells every number out (``4096``): the form records and JSON keep, where a
    reader compares numbers. Either form parses back to ``value`` with ``parse_budget``.
    """
    if value is None:
        return AUTO
    if value == 0:
        return OFF
    if not exact and value >= KILO and value % KILO == 0:
        return f"{value // KILO}k"
    return str(value)
