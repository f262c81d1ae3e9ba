"""Options models of the Chat Completions kinds, one per server family.

The knobs a budget format reads are declared once, on a small model of their own
(``EffortOptions``, ``SwitchOptions``, ``RouterOptions``), so each flavour in ``openai_flavors``
is typed against exactly the options it reads. ``openai-compat`` (``CompatOptions``) can speak
any of the budget formats, so it takes all of them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from backends.remote.http import HTTPOptions

BudgetFormat = Literal["none", "llama-server", "vllm", "deepseek", "openrouter", "openai"]


class ChatOptions(HTTPOptions):
    """Options of every Chat Completions backend."""

    think_tags: bool = Field(True, description="split <think>…</think> found inline in content")
    pass_back_reasoning: bool = Field(False, description="send reasoning_content back in history")
    extra_body: dict[str, Any] = Field(default_factory=dict, description="merged into requests")


class EffortOptions(ChatOptions):
    """A server that takes reasoning effort levels (OpenAI's budget format)."""

    efforts: list[str] | None = Field(None, description="effort levels the model takes")


class SwitchOptions(ChatOptions):
    """A server whose chat template turns thinking off by a switch (vLLM's budget format)."""

    thinking_switch: Literal["enable_thinking", "thinking"] = "enable_thinking"


class RouterOptions(EffortOptions):
    """OpenRouter's budget format: ``reasoning.max_tokens`` or an effort."""

    reasoning_mode: Literal["max_tokens", "effort"] = "max_tokens"
    reasoning_mandatory: bool = False
    exclude_reasoning: bool = False


class CompatOptions(RouterOptions, SwitchOptions):
    """``openai-compat``: which budget format the server takes (default: none)."""

    budget_format: BudgetFormat = "none"


class OpenAIOptions(EffortOptions):
    think_tags: bool = False
    # Reasoning is hidden here: a reply can be silent for minutes before its first byte.
    stall_timeout_s: float = Field(300.0, gt=0)


class DeepSeekOptions(ChatOptions):
    think_tags: bool = False


class OpenRouterOptions(RouterOptions):
    think_tags: bool = False


class LlamaServerOptions(ChatOptions):
    pass_back_reasoning: bool = True  # reasoning templates (gpt-oss) read it back


class VLLMOptions(SwitchOptions):
    pass
