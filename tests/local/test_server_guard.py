"""Third-party Llama() builds (the tests' server, the bench baseline) get ponder's AMX guard."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import llama_cpp.llama_cpp as llama_low
import pytest

from backends.local.cpu_guard import ENV_VAR
from backends.local.session import guard_default_params


@pytest.fixture
def stock_params() -> Iterator[Callable[[], Any]]:
    stock = llama_low.llama_model_default_params
    yield stock
    llama_low.llama_model_default_params = stock


def test_guard_on_makes_the_servers_params_skip_extra_buffer_types(
    stock_params: Callable[[], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_VAR, "off")
    assert llama_low.llama_model_default_params().use_extra_bufts  # llama.cpp's own default
    assert guard_default_params() is True
    assert llama_low.llama_model_default_params().use_extra_bufts is False


def test_extra_buffers_forced_on_leaves_the_server_alone(
    stock_params: Callable[[], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_VAR, "on")
    assert guard_default_params() is False
    assert llama_low.llama_model_default_params is stock_params
    assert llama_low.llama_model_default_params().use_extra_bufts
