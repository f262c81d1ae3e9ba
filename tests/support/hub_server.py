"""A local stand-in for the Hugging Face Hub's file API, on 127.0.0.1, for pull tests.

It answers what huggingface_hub's download path asks (read from its ``file_download.py``):
``HEAD`` and ``GET /{repo}/resolve/{revision}/{filename}`` with ``X-Repo-Commit``, ``ETag`` and
``X-Linked-Etag`` (the LFS SHA-256, quoted as the Hub sends it), ``X-Linked-Size``,
``Content-Length`` and ``Accept-Ranges``; a ``Range: bytes=N-`` GET gets ``206`` with
``Content-Range``. Unknown repos and files get the Hub's ``404`` with ``X-Error-Code``
(``RepoNotFound`` / ``EntryNotFound``), which huggingface_hub turns into its own errors.

Faults a test can switch on: ``corrupt`` serves other bytes than the advertised SHA-256;
``drop_after`` makes the first full GET send that many bytes of a full-length response and hang
up; ``hold_after`` makes the first full GET send that many bytes and then wait for ``release``
before the rest (a slow link a test controls); ``cdn`` answers the resolve HEAD with a 302 to
another origin (``localhost`` instead of ``127.0.0.1``), as the Hub redirects LFS files to its
CDN. Every request is recorded.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

COMMIT = "0123456789abcdef0123456789abcdef01234567"


@dataclass
class Request:
    method: str
    path: str
    range: str | None
    authorization: str | None


@dataclass
class HubState:
    """Files served, faults switched on and requests seen."""

    files: dict[tuple[str, str], bytes] = field(default_factory=dict)
    corrupt: bool = False
    drop_after: int | None = None
    cdn: bool = False
    hold_after: int | None = None
    release: threading.Event = field(default_factory=threading.Event)
    requests: list[Request] = field(default_factory=list)
    port: int = 0

    def sha256(self, repo: str, filename: str) -> str:
        return hashlib.sha256(self.files[(repo, filename)]).hexdigest()


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # quiet
        return

    def do_HEAD(self) -> None:
        self._resolve(head=True)

    def do_GET(self) -> None:
        self._resolve(head=False)

    def _resolve(self, *, head: bool) -> None:
        state = self.server.state
        path = unquote(self.path.split("?", 1)[0])
        state.requests.append(
            Request(
                self.command, path, self.headers.get("Range"), self.headers.get("Authorization")
            )
        )
        cdn = path.startswith("/cdn/")
        repo, sep, rest = path.removeprefix("/cdn").lstrip("/").partition("/resolve/")
        _revision, _, filename = rest.partition("/")
        if not sep or not filename:
            return self._error(404, "RepoNotFound")
        if not any(known_repo == repo for known_repo, _ in state.files):
            return self._error(404, "RepoNotFound")
        data = state.files.get((repo, filename))
        if data is None:
            return self._error(404, "EntryNotFound")
        sha = hashlib.sha256(data).hexdigest()
        if state.cdn and head and not cdn:
            self.send_response(302)
            self.send_header("Location", f"http://localhost:{state.port}/cdn{path}")
            self._hub_headers(sha, len(data))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        served = self._served(data)
        start = self._range_start(len(served))
        body = served[start:]
        self.send_response(206 if start else 200)
        self._hub_headers(sha, len(data))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(served) - 1}/{len(served)}")
        self.end_headers()
        if head:
            return None
        if state.drop_after is not None and start == 0:
            limit, state.drop_after = state.drop_after, None
            self.wfile.write(body[:limit])
            self.wfile.flush()
            self.close_connection = True
            return None
        if state.hold_after is not None and start == 0:
            limit, state.hold_after = state.hold_after, None
            self.wfile.write(body[:limit])
            self.wfile.flush()
            state.release.wait(timeout=60)
            body = body[limit:]
        self.wfile.write(body)
        return None

    def _served(self, data: bytes) -> bytes:
        if not self.server.state.corrupt:
            return data
        middle = len(data) // 2
        return data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :]

    def _range_start(self, size: int) -> int:
        value = self.headers.get("Range")
        if not value or not value.startswith("bytes=") or not value.endswith("-"):
            return 0
        start = value.removeprefix("bytes=").removesuffix("-")
        return int(start) if start.isdigit() and int(start) < size else 0

    def _hub_headers(self, sha: str, size: int) -> None:
        self.send_header("X-Repo-Commit", COMMIT)
        self.send_header("ETag", f'"{sha}"')
        self.send_header("X-Linked-Etag", f'"{sha}"')
        self.send_header("X-Linked-Size", str(size))

    def _error(self, status: int, code: str) -> None:
        body = b'{"error": "not found"}'
        self.send_response(status)
        self.send_header("X-Error-Code", code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: HubState


@contextmanager
def hub_server(files: dict[tuple[str, str], bytes]) -> Iterator[tuple[str, HubState]]:
    """Serve ``files`` ({(repo, filename): bytes}); yields (endpoint URL, state)."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.state = HubState(files=dict(files), port=server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.state.port}", server.state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
