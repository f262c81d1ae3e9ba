"""Property: split and corrupt the bytes of each recorded Chat Completions stream.

Whatever happens to the bytes, the adapter ends with exactly one ``Finished`` and no exception,
never sends the request twice once output was shown (no duplicated text), and keeps every piece
of text and thinking that arrived before the corruption.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backends.events import ReasoningDelta, StopReason, TextDelta
from backends.remote.openai_compat import (
    ChatParser,
    LlamaServerBackend,
    OpenAIChatBackend,
    OpenRouterBackend,
)
from backends.remote.wire import MalformedEvent
from tests.openai_compat.chat_support import chat, make_backend, run
from tests.support.replay_server import Drop, ReplayServer, Reply, load_fixture, split_events

FIXTURES = {
    "openai_chat_gpt5_reasoning.turn1": OpenAIChatBackend,
    "openrouter_claude_haiku45_reasoning.turn1": OpenRouterBackend,
    "openrouter_claude_haiku45_reasoning.turn2": OpenRouterBackend,
    "llamacpp_gptoss20b_reasoning.turn1": LlamaServerBackend,
    "llamacpp_gptoss20b_reasoning.turn2": LlamaServerBackend,
}
JUNK = st.binary(min_size=1, max_size=12) | st.sampled_from(
    [b"\n\n", b"data: {", b"\xff\xfe", b"\r\n", b":", b'"}]}', b"data: [DONE", b"event: x\n"]
)


@pytest.fixture(scope="module")
def server() -> Iterator[ReplayServer]:
    replay = ReplayServer().start()
    yield replay
    replay.stop()


@st.composite
def damage(draw: st.DrawFn, size: int) -> tuple[str, int, bytes, list[int]]:
    """(kind, position, junk, split points) for a body of ``size`` bytes."""
    kind = draw(st.sampled_from(["none", "truncate", "replace", "insert", "delete"]))
    position = draw(st.integers(0, size - 1))
    junk = draw(JUNK) if kind in ("replace", "insert") else b""
    cuts = draw(st.lists(st.integers(1, size - 1), max_size=12, unique=True))
    return kind, position, junk, sorted(cuts)


def corrupt(body: bytes, kind: str, position: int, junk: bytes) -> bytes:
    if kind == "replace":
        return body[:position] + junk + body[position + len(junk) :]
    if kind == "insert":
        return body[:position] + junk + body[position:]
    if kind == "delete":
        return body[:position] + body[position + 8 :]
    return body


def expected_before(body: bytes, position: int, think_tags: bool) -> tuple[str, str]:
    """(thinking, text) the parser yields for the events wholly before ``position``."""
    parser = ChatParser(chat("x"), think_tags=think_tags)
    thinking, text, offset = [], [], 0
    for event in split_events(body):
        offset += len(event)
        if offset > position:
            break
        data = "\n".join(
            line[5:].lstrip(" ") for line in event.decode().splitlines() if line.startswith("data:")
        )
        if not data:
            continue
        try:
            pieces = parser.feed(data)
        except MalformedEvent:
            continue
        thinking += [p.text for p in pieces if isinstance(p, ReasoningDelta)]
        text += [p.text for p in pieces if isinstance(p, TextDelta)]
    return "".join(thinking), "".join(text)


def steps_for(body: bytes, cuts: list[int], truncate_at: int | None) -> list:
    if truncate_at is not None:
        body = body[:truncate_at]
    bounds = [0, *[c for c in cuts if c < len(body)], len(body)]
    steps: list = [body[a:b] for a, b in itertools.pairwise(bounds) if b > a]
    return [*steps, Drop()] if truncate_at is not None else steps


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_split_and_corrupted_streams_never_lose_or_duplicate_text(
    server: ReplayServer, name: str
) -> None:
    fixture = load_fixture(name)
    backend_class = FIXTURES[name]
    body = fixture.body
    think_tags = backend_class.Options().think_tags
    full_thinking, full_text = expected_before(body, len(body), think_tags)

    @settings(
        max_examples=25,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(damage(len(body)))
    def check(case: tuple[str, int, bytes, list[int]]) -> None:
        kind, position, junk, cuts = case
        damaged = corrupt(body, kind, position, junk)
        truncate_at = position if kind == "truncate" else None
        server.reset()
        server.add(
            Reply(200, {"content-type": "text/event-stream"}, steps_for(damaged, cuts, truncate_at))
        )
        backend = make_backend(backend_class, server, stall_timeout_s=5)
        reply, _ = asyncio.run(run(backend, chat("x")))

        assert len(server.requests) == 1  # never re-sent: no duplicated output
        thinking_before, text_before = expected_before(body, position, think_tags)
        assert reply.thinking.startswith(thinking_before)
        assert reply.text.startswith(text_before)
        assert len(reply.text) <= len(full_text) + len(junk)
        assert len(reply.thinking) <= len(full_thinking) + len(junk)
        if kind == "none":
            assert (reply.thinking, reply.text) == (full_thinking, full_text)
            assert reply.finished is not None
            assert reply.finished.stop_reason is StopReason.STOP
            assert reply.finished.skipped_events == 0
        if kind == "truncate":
            assert reply.finished is not None
            assert reply.finished.stop_reason in (StopReason.INTERRUPTED, StopReason.STOP)

    check()
