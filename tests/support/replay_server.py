"""A real HTTP server on 127.0.0.1 that replays scripted responses, for the remote-backend tests.

Usage (the ``replay_server`` fixture in ``tests/conftest.py`` starts and stops one)::

    server.add(sse_reply(load_fixture("openai_chat_gpt5_reasoning.turn1").body))
    server.add(json_reply(429, {"error": {...}}, headers={"retry-after": "1"}))   # queued in order
    server.add(Reply(status=200, steps=[b"data: {...}\\n\\n", Pause(5), Drop()]), path="/v1/x")
    backend = SomeBackend(spec(base_url=server.url("/v1")))
    ... stream ...
    server.requests[0].json            # the JSON body the client sent
    server.requests[0].headers["authorization"]

API
* ``ReplayServer()``: ``start()`` / ``stop()``; ``port``; ``url(prefix="")`` ->
  ``http://127.0.0.1:PORT{prefix}``.
* ``add(reply, path=None)``: queue a reply. Replies are served first-in first-out; with ``path``
  the reply only answers a request whose path (without query) ends with ``path``.
  ``set_default(reply)`` answers any request when the queue has nothing for it (e.g. ``/models``).
  A request with no scripted reply gets HTTP 418 and is listed in ``unscripted``.
* ``requests``: ``RecordedRequest(method, path, query, headers (lower-case keys), body, json)``
  for every request, in arrival order. ``reset()`` clears queue, default and records.
* ``Reply(status=200, headers={...}, steps=[...], chunked=True)``: ``steps`` are ``bytes``
  (written and flushed as one piece), ``Pause(seconds)`` (a stall: no bytes for that long) or
  ``Drop()`` (the connection is cut: the chunked body never terminates). With ``chunked=False``
  the body is sent with a Content-Length (all ``bytes`` steps joined).
* Builders: ``sse_reply(body, chunk_size=None, headers=None)`` (an event stream, split into one
  write per event or per ``chunk_size`` bytes), ``ndjson_reply(body)``, ``json_reply(status,
  obj, headers=None)``; fault variants of a body: ``drop_after(body, n)`` (cut after ``n``
  bytes), ``stall_after(body, n, seconds)``, ``without_finish(body)`` (Chat Completions
  ``finish_reason`` nulled), ``inject_after_event(body, k, raw)`` (raw bytes inserted after the
  k-th event, e.g. a malformed ``data:`` line).
* ``load_fixture(name)`` -> ``Fixture(body: bytes, request: dict)`` from
  ``tests/fixtures/recorded/<name>.sse`` / ``.request.json``;
  ``split_events(body)`` -> the body's SSE events (each with its blank-line terminator).

Every connection is closed after its response (``Connection: close``), so one request = one
connection and faults never leak into the next request.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

# Recorded provider streams, copied into the repository with their provenance (README.md there).
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "recorded"


@dataclass(frozen=True)
class Pause:
    """No bytes for ``seconds`` (a stall)."""

    seconds: float


@dataclass(frozen=True)
class Drop:
    """Cut the connection here, mid-body."""


Step = bytes | Pause | Drop


@dataclass
class Reply:
    """One scripted HTTP response."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    steps: list[Step] = field(default_factory=list)
    chunked: bool = True


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass(frozen=True)
class Fixture:
    body: bytes
    request: dict[str, Any]

    @property
    def request_body(self) -> dict[str, Any]:
        return self.request["body"]


class ReplayServer:
    """See the module docstring."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self.unscripted: list[RecordedRequest] = []
        self._queue: list[tuple[str | None, Reply]] = []
        self._default: Reply | None = None
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.AbstractServer | None = None
        self._thread: threading.Thread | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    # ----- scripting ---------------------------------------------------------------------

    def add(self, reply: Reply, path: str | None = None) -> None:
        with self._lock:
            self._queue.append((path, reply))

    def set_default(self, reply: Reply | None) -> None:
        with self._lock:
            self._default = reply

    def reset(self) -> None:
        with self._lock:
            self._queue.clear()
            self._default = None
            self.requests.clear()
            self.unscripted.clear()

    def url(self, prefix: str = "") -> str:
        return f"http://127.0.0.1:{self.port}{prefix}"

    def _next_reply(self, request: RecordedRequest) -> Reply | None:
        with self._lock:
            self.requests.append(request)
            for i, (path, reply) in enumerate(self._queue):
                if path is None or request.path.endswith(path):
                    del self._queue[i]
                    return reply
            if self._default is None:
                self.unscripted.append(request)
            return self._default

    # ----- lifecycle ---------------------------------------------------------------------

    def start(self) -> ReplayServer:
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            self._server = loop.run_until_complete(
                asyncio.start_server(self._handle, "127.0.0.1", 0)
            )
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            loop.run_forever()
            loop.close()

        self._thread = threading.Thread(target=run, name="replay-server", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("replay server did not start")
        return self

    def stop(self) -> None:
        loop = self._loop
        if loop is None or self._thread is None:
            return

        async def shutdown() -> None:
            assert self._server is not None
            self._server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            loop.stop()

        asyncio.run_coroutine_threadsafe(shutdown(), loop)
        self._thread.join(10)
        self._loop = None

    # ----- serving -----------------------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            request = await _read_request(reader)
            if request is not None:
                reply = self._next_reply(request)
                if reply is None:
                    message = (
                        f"replay server: no scripted reply for {request.method} {request.path}"
                    )
                    reply = json_reply(418, {"error": {"message": message}})
                if await _send(writer, reply):
                    writer.close()
                    await writer.wait_closed()
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client went away: that is what some tests do
        finally:
            self._tasks.discard(task)
        writer.transport.abort()  # a Drop step, or the client left: cut the connection


async def _read_request(reader: asyncio.StreamReader) -> RecordedRequest | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0") or 0)
    body = await reader.readexactly(length) if length else b""
    parts = urlsplit(target)
    return RecordedRequest(method, parts.path, parts.query, headers, body)


async def _send(writer: asyncio.StreamWriter, reply: Reply) -> bool:
    """Write ``reply``; ``True`` when it ended normally, ``False`` at a ``Drop`` step."""
    try:
        reason = HTTPStatus(reply.status).phrase
    except ValueError:
        reason = "Status"
    headers = {k.lower(): v for k, v in reply.headers.items()}
    headers.setdefault("content-type", "text/event-stream")
    headers["connection"] = "close"
    if reply.chunked:
        headers["transfer-encoding"] = "chunked"
    else:
        body = b"".join(s for s in reply.steps if isinstance(s, bytes))
        headers["content-length"] = str(len(body))
    head = f"HTTP/1.1 {reply.status} {reason}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    writer.write(head.encode("latin-1"))
    await writer.drain()
    if not reply.chunked:
        writer.write(body)
        await writer.drain()
        return True
    for step in reply.steps:
        if isinstance(step, Pause):
            await asyncio.sleep(step.seconds)
        elif isinstance(step, Drop):
            return False  # the caller aborts the connection: the chunked body never ends
        elif step:
            writer.write(b"%x\r\n%s\r\n" % (len(step), step))
            await writer.drain()
    writer.write(b"0\r\n\r\n")
    await writer.drain()
    return True


# ----- builders ----------------------------------------------------------------------------


def split_events(body: bytes) -> list[bytes]:
    """The SSE events of ``body`` (CRLF or LF), each including its blank-line terminator."""
    parts = re.split(rb"(\r\n\r\n|\n\n)", body)
    events = [parts[i] + parts[i + 1] for i in range(0, len(parts) - 1, 2)]
    if parts[-1]:
        events.append(parts[-1])
    return events


def sse_reply(
    body: bytes, chunk_size: int | None = None, headers: dict[str, str] | None = None
) -> Reply:
    """An event stream: one write per event, or per ``chunk_size`` bytes."""
    if chunk_size:
        steps: list[Step] = [body[i : i + chunk_size] for i in range(0, len(body), chunk_size)]
    else:
        steps = list(split_events(body))
    return Reply(200, {"content-type": "text/event-stream", **(headers or {})}, steps)


def ndjson_reply(body: bytes, headers: dict[str, str] | None = None) -> Reply:
    steps: list[Step] = [line for line in body.splitlines(keepends=True) if line]
    return Reply(200, {"content-type": "application/x-ndjson", **(headers or {})}, steps)


def json_reply(status: int, obj: Any, headers: dict[str, str] | None = None) -> Reply:
    data = json.dumps(obj).encode()
    return Reply(status, {"content-type": "application/json", **(headers or {})}, [data], False)


def drop_after(body: bytes, n: int) -> Reply:
    """The stream cut after ``n`` bytes."""
    return Reply(200, {"content-type": "text/event-stream"}, [body[:n], Drop()])


def stall_after(body: bytes, n: int, seconds: float) -> Reply:
    """``n`` bytes, then silence for ``seconds``, then the rest."""
    return Reply(200, {"content-type": "text/event-stream"}, [body[:n], Pause(seconds), body[n:]])


def without_finish(body: bytes) -> bytes:
    """A Chat Completions stream whose finish_reason never arrives (ends with [DONE])."""
    return re.sub(rb'"finish_reason":\s*"[a-z_]+"', b'"finish_reason":null', body)


def inject_after_event(body: bytes, k: int, raw: bytes) -> bytes:
    """``raw`` inserted after the ``k``-th SSE event."""
    events = split_events(body)
    return b"".join([*events[:k], raw, *events[k:]])


def load_fixture(name: str) -> Fixture:
    """``tests/fixtures/recorded/<name>.sse`` and its ``.request.json``.

    Raises ``FileNotFoundError`` naming the fixture when it is missing.
    """
    sse = FIXTURES / f"{name}.sse"
    request = FIXTURES / f"{name}.request.json"
    if not sse.is_file() or not request.is_file():
        raise FileNotFoundError(
            f"replay fixture {name!r} not found in {FIXTURES} (see its README.md for the list)"
        )
    return Fixture(sse.read_bytes(), json.loads(request.read_text()))
