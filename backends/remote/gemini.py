"""Google Gemini ``streamGenerateContent?alt=sse`` as ponder events.

Budget (shared/reference/providers.md §4, §13), ``B`` = the thinking budget, always with
``includeThoughts: true`` so thought summaries stream:

* Gemini 2.5 (``thinkingBudget``): ``B`` clamped to the model's range: Pro 128–32768 (cannot be
  turned off, so ``B = 0`` sends 128), Flash 0–24576, Flash-Lite 512–24576 or 0; auto → ``-1``
  (dynamic). ``maxOutputTokens`` = ``B`` + the answer allowance when ``B > 0``.
* Gemini 3 (``thinkingLevel``): the ratio bucket of ``B / maxOutputTokens`` (``xhigh`` → HIGH),
  clamped to the model's levels (3 Pro: LOW, HIGH; 3.1 Pro: LOW, MEDIUM, HIGH; Flash: all four);
  ``B = 0`` → the lowest level; auto → no level (the model's default).

Usage comes from the last chunk's ``usageMetadata`` (output = candidates + thoughts).

Continuation: ``{"format": "gemini", "parts": [...]}``, the model turn's non-thought parts
(answer text merged, function calls) keeping every ``thoughtSignature`` on the part it arrived
with; thought parts are dropped unless they carry a signature. Written only when a signature
arrived; sent back as that turn's ``parts``.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from pydantic import Field

from backends.base import BackendSpec
from backends.capabilities import BudgetPrecision, Capabilities
from backends.errors import AuthError, PonderError, ProviderError, QuotaExceeded, clip
from backends.events import ReasoningDelta, StopReason, StreamEvent, TextDelta, Usage, UsageUpdate
from backends.remote.effort import clamp_effort, effort_for_budget, max_tokens_for
from backends.remote.http import HTTPBackend, HTTPOptions
from backends.remote.http_errors import parse_error_body, retry_after_hint, status_error
from backends.remote.wire import HttpCall, MalformedEvent, ParsedEnd, ProviderWire, StreamParser
from backends.request import ChatRequest, Message

FORMAT = "gemini"
LEVELS = ("minimal", "low", "medium", "high")
ThinkingStyle = Literal["auto", "budget", "level", "none"]

# name pattern → (min budget when on, max budget, can be turned off)
BUDGET_RANGES: tuple[tuple[str, tuple[int, int, bool]], ...] = (
    ("2.5-pro", (128, 32768, False)),
    ("2.5-flash-lite", (512, 24576, True)),
    ("2.5-flash", (1, 24576, True)),
)
LEVEL_SETS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("3-pro", ("low", "high")),
    ("3.1-pro", ("low", "medium", "high")),
    ("flash", LEVELS),
)
FINISH = {"STOP": StopReason.STOP, "MAX_TOKENS": StopReason.LENGTH}


class GeminiOptions(HTTPOptions):
    """Options of the ``gemini`` kind.

    ``thinking``: ``auto`` picks from the model name (2.5 → token budget, 3 → level, others
    none). ``budget_range`` = (min, max) overrides the known range; ``can_disable`` whether
    budget 0 turns thinking off; ``levels`` overrides the Gemini 3 levels the model accepts.
    """

    # Thought summaries come in bursts: allow long silences while the model thinks.
    stall_timeout_s: float = Field(120.0, gt=0)
    thinking: ThinkingStyle = "auto"
    budget_range: tuple[int, int] | None = None
    can_disable: bool | None = None
    levels: tuple[Literal["minimal", "low", "medium", "high"], ...] | None = None


def thinking_style(model: str, options: GeminiOptions) -> ThinkingStyle:
    """``budget`` (2.5), ``level`` (3+) or ``none``, unless configured."""
    if options.thinking != "auto":
        return options.thinking
    if "2.5" in model:
        return "budget"
    match = re.search(r"gemini-(\d+)", model)
    return "level" if match and int(match.group(1)) >= 3 else "none"


def budget_range(model: str, options: GeminiOptions) -> tuple[int, int, bool]:
    """(min when on, max, can disable) for a 2.5 model."""
    low, high, off = next((spec for key, spec in BUDGET_RANGES if key in model), (1, 24576, True))
    if options.budget_range:
        low, high = options.budget_range
    return max(1, low), high, off if options.can_disable is None else options.can_disable


def level_set(model: str, options: GeminiOptions) -> tuple[str, ...]:
    if options.levels:
        return tuple(options.levels)
    return next((levels for key, levels in LEVEL_SETS if key in model), ("low", "high"))


def generation_config(
    model: str, limit: int | None, max_tokens: int | None, options: GeminiOptions
) -> tuple[dict[str, Any], str]:
    """``generationConfig`` for budget ``limit`` (``None`` = auto) and how it was applied."""
    style = thinking_style(model, options)
    config: dict[str, Any] = {}
    cap = max_tokens_for(limit, max_tokens) if limit else max_tokens
    if cap:
        config["maxOutputTokens"] = cap
    if style == "none":
        return config, "not a thinking model"
    thinking: dict[str, Any] = {"includeThoughts": True}
    if style == "budget":
        low, high, can_off = budget_range(model, options)
        if limit is None:
            thinking["thinkingBudget"], applied = -1, "thinkingBudget=-1 (dynamic)"
        elif limit == 0 and can_off:
            thinking, applied = {"thinkingBudget": 0}, "thinking off (thinkingBudget=0)"
        else:
            thinking["thinkingBudget"] = min(max(limit, low), high)
            applied = f"thinkingBudget={thinking['thinkingBudget']}"
    else:
        levels = level_set(model, options)
        if limit is None:
            applied = "model default level"
        else:
            want = "minimal" if limit == 0 else effort_for_budget(limit, cap or limit)
            level = clamp_effort(want if want in LEVELS else "high", levels)
            thinking["thinkingLevel"] = level.upper()
            applied = f"thinkingLevel={level.upper()}"
    config["thinkingConfig"] = thinking
    return config, applied


def model_parts(message: Message) -> list[dict[str, Any]]:
    """A past model turn's parts: its continuation exactly, else its text."""
    cont = message.continuation or {}
    if cont.get("format") == FORMAT and isinstance(cont.get("parts"), list):
        return copy.deepcopy(cont["parts"])
    return [{"text": message.text}] if message.text else []


def contents(messages: list[Message]) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """(systemInstruction, contents) in the API's shape; empty turns are left out."""
    system = "\n\n".join(m.text for m in messages if m.role == "system" and m.text)
    turns = []
    for message in messages:
        if message.role == "system":
            continue
        if message.role == "assistant":
            turn = {"role": "model", "parts": model_parts(message)}
        else:
            turn = {"role": "user", "parts": [{"text": message.text}] if message.text else []}
        if turn["parts"]:
            turns.append(turn)
    return ({"parts": [{"text": system}]} if system else None), turns


@dataclass(eq=False, kw_only=True)
class GeminiWire(ProviderWire):
    """Builds streamGenerateContent requests and reads google.rpc.Status errors."""

    kind = "gemini"
    options: GeminiOptions = field(default_factory=GeminiOptions)

    def __post_init__(self) -> None:
        super().__post_init__()
        self.model = self.model.removeprefix("models/")  # the API lists models as "models/<id>"

    def plan(self, request: ChatRequest) -> tuple[dict[str, Any], str]:
        limit = request.budget.limit
        return generation_config(self.model, limit, request.max_tokens, self.options)

    def build(self, request: ChatRequest) -> HttpCall:
        config, _ = self.plan(request)
        if request.temperature is not None:
            config["temperature"] = request.temperature
        if request.seed is not None:
            config["seed"] = request.seed
        system, turns = contents(list(request.messages))
        body: dict[str, Any] = {"contents": turns}
        if system:
            body["systemInstruction"] = system
        if config:
            body["generationConfig"] = config
        headers = {"content-type": "application/json"}
        if self.api_key:
            headers["x-goog-api-key"] = self.api_key
        url = f"{self.base_url}/models/{self.model}:streamGenerateContent?alt=sse"
        return HttpCall("POST", url, headers, body, "sse")

    def parser(self, request: ChatRequest) -> GeminiParser:
        return GeminiParser(self, self.plan(request)[1])

    def error_for_status(self, status: int, body: bytes, headers: dict[str, str]) -> PonderError:
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None
        return self.error(status, payload, body, retry_after_hint(headers, body))

    def error(
        self, status: int, payload: Any, raw: bytes | str, retry_after: float | None = None
    ) -> PonderError:
        """ponder's error for a google.rpc.Status: an HTTP error body, or in-stream (status 0)."""
        message, code = parse_error_body(payload if payload is not None else raw)
        if isinstance(payload, list) and payload:
            payload = payload[0]  # the Status is sometimes wrapped in a one-element array
        error = payload.get("error") if isinstance(payload, dict) else None
        error = error if isinstance(error, dict) else {}
        details = [d for d in error.get("details") or [] if isinstance(d, dict)]
        if not status and isinstance(error.get("code"), int):
            status = error["code"]
        reasons = {d.get("reason") for d in details}
        if "API_KEY_INVALID" in reasons or "API key not valid" in message:
            return AuthError(f"Gemini rejected the API key: {message}", f"check {self.key_env}")
        violations = [v for d in details for v in d.get("violations") or [] if isinstance(v, dict)]
        quota_ids = [str(v.get("quotaId")) for v in violations]
        if status == 429 and any("PerDay" in quota for quota in quota_ids):
            return QuotaExceeded(
                f"Gemini daily quota used up: {message}",
                "it resets daily; retrying now will not help",
            )
        return status_error(
            status,
            message,
            code,
            provider="Gemini",
            model=self.model,
            key_env=self.key_env,
            retry_after=retry_after,
        )


def usage_from(meta: dict[str, Any]) -> Usage:
    """The common usage record from ``usageMetadata`` (§4)."""
    thoughts = int(meta.get("thoughtsTokenCount") or 0)
    return Usage(
        input=int(meta.get("promptTokenCount") or 0)
        + int(meta.get("toolUsePromptTokenCount") or 0),
        cached_input=int(meta.get("cachedContentTokenCount") or 0),
        output=int(meta.get("candidatesTokenCount") or 0) + thoughts,
        reasoning=thoughts,
    )


class GeminiParser(StreamParser):
    """Gemini SSE chunks → events; keeps the model turn's signed parts for the continuation."""

    def __init__(self, wire: GeminiWire, budget_applied: str) -> None:
        super().__init__(budget_applied)
        self.wire = wire
        self.parts: list[dict[str, Any]] = []
        self.signed = False

    def feed(self, data: str, event: str | None = None) -> list[StreamEvent]:
        try:
            chunk = json.loads(data)
        except ValueError as exc:
            raise MalformedEvent(f"not JSON: {clip(data, 80)!r}") from exc
        if isinstance(chunk, list) and len(chunk) == 1:
            chunk = chunk[0]
        if not isinstance(chunk, dict):
            raise MalformedEvent(f"not a JSON object: {clip(data, 80)!r}")
        try:
            return self._chunk(chunk)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise MalformedEvent(f"bad chunk: {exc!r}") from exc

    def _chunk(self, chunk: dict[str, Any]) -> list[StreamEvent]:
        if isinstance(chunk.get("error"), dict):
            self.fail(self.wire.error(0, chunk, "", retry_after_hint({}, json.dumps(chunk))))
            return []
        meta = chunk.get("usageMetadata")
        usage = usage_from(meta) if isinstance(meta, dict) else None  # checked before any state
        events: list[StreamEvent] = []
        self.saw_model(chunk.get("modelVersion"))
        candidates = chunk.get("candidates") or []
        if candidates:
            candidate = candidates[0]
            for part in (candidate.get("content") or {}).get("parts") or []:
                events += self._part(part)
            if candidate.get("finishReason"):
                native = str(candidate["finishReason"])
                self.extra["native_stop_reason"] = native
                self.stop_reason = FINISH.get(native, StopReason.STOP)
                self.done = True
        blocked = (chunk.get("promptFeedback") or {}).get("blockReason")
        if blocked and not candidates:
            self.fail(ProviderError(f"Gemini blocked the prompt ({blocked})"))
        if usage is not None:
            self.usage = usage
            events.append(UsageUpdate(usage))
        return events

    def _part(self, part: dict[str, Any]) -> list[StreamEvent]:
        text = part.get("text")
        signed = bool(part.get("thoughtSignature"))
        self.signed = self.signed or signed
        if part.get("thought"):
            if signed:
                self.parts.append(dict(part))
            return [ReasoningDelta(str(text))] if text else []
        last = self.parts[-1] if self.parts else None
        plain = isinstance(text, str) and set(part) == {"text"}
        if plain and last is not None and set(last) == {"text"}:
            last["text"] += text  # plain answer text: one part, like the API's own turns
        elif not (plain and not text):  # the API rejects empty text parts sent back
            self.parts.append(dict(part))
        return [TextDelta(text)] if isinstance(text, str) and text else []

    def end(self) -> ParsedEnd:
        return self.summary(
            continuation={"format": FORMAT, "parts": self.parts} if self.signed else None
        )


class GeminiBackend(HTTPBackend):
    """Gemini through ``streamGenerateContent``; key from ``GEMINI_API_KEY``."""

    kind = "gemini"
    Options = GeminiOptions
    options: GeminiOptions
    capabilities = Capabilities(
        can_think=True, thinking_text="summary", budget_precision="approximate"
    )
    wire_class = GeminiWire
    default_model = "gemini-2.5-flash"

    def __init__(self, spec: BackendSpec) -> None:
        super().__init__(spec)
        style = thinking_style(self.model, self.options)
        precisions: dict[str, BudgetPrecision] = {"budget": "approximate", "level": "bucketed"}
        precision = precisions.get(style, "none")
        self.capabilities = replace(
            self.capabilities, can_think=style != "none", budget_precision=precision
        )

    def auth_headers(self) -> dict[str, str]:
        return {"x-goog-api-key": self.api_key} if self.api_key else {}

    def parse_models(self, data: Any) -> list[str]:
        """Model ids from ``GET /models`` (``{"models": [{"name": "models/…"}]}``) that chat."""
        models = data.get("models", []) if isinstance(data, dict) else []
        return [
            str(m["name"]).removeprefix("models/")
            for m in models
            if isinstance(m, dict)
            and "name" in m
            and "generateContent" in (m.get("supportedGenerationMethods") or ["generateContent"])
        ]
