"""The fault table of issue 5 for the Chat Completions family, against a real HTTP server."""

from __future__ import annotations

from typing import Any

import pytest

from backends.errors import (
    AuthError,
    BadResponse,
    ConnectionLost,
    ContextTooLong,
    ModelNotFound,
    Overloaded,
    ProviderError,
    QuotaExceeded,
    RateLimited,
    Unreachable,
)
from backends.events import StopReason, TextDelta
from backends.remote.openai_compat import (
    DeepSeekBackend,
    LlamaServerBackend,
    OpenAIChatBackend,
    OpenRouterBackend,
)
from backends.request import Message
from tests.conftest import free_port
from tests.openai_compat.chat_support import (
    DONE,
    SECRET,
    chat,
    chunk,
    make_backend,
    notes,
    run,
    text_stream,
)
from tests.support.replay_server import (
    Drop,
    Pause,
    ReplayServer,
    Reply,
    drop_after,
    inject_after_event,
    json_reply,
    load_fixture,
    split_events,
    sse_reply,
    stall_after,
    without_finish,
)


def error_body(
    message: str, code: str | int | None = None, type_: str = "invalid_request_error"
) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": None, "code": code}}


# ----- errors before the stream -------------------------------------------------------------


@pytest.mark.parametrize("status", [401, 403])
async def test_auth_failure_names_the_env_var_and_hides_the_key(
    replay_server: ReplayServer, status: int
) -> None:
    message = f"Incorrect API key provided: {SECRET}."
    replay_server.add(json_reply(status, error_body(message, "invalid_api_key")))
    backend = make_backend(OpenAIChatBackend, replay_server, key_env="OPENAI_API_KEY")
    reply, _ = await run(backend, chat("hi"))

    assert reply.finished is not None
    error = reply.finished.error
    assert isinstance(error, AuthError)
    assert reply.finished.stop_reason is StopReason.ERROR
    assert "OPENAI_API_KEY" in str(error)
    assert SECRET not in str(error) and "***" in str(error)
    assert len(replay_server.requests) == 1  # never retried


async def test_missing_key_raises_before_any_event(replay_server: ReplayServer) -> None:
    backend = make_backend(DeepSeekBackend, replay_server, key=None, key_env="DEEPSEEK_API_KEY")
    events = []
    with pytest.raises(AuthError, match="DEEPSEEK_API_KEY"):
        async for event in backend.stream(chat("hi")):
            events.append(event)
    assert events == [] and replay_server.requests == []
    assert await backend.check() == "set DEEPSEEK_API_KEY"


async def test_unknown_model_is_named(replay_server: ReplayServer) -> None:
    body = error_body("The model `gpt-9` does not exist", "model_not_found")
    replay_server.add(json_reply(404, body))
    reply, _ = await run(make_backend(OpenAIChatBackend, replay_server, model="gpt-9"), chat("x"))
    assert reply.finished is not None
    assert isinstance(reply.finished.error, ModelNotFound)
    assert "'gpt-9'" in reply.finished.error.message


@pytest.mark.parametrize(
    "body",
    [
        error_body(
            "This model's maximum context length is 8192 tokens. However, your messages "
            "resulted in 9000 tokens.",
            "context_length_exceeded",
        ),
        {
            "error": {
                "code": 400,
                "type": "exceed_context_size_error",
                "n_prompt_tokens": 13392,
                "n_ctx": 8192,
                "message": "request (13392 tokens) exceeds the available "
                "context size (8192 tokens), try increasing it",
            }
        },
    ],
    ids=["openai", "llama.cpp"],
)
async def test_context_too_long_says_so(replay_server: ReplayServer, body: dict[str, Any]) -> None:
    replay_server.add(json_reply(400, body))
    reply, _ = await run(make_backend(LlamaServerBackend, replay_server), chat("long"))
    assert reply.finished is not None
    assert isinstance(reply.finished.error, ContextTooLong)
    assert "too long" in str(reply.finished.error)
    assert len(replay_server.requests) == 1


async def test_other_client_errors_are_provider_errors(replay_server: ReplayServer) -> None:
    replay_server.add(json_reply(400, error_body("temperature must be <= 2", "invalid_value")))
    reply, _ = await run(make_backend(OpenAIChatBackend, replay_server), chat("x"))
    assert reply.finished is not None
    assert isinstance(reply.finished.error, ProviderError)
    assert "temperature must be <= 2" in reply.finished.error.message


# ----- 429 ------------------------------------------------------------------------------------


async def test_429_waits_retry_after_then_succeeds(replay_server: ReplayServer) -> None:
    limited = error_body("Rate limit reached", "rate_limit_exceeded", "requests")
    replay_server.add(json_reply(429, limited, headers={"retry-after-ms": "200"}))
    replay_server.add(json_reply(429, limited, headers={"retry-after": "0"}))
    replay_server.add(sse_reply(text_stream("Hi", " there")))
    reply, events = await run(make_backend(OpenAIChatBackend, replay_server), chat("x"))

    assert reply.finished is not None
    assert reply.text == "Hi there" and reply.finished.stop_reason is StopReason.STOP
    retrying = notes(events, "retrying")
    assert [n.wait_s for n in retrying] == [0.2, 0.0]  # the server's hints, honoured
    assert "Rate limit" in retrying[0].text
    assert reply.finished.extra["retries"] == 2
    assert len(replay_server.requests) == 3


async def test_429_gives_up_with_a_clear_error_after_bounded_retries(
    replay_server: ReplayServer,
) -> None:
    limited = json_reply(429, error_body("slow down", "rate_limit_exceeded"), {"retry-after": "0"})
    replay_server.set_default(limited)
    backend = make_backend(OpenRouterBackend, replay_server, max_retries=2)
    reply, events = await run(backend, chat("x"))

    assert reply.finished is not None
    assert isinstance(reply.finished.error, RateLimited)
    assert "gave up after 2 retries" in str(reply.finished.error)
    assert len(notes(events, "retrying")) == 2 and len(replay_server.requests) == 3


async def test_429_hint_beyond_the_wait_bound_is_not_waited_for(
    replay_server: ReplayServer,
) -> None:
    replay_server.add(
        json_reply(429, error_body("wait", "rate_limit_exceeded"), {"retry-after": "120"})
    )
    backend = make_backend(OpenAIChatBackend, replay_server, max_retry_wait_s=5)
    reply, events = await run(backend, chat("x"))
    assert reply.finished is not None
    assert isinstance(reply.finished.error, RateLimited)
    assert reply.finished.error.retry_after == 120
    assert "asks to wait 120s" in reply.finished.error.hint
    assert notes(events, "retrying") == [] and len(replay_server.requests) == 1


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (
            429,
            error_body(
                "You exceeded your current quota", "insufficient_quota", "insufficient_quota"
            ),
        ),
        (402, {"error": {"code": 402, "message": "Insufficient credits"}}),
    ],
    ids=["insufficient_quota", "402"],
)
async def test_quota_exhausted_is_not_retried(
    replay_server: ReplayServer, status: int, body: dict[str, Any]
) -> None:
    replay_server.set_default(json_reply(status, body))
    reply, events = await run(make_backend(OpenAIChatBackend, replay_server), chat("x"))
    assert reply.finished is not None
    assert isinstance(reply.finished.error, QuotaExceeded)
    assert notes(events, "retrying") == [] and len(replay_server.requests) == 1


# ----- 5xx --------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503, 504, 529])
async def test_server_errors_retry_with_backoff_before_the_first_token(
    replay_server: ReplayServer, status: int
) -> None:
    overloaded = json_reply(status, error_body("Overloaded", None, "server_error"))
    replay_server.add(overloaded)
    replay_server.add(overloaded)
    replay_server.add(sse_reply(text_stream("Fine.")))
    reply, events = await run(make_backend(OpenAIChatBackend, replay_server), chat("x"))

    assert reply.finished is not None
    assert reply.text == "Fine." and reply.finished.error is None
    waits = [n.wait_s for n in notes(events, "retrying")]
    assert len(waits) == 2
    assert waits[0] is not None and waits[1] is not None
    # 0.01 s then 0.02 s, each with +-25 % jitter: exponential backoff.
    assert 0.0075 <= waits[0] <= 0.0125 and 0.015 <= waits[1] <= 0.025
    assert len(replay_server.requests) == 3


async def test_server_errors_give_up_after_max_retries(replay_server: ReplayServer) -> None:
    replay_server.set_default(json_reply(503, error_body("down", None, "server_error")))
    backend = make_backend(OpenAIChatBackend, replay_server, max_retries=3)
    reply, _ = await run(backend, chat("x"))
    assert reply.finished is not None
    assert isinstance(reply.finished.error, Overloaded)
    assert len(replay_server.requests) == 4


async def test_error_after_text_is_never_retried_and_text_is_not_duplicated(
    replay_server: ReplayServer,
) -> None:
    error = {"error": {"code": 502, "message": "Upstream error", "metadata": {}}}
    body = chunk({"content": "Partial"}) + chunk({"content": ""}, "error", **error) + DONE
    replay_server.add(sse_reply(body))
    replay_server.set_default(sse_reply(text_stream("Partial answer again")))
    reply, events = await run(make_backend(OpenRouterBackend, replay_server), chat("x"))

    assert reply.text == "Partial"
    assert [e.text for e in events if isinstance(e, TextDelta)] == ["Partial"]
    assert reply.finished is not None
    assert reply.finished.stop_reason is StopReason.ERROR
    assert isinstance(reply.finished.error, Overloaded)
    assert len(replay_server.requests) == 1


async def test_in_stream_error_before_any_token_is_retried(replay_server: ReplayServer) -> None:
    error = {
        "error": {
            "code": 429,
            "message": "Rate limit exceeded",
            "metadata": {"error_type": "rate_limit_exceeded"},
        }
    }
    replay_server.add(sse_reply(chunk({"content": ""}, "error", **error) + DONE))
    replay_server.add(sse_reply(text_stream("OK")))
    reply, events = await run(make_backend(OpenRouterBackend, replay_server), chat("x"))
    assert reply.text == "OK" and len(notes(events, "retrying")) == 1


# ----- interrupted streams ------------------------------------------------------------------


async def test_disconnect_mid_stream_keeps_partial_output_and_retry_works(
    replay_server: ReplayServer,
) -> None:
    fixture = load_fixture("llamacpp_gptoss20b_reasoning.turn1")
    cut = len(b"".join(split_events(fixture.body)[:6])) + 20
    replay_server.add(drop_after(fixture.body, cut))
    replay_server.set_default(sse_reply(fixture.body))
    backend = make_backend(LlamaServerBackend, replay_server, key=None)
    reply, events = await run(backend, chat("x"))

    assert reply.thinking == "We need to call function"
    assert reply.finished is not None
    assert reply.finished.stop_reason is StopReason.INTERRUPTED
    assert isinstance(reply.finished.error, ConnectionLost)
    assert "dropped" in reply.finished.error.message
    assert notes(events, "retrying") == [] and len(replay_server.requests) == 1

    again, _ = await run(make_backend(LlamaServerBackend, replay_server, key=None), chat("x"))
    assert again.finished is not None
    assert again.finished.stop_reason is StopReason.STOP
    assert again.thinking.startswith("We need to call function 'weather'")


async def test_stream_without_finish_reason_is_interrupted(replay_server: ReplayServer) -> None:
    # llama-cpp-python's server ends a reply cut off by a second request like this.
    replay_server.add(sse_reply(without_finish(text_stream("Half", " a"))))
    reply, _ = await run(make_backend(LlamaServerBackend, replay_server), chat("x"))
    assert reply.text == "Half a"
    assert reply.finished is not None
    assert reply.finished.stop_reason is StopReason.INTERRUPTED
    assert reply.finished.error is not None
    assert "without a finish reason" in reply.finished.error.message
    assert reply.finished.usage is not None
    assert reply.finished.usage.estimated  # the text so far is still metered


async def test_stall_is_detected_and_partial_output_kept(replay_server: ReplayServer) -> None:
    body = text_stream("Before", " stall", thinking=("hmm",))
    cut = len(b"".join(split_events(body)[:2]))
    replay_server.add(stall_after(body, cut, seconds=30))
    backend = make_backend(LlamaServerBackend, replay_server, stall_timeout_s=0.3)
    reply, _ = await run(backend, chat("x"))
    assert (reply.thinking, reply.text) == ("hmm", "Before")
    assert reply.finished is not None
    assert reply.finished.stop_reason is StopReason.INTERRUPTED
    assert isinstance(reply.finished.error, ConnectionLost)
    assert "stalled" in reply.finished.error.message


async def test_comments_keep_a_slow_stream_alive(replay_server: ReplayServer) -> None:
    pings = [step for _ in range(4) for step in (Pause(0.1), b": ping\n\n")]
    steps: list[bytes | Pause | Drop] = [
        chunk({"content": "a"}),
        *pings,
        chunk({"content": "b"}, "stop"),
        DONE,
    ]
    replay_server.add(Reply(200, {"content-type": "text/event-stream"}, steps))
    backend = make_backend(LlamaServerBackend, replay_server, stall_timeout_s=0.25)
    reply, _ = await run(backend, chat("x"))
    assert reply.finished is not None
    assert reply.text == "ab" and reply.finished.stop_reason is StopReason.STOP


async def test_unreachable_url_says_what_to_check() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    backend = make_backend(LlamaServerBackend, base_url=url, key=None)
    reply, _ = await run(backend, chat("x"))
    assert reply.finished is not None
    assert isinstance(reply.finished.error, Unreachable)
    assert url in reply.finished.error.message
    assert "running" in reply.finished.error.hint
    reason = await make_backend(LlamaServerBackend, base_url=url, key=None).check()
    assert reason is not None and url in reason


# ----- malformed and unknown events ---------------------------------------------------------


async def test_malformed_events_are_skipped_and_counted(replay_server: ReplayServer) -> None:
    fixture = load_fixture("openrouter_claude_haiku45_reasoning.turn2")
    body = inject_after_event(fixture.body, 5, b"data: {not json\n\n")
    body = inject_after_event(body, 9, b'data: {"choices": "nope"}\n\nevent: odd\ndata: 42\n\n')
    body = inject_after_event(body, 12, b'data: {"choices":[{"delta":{"content":7}}]}\n\n')
    body = inject_after_event(body, 14, b'data: {"type":"unknown.event","x":1}\n\n')
    replay_server.add(sse_reply(body))
    reply, events = await run(make_backend(OpenRouterBackend, replay_server), chat("x"))

    replay_server.add(sse_reply(fixture.body))
    clean, _ = await run(make_backend(OpenRouterBackend, replay_server), chat("x"))
    assert reply.text == clean.text  # nothing lost, nothing added
    assert reply.finished is not None
    assert reply.finished.skipped_events == 4
    assert len(notes(events, "skipped")) == 1
    assert reply.finished.stop_reason is StopReason.STOP
    assert clean.finished is not None
    assert reply.finished.usage == clean.finished.usage


async def test_non_event_stream_body_is_a_bad_response(replay_server: ReplayServer) -> None:
    replay_server.add(Reply(200, {"content-type": "text/html"}, [b"<html>login</html>"]))
    reply, _ = await run(make_backend(OpenAIChatBackend, replay_server), chat("x"))
    assert reply.finished is not None
    assert isinstance(reply.finished.error, BadResponse)
    assert "<html>login" in reply.finished.error.hint


async def test_assistant_history_is_sent_in_order(replay_server: ReplayServer) -> None:
    replay_server.add(sse_reply(text_stream("ok")))
    history: list[Message | str] = [
        Message("system", "S"),
        Message("user", "U1"),
        Message("assistant", "A1"),
        "U2",
    ]
    await run(make_backend(DeepSeekBackend, replay_server), chat(*history))
    sent = replay_server.requests[0].json["messages"]
    assert sent == [
        {"role": "system", "content": "S"},
        {"role": "user", "content": "U1"},
        {"role": "assistant", "content": "A1"},
        {"role": "user", "content": "U2"},
    ]
    assert replay_server.requests[0].headers["authorization"] == f"Bearer {SECRET}"


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        (
            b'data: {"error": {"message": "The server had an error", "type": "server_error"}}\n\n',
            "ProviderError",
        ),
        (
            b'data: {"object": "error", "message": "maximum context length is 4096 tokens", '
            b'"type": "BadRequestError", "code": 400}\n\n',
            "ContextTooLong",
        ),
        (chunk({}, "error"), "ProviderError"),
    ],
    ids=["openai", "old-vllm-flat", "finish-error-without-object"],
)
async def test_in_stream_error_after_text_keeps_the_text(
    replay_server: ReplayServer, raw: bytes, kind: str
) -> None:
    replay_server.add(sse_reply(chunk({"content": "So far"}) + raw + DONE))
    reply, _ = await run(make_backend(OpenAIChatBackend, replay_server), chat("x"))
    assert reply.text == "So far"
    assert reply.finished is not None
    assert reply.finished.stop_reason is StopReason.ERROR
    assert reply.finished.error is not None
    assert reply.finished.error.kind == kind
    assert len(replay_server.requests) == 1
