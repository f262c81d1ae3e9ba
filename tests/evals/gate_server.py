"""A real HTTP server on 127.0.0.1 that holds requests until ``width`` are open at once.

It answers every ``POST .../chat/completions`` with one recorded llama.cpp server stream, but
only once ``width`` requests are waiting (or every expected request has arrived), so a client
that sends fewer at a time never gets an answer, and ``max_open`` shows how many were open at
once. It runs in the test's own event loop.
"""

from __future__ import annotations

import asyncio
import json

from tests.support.replay_server import FIXTURES

FIXTURE = FIXTURES / "llamacpp_gptoss20b_reasoning.turn2.sse"
# The recorded reply says "... is **40 °C**." with exact usage and llama.cpp timings.
ANSWER = 40
PROMPT_TOKENS, CACHED_TOKENS, COMPLETION_TOKENS = 197, 161, 18


class GateServer:
    """Start with ``await start()``; ``url`` is the ``/v1`` base; ``prompts`` lists each
    request's last user message in arrival order."""

    def __init__(self, width: int, expected: int) -> None:
        self.width = width
        self.expected = expected
        self.body = FIXTURE.read_bytes()
        self.prompts: list[str] = []
        self.open = 0
        self.max_open = 0
        self._waiting: list[asyncio.Event] = []
        self._server: asyncio.Server | None = None

    async def start(self, port: int = 0) -> GateServer:
        """Listen on ``port`` (0 = any free one; a restarted server may take its old port, so
        that the backend's configuration, URL included, stays the same)."""
        self._server = await asyncio.start_server(
            self._handle, "127.0.0.1", port, reuse_address=True
        )
        return self

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/v1"

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.decode("latin-1").split("\r\n"):
            name, _, value = line.partition(":")
            if name.lower() == "content-length":
                length = int(value)
        body = json.loads(await reader.readexactly(length)) if length else {}
        self.prompts.append(body["messages"][-1]["content"])
        self.open += 1
        self.max_open = max(self.max_open, self.open)
        gate = asyncio.Event()
        self._waiting.append(gate)
        if len(self._waiting) == self.width or len(self.prompts) == self.expected:
            for event in self._waiting:
                event.set()
            self._waiting = []
        await gate.wait()
        self.open -= 1  # answered from here on
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n"
            + f"content-length: {len(self.body)}\r\n\r\n".encode()
            + self.body
        )
        await writer.drain()
        writer.close()
