"""Usage records from Chat Completions streams (shared/reference/providers.md §1, §5, §6, §8).

All the flavours report OpenAI-style inclusive totals; they differ only in where cache hits are
(``prompt_tokens_details.cached_tokens``, DeepSeek's ``prompt_cache_hit_tokens``, llama.cpp's
``timings.cache_n``). Servers that report nothing get a local estimate marked ``estimated``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from backends.errors import PonderError
from backends.events import Usage
from backends.request import Message

# OpenAI's chat format costs a few tokens per message on top of its text, plus reply priming.
PER_MESSAGE_TOKENS = 4
REPLY_PRIMING_TOKENS = 3


def map_usage(raw: Mapping[str, Any], timings: Mapping[str, Any] | None = None) -> Usage:
    """The common record from a ``usage`` object (and llama.cpp ``timings`` when present)."""
    prompt = _int(raw.get("prompt_tokens"))
    output = _int(raw.get("completion_tokens"))
    prompt_details = _dict(raw.get("prompt_tokens_details"))
    completion_details = _dict(raw.get("completion_tokens_details"))
    if "prompt_cache_hit_tokens" in raw:  # DeepSeek
        cached = _int(raw.get("prompt_cache_hit_tokens"))
    elif "cached_tokens" in prompt_details:
        cached = _int(prompt_details.get("cached_tokens"))
    else:  # llama.cpp builds whose usage lacks the details: prompt tokens reused from KV
        cached = _int((timings or {}).get("cache_n"))
    cache_write = _int(prompt_details.get("cache_write_tokens"))
    cached = min(cached, prompt)
    cache_write = min(cache_write, prompt - cached)
    reasoning_raw = completion_details.get("reasoning_tokens")
    reasoning = _int(reasoning_raw) if reasoning_raw is not None else None
    return Usage(
        input=prompt,
        cached_input=cached,
        cache_write=cache_write,
        output=output,
        reasoning=min(reasoning, output) if reasoning is not None else None,
    )


def usable_usage(raw: Mapping[str, Any]) -> bool:
    """Does a ``usage`` object hold real counts? Both totals must be whole numbers >= 0.

    A usage whose counts are strings, nulls or negative would read as ``in 0 · out 0``; it is
    ignored instead, so the reply's usage is a local estimate marked ``~``.
    """
    return all(_is_count(raw.get(name)) for name in ("prompt_tokens", "completion_tokens"))


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def timings_usage(timings: Mapping[str, Any]) -> Usage | None:
    """Usage from llama.cpp ``timings`` alone (exact counts: prompt_n + cache_n, predicted_n)."""
    if "prompt_n" not in timings or "predicted_n" not in timings:
        return None
    cached = _int(timings.get("cache_n"))
    return Usage(
        input=_int(timings.get("prompt_n")) + cached,
        cached_input=cached,
        output=_int(timings.get("predicted_n")),
    )


def estimate_usage(messages: Sequence[Message], reasoning: str, text: str) -> Usage:
    """A local estimate for a server that reported no usage; marked ``estimated``."""
    prompt = sum(estimate_tokens(m.text) + PER_MESSAGE_TOKENS for m in messages)
    thought = estimate_tokens(reasoning)
    return Usage(
        input=prompt + REPLY_PRIMING_TOKENS,
        output=thought + estimate_tokens(text),
        reasoning=thought if reasoning else None,
        estimated=True,
    )


def estimate_tokens(text: str) -> int:
    """Tokens in ``text`` by ponder's offline tokenizer, else about four characters a token."""
    if not text:
        return 0
    try:
        from backends.tokens import estimate_tokens as count
    except ImportError:
        return _rough(text)
    try:
        return count(text)
    except (PonderError, ValueError, TypeError):
        return _rough(text)


def _rough(text: str) -> int:
    return max(1, (len(text) + 3) // 4)


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return 0
    return max(0, int(value))


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
