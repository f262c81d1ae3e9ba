"""Ollama's native ``POST /api/chat`` (NDJSON) as ponder events.

``message.thinking`` is the raw chain of thought, ``message.content`` the answer; the final
``"done": true`` line carries counts and durations (nanoseconds), reported as the server's own
timings. Ollama has no reasoning token budget (providers.md §7, §13), so the budget maps to
``think``:

* ``B = 0`` → ``think: false`` (models that only take levels, e.g. gpt-oss: ``"low"``, since
  their thinking cannot be turned off);
* ``B > 0`` → ``think: true``, or for level models the ratio bucket of ``B / num_predict``
  (minimal → low, xhigh → max) clamped to the model's levels; ``options.num_predict`` =
  ``B`` + the answer allowance (the request's ``max_tokens`` when given);
* auto → no ``think`` field (the model's default).

``think_style = "none"`` never sends ``think`` (sending it to a model that cannot think is an
error). Usage: input = ``prompt_eval_count`` (missing → unknown, reported as 0 with
``extra["input_unknown"]``), output = ``eval_count`` (thinking included), reasoning not reported.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from pydantic import Field

from backends.base import BackendSpec
from backends.capabilities import Capabilities
from backends.errors import ModelNotFound, PonderError, ProviderError, clip
from backends.events import ReasoningDelta, StopReason, StreamEvent, TextDelta, Usage, UsageUpdate
from backends.kinds import KINDS
from backends.remote.effort import clamp_effort, effort_for_budget, max_tokens_for
from backends.remote.http import HTTPBackend, HTTPOptions
from backends.remote.http_errors import (
    is_context_overflow,
    parse_error_body,
    retry_after_hint,
    status_error,
)
from backends.remote.wire import HttpCall, MalformedEvent, ParsedEnd, ProviderWire, StreamParser
from backends.request import ChatRequest, Message

ThinkStyle = Literal["auto", "bool", "levels", "none"]
ThinkLevel = Literal["low", "medium", "high", "max"]
DONE_REASONS = {"stop": StopReason.STOP, "length": StopReason.LENGTH}
NS_PER_MS = 1_000_000


class OllamaOptions(HTTPOptions):
    """Options of the ``ollama`` kind.

    ``think_style``: ``auto`` uses levels for gpt-oss models and booleans for the rest; ``none``
    for models that cannot think. ``think_levels``: the levels a level model accepts.
    ``num_ctx``: context window to ask for (``None`` = the server's default).
    """

    # The first request loads the model into memory before any byte is sent.
    stall_timeout_s: float = Field(300.0, gt=0)
    think_style: ThinkStyle = "auto"
    think_levels: tuple[ThinkLevel, ...] = ("low", "medium", "high")
    num_ctx: int | None = None
    keep_alive: str | None = None


def think_value(
    model: str, limit: int | None, max_tokens: int | None, options: OllamaOptions
) -> tuple[bool | str | None, str]:
    """The ``think`` field (``None`` = leave it out) and how the budget was applied."""
    style = options.think_style
    if style == "auto":
        style = "levels" if "gpt-oss" in model else "bool"
    if style == "none":
        return None, "not a thinking model"
    if limit is None:
        return None, "model default"
    if style == "bool":
        return limit > 0, "think on" if limit else "think off"
    if limit == 0:
        level = options.think_levels[0]
        return level, f"think={level} (cannot be turned off)"
    bucket = effort_for_budget(limit, max_tokens_for(limit, max_tokens))
    wanted = {"minimal": "low", "xhigh": "max"}.get(bucket, bucket)
    chosen = clamp_effort(wanted, options.think_levels)
    return chosen, f"think={chosen}"


def chat_messages(messages: list[Message]) -> list[dict[str, Any]]:
    # Past thinking is left out: templates drop it before the last user turn anyway.
    return [{"role": m.role, "content": m.text} for m in messages]


def base_of(url: str) -> str:
    """The server root: a configured ``…/v1`` or ``…/api`` suffix is dropped."""
    base = url.rstrip("/")
    for suffix in ("/v1", "/api"):
        if base.endswith(suffix):
            base = base[: -len(suffix)]
    return base


@dataclass(eq=False, kw_only=True)
class OllamaWire(ProviderWire):
    """Builds ``/api/chat`` requests and reads Ollama's ``{"error": …}`` bodies."""

    kind = "ollama"
    options: OllamaOptions = field(default_factory=OllamaOptions)

    def __post_init__(self) -> None:
        super().__post_init__()
        self.base_url = base_of(self.base_url)

    def plan(self, request: ChatRequest) -> tuple[bool | str | None, str]:
        limit = request.budget.limit
        return think_value(self.model, limit, request.max_tokens, self.options)

    def build(self, request: ChatRequest) -> HttpCall:
        think, _ = self.plan(request)
        limit = request.budget.limit
        body: dict[str, Any] = {
            "model": self.model,
            "messages": chat_messages(list(request.messages)),
            "stream": True,
        }
        if think is not None:
            body["think"] = think
        options: dict[str, Any] = {}
        cap = max_tokens_for(limit, request.max_tokens) if limit else request.max_tokens
        if cap:
            options["num_predict"] = cap
        for name, value in (
            ("temperature", request.temperature),
            ("seed", request.seed),
            ("num_ctx", self.options.num_ctx),
        ):
            if value is not None:
                options[name] = value
        if options:
            body["options"] = options
        if self.options.keep_alive:
            body["keep_alive"] = self.options.keep_alive
        headers = {"content-type": "application/json"}
        if self.api_key:  # a remote Ollama behind a proxy or Ollama's cloud
            headers["authorization"] = f"Bearer {self.api_key}"
        return HttpCall("POST", f"{self.base_url}/api/chat", headers, body, "ndjson")

    def parser(self, request: ChatRequest) -> OllamaParser:
        return OllamaParser(self, self.plan(request)[1])

    def error_for_status(self, status: int, body: bytes, headers: dict[str, str]) -> PonderError:
        message, code = parse_error_body(body)
        return self.error(status, message, code, retry_after_hint(headers, body))

    def error(
        self, status: int, message: str, code: str = "", retry_after: float | None = None
    ) -> PonderError:
        """ponder's error for an Ollama ``{"error": …}`` (HTTP status, or 0 in-stream)."""
        lowered = message.lower()
        if status == 404 or ("model" in lowered and "not found" in lowered):
            return ModelNotFound(
                f"Ollama does not have the model '{self.model}': {message}",
                f"run: ollama pull {self.model}",
            )
        if "does not support thinking" in lowered:
            return ProviderError(f"Ollama: {message}", 'set think_style = "none" in the options')
        if status == 0 and not is_context_overflow(code, message):
            status = 500  # a failure while running the model: worth one retry before output
        return status_error(
            status,
            message,
            code,
            provider="Ollama",
            model=self.model,
            key_env=self.key_env,
            retry_after=retry_after,
        )


class OllamaParser(StreamParser):
    """NDJSON lines → events; the ``done`` line gives usage and server timings."""

    def __init__(self, wire: OllamaWire, budget_applied: str) -> None:
        super().__init__(budget_applied)
        self.wire = wire
        self.timings: dict[str, float | int | None] = {}

    def feed(self, data: str, event: str | None = None) -> list[StreamEvent]:
        if not data.strip():
            return []
        try:
            line = json.loads(data)
        except ValueError as exc:
            raise MalformedEvent(f"not JSON: {clip(data, 80)!r}") from exc
        if not isinstance(line, dict):
            raise MalformedEvent(f"not a JSON object: {clip(data, 80)!r}")
        try:
            return self._line(line)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise MalformedEvent(f"bad line: {exc!r}") from exc

    def _line(self, line: dict[str, Any]) -> list[StreamEvent]:
        if line.get("error"):
            self.fail(self.wire.error(0, *parse_error_body(line)))
            return []
        self.saw_model(line.get("model"))
        message = line.get("message") or {}
        events: list[StreamEvent] = []
        if message.get("thinking"):
            events.append(ReasoningDelta(str(message["thinking"])))
        if message.get("content"):
            events.append(TextDelta(str(message["content"])))
        if line.get("done") is True:
            events += self._done(line)
        return events

    def _done(self, line: dict[str, Any]) -> list[StreamEvent]:
        prompt, output = line.get("prompt_eval_count"), line.get("eval_count")
        usage = Usage(input=_count(prompt), output=_count(output))  # checked before any state
        self.done, self.usage = True, usage
        reason = str(line.get("done_reason") or "stop")
        self.stop_reason = DONE_REASONS.get(reason, StopReason.STOP)
        if prompt is None:
            self.extra["input_unknown"] = True  # older servers omit it on cache hits
        self.timings = {
            "prompt_ms": _ms(line.get("prompt_eval_duration")),
            "decode_ms": _ms(line.get("eval_duration")),
            "decode_tokens": _count(output) if output is not None else None,
        }
        for name in ("load_duration", "total_duration"):
            if _ms(line.get(name)) is not None:
                self.extra[name.replace("duration", "ms")] = _ms(line[name])
        return [UsageUpdate(usage)]

    def end(self) -> ParsedEnd:
        tokens = self.timings.get("decode_tokens")
        return self.summary(
            server_prompt_ms=self.timings.get("prompt_ms"),
            server_decode_ms=self.timings.get("decode_ms"),
            server_decode_tokens=int(tokens) if tokens is not None else None,
        )


def _ms(value: Any) -> float | None:
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    return float(value) / NS_PER_MS if number else None


def _count(value: Any) -> int:
    """A token count; ``MalformedEvent`` for anything but a whole number >= 0 (or missing)."""
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise MalformedEvent(f"not a token count: {value!r:.40}")
    return value


class OllamaBackend(HTTPBackend):
    """A model served by Ollama's native API; no key (a configured one is sent as Bearer)."""

    kind = "ollama"
    Options = OllamaOptions
    options: OllamaOptions
    capabilities = Capabilities(
        can_think=True, thinking_text="full", budget_precision="on_off", local=KINDS["ollama"].local
    )
    wire_class = OllamaWire
    models_path = "/api/tags"
    default_model = "qwen3"

    def __init__(self, spec: BackendSpec) -> None:
        super().__init__(spec)
        style = self.options.think_style
        if style == "none":
            self.capabilities = replace(self.capabilities, can_think=False, budget_precision="none")
        elif style == "levels" or (style == "auto" and "gpt-oss" in self.model):
            self.capabilities = replace(self.capabilities, budget_precision="bucketed")

    @property
    def base_url(self) -> str:
        return base_of(super().base_url)

    def parse_models(self, data: Any) -> list[str]:
        """Model names from ``GET /api/tags`` (``{"models": [{"name": "qwen3:latest"}]}``)."""
        models = data.get("models", []) if isinstance(data, dict) else []
        return [str(m["name"]) for m in models if isinstance(m, dict) and "name" in m]
