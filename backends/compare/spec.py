"""Column specs for compare: ``SPEC[:BUDGET]``.

A column is a backend spec (see ``backends.registry``) optionally followed by ``:BUDGET``
(a number of tokens, ``4k``, ``off`` or ``auto``): ``local:64``, ``llama:/m.gguf:0``,
``http://127.0.0.1:8080/v1:auto``, ``anthropic:claude-sonnet-4-5:8000``.

Specs contain colons of their own (``KIND:MODEL``, URLs, Ollama tags like ``qwen3:8b``), so the
last ``:``-part is taken as the budget only when all of these hold:

- it has a budget's form (``backends.budget_text``);
- it is not a URL's port (``http://127.0.0.1:8080`` is a URL, not budget 8080; a word like
  ``auto`` there is still a budget, since no port is spelt that way);
- what is left is itself a spec: a configured name, a URL or ``KIND:REST``.

To keep a model tag that looks like a budget (``ollama:model:4k``), give the budget explicitly
after it (``ollama:model:4k:auto``).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from backends.budget_text import looks_like_budget, parse_budget
from backends.errors import ConfigError

URL_SCHEMES = ("http://", "https://")


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """One parsed column: the backend spec and, when given, its budget (``None`` = auto)."""

    backend: str
    budget: int | None = None
    budget_given: bool = False


def parse_column_spec(text: str, names: Collection[str] = ()) -> ColumnSpec:
    """Split ``SPEC[:BUDGET]`` into a ``ColumnSpec``; ``names`` are the configured backend names.

    A spec that is not valid is returned whole, and building its backend reports the problem;
    a budget above ``MAX_TOKENS_SETTING`` raises ``ConfigError`` here.
    """
    text = text.strip()
    if text in names:
        return ColumnSpec(text)
    head, sep, tail = text.rpartition(":")
    if not sep or not looks_like_budget(tail):
        return ColumnSpec(text)
    if _is_port(text, len(head), tail) or not _is_spec(head, names):
        return ColumnSpec(text)
    try:
        budget = parse_budget(tail)
    except ValueError as exc:
        raise ConfigError(f"column {text!r}: {exc}", "give a smaller budget, e.g. :4k") from None
    return ColumnSpec(head, budget, budget_given=True)


def _is_spec(head: str, names: Collection[str]) -> bool:
    """Could ``head`` name a backend on its own: a configured name, a URL or ``KIND:REST``?"""
    if head in names:
        return True
    if head.startswith(URL_SCHEMES):
        return len(head) > len("https://")
    kind, sep, rest = head.partition(":")
    return bool(kind and sep and rest)


def _is_port(text: str, colon: int, tail: str) -> bool:
    """Is the colon at index ``colon`` a URL's port separator (``host:8080``)?

    Only a colon inside the URL's authority (between ``://`` and the next ``/``) can be one, and
    only when it is the authority's single colon (IPv6 brackets aside) and digits follow it.
    """
    scheme = text.find("://")
    if scheme < 0:
        return False
    start = scheme + 3
    slash = text.find("/", start)
    end = len(text) if slash < 0 else slash
    if not start <= colon < end:
        return False
    authority = text[start:end]
    if "]" in authority:  # [::1]:8080: the colons inside the brackets are the address
        authority = authority[authority.index("]") :]
    return authority.count(":") == 1 and tail.isdigit()
