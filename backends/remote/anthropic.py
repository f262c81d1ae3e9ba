"""Anthropic Messages API (``POST {base}/messages``, SSE) as ponder events.

Budget (shared/reference/providers.md §3, §13), ``B`` = the thinking budget:

* manual models (Claude <= 4.5): ``B = 0`` → ``thinking: {"type": "disabled"}``; ``B > 0`` →
  ``{"type": "enabled", "budget_tokens": max(1024, B), "display": "summarized"}`` with
  ``max_tokens`` raised to ``budget_tokens + 1`` when the cap is lower; auto → no ``thinking``
  field (the provider's default).
* adaptive models (4.6; ``thinking_mode="adaptive"``): ``B > 0`` → ``{"type": "adaptive"}`` plus
  ``output_config.effort`` from the ratio buckets (``minimal`` becomes ``low``); ``B = 0`` →
  disabled; auto → adaptive with the provider's default effort.
* adaptive-only models (4.7 and later; ``"adaptive_only"``): as adaptive, but ``B = 0`` cannot
  disable thinking and asks for effort ``low`` instead.

Prompt caching: ``cache_control`` breakpoints on the last system block, on the last block of the
previous turn's user message (the prefix the previous request wrote, so it is read back) and on
the last block of the newest message (written for the next turn): at most 3 of the 4 allowed.

Continuation (``Finished.continuation``): ``{"format": "anthropic-messages", "content": [...]}``,
the assistant content blocks in order (``thinking`` with ``signature``, ``redacted_thinking``,
``text``, ``tool_use``), sent back unchanged as that assistant turn's ``content``.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from pydantic import Field

from backends.base import BackendSpec
from backends.capabilities import Capabilities
from backends.errors import PonderError, QuotaExceeded, clip
from backends.events import ReasoningDelta, StatusNote, StopReason, StreamEvent, Usage, UsageUpdate
from backends.remote.anthropic_content import (
    AnswerGate,
    clean_block,
    compaction_note,
    redacted_note,
    usage_from,
)
from backends.remote.effort import clamp_effort, effort_for_budget, max_tokens_for
from backends.remote.http import HTTPBackend, HTTPOptions
from backends.remote.http_errors import parse_error_body, retry_after_hint, status_error
from backends.remote.wire import HttpCall, MalformedEvent, ParsedEnd, ProviderWire, StreamParser
from backends.request import ChatRequest, Message

FORMAT = "anthropic-messages"
API_VERSION = "2023-06-01"
ADAPTIVE = {"type": "adaptive", "display": "summarized"}
THINKING = ("thinking", "redacted_thinking")
ThinkingMode = Literal["auto", "budget", "adaptive", "adaptive_only"]

LENGTH_STOPS = frozenset({"max_tokens", "model_context_window_exceeded"})
# In-stream errors carry only a type: the HTTP status it stands for.
ERROR_STATUS = {
    "authentication_error": 401,
    "permission_error": 403,
    "not_found_error": 404,
    "rate_limit_error": 429,
    "api_error": 500,
    "timeout_error": 504,
    "overloaded_error": 529,
}


class AnthropicOptions(HTTPOptions):
    """Options of the ``anthropic`` kind.

    ``thinking_mode``: ``auto`` picks from the model name (4.7+ adaptive-only, 4.6 adaptive,
    older manual budgets). ``efforts``: effort levels the model accepts (adaptive modes).
    ``prompt_cache``: add ``cache_control`` breakpoints. ``default_max_tokens``: ``max_tokens``
    when neither the request nor a budget sets it (the API requires one).
    """

    thinking_mode: ThinkingMode = "auto"
    efforts: tuple[str, ...] = ("low", "medium", "high")
    prompt_cache: bool = True
    cache_ttl: Literal["5m", "1h"] = "5m"
    default_max_tokens: int = Field(default=8192, ge=1)


def resolve_mode(model: str, configured: ThinkingMode) -> ThinkingMode:
    """The thinking mode for ``model``: the configured one, else guessed from the version."""
    if configured != "auto":
        return configured
    # claude-sonnet-4-5-20250929 → (4, 5); claude-sonnet-4-20250514 → (4, 0); claude-3-7-… → (3, 7)
    match = re.search(r"(\d+)(?:[-.](\d{1,2}))?(?:-\d{8})?(?:$|-)", model.split("/")[-1])
    version = (int(match.group(1)), int(match.group(2) or 0)) if match else (0, 0)
    if version >= (4, 7):
        return "adaptive_only"
    return "adaptive" if version >= (4, 6) else "budget"


def thinking_fields(
    limit: int | None, max_tokens: int | None, mode: ThinkingMode, options: AnthropicOptions
) -> tuple[dict[str, Any], str]:
    """Request fields for budget ``limit`` (``None`` = auto) and how the budget was applied."""
    if limit is None:
        cap = max_tokens or options.default_max_tokens
        if mode == "budget":
            return {"max_tokens": cap}, "provider default (no thinking field)"
        return {"max_tokens": cap, "thinking": dict(ADAPTIVE)}, "adaptive, provider default effort"
    if limit == 0 and mode != "adaptive_only":
        cap = max_tokens or options.default_max_tokens
        return {"max_tokens": cap, "thinking": {"type": "disabled"}}, "thinking disabled"
    cap = max_tokens_for(limit, max_tokens)
    if mode == "budget":
        budget = max(1024, limit)  # the API's minimum
        thinking = {"type": "enabled", "budget_tokens": budget, "display": "summarized"}
        return {"max_tokens": max(cap, budget + 1), "thinking": thinking}, f"budget_tokens={budget}"
    effort = "low" if limit == 0 else effort_for_budget(limit, cap)
    effort = clamp_effort("low" if effort == "minimal" else effort, options.efforts)
    fields = {"max_tokens": cap, "thinking": dict(ADAPTIVE), "output_config": {"effort": effort}}
    return fields, f"adaptive, effort={effort}"


def assistant_content(message: Message) -> list[dict[str, Any]]:
    """The content blocks of a past assistant turn: its continuation exactly, else its text."""
    cont = message.continuation or {}
    blocks = cont.get("content") if cont.get("format") == FORMAT else None
    # Thinking alone (a reply cut off before its answer) is not a valid assistant turn.
    if isinstance(blocks, list) and any(b.get("type") not in THINKING for b in blocks):
        return copy.deepcopy(blocks)
    return [{"type": "text", "text": message.text}] if message.text else []


def conversation(messages: list[Message]) -> tuple[list[dict], list[dict]]:
    """(system blocks, messages) in the API's shape; empty turns are left out."""
    system = [{"type": "text", "text": m.text} for m in messages if m.role == "system" and m.text]
    turns: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "assistant":
            content = assistant_content(message)
        else:
            content = [{"type": "text", "text": message.text}] if message.text else []
        if content and message.role != "system":
            turns.append({"role": message.role, "content": content})
    return system, turns


def add_cache_breakpoints(system: list[dict], turns: list[dict], ttl: str) -> None:
    """Mark the system prompt, the previous turn's user message and the newest message."""
    marker = {"type": "ephemeral"} if ttl == "5m" else {"type": "ephemeral", "ttl": ttl}
    targets: list[dict | None] = [system[-1]] if system else []
    users = [i for i, turn in enumerate(turns) if turn["role"] == "user"]
    if len(users) >= 2:
        targets.append(_last_cacheable(turns[users[-2]]))
    if turns:
        targets.append(_last_cacheable(turns[-1]))
    for block in [target for target in targets if target is not None][:4]:
        if block is not None:
            block["cache_control"] = dict(marker)


def _last_cacheable(turn: dict) -> dict | None:
    # Thinking blocks cannot carry cache_control; they are cached as part of the prefix.
    return next((b for b in reversed(turn["content"]) if b.get("type") not in THINKING), None)


@dataclass(eq=False, kw_only=True)
class AnthropicWire(ProviderWire):
    """Builds Messages requests and reads Anthropic errors."""

    kind = "anthropic"
    options: AnthropicOptions = field(default_factory=AnthropicOptions)

    def __post_init__(self) -> None:
        super().__post_init__()
        self.mode = resolve_mode(self.model, self.options.thinking_mode)

    def plan(self, request: ChatRequest) -> tuple[dict[str, Any], str]:
        """Budget fields and their description for ``request``."""
        return thinking_fields(request.budget.limit, request.max_tokens, self.mode, self.options)

    def build(self, request: ChatRequest) -> HttpCall:
        fields, _ = self.plan(request)
        system, turns = conversation(list(request.messages))
        if self.options.prompt_cache:
            add_cache_breakpoints(system, turns, self.options.cache_ttl)
        body: dict[str, Any] = {"model": self.model, "messages": turns, "stream": True, **fields}
        if system:
            body["system"] = system
        thinking_on = fields.get("thinking", {}).get("type") in ("enabled", "adaptive")
        if request.temperature is not None and not thinking_on:
            body["temperature"] = request.temperature  # not allowed together with thinking
        headers = {"anthropic-version": API_VERSION, "content-type": "application/json"}
        if self.api_key:
            headers["x-api-key"] = self.api_key
        return HttpCall("POST", f"{self.base_url}/messages", headers, body, "sse")

    def parser(self, request: ChatRequest) -> AnthropicParser:
        return AnthropicParser(self, self.plan(request)[1])

    def error_for_status(self, status: int, body: bytes, headers: dict[str, str]) -> PonderError:
        message, code = parse_error_body(body)
        spend_limit = b"enforced_spend_limit_reached" in body
        return self.error(status, message, code, retry_after_hint(headers, body), spend_limit)

    def error(
        self,
        status: int,
        message: str,
        code: str,
        retry_after: float | None = None,
        spend_limit: bool = False,
    ) -> PonderError:
        """ponder's error for an Anthropic error (HTTP status, or 0 and the in-stream type)."""
        if spend_limit:  # a 429 that waiting will not fix
            return QuotaExceeded(
                f"Anthropic spend limit reached: {message}",
                "raise the limit in the Anthropic console",
            )
        status = status or ERROR_STATUS.get(code, 0)
        return status_error(
            status,
            message,
            code,
            provider="Anthropic",
            model=self.model,
            key_env=self.key_env,
            retry_after=retry_after,
        )


class AnthropicParser(StreamParser):
    """Messages stream → events; collects the content blocks for the continuation."""

    def __init__(self, wire: AnthropicWire, budget_applied: str) -> None:
        super().__init__(budget_applied)
        self.wire = wire
        self.blocks: dict[int, dict[str, Any]] = {}
        self.tool_json: dict[int, str] = {}
        self.start_usage: dict[str, Any] = {}
        self.final_usage: dict[str, Any] = {}
        self.thought = False  # some thinking text was emitted (to separate later blocks)
        self.answer = AnswerGate()  # whitespace-only text does not start the answer
        self.redacted = 0  # redacted_thinking blocks: said once in a note, counted at the end

    def feed(self, data: str, event: str | None = None) -> list[StreamEvent]:
        try:
            msg = json.loads(data)
            kind = msg.get("type") or event
            if kind == "message_start":
                message = msg.get("message") or {}
                usage = dict(message.get("usage") or {})
                usage_from(usage)  # a usage of the wrong shape makes the event malformed
                self.saw_model(message.get("model"))
                self.start_usage = usage
            elif kind == "content_block_start":
                return self._start(int(msg["index"]), dict(msg["content_block"]))
            elif kind == "content_block_delta":
                return self._delta(int(msg["index"]), msg["delta"])
            elif kind == "message_delta":
                return self._message_delta(msg)
            elif kind == "message_stop":
                self.done = True
            elif kind == "error":
                message, code = parse_error_body(msg)
                self.fail(self.wire.error(0, message, code))
            elif kind not in ("ping", "content_block_stop"):
                # A new event type: ignored, but counted in Finished.extra.
                self.extra["unknown_events"] = self.extra.get("unknown_events", 0) + 1
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise MalformedEvent(f"bad event {clip(data, 80)!r}: {exc!r}") from exc
        return []

    def _start(self, index: int, block: dict[str, Any]) -> list[StreamEvent]:
        if not isinstance(block.get("type"), str):
            raise MalformedEvent(f"content block without a type: {block!r:.80}")
        self.blocks[index] = block
        kind = block.get("type")
        if kind == "thinking":
            return self._thinking(str(block.get("thinking") or ""), new_block=True)
        if kind == "text" and block.get("text"):
            return list(self.answer.text(str(block["text"])))
        if kind == "redacted_thinking":
            self.redacted += 1
            return [StatusNote("warning", redacted_note(self.redacted))]
        if kind == "compaction":
            return [StatusNote("warning", compaction_note())]
        return []

    def _thinking(self, text: str, new_block: bool = False) -> list[StreamEvent]:
        events: list[StreamEvent] = []
        if new_block and self.thought:
            events.append(ReasoningDelta("\n\n"))
            self.thought = False
        if text:
            events.append(ReasoningDelta(text))
            self.thought = True
        return events

    def _delta(self, index: int, delta: dict[str, Any]) -> list[StreamEvent]:
        # setdefault: a delta whose content_block_start was skipped as malformed still counts.
        kind, blocks = delta["type"], self.blocks
        if kind in ("thinking_delta", "signature_delta"):
            block = blocks.setdefault(index, {"type": "thinking", "thinking": "", "signature": ""})
            field = kind.removesuffix("_delta")
            text = str(delta.get(field) or "")
            block[field] = str(block.get(field) or "") + text
            return self._thinking(text) if field == "thinking" else []
        if kind == "text_delta":
            block = blocks.setdefault(index, {"type": "text", "text": ""})
            text = str(delta.get("text") or "")
            block["text"] = str(block.get("text") or "") + text
            return list(self.answer.text(text))
        if kind == "compaction_delta":  # the whole summary arrives in one delta
            block = blocks.setdefault(index, {"type": "compaction", "content": ""})
            block["content"] = str(block.get("content") or "") + str(delta.get("content") or "")
        if kind == "input_json_delta":
            self.tool_json[index] = self.tool_json.get(index, "") + str(delta["partial_json"])
        return []

    def _message_delta(self, msg: dict[str, Any]) -> list[StreamEvent]:
        reason = (msg.get("delta") or {}).get("stop_reason")
        final = {**self.final_usage, **(msg.get("usage") or {})}
        usage = usage_from({**self.start_usage, **final})  # check before changing any state
        if reason:
            self.extra["native_stop_reason"] = str(reason)
            length = str(reason) in LENGTH_STOPS
            self.stop_reason = StopReason.LENGTH if length else StopReason.STOP
        if isinstance(msg.get("usage"), dict):
            self.final_usage = final
            return [UsageUpdate(usage)]
        return []

    def final_usage_record(self) -> Usage | None:
        """Final ``message_delta`` usage over ``message_start``'s for missing fields."""
        if not self.start_usage and not self.final_usage:
            return None
        return usage_from({**self.start_usage, **self.final_usage})

    def content(self) -> list[dict[str, Any]]:
        """The assistant content blocks as the next request must send them back."""
        blocks = (clean_block(self.blocks[i], self.tool_json.get(i)) for i in sorted(self.blocks))
        return [block for block in blocks if block is not None]

    def end(self) -> ParsedEnd:
        content = self.content()
        keep = any(block["type"] != "text" for block in content)
        self.usage = self.final_usage_record()
        if self.redacted:
            self.extra["redacted_thinking_blocks"] = self.redacted
        return self.summary(continuation={"format": FORMAT, "content": content} if keep else None)


class AnthropicBackend(HTTPBackend):
    """Claude through the Messages API; key from ``ANTHROPIC_API_KEY`` (or the configured var)."""

    kind = "anthropic"
    Options = AnthropicOptions
    options: AnthropicOptions
    capabilities = Capabilities(
        can_think=True, thinking_text="summary", budget_precision="approximate"
    )
    wire_class = AnthropicWire
    default_model = "claude-sonnet-4-5"

    def __init__(self, spec: BackendSpec) -> None:
        super().__init__(spec)
        if resolve_mode(self.model, self.options.thinking_mode) != "budget":
            self.capabilities = replace(self.capabilities, budget_precision="bucketed")

    def auth_headers(self) -> dict[str, str]:
        key = self.api_key
        return {"x-api-key": key, "anthropic-version": API_VERSION} if key else {}
