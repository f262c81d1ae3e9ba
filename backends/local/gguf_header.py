"""Read a GGUF file's metadata header without loading the model.

``ponder backends`` and ``ponder ask`` want a model's thinking format (to label it honestly and
to pick its starting budget) before anything loads a multi-gigabyte model into memory. The
header holds everything detection needs: the chat template and the vocabulary. This reads it
with ``struct`` in one pass over a memory map (the GGUF spec: little-endian key/value pairs after a
fixed preamble) and keeps only the fields asked for.
"""

from __future__ import annotations

import mmap
import struct
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from backends.local.formats import ThinkingFormat, detect_format

MAGIC = b"GGUF"
STRING, ARRAY = 8, 9
_SCALARS = {
    0: "<B",
    1: "<b",
    2: "<H",
    3: "<h",
    4: "<I",
    5: "<i",
    6: "<f",
    7: "<?",
    10: "<Q",
    11: "<q",
    12: "<d",
}
_U64 = struct.Struct("<Q")
SPECIAL_TYPES = (3, 4)  # llama.cpp token types CONTROL, USER_DEFINED
DETECTION_KEYS = (
    "general.architecture",
    "tokenizer.chat_template",
    "tokenizer.ggml.tokens",
    "tokenizer.ggml.token_type",
)


class GGUFHeaderError(ValueError):
    """The file is not a GGUF this reader understands."""


def read_fields(path: Path, keys: Iterable[str]) -> dict[str, Any]:
    """The values of ``keys`` found in the header of the GGUF at ``path`` (others skipped).

    String arrays come back as lists of raw ``bytes`` (decoding 150k vocabulary entries would
    cost more than everything else); other strings are decoded.
    """
    wanted = set(keys)
    with path.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as buf:
        return _Reader(buf).fields(wanted, path.name)


class _Reader:
    """A cursor over the memory-mapped header."""

    def __init__(self, buf: mmap.mmap) -> None:
        self.buf = buf
        self.at = 0

    def unpack(self, fmt: str) -> Any:
        size = struct.calcsize(fmt)
        if self.at + size > len(self.buf):
            raise GGUFHeaderError("the GGUF header ends early")
        value = struct.unpack_from(fmt, self.buf, self.at)[0]
        self.at += size
        return value

    def raw(self) -> bytes:
        n = self.unpack("<Q")
        data = self.buf[self.at : self.at + n]
        self.at += n
        return data

    def skip_string(self) -> None:
        self.at += 8 + _U64.unpack_from(self.buf, self.at)[0]

    def strings(self, n: int, keep: bool) -> list[bytes] | None:
        """``n`` length-prefixed strings (a tight loop: vocabularies hold 150k of them)."""
        buf, at, u64 = self.buf, self.at, _U64.unpack_from
        out: list[bytes] = []
        for _ in range(n):
            size = u64(buf, at)[0]
            if keep:
                out.append(buf[at + 8 : at + 8 + size])
            at += 8 + size
        self.at = at
        return out if keep else None

    def fields(self, wanted: set[str], name: str) -> dict[str, Any]:
        if self.buf[:4] != MAGIC:
            raise GGUFHeaderError(f"{name} is not a GGUF file")
        self.at = 4
        version = self.unpack("<I")
        if version < 2:
            raise GGUFHeaderError(f"{name} uses GGUF version {version}; 2 or later needed")
        self.unpack("<Q")  # tensor count
        found: dict[str, Any] = {}
        for _ in range(self.unpack("<Q")):
            key = self.raw().decode("utf-8", errors="replace")
            kind = self.unpack("<I")
            keep = key in wanted
            value = self.value(kind, keep)
            if keep:
                found[key] = value
        return found

    def value(self, kind: int, keep: bool) -> Any:
        if kind == STRING:
            if keep:
                return self.raw().decode("utf-8", errors="replace")
            self.skip_string()
            return None
        if kind == ARRAY:
            return self.array(keep)
        if kind in _SCALARS:
            return self.unpack(_SCALARS[kind])
        raise GGUFHeaderError(f"unknown GGUF value type {kind}")

    def array(self, keep: bool) -> Any:
        sub = self.unpack("<I")
        n = self.unpack("<Q")
        if sub in _SCALARS:
            fmt = _SCALARS[sub]
            size = n * struct.calcsize(fmt)
            values = struct.unpack_from(f"<{n}{fmt[1]}", self.buf, self.at) if keep else None
            self.at += size
            return list(values) if values is not None else None
        if sub == STRING:
            return self.strings(n, keep)
        items = [self.value(sub, keep) for _ in range(n)]
        return items if keep else None


def peek_format(
    path: Path, think_open: str = "<think>", think_close: str = "</think>"
) -> ThinkingFormat:
    """The thinking format of the GGUF at ``path``, from its header alone."""
    fields = read_fields(path, DETECTION_KEYS)
    tokens: list[bytes] = fields.get("tokenizer.ggml.tokens") or []
    types: list[int] = fields.get("tokenizer.ggml.token_type") or []
    special = {
        tokens[i].decode("utf-8", errors="replace"): i
        for i, kind in enumerate(types)
        if kind in SPECIAL_TYPES and i < len(tokens)
    }

    def tokenize(text: str) -> list[int]:
        return [special[text]] if text in special else [-1, -1]  # not one special token

    def is_special(token: int) -> bool:
        return token >= 0

    template = str(fields.get("tokenizer.chat_template") or "")
    return detect_format(template, fields, tokenize, is_special, think_open, think_close)
