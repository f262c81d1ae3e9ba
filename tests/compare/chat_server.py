"""A real OpenAI-compatible chat server on 127.0.0.1 for compare tests.

``POST /v1/chat/completions`` streams SSE: optional ``reasoning_content`` words, then the
``answer`` words, a finish chunk and a usage chunk. ``hold=True`` sends the first two answer
words and then waits (a long generation) until ``released`` is set (``stop()`` sets it), so a
test can stop a round mid-reply or prove that another column ran meanwhile. Every request body
is kept in ``requests``.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Script:
    """What the server answers: reasoning and answer words, a delay before the first byte."""

    answer: str = "The answer is 4."
    reasoning: str = ""
    delay_s: float = 0.0
    hold: bool = False
    prompt_tokens: int = 12


@dataclass
class ChatServer:
    """Start with ``start()``; ``url`` is the base URL (``…/v1``); ``stop()`` ends it."""

    script: Script = field(default_factory=Script)
    requests: list[dict[str, Any]] = field(default_factory=list)
    released: threading.Event = field(default_factory=threading.Event)
    holding: threading.Event = field(default_factory=threading.Event)

    def start(self) -> ChatServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                return None

            def do_GET(self) -> None:  # /v1/models
                self._json({"object": "list", "data": [{"id": "test-model"}]})

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                server.requests.append(body)
                # A client that stops reading (a cancelled column) is not an error here.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    server.answer(self)

            def _json(self, obj: object) -> None:
                data = json.dumps(obj).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def stop(self) -> None:
        self.released.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        script = self.script
        time.sleep(script.delay_s)
        handler.send_response(200)
        handler.send_header("content-type", "text/event-stream")
        handler.send_header("connection", "close")
        handler.end_headers()

        def send(delta: dict[str, Any] | None, **extra: Any) -> None:
            chunk: dict[str, Any] = {"object": "chat.completion.chunk", "model": "test-model"}
            chunk["choices"] = [] if delta is None else [{"index": 0, "delta": delta, **extra}]
            handler.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            handler.wfile.flush()

        send({"role": "assistant", "content": ""})
        reasoning = _words(script.reasoning)
        for word in reasoning:
            send({"reasoning_content": word})
        answer = _words(script.answer)
        for i, word in enumerate(answer):
            if script.hold and i == 2:
                self.holding.set()
                self.released.wait()
            send({"content": word})
        send({}, finish_reason="stop")
        usage = {
            "prompt_tokens": script.prompt_tokens,
            "completion_tokens": len(reasoning) + len(answer),
            "completion_tokens_details": {"reasoning_tokens": len(reasoning)},
        }
        handler.wfile.write(
            f"data: {json.dumps({'choices': [], 'usage': usage})}\n\ndata: [DONE]\n\n".encode()
        )
        handler.wfile.flush()


def _words(text: str) -> list[str]:
    """``"a b c"`` → ``["a", " b", " c"]`` (SSE deltas as a tokenizer would cut them)."""
    words = text.split(" ")
    return [w if i == 0 else f" {w}" for i, w in enumerate(words)] if text else []
