"""A real Chat Completions server on 127.0.0.1 that streams a known text at a known pace.

Each request is answered by the next queued ``Script``: ``thinking`` and ``text`` words are sent
as ``reasoning_content`` / ``content`` deltas, one every ``pace_s`` seconds; ``finish`` ends the
stream with a finish reason and usage (else the words keep coming until the client goes away).
``status``/``error_body`` answer with an HTTP error instead. The server records, per request,
the headers, the JSON body, whether the prompt was already in the history database when the
request arrived (``prompt_in_db``), and every word it sent with its ``time.monotonic()`` time.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


@dataclass
class Script:
    thinking: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    pace_s: float = 0.0
    finish: bool = True
    status: int = 200
    error_body: dict[str, Any] | None = None


@dataclass
class Served:
    headers: dict[str, str]
    body: dict[str, Any]
    prompt_in_db: bool | None
    sent: list[tuple[float, str, str]] = field(default_factory=list)  # (time, kind, word)


def endless(prefix: str, start: int = 0) -> list[str]:
    """Words ``prefix0000 ``, ``prefix0001 ``… (enough for minutes at any sane pace)."""
    return [f"{prefix}{i:04d} " for i in range(start, start + 9000)]


class PacedServer:
    def __init__(self, db_path: Path | None = None) -> None:
        self.db_path = db_path
        self.scripts: list[Script] = []
        self.served: list[Served] = []
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return None

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                served = Served(
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                    server.prompt_in_db(body),
                )
                with server.lock:
                    server.served.append(served)
                    script = server.scripts.pop(0) if server.scripts else Script(text=["ok"])
                server.answer(self, script, served)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def start(self) -> PacedServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def prompt_in_db(self, body: dict[str, Any]) -> bool | None:
        """Was the request's last user message already committed to the history?"""
        if self.db_path is None or not self.db_path.exists():
            return None if self.db_path is None else False
        prompt = body["messages"][-1]["content"]
        conn = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True)
        try:
            row = conn.execute(
                "SELECT count(*) FROM messages WHERE role = 'user' AND text = ?", (prompt,)
            ).fetchone()
        finally:
            conn.close()
        return bool(row[0])

    def answer(self, handler: BaseHTTPRequestHandler, script: Script, served: Served) -> None:
        if script.status != 200:
            payload = json.dumps(script.error_body or {}).encode()
            handler.send_response(script.status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload)
            return
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.send_header("Connection", "close")
        handler.end_headers()
        try:
            for kind, words in (("reasoning_content", script.thinking), ("content", script.text)):
                for word in words:
                    self.send(handler, {kind: word})
                    served.sent.append((time.monotonic(), kind, word))
                    if script.pace_s:
                        time.sleep(script.pace_s)  # the pace of the stream, not a synchronisation
            if script.finish:
                self.send(handler, {}, finish="stop")
                usage = {
                    "prompt_tokens": 7,
                    "completion_tokens": 11,
                    "completion_tokens_details": {"reasoning_tokens": 3},
                }
                self.write(handler, {"choices": [], "usage": usage})
                handler.wfile.write(b"data: [DONE]\n\n")
                handler.wfile.flush()
        except OSError:
            return  # the client went away (killed)

    def send(
        self, handler: BaseHTTPRequestHandler, delta: dict[str, Any], finish: str | None = None
    ) -> None:
        self.write(
            handler,
            {
                "model": "paced-model",
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            },
        )

    @staticmethod
    def write(handler: BaseHTTPRequestHandler, chunk: dict[str, Any]) -> None:
        handler.wfile.write(b"data: " + json.dumps(chunk).encode() + b"\n\n")
        handler.wfile.flush()
