"""Sampler settings of a reply, and sampling one token with end-of-turn tokens banned."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import llama_cpp
from llama_cpp import _internals

NEG_INF = float("-inf")


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


def eog_ids(llm: Any) -> list[int]:
    """Every token id that ends generation (EOS, EOT, <|im_end|>, ...), computed once."""
    cached = getattr(llm, "_ponder_eog_ids", None)
    if cached is None:
        vocab = llm._model.vocab
        cached = [t for t in range(llm.n_vocab()) if llama_cpp.llama_vocab_is_eog(vocab, t)]
        llm._ponder_eog_ids = cached
    return cached


def sample_without_eog(llm: Any, sampling: Sampling, seed: int) -> int:
    """Sample from the logits of the last evaluated position as ``Llama.generate`` would, but
    with every end-of-generation token banned.

    Forcing the close of a thinking block can leave a small model with nothing to say; its
    answer would be empty. The logits that produced the end-of-turn token are still in the
    context (nothing was evaluated since), so this costs no evaluation.
    """
    sampler = _internals.LlamaSampler()
    try:
        sampler.add_logit_bias(llm.n_vocab(), dict.fromkeys(eog_ids(llm), NEG_INF))
        if sampling.temperature == 0.0:
            sampler.add_greedy()
        else:
            sampler.add_top_k(sampling.top_k)
            sampler.add_top_p(sampling.top_p, 1)
            sampler.add_min_p(sampling.min_p, 1)
            sampler.add_temp(sampling.temperature)
            sampler.add_dist(seed)
        return int(sampler.sample(llm._ctx, -1))
    finally:
        sampler.close()
