"""What differs between Chat Completions servers: budget fields, pass-back, capabilities.

One ``ChatFlavor`` per server family. It translates ponder's thinking budget (tokens; 0 = off,
``None`` = auto) into that server's request fields (shared/reference/providers.md §13) and shapes
the assistant turns of the history. Each flavour is typed against the options model it reads
(``openai_options``). The stream format is the same for all of them and is read by
``backends.remote.openai_chat_stream.ChatParser``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, ClassVar

from backends.capabilities import Capabilities
from backends.remote.effort import ORDER, clamp_effort, effort_for_budget, max_tokens_for
from backends.remote.openai_options import (
    ChatOptions,
    EffortOptions,
    RouterOptions,
    SwitchOptions,
)
from backends.request import Message

# Continuation format written by ChatParser when a server streams ``reasoning_details``.
DETAILS_FORMAT = "chat.reasoning_details"


class BudgetPlan:
    """Request fields for one budget, how it was applied (for the user) and the output cap."""

    __slots__ = ("applied", "cap", "fields")

    def __init__(self, fields: dict[str, Any], applied: str, cap: int | None) -> None:
        self.fields = fields
        self.applied = applied
        self.cap = cap


class ChatFlavor:
    """A plain OpenAI-compatible server: the budget is not sent (precision "none")."""

    name: ClassVar[str] = "none"
    max_tokens_field: ClassVar[str] = "max_tokens"
    capabilities: ClassVar[Capabilities] = Capabilities(can_think=True, thinking_text="full")

    def __init__(self, options: ChatOptions, model: str) -> None:
        self.options = options
        self.model = model

    def plan(self, limit: int | None, max_tokens: int | None) -> BudgetPlan:
        """Fields for budget ``limit`` with output cap ``max_tokens`` (``None`` = default)."""
        if limit is None:
            return BudgetPlan({}, "auto: the server's default", max_tokens)
        return BudgetPlan({}, f"{limit}: not sent (this server takes no budget)", max_tokens)

    def assistant_fields(self, message: Message) -> dict[str, Any]:
        """Extra fields on an assistant turn of the history (reasoning passed back)."""
        if message.thinking and self.options.pass_back_reasoning:
            return {"reasoning_content": message.thinking}
        return {}


class OpenAIFlavor(ChatFlavor):
    """OpenAI Chat Completions: effort buckets, ``max_completion_tokens``, hidden reasoning."""

    name = "openai"
    max_tokens_field = "max_completion_tokens"
    capabilities = Capabilities(can_think=True, thinking_text="count", budget_precision="bucketed")

    def __init__(self, options: EffortOptions, model: str) -> None:
        super().__init__(options, model)
        self.options: EffortOptions = options

    def efforts(self) -> Sequence[str]:
        """Effort levels the model takes: the ``efforts`` option, else a guess from its name.

        o-series: low/medium/high; gpt-5 (before 5.1): minimal..high; gpt-5.1 and later:
        none/low/medium/high; any other model (gpt-4o…) takes no effort at all.
        """
        configured = self.options.efforts
        if configured is not None:
            return tuple(configured)
        name = self.model.lower().rsplit("/", 1)[-1]
        if re.match(r"o\d", name):
            return ("low", "medium", "high")
        if name == "gpt-5" or name.startswith("gpt-5-"):
            return ("minimal", "low", "medium", "high")
        if re.match(r"gpt-\d+\.\d", name) or re.match(r"gpt-([6-9]|\d\d)", name):
            return ("none", "low", "medium", "high")
        return ()

    def plan(self, limit: int | None, max_tokens: int | None) -> BudgetPlan:
        efforts = self.efforts()
        if limit is None:
            return BudgetPlan({}, "auto: the model's default effort", max_tokens)
        if not efforts:
            return BudgetPlan({}, f"{limit}: {self.model} takes no reasoning effort", max_tokens)
        if limit == 0:
            lowest = min(efforts, key=ORDER.index)
            return BudgetPlan({"reasoning_effort": lowest}, f"0 -> effort {lowest}", max_tokens)
        cap = max_tokens_for(limit, max_tokens)
        effort = clamp_effort(effort_for_budget(limit, cap), efforts)
        applied = f"{limit} of {cap} -> effort {effort} (bucketed)"
        return BudgetPlan({"reasoning_effort": effort}, applied, cap)

    def assistant_fields(self, message: Message) -> dict[str, Any]:
        return {}  # OpenAI never shows reasoning, so there is none to pass back


class DeepSeekFlavor(ChatFlavor):
    """DeepSeek: thinking on/off plus two effort levels (high, max)."""

    name = "deepseek"
    capabilities = Capabilities(can_think=True, thinking_text="full", budget_precision="on_off")

    def plan(self, limit: int | None, max_tokens: int | None) -> BudgetPlan:
        if limit is None:
            return BudgetPlan({}, "auto: the model's default", max_tokens)
        if limit == 0:
            return BudgetPlan(
                {"thinking": {"type": "disabled"}}, "0 -> thinking disabled", max_tokens
            )
        cap = max_tokens_for(limit, max_tokens)
        effort = "max" if limit / cap >= 0.95 else "high"
        fields: dict[str, Any] = {"thinking": {"type": "enabled"}, "reasoning_effort": effort}
        return BudgetPlan(fields, f"{limit} -> thinking on, effort {effort} (on/off)", cap)

    def assistant_fields(self, message: Message) -> dict[str, Any]:
        return {}  # DeepSeek ignores reasoning_content on turns without tool calls


class OpenRouterFlavor(ChatFlavor):
    """OpenRouter: ``reasoning.max_tokens`` (or an effort), reasoning_details passed back."""

    name = "openrouter"
    capabilities = Capabilities(
        can_think=True, thinking_text="full", budget_precision="approximate"
    )

    def __init__(self, options: RouterOptions, model: str) -> None:
        super().__init__(options, model)
        self.options: RouterOptions = options

    def _efforts(self) -> Sequence[str]:
        configured = self.options.efforts
        return tuple(configured) if configured else ("minimal", "low", "medium", "high", "xhigh")

    def plan(self, limit: int | None, max_tokens: int | None) -> BudgetPlan:
        if limit is None:
            return BudgetPlan({}, "auto: the model's default", max_tokens)
        exclude = {"exclude": True} if self.options.exclude_reasoning else {}
        if limit == 0:
            if self.options.reasoning_mandatory:
                lowest = min(self._efforts(), key=ORDER.index)
                reasoning = {"effort": lowest, **exclude}
                return BudgetPlan(
                    {"reasoning": reasoning}, f"0 -> effort {lowest} (mandatory)", max_tokens
                )
            return BudgetPlan({"reasoning": {"effort": "none"}}, "0 -> effort none", max_tokens)
        cap = max_tokens_for(limit, max_tokens)
        if self.options.reasoning_mode == "effort":
            effort = clamp_effort(effort_for_budget(limit, cap), self._efforts())
            fields = {"reasoning": {"effort": effort, **exclude}}
            return BudgetPlan(fields, f"{limit} of {cap} -> effort {effort}", cap)
        budget = min(limit, cap - 1) if cap > 1 else limit  # OpenRouter: max_tokens > budget
        fields = {"reasoning": {"max_tokens": budget, **exclude}}
        return BudgetPlan(fields, f"{limit} -> reasoning.max_tokens {budget}", cap)

    def assistant_fields(self, message: Message) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if message.thinking:
            out["reasoning"] = message.thinking
        cont = message.continuation or {}
        if cont.get("format") == DETAILS_FORMAT and cont.get("reasoning_details"):
            out["reasoning_details"] = cont["reasoning_details"]  # exactly as received
        return out


class LlamaServerFlavor(ChatFlavor):
    """llama.cpp ``llama-server``: per-request ``thinking_budget_tokens`` (sampler-enforced)."""

    name = "llama-server"
    capabilities = Capabilities(can_think=True, thinking_text="full", budget_precision="exact")

    def plan(self, limit: int | None, max_tokens: int | None) -> BudgetPlan:
        if limit is None:
            return BudgetPlan({}, "auto: the server's --reasoning-budget", max_tokens)
        if limit == 0:
            fields = {
                "chat_template_kwargs": {"enable_thinking": False},
                "thinking_budget_tokens": 0,
            }
            return BudgetPlan(fields, "0 -> enable_thinking false", max_tokens)
        cap = max_tokens_for(limit, max_tokens)
        applied = f"{limit} -> thinking_budget_tokens {limit}"
        return BudgetPlan({"thinking_budget_tokens": limit}, applied, cap)


class VLLMFlavor(ChatFlavor):
    """vLLM with a reasoning parser: ``thinking_token_budget``; a template switch for 0."""

    name = "vllm"
    capabilities = Capabilities(can_think=True, thinking_text="full", budget_precision="exact")

    def __init__(self, options: SwitchOptions, model: str) -> None:
        super().__init__(options, model)
        self.options: SwitchOptions = options

    def plan(self, limit: int | None, max_tokens: int | None) -> BudgetPlan:
        if limit is None:
            return BudgetPlan({}, "auto: the server's default", max_tokens)
        if limit == 0:
            switch = self.options.thinking_switch
            fields = {"chat_template_kwargs": {switch: False}}
            return BudgetPlan(fields, f"0 -> {switch} false", max_tokens)
        cap = max_tokens_for(limit, max_tokens)
        applied = f"{limit} -> thinking_token_budget {limit}"
        return BudgetPlan({"thinking_token_budget": limit}, applied, cap)


FLAVORS: dict[str, type[ChatFlavor]] = {
    flavor.name: flavor
    for flavor in (
        ChatFlavor,
        OpenAIFlavor,
        DeepSeekFlavor,
        OpenRouterFlavor,
        LlamaServerFlavor,
        VLLMFlavor,
    )
}
