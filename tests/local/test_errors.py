"""Bad model files and bad options fail with one clear line naming the fix."""

from __future__ import annotations

from pathlib import Path

import pydantic
import pytest

from backends.base import BackendSpec
from backends.errors import ConfigError, ModelLoadError
from backends.events import Finished, StatusNote, StopReason
from backends.local.backend import LocalBackend
from backends.local.options import LocalOptions
from backends.request import ChatRequest, Message, RequestOptions
from tests.local.conftest import MakeBackend

ASK = ChatRequest([Message("user", "hi")], options=RequestOptions(max_tokens=4))


def one_line(error: Exception) -> str:
    text = str(error)
    assert "\n" not in text and "Traceback" not in text
    return text


async def test_missing_file(make_backend: MakeBackend, tmp_path: Path) -> None:
    backend = make_backend(tmp_path / "nope.gguf")
    reason = await backend.check()
    assert reason and "model file not found" in reason and "nope.gguf" in reason
    with pytest.raises(ModelLoadError) as raised:
        await backend.load()
    assert "check the path" in one_line(raised.value)
    with pytest.raises(ModelLoadError):  # before the first event
        await anext(backend.stream(ASK))


async def test_not_a_gguf(make_backend: MakeBackend, tmp_path: Path) -> None:
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"this is not a model\n" * 100)
    backend = make_backend(junk)
    assert "not a GGUF model file" in (await backend.check() or "")
    with pytest.raises(ModelLoadError) as raised:
        await backend.load()
    assert ".gguf files only" in one_line(raised.value)


async def test_truncated_gguf_fails_in_llama(
    make_backend: MakeBackend, tmp_path: Path, tiny_gguf: Path
) -> None:
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(tiny_gguf.read_bytes()[:4096])  # GGUF magic, then nothing usable
    backend = make_backend(broken)
    assert await backend.check() is None  # only loading can tell
    with pytest.raises(ModelLoadError) as raised:
        await backend.load()
    message = one_line(raised.value)
    assert message.startswith("llama.cpp could not load broken.gguf")
    assert "re-download" in message
    events = [e async for e in backend.stream(ASK)]  # from a stream: loading, then the error
    assert isinstance(events[0], StatusNote) and events[0].kind == "loading"
    assert isinstance(events[-1], Finished) and events[-1].stop_reason is StopReason.ERROR
    assert isinstance(events[-1].error, ModelLoadError)


def test_unknown_chat_format(tiny_gguf: Path) -> None:
    spec = BackendSpec("x", "llama", str(tiny_gguf), options=LocalOptions(chat_format="nope"))
    with pytest.raises(ConfigError) as raised:
        LocalBackend(spec)
    message = one_line(raised.value)
    assert "unknown chat_format 'nope'" in message and "chatml" in message


def test_options_reject_unknown_keys() -> None:
    with pytest.raises(pydantic.ValidationError):
        LocalOptions.model_validate({"n_thread": 2})
    with pytest.raises(pydantic.ValidationError):
        LocalOptions(n_threads=0)


async def test_named_chat_format_is_used(make_backend: MakeBackend, tiny_gguf: Path) -> None:
    backend = make_backend(tiny_gguf, chat_format="llama-2")
    await backend.load()
    [event] = [e async for e in backend.stream(ASK) if isinstance(e, Finished)]
    assert backend.last_reply is not None
    prompt = backend.last_reply.tokens[: backend.last_reply.prompt_len]
    assert backend.loaded is not None
    assert "[INST]" in backend.loaded.session.detokenize(prompt)
    assert event.stop_reason is StopReason.LENGTH


async def test_missing_template_is_announced(
    make_backend: MakeBackend, tiny_no_template_gguf: Path
) -> None:
    backend = make_backend(tiny_no_template_gguf)
    events = [e async for e in backend.stream(ASK)]
    warnings = [e for e in events if isinstance(e, StatusNote) and e.kind == "warning"]
    assert len(warnings) == 1 and "no chat template" in warnings[0].text
    assert "chat_format" in warnings[0].text
    assert backend.loaded is not None
    assert backend.loaded.chat_format == "llama-2"
    again = [e async for e in backend.stream(ASK)]
    assert not any(isinstance(e, StatusNote) and e.kind == "warning" for e in again)


def test_default_options() -> None:
    options = LocalOptions()
    assert options.n_threads is None and options.n_gpu_layers is None
    assert options.prefill == "<think>\n" and options.extend_text == "Wait"
    assert LocalOptions(think_prefill="").prefill == ""


def test_gpu_offload_default() -> None:
    from backends.local.session import default_gpu_layers, supports_gpu_offload

    expected = -1 if supports_gpu_offload() else 0
    assert default_gpu_layers(LocalOptions()) == expected
    assert default_gpu_layers(LocalOptions(n_gpu_layers=3)) == 3
