"""Per-conversation KV-cache snapshots, so switching chats does not re-evaluate histories.

llama.cpp holds one context. Prefix matching reuses it within a conversation, but a reply in
conversation B overwrites A's history, and going back to A would evaluate all of it again.
Before switching away, the sequence's KV cells are copied out (``llama_state_seq_get_data``
through the session: KV only, no logits, no sampler state) together with the token ids they
hold; switching back copies them in and prefix matching carries on from there. Snapshots live
in a least-recently-used store bounded by bytes.
"""

from __future__ import annotations

import logging
from collections import OrderedDict

from backends.local.session import LlamaSession, Snapshot

log = logging.getLogger("ponder.llama")


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

    def save(self, key: str, session: LlamaSession) -> bool:
        """Copy what the context holds now under ``key``; False when it is empty or too big."""
        self.discard(key)
        size = session.snapshot_size()
        if size == 0:
            return False
        if size > self.max_bytes:
            log.debug("KV snapshot of %s skipped: %d bytes > %d", key, size, self.max_bytes)
            return False
        snap = session.snapshot()
        if snap is None:
            return False
        self._items[key] = snap
        self._bytes += snap.size
        self._evict()
        return True

    def restore(self, key: str, session: LlamaSession) -> bool:
        """Put ``key``'s snapshot back into the context (and drop it from the store).

        Returns False when there is none (the context is untouched) or llama.cpp refused it
        (the context is then empty: a refused restore may have left cells half-written).
        """
        snap = self._items.pop(key, None)
        if snap is None:
            return False
        self._bytes -= snap.size
        return session.restore(snap)

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
