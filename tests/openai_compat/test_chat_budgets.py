"""Request bodies for thinking budgets 0, 1000, 8000 and auto, per Chat Completions flavour.

Expected fields follow shared/reference/providers.md §13 and issue 4. With no max_tokens given,
the output cap is budget + 4096 (backends.remote.effort.ANSWER_ALLOWANCE): 5096 and 12096.
"""

from __future__ import annotations

from typing import Any

import pytest

from backends.remote.http import HTTPBackend
from backends.remote.openai_compat import (
    DeepSeekBackend,
    LlamaServerBackend,
    OpenAIChatBackend,
    OpenAICompatBackend,
    OpenRouterBackend,
    VLLMBackend,
)
from tests.openai_compat.chat_support import chat, make_backend, run, text_stream
from tests.support.replay_server import ReplayServer, sse_reply

AUTO = None
BASE = {"model", "messages", "stream", "stream_options"}


def body_for(
    cls: type[HTTPBackend],
    budget: int | None,
    *,
    model: str = "m",
    max_tokens: int | None = None,
    **options: Any,
) -> dict:
    backend = make_backend(cls, base_url="http://127.0.0.1:9/v1", model=model, **options)
    call = backend.wire.build(chat("hi", budget=budget, max_tokens=max_tokens))
    assert call.json["stream"] is True
    assert call.json["stream_options"] == {"include_usage": True}
    return {k: v for k, v in call.json.items() if k not in BASE}


def applied(cls: type[HTTPBackend], budget: int | None, **options: Any) -> str:
    backend = make_backend(cls, base_url="http://127.0.0.1:9/v1", **options)
    budget_applied = backend.wire.parser(chat("hi", budget=budget)).end().budget_applied
    assert budget_applied is not None
    return budget_applied


OPENAI = [
    (AUTO, {}),
    (0, {"reasoning_effort": "minimal"}),
    (1000, {"reasoning_effort": "minimal", "max_completion_tokens": 5096}),  # r = 0.196
    (8000, {"reasoning_effort": "medium", "max_completion_tokens": 12096}),  # r = 0.661
]


@pytest.mark.parametrize(("budget", "expected"), OPENAI)
def test_openai_gpt5_effort_buckets(budget: int | None, expected: dict[str, Any]) -> None:
    assert body_for(OpenAIChatBackend, budget, model="gpt-5") == expected


@pytest.mark.parametrize(
    ("model", "zero"), [("gpt-5.1", "none"), ("gpt-5-mini", "minimal"), ("o3", "low")]
)
def test_openai_budget_zero_uses_the_lowest_effort_the_model_takes(model: str, zero: str) -> None:
    assert body_for(OpenAIChatBackend, 0, model=model) == {"reasoning_effort": zero}


def test_openai_effort_is_clamped_to_the_model_and_not_sent_to_non_reasoning_models() -> None:
    # o-series has no "minimal": 1000 of 5096 -> minimal -> clamped to low.
    assert body_for(OpenAIChatBackend, 1000, model="o4-mini")["reasoning_effort"] == "low"
    assert body_for(OpenAIChatBackend, 8000, model="gpt-4o") == {}  # no reasoning to budget
    assert body_for(OpenAIChatBackend, 7600, model="gpt-5", max_tokens=8000) == {
        "reasoning_effort": "high",  # r = 0.95 -> xhigh, clamped to gpt-5's highest
        "max_completion_tokens": 8000,
    }


DEEPSEEK = [
    (AUTO, {}),
    (0, {"thinking": {"type": "disabled"}}),
    (1000, {"thinking": {"type": "enabled"}, "reasoning_effort": "high", "max_tokens": 5096}),
    (8000, {"thinking": {"type": "enabled"}, "reasoning_effort": "high", "max_tokens": 12096}),
]


@pytest.mark.parametrize(("budget", "expected"), DEEPSEEK)
def test_deepseek_thinking_on_off(budget: int | None, expected: dict[str, Any]) -> None:
    assert body_for(DeepSeekBackend, budget) == expected


def test_deepseek_max_effort_when_the_budget_is_nearly_all_output() -> None:
    body = body_for(DeepSeekBackend, 8000, max_tokens=8100)
    assert body["reasoning_effort"] == "max" and body["max_tokens"] == 8100


OPENROUTER = [
    (AUTO, {}),
    (0, {"reasoning": {"effort": "none"}}),
    (1000, {"reasoning": {"max_tokens": 1000}, "max_tokens": 5096}),
    (8000, {"reasoning": {"max_tokens": 8000}, "max_tokens": 12096}),
]


@pytest.mark.parametrize(("budget", "expected"), OPENROUTER)
def test_openrouter_reasoning_max_tokens(budget: int | None, expected: dict[str, Any]) -> None:
    assert body_for(OpenRouterBackend, budget) == expected


OPENROUTER_EFFORT = [
    (AUTO, {}),
    (0, {"reasoning": {"effort": "minimal"}}),  # mandatory reasoning: never "none"
    (1000, {"reasoning": {"effort": "minimal"}, "max_tokens": 5096}),
    (8000, {"reasoning": {"effort": "medium"}, "max_tokens": 12096}),
]


@pytest.mark.parametrize(("budget", "expected"), OPENROUTER_EFFORT)
def test_openrouter_effort_only_models(budget: int | None, expected: dict[str, Any]) -> None:
    options: dict[str, Any] = {"reasoning_mode": "effort", "reasoning_mandatory": True}
    assert body_for(OpenRouterBackend, budget, **options) == expected


def test_openrouter_budget_stays_below_max_tokens() -> None:
    body = body_for(OpenRouterBackend, 8000, max_tokens=4000)
    assert body == {"reasoning": {"max_tokens": 3999}, "max_tokens": 4000}


LLAMA_SERVER = [
    (AUTO, {}),
    (0, {"chat_template_kwargs": {"enable_thinking": False}, "thinking_budget_tokens": 0}),
    (1000, {"thinking_budget_tokens": 1000, "max_tokens": 5096}),
    (8000, {"thinking_budget_tokens": 8000, "max_tokens": 12096}),
]


@pytest.mark.parametrize(("budget", "expected"), LLAMA_SERVER)
def test_llama_server_budget_fields(budget: int | None, expected: dict[str, Any]) -> None:
    assert body_for(LlamaServerBackend, budget) == expected


VLLM = [
    (AUTO, {}),
    (0, {"chat_template_kwargs": {"enable_thinking": False}}),
    (1000, {"thinking_token_budget": 1000, "max_tokens": 5096}),
    (8000, {"thinking_token_budget": 8000, "max_tokens": 12096}),
]


@pytest.mark.parametrize(("budget", "expected"), VLLM)
def test_vllm_thinking_token_budget(budget: int | None, expected: dict[str, Any]) -> None:
    assert body_for(VLLMBackend, budget) == expected


def test_vllm_granite_style_switch() -> None:
    body = body_for(VLLMBackend, 0, thinking_switch="thinking")
    assert body == {"chat_template_kwargs": {"thinking": False}}


@pytest.mark.parametrize("budget", [AUTO, 0, 1000, 8000])
def test_openai_compat_sends_no_budget_unless_configured(budget: int | None) -> None:
    assert body_for(OpenAICompatBackend, budget, max_tokens=64) == {"max_tokens": 64}
    assert OpenAICompatBackend.capabilities.budget_precision == "none"


def test_openai_compat_configured_budget_format() -> None:
    body = body_for(OpenAICompatBackend, 1000, budget_format="llama-server")
    assert body == {"thinking_budget_tokens": 1000, "max_tokens": 5096}
    backend = make_backend(OpenAICompatBackend, base_url="http://x/v1", budget_format="vllm")
    assert backend.capabilities.budget_precision == "exact"


def test_budget_applied_is_reported() -> None:
    assert (
        applied(OpenAIChatBackend, 8000, model="gpt-5")
        == "8000 of 12096 -> effort medium (bucketed)"
    )
    assert applied(DeepSeekBackend, 0) == "0 -> thinking disabled"
    assert applied(OpenRouterBackend, 1000) == "1000 -> reasoning.max_tokens 1000"
    assert applied(LlamaServerBackend, None).startswith("auto")


def test_capabilities_per_flavour() -> None:
    caps = {
        cls.kind: cls.capabilities
        for cls in (
            OpenAIChatBackend,
            DeepSeekBackend,
            OpenRouterBackend,
            LlamaServerBackend,
            VLLMBackend,
        )
    }
    assert caps["openai"].thinking_text == "count"
    assert caps["openai"].budget_precision == "bucketed"
    assert caps["deepseek"].budget_precision == "on_off"
    assert caps["openrouter"].budget_precision == "approximate"
    assert caps["llama-server"].budget_precision == "exact"
    assert caps["vllm"].budget_precision == "exact"


async def test_budget_reaches_the_server_and_finished_reports_it(
    replay_server: ReplayServer,
) -> None:
    replay_server.add(sse_reply(text_stream("ok")))
    backend = make_backend(LlamaServerBackend, replay_server)
    reply, _ = await run(backend, chat("hi", budget=1000))
    assert replay_server.requests[0].json["thinking_budget_tokens"] == 1000
    assert reply.finished is not None
    assert reply.finished.budget_applied == "1000 -> thinking_budget_tokens 1000"
