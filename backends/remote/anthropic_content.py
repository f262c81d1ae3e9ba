"""Anthropic content blocks and usage: what the next turn gets back, what the user is billed.

* ``usage_from``: the common record from Anthropic's usage. With context compaction the API
  bills every sampling iteration, and the top-level counts cover only the last (non-compaction)
  one, so when ``usage.iterations`` is present the counts are summed over it.
* ``clean_block``: one content block in request form (thinking with its signature,
  ``redacted_thinking`` with its data, ``compaction`` with its summary ``content``).
* ``AnswerGate``: Anthropic may send text blocks before thinking (adaptive thinking); a block of
  whitespace only must not stamp the first answer token or collapse the thinking pane, so
  whitespace is held until real text arrives.
"""

from __future__ import annotations

import json
from typing import Any

from backends.events import TextDelta, Usage

REDACTED_NOTE = (
    "some of the reasoning was encrypted by the provider's safety systems ({count} block{s}); "
    "it is kept and sent back with the next turn"
)


def redacted_note(count: int) -> str:
    return REDACTED_NOTE.format(count=count, s="" if count == 1 else "s")


def compaction_note() -> str:
    return "the provider compacted the earlier conversation into a summary (kept for next turn)"


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        if value is None:
            return 0
        raise TypeError(f"a token count that is not a number: {value!r:.40}")
    return max(0, int(value))


def usage_from(usage: dict[str, Any]) -> Usage:
    """The common record from Anthropic's (merged) usage object (providers.md §3).

    ``input`` counts cache reads and writes (Anthropic's ``input_tokens`` excludes them). With
    ``iterations`` (compaction), every field is the sum over the iterations.
    """
    details = usage.get("output_tokens_details") or {}
    thinking = details.get("thinking_tokens") if isinstance(details, dict) else None
    iterations = usage.get("iterations")
    listed = iterations if isinstance(iterations, list) else []
    parts = [part for part in listed if isinstance(part, dict)] or [usage]
    read = sum(_count(part.get("cache_read_input_tokens")) for part in parts)
    written = sum(_count(part.get("cache_creation_input_tokens")) for part in parts)
    return Usage(
        input=sum(_count(part.get("input_tokens")) for part in parts) + read + written,
        cached_input=read,
        cache_write=written,
        output=sum(_count(part.get("output_tokens")) for part in parts),
        reasoning=int(thinking) if thinking is not None else None,
    )


def clean_block(block: dict[str, Any], tool_json: str | None) -> dict[str, Any] | None:
    """One content block in request form, or ``None`` when it cannot be sent back."""
    kind = block.get("type")
    if kind == "thinking":
        if not block.get("signature"):
            return None  # cut off before its signature: the API would reject it
        return {
            "type": "thinking",
            "thinking": block.get("thinking") or "",
            "signature": block["signature"],
        }
    if kind == "redacted_thinking":
        return {"type": "redacted_thinking", "data": block.get("data") or ""}
    if kind == "compaction":
        return {"type": "compaction", "content": block.get("content") or ""}
    if kind == "text":  # the API refuses text blocks of whitespace only in a request
        text = block.get("text")
        return {"type": "text", "text": text} if isinstance(text, str) and text.strip() else None
    if kind in ("tool_use", "server_tool_use"):
        tool_input = block.get("input") or {}
        if tool_json:
            try:
                tool_input = json.loads(tool_json)
            except ValueError:
                return None
        return {"type": kind, "id": block.get("id"), "name": block.get("name"), "input": tool_input}
    return {key: value for key, value in block.items() if value is not None}


class AnswerGate:
    """Holds answer text that is whitespace only until text with a visible character comes."""

    def __init__(self) -> None:
        self.started = False
        self._held: list[str] = []

    def text(self, text: str) -> list[TextDelta]:
        if not text:
            return []
        if self.started:
            return [TextDelta(text)]
        if not text.strip():
            self._held.append(text)
            return []
        self.started = True
        held, self._held = "".join(self._held), []
        return [TextDelta(held + text)]
