"""Write a tiny random-weight llama GGUF that reuses a real model's tokenizer and chat template.

It loads in a few hundredths of a second and decodes around a thousand tokens per second on one
core, so tests that exercise the decoding loop (not the model's wisdom) stay fast. Its output is
random tokens: tests that need sensible text use the embedded SmolLM2 model instead.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from gguf import GGMLQuantizationType, GGUFReader, GGUFValueType, GGUFWriter

N_EMBD = 64
N_FF = 128
N_HEAD = 4
N_HEAD_KV = 2
N_LAYER = 2
N_CTX = 2048


def _copy_tokenizer(reader: GGUFReader, writer: GGUFWriter) -> int:
    """Copy every ``tokenizer.*`` field; returns the vocabulary size."""
    vocab = 0
    for key, field in reader.fields.items():
        if not key.startswith("tokenizer."):
            continue
        value = field.contents()
        kind = field.types[0]
        if kind == GGUFValueType.ARRAY:
            sub = field.types[1] if len(field.types) > 1 else GGUFValueType.STRING
            writer.add_key_value(key, value, GGUFValueType.ARRAY, sub_type=sub)
            if key == "tokenizer.ggml.tokens":
                vocab = len(value)
        else:
            writer.add_key_value(key, value, kind)
    return vocab


def write_tiny_gguf(path: Path, tokenizer_source: Path, seed: int = 0) -> Path:
    """Write the tiny model to ``path`` with the tokenizer of ``tokenizer_source``."""
    reader = GGUFReader(str(tokenizer_source))
    writer = GGUFWriter(str(path), "llama")
    writer.add_name("ponder-tiny-test")
    writer.add_context_length(N_CTX)
    writer.add_embedding_length(N_EMBD)
    writer.add_feed_forward_length(N_FF)
    writer.add_block_count(N_LAYER)
    writer.add_head_count(N_HEAD)
    writer.add_head_count_kv(N_HEAD_KV)
    writer.add_rope_dimension_count(N_EMBD // N_HEAD)
    writer.add_rope_freq_base(10000.0)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_file_type(1)  # mostly F16
    vocab = _copy_tokenizer(reader, writer)
    writer.add_vocab_size(vocab)

    rng = np.random.default_rng(seed)
    head_dim = N_EMBD // N_HEAD

    def tensor(name: str, *shape: int, scale: float = 0.2, f16: bool = True) -> None:
        data = (rng.standard_normal(shape) * scale).astype(np.float16 if f16 else np.float32)
        writer.add_tensor(name, data, raw_dtype=GGMLQuantizationType.F16 if f16 else None)

    tensor("token_embd.weight", vocab, N_EMBD, scale=1.0)
    writer.add_tensor("output_norm.weight", np.ones(N_EMBD, dtype=np.float32))
    for i in range(N_LAYER):
        writer.add_tensor(f"blk.{i}.attn_norm.weight", np.ones(N_EMBD, dtype=np.float32))
        writer.add_tensor(f"blk.{i}.ffn_norm.weight", np.ones(N_EMBD, dtype=np.float32))
        tensor(f"blk.{i}.attn_q.weight", N_EMBD, N_EMBD)
        tensor(f"blk.{i}.attn_k.weight", N_HEAD_KV * head_dim, N_EMBD)
        tensor(f"blk.{i}.attn_v.weight", N_HEAD_KV * head_dim, N_EMBD)
        tensor(f"blk.{i}.attn_output.weight", N_EMBD, N_EMBD)
        tensor(f"blk.{i}.ffn_gate.weight", N_FF, N_EMBD)
        tensor(f"blk.{i}.ffn_up.weight", N_FF, N_EMBD)
        tensor(f"blk.{i}.ffn_down.weight", N_EMBD, N_FF)

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
