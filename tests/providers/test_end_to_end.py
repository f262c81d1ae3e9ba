"""Every adapter family through the real HTTP transport and a replay server on 127.0.0.1.

One test per row of issue 5's fault table, run for Anthropic, Gemini, OpenAI Responses and
Ollama: the documented stream, auth (names the env var), unknown model (names it), context too
long, 429 (retried honouring the hint, or given up when the hint is too long), 5xx/529 (retried
before the first token, never after it), disconnect, missing finish, stall, malformed event.
"""

from __future__ import annotations

from typing import TypeVar

import pytest

from backends.budget import Budget
from backends.errors import (
    AuthError,
    ConnectionLost,
    ContextTooLong,
    ModelNotFound,
    Overloaded,
    PonderError,
    RateLimited,
)
from backends.events import Finished, StatusNote, StopReason, StreamEvent
from backends.reply import Reply, collect
from backends.request import ChatRequest, Message
from tests.providers.families import CONTEXT_MESSAGES, FAMILIES, IDS, KEY_ENV, SECRET, Family
from tests.support.replay_server import ReplayServer, drop_after, json_reply, stall_after

E = TypeVar("E", bound=PonderError)

pytestmark = pytest.mark.parametrize("family", FAMILIES, ids=IDS)


async def ask(family: Family, server: ReplayServer, **options: object) -> tuple[Reply, Finished]:
    backend = family.backend(server.url(), **options)
    events: list[StreamEvent] = []
    request = ChatRequest([Message("user", "What is 2+2?")], Budget(2000))
    try:
        reply = await collect(backend, request, events.append)
    finally:
        await backend.aclose()
    assert sum(isinstance(e, Finished) for e in events) == 1 and events[-1] is reply.finished
    return reply, reply.finished


def notes(reply: Reply, kind: str) -> list[StatusNote]:
    return [note for note in reply.notes if note.kind == kind]


def assert_error(finished: Finished, kind: type[E]) -> E:
    assert finished.stop_reason is StopReason.ERROR
    assert isinstance(finished.error, kind), finished.error
    assert SECRET not in str(finished.error)
    return finished.error


async def test_documented_stream(family: Family, replay_server: ReplayServer) -> None:
    replay_server.add(family.reply())
    reply, finished = await ask(family, replay_server)
    assert (reply.thinking, reply.text) == (family.thinking, family.first + family.second)
    assert finished.stop_reason is StopReason.STOP and finished.error is None
    assert finished.usage is not None and finished.usage.output > 0
    assert finished.budget_applied
    sent = replay_server.requests[0]
    assert sent.method == "POST" and sent.path == family.path
    assert sent.json is not None and SECRET not in sent.query


async def test_auth_error_names_the_env_var(family: Family, replay_server: ReplayServer) -> None:
    replay_server.add(family.error_reply("auth", "invalid key"))
    reply, finished = await ask(family, replay_server)
    assert KEY_ENV in str(assert_error(finished, AuthError))
    assert len(replay_server.requests) == 1 and reply.text == ""


async def test_unknown_model_is_named(family: Family, replay_server: ReplayServer) -> None:
    replay_server.add(family.error_reply("not_found", f"model {family.model} not found"))
    _, finished = await ask(family, replay_server)
    assert family.model in str(assert_error(finished, ModelNotFound))


async def test_context_too_long(family: Family, replay_server: ReplayServer) -> None:
    replay_server.add(family.error_reply("context", CONTEXT_MESSAGES[family.name]))
    _, finished = await ask(family, replay_server)
    assert_error(finished, ContextTooLong)
    assert len(replay_server.requests) == 1


async def test_rate_limit_is_retried_with_the_hint(
    family: Family, replay_server: ReplayServer
) -> None:
    replay_server.add(family.error_reply("rate", "slow down", family.retry_hint))
    replay_server.add(family.reply())
    reply, finished = await ask(family, replay_server)
    assert finished.stop_reason is StopReason.STOP
    assert reply.text == family.first + family.second  # once, not twice
    [note] = notes(reply, "retrying")
    assert note.wait_s == 0
    assert len(replay_server.requests) == 2 and finished.extra["retries"] == 1


async def test_rate_limit_with_a_long_hint_gives_up(
    family: Family, replay_server: ReplayServer
) -> None:
    hint = {"retry-after": "3600"}
    status, code = family.codes["rate"]
    body = family.error(status, code, "slow down")
    if family.name == "gemini":
        body[0]["error"]["details"][0]["retryDelay"] = "3600s"
    replay_server.add(json_reply(status, body, hint))
    _, finished = await ask(family, replay_server, max_retry_wait_s=5)
    error = assert_error(finished, RateLimited)
    assert error.retry_after == 3600 and "3600" in error.hint
    assert len(replay_server.requests) == 1


async def test_overload_is_retried_before_output(
    family: Family, replay_server: ReplayServer
) -> None:
    replay_server.add(family.error_reply("overload", "overloaded"))
    replay_server.add(family.reply())
    reply, finished = await ask(family, replay_server)
    assert finished.stop_reason is StopReason.STOP
    assert reply.text == family.first + family.second
    assert len(notes(reply, "retrying")) == 1 and len(replay_server.requests) == 2


async def test_error_after_text_is_not_retried(family: Family, replay_server: ReplayServer) -> None:
    cut = family.first_text_end()
    replay_server.add(family.reply(family.body[:cut] + family.stream_error))
    replay_server.add(family.reply())  # must not be fetched
    reply, finished = await ask(family, replay_server)
    assert finished.stop_reason is StopReason.ERROR and finished.error is not None
    assert (reply.thinking, reply.text) == (family.thinking, family.first)
    assert len(replay_server.requests) == 1 and notes(reply, "retrying") == []


async def test_in_stream_overload_before_text_is_retried(
    family: Family, replay_server: ReplayServer
) -> None:
    replay_server.add(family.reply(family.stream_error))
    replay_server.add(family.reply())
    reply, finished = await ask(family, replay_server)
    assert finished.stop_reason is StopReason.STOP
    assert reply.text == family.first + family.second
    assert isinstance(notes(reply, "retrying")[0], StatusNote)
    assert len(replay_server.requests) == 2


async def test_disconnect_keeps_partial_output(family: Family, replay_server: ReplayServer) -> None:
    replay_server.add(drop_after(family.body, family.first_text_end() + 5))
    reply, finished = await ask(family, replay_server)
    assert finished.stop_reason is StopReason.INTERRUPTED
    assert isinstance(finished.error, ConnectionLost)
    assert (reply.thinking, reply.text) == (family.thinking, family.first)


async def test_stream_without_finish_is_interrupted(
    family: Family, replay_server: ReplayServer
) -> None:
    replay_server.add(family.reply(family.unfinished()))
    reply, finished = await ask(family, replay_server)
    assert finished.stop_reason is StopReason.INTERRUPTED
    assert isinstance(finished.error, ConnectionLost)
    assert reply.thinking == family.thinking and reply.text.startswith(family.first)


async def test_stall_keeps_partial_output(family: Family, replay_server: ReplayServer) -> None:
    replay_server.add(stall_after(family.body, family.first_text_end(), seconds=30))
    reply, finished = await ask(family, replay_server, stall_timeout_s=0.3)
    assert finished.stop_reason is StopReason.INTERRUPTED
    assert isinstance(finished.error, ConnectionLost) and "stalled" in finished.error.message
    assert (reply.thinking, reply.text) == (family.thinking, family.first)


async def test_malformed_event_is_skipped_and_counted(
    family: Family, replay_server: ReplayServer
) -> None:
    events = family.events()
    body = b"".join([*events[:2], family.malformed(), *events[2:]])
    replay_server.add(family.reply(body))
    reply, finished = await ask(family, replay_server)
    assert finished.stop_reason is StopReason.STOP and finished.skipped_events == 1
    assert (reply.thinking, reply.text) == (family.thinking, family.first + family.second)
    assert len(notes(reply, "skipped")) == 1


async def test_overload_retries_are_bounded(family: Family, replay_server: ReplayServer) -> None:
    for _ in range(3):
        replay_server.add(family.error_reply("overload", "overloaded"))
    _, finished = await ask(family, replay_server, max_retries=2)
    assert_error(finished, Overloaded)
    assert len(replay_server.requests) == 3
