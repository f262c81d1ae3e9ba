"""OpenAI Chat Completions wire format and the backends that speak it.

``POST {base_url}/chat/completions`` with ``stream: true`` and ``stream_options.include_usage``.
The stream is the same for OpenAI, DeepSeek, OpenRouter, llama.cpp's server, vLLM and other
compatible servers (shared/reference/providers.md §1, §5, §6, §8, §9): thinking arrives in
``delta.reasoning_content`` or ``delta.reasoning`` (or inline ``<think>`` tags in ``content``),
usage in a final chunk. What differs per server (budget fields, what goes back in the history)
lives in ``openai_flavors``, their options in ``openai_options``. Servers that send no usage
get a local estimate marked as such.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from backends.errors import PonderError
from backends.remote.http import HTTPBackend
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
from backends.remote.openai_options import (
    ChatOptions,
    CompatOptions,
    DeepSeekOptions,
    LlamaServerOptions,
    OpenAIOptions,
    OpenRouterOptions,
    VLLMOptions,
)
from backends.remote.wire import HttpCall, ProviderWire, StreamParser, WireFormat
from backends.request import ChatRequest, Message


@dataclass(eq=False, kw_only=True)
class ChatWire(ProviderWire):
    """Builds Chat Completions requests and reads their errors for one flavour.

    ``flavor`` picks the budget fields and the history's shape; ``provider`` names the server in
    errors; ``headers`` are the provider's own extra request headers.
    """

    kind = "openai-compat"
    options: ChatOptions = field(default_factory=ChatOptions)
    flavor: ChatFlavor
    provider: str = "the server"
    headers: dict[str, str] = field(default_factory=dict)

    def build(self, request: ChatRequest) -> HttpCall:
        """The streaming POST for ``request``, budget translated by the flavour."""
        flavor = self.flavor
        plan = flavor.plan(request.budget.limit, request.max_tokens)
        body: dict[str, Any] = {}
        if self.model != "default":  # a bare server URL: let the server pick its model
            body["model"] = self.model
        body["messages"] = [self._message(m) for m in request.messages]
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
        if plan.cap is not None:
            body[flavor.max_tokens_field] = plan.cap
        if request.temperature is not None:
            body["temperature"] = request.temperature
        if request.seed is not None:
            body["seed"] = request.seed
        body.update(plan.fields)
        body.update(self.options.extra_body)
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        headers.update(self.headers)
        return HttpCall("POST", self.base_url + "/chat/completions", headers, body, "sse")

    def _message(self, message: Message) -> dict[str, Any]:
        out: dict[str, Any] = {"role": message.role, "content": message.text}
        if message.role == "assistant":
            out.update(self.flavor.assistant_fields(message))
        return out

    def parser(self, request: ChatRequest) -> StreamParser:
        plan = self.flavor.plan(request.budget.limit, request.max_tokens)
        return ChatParser(
            request,
            think_tags=self.options.think_tags,
            budget_applied=plan.applied,
            provider=self.provider,
            key_env=self.key_env,
        )

    def error_for_status(self, status: int, body: bytes, headers: dict[str, str]) -> PonderError:
        message, code = parse_error_body(body)
        return status_error(
            status,
            message,
            code,
            provider=self.provider,
            model=self.model,
            key_env=self.key_env,
            retry_after=retry_after_hint(headers, body),
        )


# ----- backends -----------------------------------------------------------------------------


class ChatBackend(HTTPBackend):
    """A Chat Completions backend; ``flavor`` picks the budget fields and capabilities."""

    Options = ChatOptions
    options: ChatOptions
    flavor: type[ChatFlavor] = ChatFlavor

    def __init__(self, spec: Any) -> None:
        super().__init__(spec)
        self.capabilities = self.flavor_class().capabilities

    def flavor_class(self) -> type[ChatFlavor]:
        return self.flavor

    def make_wire(self) -> WireFormat:
        return ChatWire(
            self.model,
            api_key=self.api_key,
            base_url=self.base_url,
            key_env=self.key_env,
            options=self.options,
            flavor=self.flavor_class()(self.options, self.model),
            provider=self.provider,
            headers=self.extra_headers(),
        )

    def extra_headers(self) -> dict[str, str]:
        """Provider-specific headers on chat requests (none by default)."""
        return {}


class OpenAICompatBackend(ChatBackend):
    """Any OpenAI-compatible server by ``base_url``; the key is optional."""

    kind = "openai-compat"
    Options = CompatOptions
    options: CompatOptions
    capabilities = ChatFlavor.capabilities

    def flavor_class(self) -> type[ChatFlavor]:
        return FLAVORS[self.options.budget_format]


class OpenAIChatBackend(ChatBackend):
    kind = "openai"
    Options = OpenAIOptions
    options: OpenAIOptions
    flavor = OpenAIFlavor
    capabilities = OpenAIFlavor.capabilities


class DeepSeekBackend(ChatBackend):
    kind = "deepseek"
    Options = DeepSeekOptions
    options: DeepSeekOptions
    flavor = DeepSeekFlavor
    capabilities = DeepSeekFlavor.capabilities


class OpenRouterBackend(ChatBackend):
    kind = "openrouter"
    Options = OpenRouterOptions
    options: OpenRouterOptions
    flavor = OpenRouterFlavor
    capabilities = OpenRouterFlavor.capabilities

    def extra_headers(self) -> dict[str, str]:
        return {"X-Title": "ponder"}


class LlamaServerBackend(ChatBackend):
    kind = "llama-server"
    Options = LlamaServerOptions
    options: LlamaServerOptions
    flavor = LlamaServerFlavor
    capabilities = LlamaServerFlavor.capabilities


class VLLMBackend(ChatBackend):
    kind = "vllm"
    Options = VLLMOptions
    options: VLLMOptions
    flavor = VLLMFlavor
    capabilities = VLLMFlavor.capabilities


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
