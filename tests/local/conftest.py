"""Fixtures for the local backend tests: backends on the real and tiny models, GGUF variants."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from backends.base import BackendSpec
from backends.local.backend import LocalBackend
from backends.local.options import LocalOptions
from tests.local.gguf_variants import THINKING_TEMPLATE, write_variant

MakeBackend = Callable[..., LocalBackend]


@pytest.fixture(scope="session")
def tiny_thinking_gguf(tiny_gguf: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny model with single-token <think>/</think> and a Qwen3-style template."""
    return write_variant(
        tiny_gguf,
        tmp_path_factory.mktemp("variants") / "tiny-thinking.gguf",
        strings={"tokenizer.chat_template": THINKING_TEMPLATE},
        tokens={5: "<think>", 6: "</think>"},
    )


@pytest.fixture(scope="session")
def tiny_no_template_gguf(tiny_gguf: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny model without a chat template (llama.cpp would fall back to llama-2)."""
    return write_variant(
        tiny_gguf,
        tmp_path_factory.mktemp("variants") / "tiny-no-template.gguf",
        drop=("tokenizer.chat_template",),
    )


@pytest.fixture
async def make_backend() -> AsyncIterator[MakeBackend]:
    """Build LocalBackends on one thread each (tests share 2 cores); all closed afterwards."""
    made: list[LocalBackend] = []

    def make(model: Path | str, **options: object) -> LocalBackend:
        opts = LocalOptions(n_threads=1, n_threads_batch=1, n_ctx=2048, **options)
        backend = LocalBackend(BackendSpec("local", "llama", str(model), options=opts))
        made.append(backend)
        return backend

    yield make
    for backend in made:
        await backend.aclose()
