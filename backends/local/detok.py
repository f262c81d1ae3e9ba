"""Incremental detokenization: one token in, the text it completes out.

A token's piece is raw bytes, and a multi-byte UTF-8 character (an emoji, most CJK text) is often
split across two or three tokens. Decoding each piece on its own would print replacement
characters, and re-decoding the whole reply every token (what ``create_completion(stream=True)``
does) is quadratic. This keeps an incremental UTF-8 decoder that holds back an incomplete
sequence until the bytes that finish it arrive.
"""

from __future__ import annotations

import codecs
from typing import Any


class PieceTable:
    """Token id -> raw piece bytes (special tokens render as nothing), from a session's vocab.

    Anything with a ``piece(token) -> bytes`` method will do: the session caches the pieces.
    """

    def __init__(self, vocab: Any) -> None:
        self._vocab = vocab

    def piece(self, token: int) -> bytes:
        return self._vocab.piece(token)


class Detokenizer:
    """Turns a stream of token ids into text, never splitting a character."""

    def __init__(self, pieces: PieceTable) -> None:
        self._pieces = pieces
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def feed(self, token: int) -> str:
        """The text completed by ``token`` (may be empty while a character is incomplete)."""
        return self._decoder.decode(self._pieces.piece(token))

    def flush(self) -> str:
        """End of stream: an incomplete trailing sequence comes out as a replacement character."""
        return self._decoder.decode(b"", final=True)

    def reset(self) -> None:
        """Forget held-back bytes (after the context was rolled back or text was forced)."""
        self._decoder.reset()


def decode_tokens(pieces: PieceTable, tokens: list[int]) -> str:
    """Text of ``tokens`` in one go, without an incomplete trailing character."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    return decoder.decode(b"".join(pieces.piece(t) for t in tokens))
