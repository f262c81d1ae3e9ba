"""Every backend kind in one table: where its class lives, its defaults and how it is billed.

The registry (building backends, availability checks), pricing (which kinds have an API price,
and under which genai-prices provider id) and the HTTP adapters (default base URL, key variable,
provider name in messages) all read this table, so a kind's facts are stated once. Adding a
provider kind is one row here, plus its backend class with its options model, wire format and
parser. Standard library only: the chat's start-up imports pricing, which reads this table.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from backends.base import Backend


@dataclass(frozen=True, slots=True)
class Kind:
    """One backend kind.

    ``target`` is ``"module:Class"``, imported only when the kind is used (start-up never loads
    the HTTP client or the model runtime). ``base_url`` and ``key_env`` are the defaults a config
    entry may override; ``needs_key``: the provider refuses requests without a key.
    ``price_id`` is the genai-prices provider id; ``None`` means no per-token API price (a
    self-hosted server or an in-process model). ``local``: runs on this machine (in-process, or a
    daemon on localhost by default), so it shares the CPU and is billed by hardware time.
    ``model_file``: the model is a file on this machine (checked without loading it).
    ``url_spec``: ``KIND:URL`` on the command line names the server (which picks its model).
    ``provider`` names the provider in messages ("OpenAI rejected the key").
    """

    name: str
    target: str
    provider: str
    base_url: str | None = None
    key_env: str | None = None
    needs_key: bool = False
    price_id: str | None = None
    local: bool = False
    model_file: bool = False
    url_spec: bool = False

    def backend_class(self) -> type[Backend]:
        """The backend class, imported now."""
        module_name, _, class_name = self.target.partition(":")
        cls: type[Backend] = getattr(importlib.import_module(module_name), class_name)
        return cls


_CHAT = "backends.remote.openai_compat"
_OPENAI = "https://api.openai.com/v1"

KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind(
            "llama", "backends.local.backend:LocalBackend", "llama.cpp", local=True, model_file=True
        ),
        Kind("openai-compat", f"{_CHAT}:OpenAICompatBackend", "openai-compat", url_spec=True),
        Kind(
            "openai",
            f"{_CHAT}:OpenAIChatBackend",
            "OpenAI",
            _OPENAI,
            "OPENAI_API_KEY",
            needs_key=True,
            price_id="openai",
        ),
        Kind(
            "openai-responses",
            "backends.remote.openai_responses:OpenAIResponsesBackend",
            "OpenAI",
            _OPENAI,
            "OPENAI_API_KEY",
            needs_key=True,
            price_id="openai",
        ),
        Kind(
            "anthropic",
            "backends.remote.anthropic:AnthropicBackend",
            "Anthropic",
            "https://api.anthropic.com/v1",
            "ANTHROPIC_API_KEY",
            needs_key=True,
            price_id="anthropic",
        ),
        Kind(
            "gemini",
            "backends.remote.gemini:GeminiBackend",
            "Gemini",
            "https://generativelanguage.googleapis.com/v1beta",
            "GEMINI_API_KEY",
            needs_key=True,
            price_id="google",
        ),
        Kind(
            "deepseek",
            f"{_CHAT}:DeepSeekBackend",
            "DeepSeek",
            "https://api.deepseek.com",
            "DEEPSEEK_API_KEY",
            needs_key=True,
            price_id="deepseek",
        ),
        Kind(
            "openrouter",
            f"{_CHAT}:OpenRouterBackend",
            "OpenRouter",
            "https://openrouter.ai/api/v1",
            "OPENROUTER_API_KEY",
            needs_key=True,
            price_id="openrouter",
        ),
        Kind(
            "ollama",
            "backends.remote.ollama:OllamaBackend",
            "Ollama",
            "http://127.0.0.1:11434",
            local=True,
        ),
        Kind(
            "llama-server",
            f"{_CHAT}:LlamaServerBackend",
            "llama-server",
            "http://127.0.0.1:8080/v1",
            url_spec=True,
        ),
        Kind("vllm", f"{_CHAT}:VLLMBackend", "vLLM", "http://127.0.0.1:8000/v1", url_spec=True),
    )
}


def kind_info(name: str) -> Kind:
    """The row for ``name``; a kind not in the table (a test's toy backend) gets a bare row
    with no defaults, no price and ``name`` as its provider name."""
    return KINDS.get(name) or Kind(name, "", name)
