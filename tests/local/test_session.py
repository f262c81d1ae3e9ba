"""The session on llama.cpp's public API: the AMX guard reaches the model params, the context
grows without re-evaluating, the budget leaves the answer room, and the counts are honest."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from backends.budget import Budget
from backends.events import StreamEvent
from backends.local.backend import answer_room
from backends.local.options import LocalOptions
from backends.local.session import FIRST_CTX, LlamaSession, model_params
from backends.request import ChatRequest, Message, RequestOptions
from tests.local.conftest import MakeBackend
from tests.local.helpers import Reply, expected_evals, run

ROOT = Path(__file__).resolve().parents[2]
ASK = [Message("user", "What is 2+2?")]


def test_the_guard_decision_reaches_the_model_params(monkeypatch: pytest.MonkeyPatch) -> None:
    from backends.local import session

    monkeypatch.delenv("PONDER_LLAMA_EXTRA_BUFTS", raising=False)
    xeon = "flags\t\t: fpu avx512f amx_bf16 amx_tile amx_int8\n"
    monkeypatch.setattr(session, "read_cpuinfo", lambda: xeon)
    choice = session.buffer_choice(LocalOptions())
    assert not choice.use_extra_bufts and "AMX" in choice.note
    assert model_params(LocalOptions(), choice).use_extra_bufts is False
    forced = session.buffer_choice(LocalOptions(extra_buffers="on"))
    assert forced.use_extra_bufts and model_params(LocalOptions(), forced).use_extra_bufts
    monkeypatch.setenv("PONDER_LLAMA_EXTRA_BUFTS", "off")
    monkeypatch.setattr(session, "read_cpuinfo", lambda: "flags\t\t: fpu avx2\n")
    assert session.buffer_choice(LocalOptions(extra_buffers="on")).use_extra_bufts is False


@pytest.mark.embedded
async def test_embedded_model_answers_with_the_guard_on(
    make_backend: MakeBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = make_backend("embedded", extra_buffers="off")
    assert backend.cpu_note.startswith("extra buffer types off: forced by extra_buffers")
    loaded = await backend.load()
    assert loaded.session.model_params.use_extra_bufts is False  # what llama.cpp was given
    assert backend.notes() == [loaded.cpu_note]
    reply = await run(
        backend, ChatRequest(ASK, budget=Budget(0), options=RequestOptions(max_tokens=24, seed=1))
    )
    assert reply.text.strip()


def test_ponder_backends_prints_the_cpu_note(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        'default_backend = "local"\n[backends.local]\nkind = "llama"\nmodel = "embedded"\n'
        '[backends.local.options]\nextra_buffers = "off"\n',
        encoding="utf-8",
    )
    env = dict(os.environ, PONDER_CONFIG=str(config), PONDER_DATA_DIR=str(tmp_path / "d"))
    env["PYTHONPATH"] = str(ROOT)
    out = subprocess.run(
        [sys.executable, "-m", "tui.cli", "backends"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    ).stdout
    assert "extra buffer types off: forced by extra_buffers = 'off'" in out, out


async def test_context_grows_without_evaluating_again(
    make_backend: MakeBackend, tiny_gguf: Path
) -> None:
    backend = make_backend(tiny_gguf)
    loaded = await backend.load()
    session = loaded.session
    assert session.n_ctx == FIRST_CTX < session.max_ctx  # small until the chat needs more
    await run(
        backend,
        ChatRequest(
            [Message("user", "Hello")], budget=Budget(0), options=RequestOptions(max_tokens=3)
        ),
    )
    history = [Message("user", "Write a long story.")]
    request = ChatRequest(
        history,
        budget=Budget(0),
        conversation_id="c",
        options=RequestOptions(max_tokens=700, seed=3),
    )
    reply = await run(backend, request)
    assert reply.finished.usage is not None
    assert reply.finished.usage.output == 700 and session.n_ctx >= 700 + 30
    assert reply.evals == expected_evals(reply)  # growing copied the cells: nothing twice
    history += [Message("assistant", reply.text), Message("user", "More.")]
    again = await run(
        backend,
        ChatRequest(history, budget=Budget(0), options=RequestOptions(max_tokens=4, seed=3)),
    )
    assert again.finished.usage is not None
    assert again.finished.usage.cached_input >= reply.finished.usage.input
    assert again.evals == expected_evals(again)


def test_session_tokens_and_pieces(tiny_gguf: Path) -> None:
    session = LlamaSession(tiny_gguf, LocalOptions(n_threads=1, n_threads_batch=1))
    try:
        ids = session.tokenize("<|im_start|>user", special=True)
        assert session.token_is_control(ids[0]) and session.token_text(ids[0]) == "<|im_start|>"
        assert session.detokenize(session.tokenize("hello world", special=False)) == "hello world"
        assert session.is_eog(session.eos_id()) and session.eos_id() in session.eog_ids()
        assert "tokenizer.chat_template" in session.metadata
        assert session.chat_template == session.metadata["tokenizer.chat_template"]
    finally:
        session.close()
    session.close()  # twice is fine


def test_answer_room_rule() -> None:
    assert answer_room(16, 40, 2000).budget == 16  # a small deliberate cap keeps its thinking
    fit = answer_room(32_000, 2048, 4000)
    assert fit.clamped and fit.budget == 2048 - 256 and "output cap" in fit.note
    assert answer_room(1000, 2048, 900).budget == 900 - 256  # the free context binds
    assert answer_room(None, 2048, 4000).largest == 2048 - 256  # auto is capped in the decoder


async def test_budget_above_the_cap_is_clamped_and_said(
    make_backend: MakeBackend, tiny_gguf: Path
) -> None:
    backend = make_backend(tiny_gguf)
    request = ChatRequest(ASK, budget=Budget(5000), options=RequestOptions(max_tokens=400, seed=4))
    reply = await run(backend, request)
    largest = 400 - 400 // 8
    [note] = reply.notes("budget")
    assert note.text.startswith(f"budget 5000 clamped to {largest}")
    usage = reply.finished.usage
    assert usage is not None
    assert usage.reasoning is not None
    assert usage.reasoning == largest and f"forced close at {largest}" in (
        reply.finished.budget_applied or ""
    )
    assert reply.text  # the answer got its room
    assert reply.finished.forced_close_tokens is not None
    assert usage.output - usage.reasoning - reply.finished.forced_close_tokens > 0


async def test_auto_and_a_live_raise_also_leave_room(
    make_backend: MakeBackend, tiny_gguf: Path
) -> None:
    backend = make_backend(tiny_gguf, lockstep=True)
    reply = await run(
        backend,
        ChatRequest(ASK, budget=Budget(None), options=RequestOptions(max_tokens=160, seed=4)),
    )
    assert reply.finished.usage is not None
    assert reply.finished.usage.reasoning is not None
    assert reply.finished.usage.reasoning <= 140 and reply.text
    budget = Budget(32)

    def raise_it(event: StreamEvent, got: Reply) -> None:
        if got.reasoning_deltas == 5:
            budget.set_limit(10_000)

    reply = await run(
        backend,
        ChatRequest(ASK, budget=budget, options=RequestOptions(max_tokens=160, seed=4)),
        raise_it,
    )
    assert reply.finished.usage is not None
    assert reply.finished.usage.reasoning == 140
    assert any("clamped to 140" in n.text for n in reply.notes("budget"))


@pytest.mark.embedded
def test_ask_json_budget_16_reports_at_most_16(tmp_path: Path) -> None:
    (tmp_path / "empty.toml").write_text("", encoding="utf-8")
    env = dict(os.environ, PONDER_CONFIG=str(tmp_path / "empty.toml"))
    env.update(PONDER_DATA_DIR=str(tmp_path / "d"), PYTHONPATH=str(ROOT))
    args = ["ask", "--json", "--budget", "16", "--seed", "1", "--no-history", "What is 2+2?"]
    result = subprocess.run(
        [sys.executable, "-m", "tui.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    budget = json.loads(result.stdout)["budget"]
    assert 0 < budget["reasoning_tokens_spent"] <= 16
    assert budget["forced_close_tokens"] in (0, 4, 5)  # "\n</think>\n\n" when forced


async def test_repeat_penalty_and_the_eog_ban_build_valid_chains(
    make_backend: MakeBackend, tiny_gguf: Path
) -> None:
    backend = make_backend(tiny_gguf, repeat_penalty=1.3)
    reply = await run(
        backend, ChatRequest(ASK, budget=Budget(8), options=RequestOptions(max_tokens=30, seed=2))
    )
    assert reply.finished.usage is not None
    assert reply.finished.usage.output == 30 and reply.text
    assert backend.loaded is not None
    session = backend.loaded.session
    from backends.local.sampler import Sampling

    sampling = Sampling(0.7, 0.95, 40, 0.05, 1.3, 1, 10)
    banned = session.sampler(sampling, 1, ban_eog=True)
    try:
        assert not any(session.is_eog(banned.sample()) for _ in range(20))
    finally:
        banned.close()
