"""Sampler settings of a reply (the chain itself is built by ``LlamaSession.sampler``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Sampling:
    """Sampler settings of one reply."""

    temperature: float
    top_p: float
    top_k: int
    min_p: float
    repeat_penalty: float
    seed: int | None
    max_tokens: int
    extend_text: str = "Wait"
    usage_every: int = 16
