"""KV snapshots: saved and restored through llama.cpp, bounded by bytes, least recent evicted."""

from __future__ import annotations

from pathlib import Path

from backends.budget import Budget
from backends.local.kvstate import KVSnapshots
from backends.request import ChatRequest, Message, RequestOptions
from tests.local.conftest import MakeBackend
from tests.local.helpers import expected_evals, run


async def test_snapshots_round_trip_and_evict(make_backend: MakeBackend, tiny_gguf: Path) -> None:
    backend = make_backend(tiny_gguf)
    loaded = await backend.load()
    llm = loaded.session
    first = await run(
        backend,
        ChatRequest(
            [Message("user", "one")], budget=Budget(0), options=RequestOptions(max_tokens=20)
        ),
    )
    tokens_a = list(llm.tokens)
    store = KVSnapshots(max_bytes=10**9)
    assert store.save("A", llm)
    one_snapshot = store.bytes_used
    assert one_snapshot > 0

    await run(
        backend,
        ChatRequest(
            [Message("user", "two two")], budget=Budget(0), options=RequestOptions(max_tokens=30)
        ),
    )
    assert store.restore("A", llm)
    assert llm.tokens == tokens_a
    assert "A" not in store and store.bytes_used == 0  # restored snapshots leave the store

    # Continuing A now evaluates only the new tokens: the KV cells really came back.
    history = [Message("user", "one"), Message("assistant", "x"), Message("user", "three")]
    reply = await run(
        backend, ChatRequest(history, budget=Budget(0), options=RequestOptions(max_tokens=5))
    )
    # (without the restore only the system prompt would match: "two two" differs from "one")
    assert reply.finished.usage is not None
    assert first.finished.usage is not None
    assert reply.finished.usage.cached_input >= first.finished.usage.input
    assert reply.evals == expected_evals(reply)

    small = KVSnapshots(max_bytes=int(one_snapshot * 1.5))
    assert small.save("A", llm) and small.save("B", llm)
    assert "A" not in small and "B" in small and len(small) == 1  # A was least recent
    assert not small.restore("missing", llm)
    assert not KVSnapshots(max_bytes=10).save("C", llm)  # bigger than the whole store
