"""Incremental detokenization keeps multi-byte characters whole."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from backends.local.detok import Detokenizer, PieceTable
from backends.local.options import LocalOptions
from backends.local.session import LlamaSession

TEXT = "naïve café — 日本語のテキスト 🙂👍🏽 Ωμέγα ∑"


@pytest.fixture(scope="module")
def vocab_llama(tiny_gguf: Path) -> Iterator[LlamaSession]:
    session = LlamaSession(tiny_gguf, LocalOptions(n_threads=1, n_threads_batch=1))
    yield session
    session.close()


def test_characters_split_across_tokens_come_out_whole(vocab_llama: LlamaSession) -> None:
    pieces = PieceTable(vocab_llama)
    tokens = vocab_llama.tokenize(TEXT, special=False)
    raw = [pieces.piece(t) for t in tokens]
    split = [p for p in raw if not _valid_utf8(p)]
    assert split, "the sample text must contain characters split across tokens"
    detok = Detokenizer(pieces)
    out = [detok.feed(t) for t in tokens]
    assert "".join(out) == TEXT
    assert all("\ufffd" not in piece for piece in out)
    assert "" in out  # a token that only starts a character yields nothing yet


def test_reset_drops_held_back_bytes(vocab_llama: LlamaSession) -> None:
    pieces = PieceTable(vocab_llama)
    tokens = vocab_llama.tokenize("🙂", special=False)
    assert len(tokens) > 1
    detok = Detokenizer(pieces)
    assert detok.feed(tokens[0]) == ""
    detok.reset()
    assert detok.feed(vocab_llama.tokenize("a", special=False)[0]) == "a"


def test_special_tokens_render_as_nothing(vocab_llama: LlamaSession) -> None:
    pieces = PieceTable(vocab_llama)
    assert pieces.piece(vocab_llama.eos_id()) == b""


def _valid_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
