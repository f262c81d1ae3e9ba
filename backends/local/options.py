"""Options of the in-process llama.cpp backend (kind ``llama``), validated by pydantic."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class LocalOptions(BaseModel):
    """Everything a config entry of kind ``llama`` may set; unknown keys are rejected.

    ``None`` means "llama.cpp's own default" for threads and "all layers when llama.cpp was built
    with GPU support, else none" for ``n_gpu_layers``. Thinking-tag fields default to the
    DeepSeek-R1 / Qwen3 convention; ``think_prefill`` is what opens the assistant turn in
    thinking mode when the chat template does not open it itself.
    """

    model_config = ConfigDict(extra="forbid")

    n_ctx: int = Field(
        4096,
        ge=0,
        description="largest context in tokens (0 = the model's own); it starts at 512 and grows",
    )
    n_batch: int = Field(512, ge=1, description="prompt tokens evaluated per batch")
    n_threads: int | None = Field(None, ge=1, description="decode threads")
    n_threads_batch: int | None = Field(None, ge=1, description="prompt-evaluation threads")
    n_gpu_layers: int | None = Field(None, ge=-1, description="layers to offload (-1 = all)")
    extra_buffers: Literal["auto", "on", "off"] = Field(
        "auto",
        description="llama.cpp's extra CPU buffer types (weight repacking); auto = off on AMX "
        "CPUs, where that path crashes",
    )
    chat_format: str | None = Field(
        None, description="llama-cpp-python chat format name; default: the GGUF's own template"
    )
    think_open: str = "<think>"
    think_close: str = "</think>"
    think_prefill: str | None = Field(
        None,
        description="text that opens thinking (default: think_open + newline); '' = never think",
    )
    extend_text: str = Field("Wait", description="appended to extend thinking (s1)")
    temperature: float = Field(0.6, ge=0.0, le=2.0)
    top_p: float = Field(0.95, gt=0.0, le=1.0)
    top_k: int = Field(40, ge=0)
    min_p: float = Field(0.05, ge=0.0, le=1.0)
    repeat_penalty: float = Field(1.0, ge=0.0)
    seed: int | None = Field(None, ge=0, description="default seed (None = random)")
    max_tokens: int = Field(2048, ge=1, description="default cap on output, thinking included")
    state_cache_mb: int = Field(
        256, ge=0, description="memory for per-conversation KV snapshots (least recent evicted)"
    )
    usage_every: int = Field(16, ge=1, description="send a usage update every N tokens")
    lockstep: bool = Field(
        False,
        description="decode the next token only after the consumer took the previous event",
    )

    @property
    def prefill(self) -> str:
        """The text that opens the thinking block."""
        return self.think_open + "\n" if self.think_prefill is None else self.think_prefill
