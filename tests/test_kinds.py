"""The kinds table is the one place a kind's facts live: everything else must agree with it."""

from __future__ import annotations

import pytest

from backends.budget import Budget
from backends.config import BackendEntry, Settings
from backends.events import Usage
from backends.kinds import KINDS, kind_info
from backends.pricing import PriceBook, genai_provider_id, has_api_price
from backends.registry import build_from_entry, entry_for
from backends.remote.anthropic import AnthropicWire
from backends.remote.gemini import GeminiWire
from backends.remote.http import HTTPBackend
from backends.remote.ollama import OllamaWire
from backends.remote.openai_responses import ResponsesWire
from backends.remote.wire import ProviderWire
from backends.request import ChatRequest, Message


@pytest.mark.parametrize("name", sorted(KINDS))
def test_each_row_builds_a_backend_that_agrees_with_it(name: str) -> None:
    row = KINDS[name]
    backend = build_from_entry(name, BackendEntry(kind=name, model="m"), env={})
    assert type(backend) is row.backend_class() and backend.kind == name
    assert backend.capabilities.local is row.local
    if isinstance(backend, HTTPBackend):
        if row.base_url:
            assert backend.base_url == row.base_url.rstrip("/")
        assert backend.key_env == row.key_env
        assert backend.provider == row.provider
        assert (backend.missing_key() is not None) is row.needs_key
    if row.needs_key:
        assert row.key_env, f"{name} needs a key but names no variable"


def test_a_configured_key_variable_and_base_url_win_over_the_row() -> None:
    entry = BackendEntry(kind="anthropic", api_key_env="WORK_KEY", base_url="http://h/v1")
    backend = build_from_entry("w", entry, env={"WORK_KEY": "sk-x"})
    assert isinstance(backend, HTTPBackend)
    assert (backend.key_env, backend.base_url, backend.missing_key()) == (
        "WORK_KEY",
        "http://h/v1",
        None,
    )


@pytest.mark.parametrize("name", sorted(KINDS))
def test_pricing_reads_the_row(name: str) -> None:
    row = KINDS[name]
    assert has_api_price(name) is (row.price_id is not None)
    assert genai_provider_id(name) == (row.price_id or name)
    price = PriceBook().cost(name, "gpt-5", Usage(input=1000, output=1000))
    if row.price_id is None:
        assert price is None  # billed by hardware time, never a made-up API price


def test_an_unknown_provider_string_is_passed_to_genai_prices() -> None:
    assert has_api_price("groq") and genai_provider_id("Groq") == "groq"
    assert kind_info("toy").provider == "toy" and kind_info("toy").base_url is None


@pytest.mark.parametrize(
    ("wire", "kind", "path"),
    [
        (AnthropicWire("claude-sonnet-4-5"), "anthropic", "/messages"),
        (GeminiWire("gemini-2.5-flash"), "gemini", ":streamGenerateContent"),
        (ResponsesWire("gpt-5"), "openai-responses", "/responses"),
        (OllamaWire("qwen3"), "ollama", "/api/chat"),
    ],
)
def test_a_wire_built_alone_takes_its_defaults_from_the_row(
    wire: ProviderWire, kind: str, path: str
) -> None:
    row = KINDS[kind]
    assert wire.key_env == row.key_env
    call = wire.build(ChatRequest([Message("user", "hi")], budget=Budget(None)))
    assert call.url.startswith(str(row.base_url)) and path in call.url


@pytest.mark.parametrize("name", [n for n, k in KINDS.items() if k.url_spec])
def test_url_specs_name_the_server(name: str) -> None:
    _, entry = entry_for(Settings(), f"{name}:http://127.0.0.1:9/v1/")
    assert (entry.kind, entry.base_url) == (name, "http://127.0.0.1:9/v1") and not entry.model


def test_a_model_spec_for_a_hosted_kind_is_a_model() -> None:
    _, entry = entry_for(Settings(), "anthropic:claude-sonnet-4-5")
    assert (entry.kind, entry.model) == ("anthropic", "claude-sonnet-4-5") and not entry.base_url
