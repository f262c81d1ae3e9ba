"""Reads one Chat Completions stream, whatever the server (shared/reference/providers.md §1-§9).

Thinking arrives in ``delta.reasoning_content`` (DeepSeek, llama.cpp, older vLLM) or
``delta.reasoning`` (vLLM, OpenRouter, which adds ``reasoning_details`` to pass back), or inline
as ``<think>`` tags in ``content`` (split with ``ThinkTagSplitter``); usage comes in a final
chunk, llama.cpp adds ``timings``. Unknown fields are ignored; a chunk of the wrong shape raises
``MalformedEvent`` (the transport skips it). Errors after HTTP 200 come as a top-level ``error``.
"""

from __future__ import annotations

import json
from typing import Any

from backends.errors import ProviderError, clip
from backends.events import ReasoningDelta, StopReason, StreamEvent, TextDelta, UsageUpdate
from backends.remote.http_errors import parse_error_body, status_error
from backends.remote.openai_flavors import DETAILS_FORMAT
from backends.remote.openai_usage import estimate_usage, map_usage, timings_usage, usable_usage
from backends.remote.wire import MalformedEvent, ParsedEnd, StreamParser
from backends.request import ChatRequest
from backends.thinktags import ThinkTagSplitter

FINISH_REASONS = {
    "stop": StopReason.STOP,
    "length": StopReason.LENGTH,
    "tool_calls": StopReason.STOP,
    "function_call": StopReason.STOP,
    "content_filter": StopReason.STOP,
    "error": StopReason.ERROR,
}


class ChatParser(StreamParser):
    """Reads one Chat Completions stream (any flavour)."""

    def __init__(
        self,
        request: ChatRequest,
        *,
        think_tags: bool = True,
        budget_applied: str | None = None,
        provider: str = "the server",
        key_env: str | None = None,
    ) -> None:
        super().__init__(budget_applied)
        self.request = request
        self.splitter = ThinkTagSplitter() if think_tags else None
        self.provider = provider
        self.key_env = key_env
        self.reasoning: list[str] = []
        self.text: list[str] = []
        self.details: dict[int, dict[str, Any]] = {}
        self.finish: str | None = None
        self.raw_usage: dict[str, Any] | None = None
        self.cost: float | None = None
        self.timings: dict[str, Any] | None = None

    def feed(self, data: str, event: str | None = None) -> list[StreamEvent]:
        """One SSE ``data`` payload; raises ``MalformedEvent`` for one it cannot use."""
        data = data.strip()
        if data == "[DONE]":
            self.done = True
            return self._flush()
        try:
            chunk = json.loads(data)
        except ValueError:
            raise MalformedEvent(clip(data, 80)) from None
        if not isinstance(chunk, dict):
            raise MalformedEvent(clip(data, 80))
        if chunk.get("error") or chunk.get("object") == "error":
            self._read_error(chunk)
        self.saw_model(chunk.get("model"))
        events = self._read_choices(chunk.get("choices"))
        timings = chunk.get("timings")
        if isinstance(timings, dict):
            self.timings = timings
        usage = chunk.get("usage")
        groq = chunk.get("x_groq")
        if usage is None and isinstance(groq, dict):
            usage = groq.get("usage")  # Groq sends usage there (stream_options not needed)
        if usage is not None:
            events.extend(self._read_usage(usage))
        return events

    def _read_choices(self, choices: Any) -> list[StreamEvent]:
        if choices is None:
            return []
        if not isinstance(choices, list):
            raise MalformedEvent("choices is not a list")
        events: list[StreamEvent] = []
        for choice in choices[:1]:  # ponder asks for one choice
            if not isinstance(choice, dict):
                raise MalformedEvent("choice is not an object")
            delta = choice.get("delta") or {}
            if not isinstance(delta, dict):
                raise MalformedEvent("delta is not an object")
            events.extend(self._read_delta(delta))
            finish = choice.get("finish_reason")
            if isinstance(finish, str) and finish:
                self.finish = finish
                events.extend(self._flush())
        return events

    def _read_delta(self, delta: dict[str, Any]) -> list[StreamEvent]:
        reasoning = _text(delta.get("reasoning_content")) or _text(delta.get("reasoning"))
        details = delta.get("reasoning_details")
        if details is not None:
            from_details = self._merge_details(details)
            reasoning = reasoning or from_details
        content = _text(delta.get("content"))
        events: list[StreamEvent] = []
        if reasoning:
            events.append(ReasoningDelta(reasoning))
        if content:
            pieces = self.splitter.feed(content) if self.splitter else [TextDelta(content)]
            events.extend(pieces)
        for event in events:
            parts = self.text if isinstance(event, TextDelta) else self.reasoning
            parts.append(event.text)  # type: ignore[union-attr]
        return events

    def _merge_details(self, details: Any) -> str:
        """Accumulate OpenRouter ``reasoning_details`` by index; return their new text."""
        if not isinstance(details, list):
            raise MalformedEvent("reasoning_details is not a list")
        text = []
        for item in details:
            if not isinstance(item, dict):
                raise MalformedEvent("reasoning_details item is not an object")
            index = item.get("index", 0)
            merged = self.details.setdefault(index if isinstance(index, int) else 0, {})
            for key, value in item.items():
                if key in ("text", "summary", "data", "signature") and isinstance(value, str):
                    merged[key] = merged.get(key, "") + value
                elif merged.get(key) is None:
                    merged[key] = value
            for key in ("text", "summary"):
                if isinstance(item.get(key), str):
                    text.append(item[key])
        return "".join(text)

    def _read_usage(self, usage: Any) -> list[StreamEvent]:
        if not isinstance(usage, dict):
            raise MalformedEvent("usage is not an object")
        if not usable_usage(usage):
            return []  # counts of the wrong type: the end falls back to a marked estimate
        self.raw_usage = usage
        self.usage = map_usage(usage, self.timings)
        cost = usage.get("cost")
        if isinstance(cost, (int, float)) and not isinstance(cost, bool):
            self.cost = float(cost)
        return [UsageUpdate(self.usage)]

    def _read_error(self, chunk: dict[str, Any]) -> None:
        message, code = parse_error_body(chunk)
        inner = chunk.get("error")
        status = inner.get("code") if isinstance(inner, dict) else chunk.get("code")
        status = status if isinstance(status, int) and 100 <= status < 600 else 0
        self.error = status_error(
            status,
            message,
            code,
            provider=self.provider,
            model=self.model or "the model",
            key_env=self.key_env,
        )
        self.finish = self.finish or "error"

    def _flush(self) -> list[StreamEvent]:
        if self.splitter is None:
            return []
        pieces = self.splitter.finish()
        for piece in pieces:
            (self.text if isinstance(piece, TextDelta) else self.reasoning).append(piece.text)
        return list(pieces)

    def end(self) -> ParsedEnd:
        """The summary: stop reason (``None`` when no finish_reason came), usage, continuation."""
        # Re-read: llama.cpp may send timings in a chunk after the usage.
        usage = map_usage(self.raw_usage, self.timings) if self.raw_usage is not None else None
        if usage is None and self.timings:
            usage = timings_usage(self.timings)
        if usage is None:
            usage = estimate_usage(
                self.request.messages, "".join(self.reasoning), "".join(self.text)
            )
        self.usage = usage
        if self.finish == "error" and self.error is None:
            self.error = ProviderError(f"{self.provider} ended the reply with an error")
        if self.finish:
            self.stop_reason = FINISH_REASONS.get(self.finish, StopReason.STOP)
            self.extra["finish_reason"] = self.finish
        end = self.summary(provider_cost_usd=self.cost)
        if self.details:
            details = [self.details[i] for i in sorted(self.details)]
            end.continuation = {"format": DETAILS_FORMAT, "reasoning_details": details}
        if self.timings:
            end.server_prompt_ms = _num(self.timings.get("prompt_ms"))
            end.server_decode_ms = _num(self.timings.get("predicted_ms"))
            decoded = self.timings.get("predicted_n")
            end.server_decode_tokens = decoded if isinstance(decoded, int) else None
        return end


def _text(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise MalformedEvent("expected a string")
    return value


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
