"""Per-conversation KV-cache snapshots, so switching chats does not re-evaluate histories.

llama.cpp holds one context. Prefix matching reuses it within a conversation, but a reply in
conversation B overwrites A's history, and going back to A would evaluate all of it again.
Before switching away, the sequence's KV cells are copied out with ``llama_state_seq_get_data``
(KV only: no logits, no sampler state, unlike ``LlamaRAMCache``, which also copies the logits,
and ``LlamaDiskCache``, which evicts on lookup), together with the token ids they hold; switching
back copies them in with ``llama_state_seq_set_data`` and prefix matching carries on from there.
Snapshots live in a least-recently-used store bounded by bytes.
"""

from __future__ import annotations

import ctypes
import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import llama_cpp
import numpy as np

log = logging.getLogger("ponder.llama")
SEQ = 0  # llama-cpp-python decodes everything into sequence 0


@dataclass(frozen=True, slots=True)
class Snapshot:
    tokens: np.ndarray
    data: Any  # ctypes uint8 array
    size: int


class KVSnapshots:
    """Conversation id -> KV snapshot, least recently used evicted past ``max_bytes``."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, Snapshot] = OrderedDict()
        self._bytes = 0

    def __contains__(self, key: str) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)

    @property
    def bytes_used(self) -> int:
        return self._bytes

    def save(self, key: str, llm: Any) -> bool:
        """Copy what the context holds now under ``key``; False when it is empty or too big."""
        self.discard(key)
        n_tokens = int(llm.n_tokens)
        if n_tokens == 0:
            return False
        ctx = llm.ctx
        size = int(llama_cpp.llama_state_seq_get_size(ctx, SEQ))
        if size > self.max_bytes:
            log.debug("KV snapshot of %s skipped: %d bytes > %d", key, size, self.max_bytes)
            return False
        data = (ctypes.c_uint8 * size)()
        written = int(llama_cpp.llama_state_seq_get_data(ctx, data, size, SEQ))
        if written == 0:
            return False
        self._items[key] = Snapshot(llm.input_ids[:n_tokens].copy(), data, written)
        self._bytes += written
        self._evict()
        return True

    def restore(self, key: str, llm: Any) -> bool:
        """Put ``key``'s snapshot back into the context (and drop it from the store).

        Returns False when there is none or llama.cpp refused it; the context is then empty
        (a refused restore may have left cells half-written) or untouched (no snapshot).
        """
        snap = self._items.pop(key, None)
        if snap is None:
            return False
        self._bytes -= snap.size
        ctx = llm.ctx
        memory = llama_cpp.llama_get_memory(ctx)
        llama_cpp.llama_memory_seq_rm(memory, SEQ, -1, -1)
        ok = int(llama_cpp.llama_state_seq_set_data(ctx, snap.data, snap.size, SEQ)) > 0
        n_tokens = len(snap.tokens) if ok else 0
        if ok:
            llm.input_ids[:n_tokens] = snap.tokens
        else:
            llama_cpp.llama_memory_seq_rm(memory, SEQ, -1, -1)
        llm.n_tokens = n_tokens
        # The logits are not part of the snapshot: the next generate() must decode first.
        llm._requires_eval = True
        return ok

    def discard(self, key: str) -> None:
        snap = self._items.pop(key, None)
        if snap is not None:
            self._bytes -= snap.size

    def clear(self) -> None:
        self._items.clear()
        self._bytes = 0

    def _evict(self) -> None:
        while self._bytes > self.max_bytes and self._items:
            key, snap = self._items.popitem(last=False)
            self._bytes -= snap.size
            log.debug("KV snapshot of %s evicted (%d bytes)", key, snap.size)


def reusable_prefix(llm: Any, tokens: list[int]) -> int:
    """How many leading ``tokens`` llama-cpp-python's prefix match will take from the KV cache.

    Mirrors ``Llama.generate``: the common prefix with what the context holds, less one token
    when the whole prompt is cached (it re-evaluates that one to get fresh logits).
    """
    if getattr(llm, "_is_recurrent", False):
        return 0  # recurrent state cannot be cut back to a prefix: generate() starts over
    held = llm.input_ids[: min(int(llm.n_tokens), len(tokens))]
    if not len(held):
        return 0
    differ = np.nonzero(held != np.asarray(tokens[: len(held)], dtype=held.dtype))[0]
    common = int(differ[0]) if len(differ) else len(held)
    return common - 1 if common == len(tokens) else common
