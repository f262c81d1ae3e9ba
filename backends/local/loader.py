"""Load a GGUF model and work out how to talk to it.

Loading decides what the decoder needs: the chat template (the GGUF's own, a named format, or
the llama-2 fallback, which is announced rather than silent), the thinking tags (single special
tokens in reasoning models, plain strings otherwise) and, through the session, GPU offload and
the AMX guard. All llama.cpp calls go through ``LlamaSession``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from backends.local.catalog import resolve_pulled
from backends.local.detok import PieceTable
from backends.local.formats import ThinkTags, detect_tags
from backends.local.model_files import check_gguf_file, embedded_model_path
from backends.local.options import LocalOptions
from backends.local.session import LlamaSession, default_gpu_layers
from backends.local.templates import FALLBACK_FORMAT, ChatTemplate, named_template

EMBEDDED_NAMES = ("", "embedded", "local")

__all__ = ["LoadedModel", "ThinkTags", "default_gpu_layers", "load_model", "named_formatter"]


@dataclass(slots=True)
class LoadedModel:
    """A loaded model session plus everything derived from its metadata."""

    session: LlamaSession
    path: Path
    formatter: ChatTemplate
    chat_format: str
    tags: ThinkTags
    pieces: PieceTable
    warnings: list[str] = field(default_factory=list)

    def is_eog(self, token: int) -> bool:
        return self.session.is_eog(token)

    def tokenize(self, text: str, *, add_bos: bool = False) -> list[int]:
        """Tokens of ``text`` with special tokens parsed (no BOS unless asked: inside a turn)."""
        return self.session.tokenize(text, special=True, add_bos=add_bos)

    @property
    def cpu_note(self) -> str:
        """The AMX guard's choice and why, in one line."""
        return self.session.buffers.note

    def close(self) -> None:
        self.session.close()


def resolve_model_path(model: str) -> Path:
    """The GGUF file a spec's ``model`` names ("embedded" = SmolLM2). Raises ModelLoadError."""
    if model.strip().lower() in EMBEDDED_NAMES:
        return embedded_model_path()
    return resolve_pulled(model) or Path(model).expanduser()


def named_formatter(name: str) -> ChatTemplate:
    """The named chat format ``name``; raises ConfigError naming the choices."""
    return ChatTemplate(named_template(name), writes_bos=False)


def load_model(path: Path, options: LocalOptions) -> LoadedModel:
    """Load ``path`` (blocking; call from a worker thread). Raises ModelLoadError / ConfigError."""
    check_gguf_file(path)
    override = named_formatter(options.chat_format) if options.chat_format else None
    session = LlamaSession(path, options)
    try:
        formatter, name, warnings = _pick_formatter(session, options, override)
        tags = detect_think_tags(session, options)
    except Exception:
        session.close()
        raise
    return LoadedModel(session, path, formatter, name, tags, PieceTable(session), warnings)


def _pick_formatter(
    session: LlamaSession, options: LocalOptions, override: ChatTemplate | None
) -> tuple[ChatTemplate, str, list[str]]:
    """(template, its name, warnings) for this model."""
    if override is not None and options.chat_format:
        return override, options.chat_format, []
    template = session.chat_template
    if template:
        eos = session.token_text(session.eos_id())
        bos = session.token_text(session.bos_id())
        return ChatTemplate(template, bos=bos, eos=eos), "gguf-template", []
    warning = (
        "this GGUF has no chat template, so prompts use llama-2 formatting; if replies look "
        "wrong, set chat_format (e.g. chatml) in this backend's options"
    )
    return named_formatter(FALLBACK_FORMAT), FALLBACK_FORMAT, [warning]


def detect_think_tags(session: LlamaSession, options: LocalOptions) -> ThinkTags:
    """The model's thinking format and tags (``formats.detect_tags`` on this session)."""
    return detect_tags(
        session.chat_template or "",
        session.metadata,
        lambda text: session.tokenize(text, special=True),
        session.token_is_control,
        think_open=options.think_open,
        think_close=options.think_close,
        prefill=options.think_prefill,
    )
