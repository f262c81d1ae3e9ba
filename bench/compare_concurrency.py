"""Three compare columns on a server that answers each request after 1 s: concurrent or not?

Starts a real OpenAI-compatible SSE server on 127.0.0.1 (each chat-completions request is
answered after ``--delay`` seconds), runs one compare round with three columns through the real
``OpenAICompatBackend`` and prints the round's wall time beside the sum of the three columns'
own totals. Concurrent columns finish in about one delay; queued ones would take three. A
first, cold round (the first HTTP request's lazy imports) is run and shown before the measured
one.
Exit status 1 when the round takes longer than ``--limit`` seconds (default 1.3).

    python bench/compare_concurrency.py [--delay 1.0] [--limit 1.3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backends.budget import Budget
from backends.compare import Column, run_round, summarize
from backends.compare.summary import format_summary
from backends.config import Settings
from backends.registry import build_backend
from backends.request import RequestOptions


def chunk(delta: dict | None, **extra: object) -> bytes:
    choices = [] if delta is None else [{"index": 0, "delta": delta, **extra}]
    body = {"object": "chat.completion.chunk", "model": "slow", "choices": choices}
    return f"data: {json.dumps(body)}\n\n".encode()


def slow_server(delay_s: float) -> ThreadingHTTPServer:
    """An OpenAI-compatible server that waits ``delay_s`` before answering each request."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            return None

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", 0)))
            time.sleep(delay_s)
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("connection", "close")
            self.end_headers()
            usage = {"prompt_tokens": 9, "completion_tokens": 2}
            for piece in (
                chunk({"role": "assistant", "content": ""}),
                chunk({"content": "Four"}),
                chunk({"content": "."}),
                chunk({}, finish_reason="stop"),
                f"data: {json.dumps({'choices': [], 'usage': usage})}\n\n".encode(),
                b"data: [DONE]\n\n",
            ):
                self.wfile.write(piece)
                self.wfile.flush()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


async def measure(url: str) -> tuple[float, float, list[float], list[str]]:
    """Run a cold round (first use: lazy imports) then the measured one."""
    settings = Settings()
    backend = build_backend(settings, url)
    columns = [Column(backend, Budget(b)) for b in (0, 64, None)]
    try:
        cold = await run_round(columns, "What is 2 + 2?", options=RequestOptions(max_tokens=16))
        result = await run_round(columns, "And 3 + 3?", options=RequestOptions(max_tokens=16))
    finally:
        await backend.aclose()
    totals = [o.reading.total_s or 0.0 for o in result.outcomes]
    return cold.wall_s, result.wall_s, totals, format_summary(summarize(result))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=float, default=1.0, help="server delay per request (s)")
    parser.add_argument("--limit", type=float, default=1.3, help="pass if the round is faster")
    args = parser.parse_args()
    server = slow_server(args.delay)
    url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        cold, wall, totals, summary = asyncio.run(measure(url))
    finally:
        server.shutdown()
        server.server_close()
    each = ", ".join(f"{t:.2f}s" for t in totals)
    print(f"columns: 3 on {url} (each answered after {args.delay:.1f}s)")
    print(f"first round (cold: the first request's lazy imports): {cold:.2f}s")
    print(f"per column total: {each}")
    print(f"round wall time:  {wall:.2f}s   sum of the three: {sum(totals):.2f}s")
    for line in summary:
        print(f"  {line}")
    verdict = "PASS" if wall <= args.limit else "FAIL"
    print(f"{verdict}: round {wall:.2f}s <= {args.limit:.2f}s (concurrent)")
    return 0 if wall <= args.limit else 1


if __name__ == "__main__":
    sys.exit(main())
