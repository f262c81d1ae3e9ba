"""OpenAI Responses API (``POST {base}/responses``, SSE) as ponder events.

Reasoning text is the model's **summary** (``reasoning.summary: "auto"``); separate summary parts
are joined with a blank line. Requests are stateless (``store: false``) and ask for
``reasoning.encrypted_content``, so each reasoning item from ``response.output_item.done`` is
passed back on the next turn.

Budget → ``reasoning.effort`` (providers.md §13). ``M`` = the output cap (the request's
``max_tokens``, else ``B + 4096``) is sent as ``max_output_tokens``; ``r = B / M`` picks the
highest effort whose threshold is <= r: minimal 0.1, low 0.2, medium 0.5, high 0.8, xhigh 0.95
(below 0.1 still minimal), then the nearest level the model accepts. With the default cap that
means: B < 1024 → minimal; 1024–4095 → low; 4096–16383 → medium; 16384–77823 → high; from
77824 → xhigh (so 1000 → minimal, 8000 → medium). ``B = 0`` → ``none`` (gpt-5.1 and later),
``minimal`` (gpt-5), else the lowest level (o-series: ``low``). Auto → no effort (the model's
default). Effort levels per model: gpt-5.1+ none/low/medium/high; gpt-5 minimal/low/medium/high;
gpt-5-pro high; o-series low/medium/high; configurable with the ``efforts`` option.

Continuation: ``{"format": "openai-responses", "items": [...]}``, the reasoning items exactly as
received (``id``, ``type``, ``summary``, ``encrypted_content``), sent back before that turn's
assistant message (and left out when that turn has no text to follow them).
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import Field

from backends.base import BackendSpec
from backends.capabilities import Capabilities
from backends.errors import PonderError, clip
from backends.events import ReasoningDelta, StopReason, StreamEvent, TextDelta, Usage, UsageUpdate
from backends.remote.effort import clamp_effort, effort_for_budget, max_tokens_for
from backends.remote.http import HTTPBackend, HTTPOptions
from backends.remote.http_errors import parse_error_body, retry_after_hint, status_error
from backends.remote.wire import HttpCall, MalformedEvent, ParsedEnd, ProviderWire, StreamParser
from backends.request import ChatRequest, Message

FORMAT = "openai-responses"
Effort = Literal["none", "minimal", "low", "medium", "high", "xhigh", "max"]
REASONING_DELTAS = ("response.reasoning_summary_text.delta", "response.reasoning_text.delta")
TEXT_DELTAS = ("response.output_text.delta", "response.refusal.delta")
# In-stream error codes (no HTTP status) that mean a retryable server failure.
CODE_STATUS = {"server_error": 500, "server_is_overloaded": 503}
# Events that carry nothing ponder shows or keeps; any other unknown type is counted.
IGNORED = frozenset(
    f"response.{name}"
    for name in (
        "queued",
        "output_item.added",
        "content_part.added",
        "content_part.done",
        "output_text.done",
        "output_text.annotation.added",
        "refusal.done",
        "reasoning_summary_part.added",
        "reasoning_summary_part.done",
        "reasoning_summary_text.done",
        "reasoning_text.done",
        "function_call_arguments.delta",
        "function_call_arguments.done",
    )
)
ENDINGS = ("response.completed", "response.incomplete", "response.failed")


class ResponsesOptions(HTTPOptions):
    """Options of the ``openai-responses`` kind.

    ``reasoning``: send reasoning settings (false for non-reasoning models, which then take
    ``temperature``). ``summary``: the reasoning summary detail. ``efforts``: the levels the
    model accepts (default: from the model name, see the module docstring).
    """

    # Summaries can pause for long stretches while the model reasons.
    stall_timeout_s: float = Field(300.0, gt=0)
    reasoning: bool = True
    summary: Literal["auto", "concise", "detailed"] = "auto"
    efforts: tuple[Effort, ...] | None = None


def effort_levels(model: str) -> tuple[str, ...]:
    """Reasoning efforts ``model`` accepts, guessed from its name."""
    name = model.split("/")[-1]
    match = re.match(r"gpt-(\d+)(?:\.(\d+))?", name)
    if match:
        if "-pro" in name:
            return ("high",)
        if (int(match.group(1)), int(match.group(2) or 0)) >= (5, 1):
            return ("none", "low", "medium", "high")
        return ("minimal", "low", "medium", "high")
    if re.match(r"o\d", name):
        return ("low", "medium", "high")
    return ("minimal", "low", "medium", "high")


def reasoning_fields(
    model: str, limit: int | None, max_tokens: int | None, options: ResponsesOptions
) -> tuple[dict[str, Any], str]:
    """``reasoning`` and ``max_output_tokens`` for budget ``limit`` and how it was applied."""
    cap = max_tokens_for(limit, max_tokens) if limit else max_tokens
    fields: dict[str, Any] = {"max_output_tokens": cap} if cap else {}
    if not options.reasoning:
        return fields, "not a reasoning model"
    levels = options.efforts or effort_levels(model)
    reasoning: dict[str, Any] = {}
    if limit is None:
        applied = "provider default effort"
    elif limit == 0:
        reasoning["effort"] = next((e for e in ("none", "minimal") if e in levels), levels[0])
        applied = f"effort={reasoning['effort']}"
    else:
        thinking_levels = [e for e in levels if e != "none"] or list(levels)
        reasoning["effort"] = clamp_effort(effort_for_budget(limit, cap or limit), thinking_levels)
        applied = f"effort={reasoning['effort']}"
    reasoning["summary"] = options.summary
    fields["reasoning"] = reasoning
    return fields, applied


def input_items(messages: list[Message]) -> list[dict[str, Any]]:
    """The conversation as Responses input items, reasoning items passed back in place."""
    items: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "system":
            items.append({"role": "developer", "content": message.text})
        elif message.role == "user":
            content = [{"type": "input_text", "text": message.text}]
            items.append({"role": "user", "content": content})
        elif message.text:
            # A reasoning item must be followed by the answer it led to (else a 400), so one
            # without text (cut off after reasoning) goes back without its reasoning.
            cont = message.continuation or {}
            if cont.get("format") == FORMAT and isinstance(cont.get("items"), list):
                items += copy.deepcopy(cont["items"])
            items.append({"role": "assistant", "content": message.text})
    return items


@dataclass(eq=False, kw_only=True)
class ResponsesWire(ProviderWire):
    """Builds Responses requests and reads OpenAI errors."""

    kind = "openai-responses"
    options: ResponsesOptions = field(default_factory=ResponsesOptions)

    def plan(self, request: ChatRequest) -> tuple[dict[str, Any], str]:
        limit = request.budget.limit
        return reasoning_fields(self.model, limit, request.max_tokens, self.options)

    def build(self, request: ChatRequest) -> HttpCall:
        fields, _ = self.plan(request)
        body: dict[str, Any] = {
            "model": self.model,
            "input": input_items(list(request.messages)),
            "stream": True,
            "store": False,
            **fields,
        }
        if self.options.reasoning:
            body["include"] = ["reasoning.encrypted_content"]
        elif request.temperature is not None:
            body["temperature"] = request.temperature  # reasoning models reject it
        headers = {"content-type": "application/json"}
        if self.api_key:
            headers["authorization"] = f"Bearer {self.api_key}"
        return HttpCall("POST", f"{self.base_url}/responses", headers, body, "sse")

    def parser(self, request: ChatRequest) -> ResponsesParser:
        return ResponsesParser(self, self.plan(request)[1])

    def error_for_status(self, status: int, body: bytes, headers: dict[str, str]) -> PonderError:
        message, code = parse_error_body(body)
        return self.error(status, message, code, retry_after_hint(headers, body))

    def error(
        self, status: int, message: str, code: str, retry_after: float | None = None
    ) -> PonderError:
        """ponder's error for an OpenAI error (HTTP body, ``error`` event, ``response.failed``)."""
        status = status or CODE_STATUS.get(code, 0)
        return status_error(
            status,
            message,
            code,
            provider="OpenAI",
            model=self.model,
            key_env=self.key_env,
            retry_after=retry_after,
        )


def usage_from(usage: dict[str, Any]) -> Usage:
    """The common usage record from ``response.usage`` (§2)."""
    inputs = usage.get("input_tokens_details") or {}
    outputs = usage.get("output_tokens_details") or {}
    reasoning = outputs.get("reasoning_tokens")
    return Usage(
        input=int(usage.get("input_tokens") or 0),
        cached_input=int(inputs.get("cached_tokens") or 0),
        cache_write=int(inputs.get("cache_write_tokens") or 0),
        output=int(usage.get("output_tokens") or 0),
        reasoning=int(reasoning) if reasoning is not None else None,
    )


def reasoning_item(item: dict[str, Any]) -> dict[str, Any] | None:
    """A reasoning output item in input form, or ``None`` when it cannot be passed back."""
    if item.get("type") != "reasoning" or not item.get("encrypted_content"):
        return None  # without store, an item lacking its encrypted content is unknown to OpenAI
    keep = {"type": "reasoning", "id": item.get("id"), "summary": item.get("summary") or []}
    keep["encrypted_content"] = item["encrypted_content"]
    if item.get("content"):
        keep["content"] = item["content"]
    return keep


class ResponsesParser(StreamParser):
    """Responses stream events → ponder events; keeps reasoning items for the continuation."""

    def __init__(self, wire: ResponsesWire, budget_applied: str) -> None:
        super().__init__(budget_applied)
        self.wire = wire
        self.items: list[dict[str, Any]] = []
        self.thought = False  # reasoning text emitted since the last part separator

    def feed(self, data: str, event: str | None = None) -> list[StreamEvent]:
        try:
            msg = json.loads(data)
        except ValueError as exc:
            raise MalformedEvent(f"not JSON: {clip(data, 80)!r}") from exc
        if not isinstance(msg, dict):
            raise MalformedEvent(f"not a JSON object: {clip(data, 80)!r}")
        kind = msg.get("type") or event
        try:
            return self._event(str(kind), msg)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise MalformedEvent(f"bad {kind} event: {exc!r}") from exc

    def _event(self, kind: str, msg: dict[str, Any]) -> list[StreamEvent]:
        if kind in REASONING_DELTAS:
            delta = str(msg["delta"] or "")
            self.thought = self.thought or bool(delta)
            return [ReasoningDelta(delta)] if delta else []
        if kind in TEXT_DELTAS:
            return [TextDelta(str(msg["delta"]))] if msg["delta"] else []
        if kind == "response.reasoning_summary_part.added" and self.thought:
            self.thought = False
            return [ReasoningDelta("\n\n")]  # summary parts are paragraphs with their own heading
        if kind == "response.output_item.done":
            item = reasoning_item(msg["item"])
            if item is not None:
                self.items.append(item)
        elif kind in ("response.created", "response.in_progress"):
            self.saw_model(msg["response"].get("model"))
        elif kind in ENDINGS:
            return self._ending(kind, msg["response"])
        elif kind == "error":
            self.fail(self.wire.error(0, *parse_error_body(msg)))
        elif kind not in IGNORED:
            self.extra["unknown_events"] = self.extra.get("unknown_events", 0) + 1
        return []

    def _ending(self, kind: str, response: dict[str, Any]) -> list[StreamEvent]:
        raw = response.get("usage")
        usage = usage_from(raw) if isinstance(raw, dict) else None  # checked before any state
        self.done = True
        self.saw_model(response.get("model"))
        if not self.items:  # output_item.done was lost: the final output has the same items
            found = (reasoning_item(item) for item in response.get("output") or [])
            self.items = [item for item in found if item is not None]
        started, completed = response.get("created_at"), response.get("completed_at")
        if isinstance(started, (int, float)) and isinstance(completed, (int, float)):
            self.extra["server_total_ms"] = (completed - started) * 1000.0
        if kind == "response.completed":
            self.stop_reason = StopReason.STOP
        elif kind == "response.incomplete":
            reason = (response.get("incomplete_details") or {}).get("reason")
            self.extra["native_stop_reason"] = reason
            self.stop_reason = StopReason.STOP if reason == "content_filter" else StopReason.LENGTH
        else:
            self.error = self.wire.error(0, *parse_error_body(response.get("error") or {}))
            self.stop_reason = StopReason.ERROR
        if usage is not None:
            self.usage = usage
            return [UsageUpdate(usage)]
        return []

    def end(self) -> ParsedEnd:
        return self.summary(
            continuation={"format": FORMAT, "items": self.items} if self.items else None
        )


class OpenAIResponsesBackend(HTTPBackend):
    """OpenAI reasoning models through the Responses API; key from ``OPENAI_API_KEY``."""

    kind = "openai-responses"
    Options = ResponsesOptions
    options: ResponsesOptions
    capabilities = Capabilities(
        can_think=True, thinking_text="summary", budget_precision="bucketed"
    )
    wire_class = ResponsesWire
    default_model = "gpt-5"

    def __init__(self, spec: BackendSpec) -> None:
        super().__init__(spec)
        if not self.options.reasoning:
            self.capabilities = Capabilities()
