"""Tiny GGUFs that carry one model family's special tokens and real chat template, and whose
output is scripted, so that forcing tests can assert exact token counts.

The vocabulary is byte-level BPE (all 256 byte characters, a few merged words, the family's
special tokens). The network is a bigram machine: attention and feed-forward weights are zero,
so the last hidden state is the current token's embedding. Tokens named in ``script`` get their
own one-hot embedding (a "state"); every other token shares state 0. The output matrix maps
each state to one next token with a logit far above the rest, so sampling at any temperature
follows the script: ``{"\\n": " ok", " ok": " ok"}`` thinks " ok ok ok …" forever.

Templates are data under tests/fixtures/templates/ (provenance in the README there).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from gguf import GGUFValueType, GGUFWriter

TEMPLATES = Path(__file__).resolve().parent.parent / "fixtures" / "templates"
N_EMBD = 128
N_HEAD = 4
N_HEAD_KV = 2
N_FF = 32
N_LAYER = 1
N_CTX = 4096
NORMAL, CONTROL, USER_DEFINED = 1, 3, 4
LOGIT = 4.0  # x8 after the RMS norm of a one-hot state: logit 32, the rest 0

WORDS = [
    "\n\n",
    " ok",
    "ok",
    "Wait",
    "Yes",
    "A",
    "B",
    "C",
    "</",
    "think",
    ">",
    "<think",
    "Hi",
    "assistant",
    "user",
    "system",
    "final",
    "analysis",
    "The",
    " answer",
]


@dataclass(frozen=True)
class Family:
    """One model family: its template file, special tokens and end-of-turn token."""

    name: str
    template: str
    specials: dict[str, int]  # text -> token type (CONTROL or USER_DEFINED)
    eos: str
    bos: str
    extra_words: list[str] = field(default_factory=list)

    def chat_template(self) -> str:
        return (TEMPLATES / self.template).read_text(encoding="utf-8")


THINK = {"<think>": USER_DEFINED, "</think>": USER_DEFINED}
CHATML = {"<|im_start|>": CONTROL, "<|im_end|>": CONTROL, "<|endoftext|>": CONTROL}
DEEPSEEK = {
    "<｜begin▁of▁sentence｜>": CONTROL,
    "<｜end▁of▁sentence｜>": CONTROL,
    "<｜User｜>": USER_DEFINED,
    "<｜Assistant｜>": USER_DEFINED,
}
HARMONY_SPECIALS = (
    "<|startoftext|>",
    "<|endoftext|>",
    "<|start|>",
    "<|end|>",
    "<|message|>",
    "<|channel|>",
    "<|constrain|>",
    "<|return|>",
    "<|call|>",
)
R1_TEMPLATE = "deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja"
FAMILIES = {
    "r1": Family(
        "r1", R1_TEMPLATE, DEEPSEEK | THINK, "<｜end▁of▁sentence｜>", "<｜begin▁of▁sentence｜>"
    ),
    # The same template and vocabulary, but <think> and </think> are several plain tokens.
    "r1-plain": Family(
        "r1-plain", R1_TEMPLATE, DEEPSEEK, "<｜end▁of▁sentence｜>", "<｜begin▁of▁sentence｜>"
    ),
    "qwen3": Family("qwen3", "Qwen-Qwen3-0.6B.jinja", CHATML | THINK, "<|im_end|>", ""),
    "smollm3": Family(
        "smollm3",
        "HuggingFaceTB-SmolLM3-3B.jinja",
        {"<|begin_of_text|>": CONTROL, "<|end_of_text|>": CONTROL}
        | {"<|im_start|>": USER_DEFINED, "<|im_end|>": USER_DEFINED}
        | THINK,
        "<|im_end|>",
        "<|begin_of_text|>",
    ),
    "harmony": Family(
        "harmony",
        "openai-gpt-oss-120b.jinja",
        dict.fromkeys(HARMONY_SPECIALS, CONTROL),
        "<|return|>",
        "<|startoftext|>",
    ),
}


def byte_chars() -> dict[int, str]:
    """GPT-2's reversible byte -> printable character map (byte-level BPE)."""
    keep = [*range(ord("!"), ord("~") + 1), *range(0xA1, 0xAD), *range(0xAE, 0x100)]
    chars = list(keep)
    extra = 0
    for b in range(256):
        if b not in keep:
            keep.append(b)
            chars.append(256 + extra)
            extra += 1
    return {b: chr(c) for b, c in zip(keep, chars, strict=True)}


BYTES = byte_chars()


def encode(text: str) -> str:
    """A text in the vocabulary's byte-level alphabet."""
    return "".join(BYTES[b] for b in text.encode("utf-8"))


class Vocab:
    """Token list, types and BPE merges for a family."""

    def __init__(self, family: Family) -> None:
        self.tokens: list[str] = []
        self.types: list[int] = []
        self.merges: list[str] = []
        self.ids: dict[str, int] = {}
        for char in BYTES.values():
            self._add(char, NORMAL)
        for word in [*WORDS, *family.extra_words]:
            self._add_word(encode(word))
        for text, kind in family.specials.items():
            self._add(text, kind)

    def _add(self, token: str, kind: int) -> int:
        if token not in self.ids:
            self.ids[token] = len(self.tokens)
            self.tokens.append(token)
            self.types.append(kind)
        return self.ids[token]

    def _add_word(self, word: str) -> None:
        """Add ``word`` and every left prefix of it, with the merges that build them."""
        for end in range(2, len(word) + 1):
            if word[:end] not in self.ids:
                self.merges.append(f"{word[: end - 1]} {word[end - 1]}")
                self._add(word[:end], NORMAL)

    def id(self, text: str) -> int:
        """The id of a special token's text or of a word's byte-level form."""
        if text in self.ids and self.types[self.ids[text]] != NORMAL:
            return self.ids[text]
        return self.ids[encode(text)]


def write_family_gguf(
    path: Path, family: str | Family, script: dict[str, str], default: str = "Yes"
) -> Path:
    """Write a scripted tiny model of ``family``: after token ``k`` it says ``script[k]``;
    after any other token, ``default``. Keys and values are token texts (special or word)."""
    fam = FAMILIES[family] if isinstance(family, str) else family
    vocab = Vocab(fam)
    n_vocab = len(vocab.tokens)
    states = {vocab.id(text): i + 1 for i, text in enumerate(script)}
    assert len(states) < N_EMBD, "too many scripted tokens for the embedding width"
    embd = np.zeros((n_vocab, N_EMBD), dtype=np.float32)
    embd[:, 0] = 1.0
    for token, state in states.items():
        embd[token] = 0.0
        embd[token, state] = 1.0
    out = np.zeros((n_vocab, N_EMBD), dtype=np.float32)
    out[vocab.id(default), 0] = LOGIT
    for text, state in zip(script, states.values(), strict=True):
        out[vocab.id(script[text]), state] = LOGIT

    writer = GGUFWriter(str(path), "llama")
    writer.add_name(f"ponder-{fam.name}-scripted")
    writer.add_context_length(N_CTX)
    writer.add_embedding_length(N_EMBD)
    writer.add_feed_forward_length(N_FF)
    writer.add_block_count(N_LAYER)
    writer.add_head_count(N_HEAD)
    writer.add_head_count_kv(N_HEAD_KV)
    writer.add_rope_dimension_count(N_EMBD // N_HEAD)
    writer.add_rope_freq_base(10000.0)
    writer.add_layer_norm_rms_eps(1e-6)
    writer.add_file_type(0)  # all F32
    writer.add_vocab_size(n_vocab)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("qwen2")
    writer.add_token_list(vocab.tokens)
    writer.add_token_types(vocab.types)
    writer.add_token_merges(vocab.merges)
    writer.add_eos_token_id(vocab.id(fam.eos))
    if fam.bos:
        writer.add_bos_token_id(vocab.id(fam.bos))
    writer.add_add_bos_token(False)
    writer.add_key_value("tokenizer.chat_template", fam.chat_template(), GGUFValueType.STRING)

    head_kv = N_HEAD_KV * (N_EMBD // N_HEAD)
    writer.add_tensor("token_embd.weight", embd)
    writer.add_tensor("output.weight", out)
    writer.add_tensor("output_norm.weight", np.ones(N_EMBD, dtype=np.float32))
    for i in range(N_LAYER):
        zeros = {
            "attn_q": (N_EMBD, N_EMBD),
            "attn_k": (head_kv, N_EMBD),
            "attn_v": (head_kv, N_EMBD),
            "attn_output": (N_EMBD, N_EMBD),
            "ffn_gate": (N_FF, N_EMBD),
            "ffn_up": (N_FF, N_EMBD),
            "ffn_down": (N_EMBD, N_FF),
        }
        writer.add_tensor(f"blk.{i}.attn_norm.weight", np.ones(N_EMBD, dtype=np.float32))
        writer.add_tensor(f"blk.{i}.ffn_norm.weight", np.ones(N_EMBD, dtype=np.float32))
        for name, shape in zeros.items():
            writer.add_tensor(f"blk.{i}.{name}.weight", np.zeros(shape, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
