"""Load a GGUF model with llama-cpp-python and work out how to talk to it.

Loading decides three things the decoder needs: the chat formatter (the GGUF's own Jinja
template, a named llama-cpp-python format, or the llama-2 fallback, which is announced rather
than silent), the thinking tags (single special tokens in reasoning models, plain strings
otherwise) and GPU offload. llama.cpp's own log lines are routed to ``logging`` instead of the
terminal, because a TUI owns the terminal.
"""

from __future__ import annotations

import contextlib
import ctypes
import io
import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import llama_cpp
from llama_cpp import llama_chat_format

from backends.errors import ConfigError, ModelLoadError
from backends.local.detok import PieceTable
from backends.local.formats import ThinkTags, detect_tags
from backends.local.model_files import check_gguf_file, embedded_model_path
from backends.local.options import LocalOptions

log = logging.getLogger("ponder.llama")

EMBEDDED_NAMES = ("", "embedded", "local")
FALLBACK_FORMAT = "llama-2"
_SPECIAL_ATTRS = llama_cpp.LLAMA_TOKEN_ATTR_CONTROL | llama_cpp.LLAMA_TOKEN_ATTR_USER_DEFINED

Formatter = Callable[..., Any]

_recent_errors: deque[str] = deque(maxlen=8)
_log_lock = threading.Lock()
_log_installed = False


# ggml_log_level: NONE 0, DEBUG 1, INFO 2, WARN 3, ERROR 4, CONT 5 (continues the last line)
_LEVELS = {1: logging.DEBUG, 2: logging.INFO, 3: logging.WARNING, 4: logging.ERROR}
_last_level = [logging.DEBUG]


@llama_cpp.llama_log_callback
def _llama_log(level: int, text: bytes, _user: ctypes.c_void_p) -> None:
    level_no = _last_level[0] if level == 5 else _LEVELS.get(level, logging.DEBUG)
    _last_level[0] = level_no
    message = text.decode("utf-8", errors="replace").rstrip()
    if not message:
        return
    if level_no >= logging.ERROR:
        _recent_errors.append(message)
    log.log(level_no, message)


def install_log_router() -> None:
    """Send llama.cpp's log lines to the ``ponder.llama`` logger (once per process)."""
    global _log_installed
    with _log_lock:
        if not _log_installed:
            llama_cpp.llama_log_set(_llama_log, ctypes.c_void_p(0))
            _log_installed = True


@dataclass(slots=True)
class LoadedModel:
    """A loaded llama plus everything derived from its metadata."""

    llm: Any
    path: Path
    formatter: Formatter
    chat_format: str
    tags: ThinkTags
    pieces: PieceTable
    warnings: list[str] = field(default_factory=list)

    def is_eog(self, token: int) -> bool:
        return bool(llama_cpp.llama_vocab_is_eog(self.llm._model.vocab, token))

    def tokenize(self, text: str) -> list[int]:
        """Tokens of ``text`` with special tokens parsed and no BOS (text inside a turn)."""
        return list(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def close(self) -> None:
        self.llm.close()


def resolve_model_path(model: str) -> Path:
    """The GGUF file a spec's ``model`` names ("embedded" = SmolLM2). Raises ModelLoadError."""
    if model.strip().lower() in EMBEDDED_NAMES:
        return embedded_model_path()
    return Path(model).expanduser()


def default_gpu_layers(options: LocalOptions) -> int:
    """All layers when llama.cpp was built with GPU support, unless the options say otherwise."""
    if options.n_gpu_layers is not None:
        return options.n_gpu_layers
    return -1 if llama_cpp.llama_supports_gpu_offload() else 0


def named_formatter(name: str) -> Formatter:
    """The prompt formatter registered under ``name``; raises ConfigError naming the choices."""
    registry = llama_chat_format.LlamaChatCompletionHandlerRegistry()
    handlers = registry._chat_handlers
    handler = handlers.get(name)
    formatter = _formatter_of(handler) if handler is not None else None
    if formatter is None:
        choices = sorted(k for k, h in handlers.items() if _formatter_of(h) is not None)
        raise ConfigError(
            f"unknown chat_format {name!r} for a llama backend",
            f"use one of {', '.join(choices)}, or leave chat_format unset to use the GGUF's "
            "own template",
        )
    return formatter


def _formatter_of(handler: Any) -> Formatter | None:
    """The text formatter wrapped by a registered handler (multimodal handlers have none)."""
    code = getattr(handler, "__code__", None)
    if code is None or "chat_formatter" not in code.co_freevars:
        return None
    cell = handler.__closure__[code.co_freevars.index("chat_formatter")]
    return cell.cell_contents


def load_model(path: Path, options: LocalOptions) -> LoadedModel:
    """Load ``path`` (blocking; call from a worker thread). Raises ModelLoadError / ConfigError."""
    check_gguf_file(path)
    formatter_override = named_formatter(options.chat_format) if options.chat_format else None
    install_log_router()
    llm = _construct(path, options)
    try:
        formatter, name, warnings = _pick_formatter(llm, options, formatter_override)
        tags = detect_think_tags(llm, options)
    except Exception:
        llm.close()
        raise
    return LoadedModel(llm, path, formatter, name, tags, PieceTable(llm._model.vocab), warnings)


def _construct(path: Path, options: LocalOptions) -> Any:
    """Build the ``Llama`` quietly; translate its failures into ModelLoadError."""
    _recent_errors.clear()
    # verbose=True avoids llama-cpp-python redirecting the process's stdout/stderr file
    # descriptors while loading (that would blank a running TUI); its Python-level chatter is
    # captured here and llama.cpp's C-level log goes through the router instead.
    chatter = io.StringIO()
    try:
        with contextlib.redirect_stderr(chatter), contextlib.redirect_stdout(chatter):
            llm = llama_cpp.Llama(
                str(path),
                n_ctx=options.n_ctx,
                n_batch=options.n_batch,
                n_threads=options.n_threads,
                n_threads_batch=options.n_threads_batch,
                n_gpu_layers=default_gpu_layers(options),
                verbose=True,
            )
    except (ValueError, RuntimeError, OSError) as exc:
        detail = _recent_errors[-1] if _recent_errors else str(exc)
        raise ModelLoadError(
            f"llama.cpp could not load {path.name}: {detail}",
            "check that the file is a complete GGUF model supported by this llama.cpp build "
            "(re-download it, or pick another file)",
        ) from None
    finally:
        log.debug("llama-cpp-python load output:\n%s", chatter.getvalue())
    llm.verbose = False  # no per-request prints from generate()
    return llm


def _pick_formatter(
    llm: Any, options: LocalOptions, override: Formatter | None
) -> tuple[Formatter, str, list[str]]:
    """(formatter, its name, warnings) for this model."""
    if override is not None and options.chat_format:
        return override, options.chat_format, []
    template = llm.metadata.get("tokenizer.chat_template")
    if template:
        eos = _token_text(llm, llm.token_eos())
        bos = _token_text(llm, llm.token_bos())
        formatter = llama_chat_format.Jinja2ChatFormatter(template, eos_token=eos, bos_token=bos)
        return formatter, "gguf-template", []
    warning = (
        "this GGUF has no chat template, so prompts use llama-2 formatting; if replies look "
        "wrong, set chat_format (e.g. chatml) in this backend's options"
    )
    return named_formatter(FALLBACK_FORMAT), FALLBACK_FORMAT, [warning]


def _token_text(llm: Any, token: int) -> str:
    return llm._model.token_get_text(token) if token >= 0 else ""


def detect_think_tags(llm: Any, options: LocalOptions) -> ThinkTags:
    """The model's thinking format and tags (``formats.detect_tags`` on this llama)."""
    return detect_tags(
        llm.metadata.get("tokenizer.chat_template") or "",
        llm.metadata,
        lambda text: llm.tokenize(text.encode("utf-8"), add_bos=False, special=True),
        lambda token: bool(
            llama_cpp.llama_vocab_get_attr(llm._model.vocab, token) & _SPECIAL_ATTRS
        ),
        think_open=options.think_open,
        think_close=options.think_close,
        prefill=options.think_prefill,
    )
