"""Read a GGUF file's metadata header without loading the model.

``ponder backends`` and ``ponder ask`` want a model's thinking format (to label it honestly and
to pick its starting budget) before anything loads a multi-gigabyte model into memory. The
header holds everything detection needs: the chat template and the vocabulary. This reads it
with ``struct`` in one buffered pass (the GGUF spec: little-endian key/value pairs after a
fixed preamble) and keeps only the fields asked for.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from pathlib import Path
from typing import Any, BinaryIO

from backends.local.formats import ThinkingFormat, detect_format

MAGIC = b"GGUF"
STRING, ARRAY = 8, 9
_SCALARS = {
    0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?",
    10: "<Q", 11: "<q", 12: "<d",
}  # fmt: skip
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
    """The values of ``keys`` found in the header of the GGUF at ``path`` (others skipped)."""
    wanted = set(keys)
    found: dict[str, Any] = {}
    with path.open("rb", buffering=1 << 20) as f:
        if f.read(4) != MAGIC:
            raise GGUFHeaderError(f"{path.name} is not a GGUF file")
        version, _tensors, count = struct.unpack("<IQQ", f.read(20))
        if version < 2:
            raise GGUFHeaderError(f"{path.name} uses GGUF version {version}; 2 or later needed")
        for _ in range(count):
            key = _string(f)
            kind = _unpack(f, "<I")
            keep = key in wanted
            value = _value(f, kind, keep)
            if keep:
                found[key] = value
    return found


def _unpack(f: BinaryIO, fmt: str) -> Any:
    size = struct.calcsize(fmt)
    data = f.read(size)
    if len(data) != size:
        raise GGUFHeaderError("the GGUF header ends early")
    return struct.unpack(fmt, data)[0]


def _string(f: BinaryIO, keep: bool = True) -> str:
    n = _unpack(f, "<Q")
    if not keep:
        f.seek(n, 1)
        return ""
    return f.read(n).decode("utf-8", errors="replace")


def _value(f: BinaryIO, kind: int, keep: bool) -> Any:
    if kind == STRING:
        return _string(f, keep)
    if kind == ARRAY:
        sub = _unpack(f, "<I")
        n = _unpack(f, "<Q")
        if sub in _SCALARS and not keep:
            f.seek(n * struct.calcsize(_SCALARS[sub]), 1)
            return None
        if sub in _SCALARS:
            fmt = _SCALARS[sub]
            return list(struct.unpack(f"<{n}{fmt[1]}", f.read(n * struct.calcsize(fmt))))
        items = [_value(f, sub, keep) for _ in range(n)]
        return items if keep else None
    if kind in _SCALARS:
        return _unpack(f, _SCALARS[kind])
    raise GGUFHeaderError(f"unknown GGUF value type {kind}")


def peek_format(
    path: Path, think_open: str = "<think>", think_close: str = "</think>"
) -> ThinkingFormat:
    """The thinking format of the GGUF at ``path``, from its header alone."""
    fields = read_fields(path, DETECTION_KEYS)
    tokens: list[str] = fields.get("tokenizer.ggml.tokens") or []
    types: list[int] = fields.get("tokenizer.ggml.token_type") or []
    special = {t: i for i, t in enumerate(tokens) if i < len(types) and types[i] in SPECIAL_TYPES}

    def tokenize(text: str) -> list[int]:
        return [special[text]] if text in special else [-1, -1]  # not one special token

    def is_special(token: int) -> bool:
        return token >= 0

    template = str(fields.get("tokenizer.chat_template") or "")
    return detect_format(template, fields, tokenize, is_special, think_open, think_close)
