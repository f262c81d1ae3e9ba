"""OpenAI Chat Completions wire format and the backends that speak it.

``POST {base_url}/chat/completions`` with ``stream: true`` and ``stream_options.include_usage``.
The stream is the same for OpenAI, DeepSeek, OpenRouter, llama.cpp's server, vLLM and other
compatible servers (shared/reference/providers.md §1, §5, §6, §8, §9): thinking arrives in
``delta.reasoning_content`` or ``delta.reasoning`` (or inline ``<think>`` tags in ``content``),
usage in a final chunk. What differs per server (budget fields, what goes back in the history)
lives in ``openai_flavors``. Servers that send no usage get a local estimate marked as such.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from backends.errors import PonderError
from backends.remote.http import HTTPBackend, HTTPOptions
from backends.remote.http_errors import parse_error_body, retry_after_hint, status_error
from backends.remote.openai_chat_stream import ChatParser
from backends.remote.openai_flavors import (
    FLAVORS,
    ChatFlavor,
    DeepSeekFlavor,
    LlamaServerFlavor,
    OpenAIFlavor,
    OpenRouterFlavor,
    VLLMFlavor,
)
from backends.remote.wire import HttpCall, StreamParser, WireFormat
from backends.request import ChatRequest, Message


class ChatWire(WireFormat):
    """Builds Chat Completions requests and reads their errors for one flavour."""

    def __init__(self, backend: ChatBackend, flavor: ChatFlavor) -> None:
        self.backend = backend
        self.flavor = flavor

    def build(self, request: ChatRequest) -> HttpCall:
        """The streaming POST for ``request``, budget translated by the flavour."""
        backend = self.backend
        plan = self.flavor.plan(request.budget.limit, request.max_tokens)
        body: dict[str, Any] = {}
        if backend.model != "default":  # a bare server URL: let the server pick its model
            body["model"] = backend.model
        body["messages"] = [self._message(m) for m in request.messages]
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
        if plan.cap is not None:
            body[self.flavor.max_tokens_field] = plan.cap
        if request.temperature is not None:
            body["temperature"] = request.temperature
        if request.seed is not None:
            body["seed"] = request.seed
        body.update(plan.fields)
        body.update(backend.options.extra_body)
        headers = {"Content-Type": "application/json", **backend.auth_headers()}
        headers.update(backend.extra_headers())
        url = backend.base_url + "/chat/completions"
        return HttpCall("POST", url, headers, body, "sse")

    def _message(self, message: Message) -> dict[str, Any]:
        out: dict[str, Any] = {"role": message.role, "content": message.text}
        if message.role == "assistant":
            out.update(self.flavor.assistant_fields(message))
        return out

    def parser(self, request: ChatRequest) -> StreamParser:
        plan = self.flavor.plan(request.budget.limit, request.max_tokens)
        return ChatParser(
            request,
            think_tags=self.backend.options.think_tags,
            budget_applied=plan.applied,
            provider=self.backend.provider,
            key_env=self.backend.key_env,
        )

    def error_for_status(self, status: int, body: bytes, headers: dict[str, str]) -> PonderError:
        message, code = parse_error_body(body)
        backend = self.backend
        return status_error(
            status,
            message,
            code,
            provider=backend.provider,
            model=backend.model,
            key_env=backend.key_env,
            retry_after=retry_after_hint(headers, body),
        )


# ----- backends -----------------------------------------------------------------------------


class ChatOptions(HTTPOptions):
    """Options of every Chat Completions backend."""

    think_tags: bool = Field(True, description="split <think>…</think> found inline in content")
    pass_back_reasoning: bool = Field(False, description="send reasoning_content back in history")
    extra_body: dict[str, Any] = Field(default_factory=dict, description="merged into requests")


class ChatBackend(HTTPBackend):
    """A Chat Completions backend; ``flavor`` picks the budget fields and capabilities."""

    Options = ChatOptions
    flavor: type[ChatFlavor] = ChatFlavor

    def __init__(self, spec: Any) -> None:
        super().__init__(spec)
        self.capabilities = self.flavor_class().capabilities

    def flavor_class(self) -> type[ChatFlavor]:
        return self.flavor

    def make_wire(self) -> WireFormat:
        return ChatWire(self, self.flavor_class()(self.options, self.model))

    def extra_headers(self) -> dict[str, str]:
        """Provider-specific headers on chat requests (none by default)."""
        return {}


class CompatOptions(ChatOptions):
    """``openai-compat``: which budget format the server takes (default: none)."""

    budget_format: Literal["none", "llama-server", "vllm", "deepseek", "openrouter", "openai"] = (
        "none"
    )
    efforts: list[str] | None = None
    thinking_switch: Literal["enable_thinking", "thinking"] = "enable_thinking"


class OpenAICompatBackend(ChatBackend):
    """Any OpenAI-compatible server by ``base_url``; the key is optional."""

    kind = "openai-compat"
    Options = CompatOptions
    capabilities = ChatFlavor.capabilities

    def flavor_class(self) -> type[ChatFlavor]:
        return FLAVORS[self.options.budget_format]


class OpenAIOptions(ChatOptions):
    think_tags: bool = False
    # Reasoning is hidden here: a reply can be silent for minutes before its first byte.
    stall_timeout_s: float = Field(300.0, gt=0)
    efforts: list[str] | None = Field(None, description="effort levels the model takes")


class OpenAIChatBackend(ChatBackend):
    kind = "openai"
    Options = OpenAIOptions
    flavor = OpenAIFlavor
    capabilities = OpenAIFlavor.capabilities
    default_base_url = "https://api.openai.com/v1"
    default_key_env = "OPENAI_API_KEY"
    requires_key = True
    provider_name = "OpenAI"


class DeepSeekOptions(ChatOptions):
    think_tags: bool = False


class DeepSeekBackend(ChatBackend):
    kind = "deepseek"
    Options = DeepSeekOptions
    flavor = DeepSeekFlavor
    capabilities = DeepSeekFlavor.capabilities
    default_base_url = "https://api.deepseek.com"
    default_key_env = "DEEPSEEK_API_KEY"
    requires_key = True
    provider_name = "DeepSeek"


class OpenRouterOptions(ChatOptions):
    think_tags: bool = False
    reasoning_mode: Literal["max_tokens", "effort"] = "max_tokens"
    reasoning_mandatory: bool = False
    exclude_reasoning: bool = False
    efforts: list[str] | None = None


class OpenRouterBackend(ChatBackend):
    kind = "openrouter"
    Options = OpenRouterOptions
    flavor = OpenRouterFlavor
    capabilities = OpenRouterFlavor.capabilities
    default_base_url = "https://openrouter.ai/api/v1"
    default_key_env = "OPENROUTER_API_KEY"
    requires_key = True
    provider_name = "OpenRouter"

    def extra_headers(self) -> dict[str, str]:
        return {"X-Title": "ponder"}


class LlamaServerOptions(ChatOptions):
    pass_back_reasoning: bool = True  # reasoning templates (gpt-oss) read it back


class LlamaServerBackend(ChatBackend):
    kind = "llama-server"
    Options = LlamaServerOptions
    flavor = LlamaServerFlavor
    capabilities = LlamaServerFlavor.capabilities
    default_base_url = "http://127.0.0.1:8080/v1"
    provider_name = "llama-server"


class VLLMOptions(ChatOptions):
    thinking_switch: Literal["enable_thinking", "thinking"] = "enable_thinking"


class VLLMBackend(ChatBackend):
    kind = "vllm"
    Options = VLLMOptions
    flavor = VLLMFlavor
    capabilities = VLLMFlavor.capabilities
    default_base_url = "http://127.0.0.1:8000/v1"
    provider_name = "vLLM"


__all__ = [
    "ChatBackend",
    "ChatParser",
    "ChatWire",
    "DeepSeekBackend",
    "LlamaServerBackend",
    "OpenAIChatBackend",
    "OpenAICompatBackend",
    "OpenRouterBackend",
    "VLLMBackend",
]
