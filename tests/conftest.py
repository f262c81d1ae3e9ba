"""Shared fixtures: the embedded model, a tiny random GGUF, llama-cpp-python's server, replay."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from backends.local.model_files import embedded_model_path
from tests.support import checkout_guard
from tests.support.replay_server import ReplayServer
from tests.support.tiny_gguf import write_tiny_gguf

checkout_guard.install()
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _reads_stay_inside_the_checkout() -> Iterator[None]:
    """Fail the test that opened a file beside the repository (users clone ponder alone)."""
    before = len(checkout_guard.outside_reads)
    yield
    new = checkout_guard.outside_reads[before:]
    assert not new, f"this test read outside the checkout: {sorted(set(new))[:3]}"


@pytest.fixture(scope="session")
def embedded_gguf() -> Path:
    """The embedded SmolLM2-135M-Instruct GGUF (the real model)."""
    return embedded_model_path()


@pytest.fixture(scope="session")
def tiny_gguf(tmp_path_factory: pytest.TempPathFactory, embedded_gguf: Path) -> Path:
    """A tiny random-weight llama GGUF with SmolLM2's tokenizer and chat template."""
    return write_tiny_gguf(tmp_path_factory.mktemp("tiny") / "tiny.gguf", embedded_gguf)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def llama_server(embedded_gguf: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """llama-cpp-python's own OpenAI-compatible server on 127.0.0.1, serving the embedded model.

    Yields the base URL (``http://127.0.0.1:PORT/v1``); the server is stopped at session end.
    """
    port = free_port()
    log = tmp_path_factory.mktemp("llama_server") / "server.log"
    cmd = [
        sys.executable,
        "-m",
        "tests.support.llama_server_main",  # the server, AMX-safe
        "--model",
        str(embedded_gguf),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_threads",
        "1",
        "--n_threads_batch",
        "1",
        "--n_ctx",
        "2048",
        "--model_alias",
        "smollm2",
    ]
    with log.open("wb") as out:
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        }
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited early:\n{log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{base}/models", timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"llama_cpp.server did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def replay_server() -> Iterator[ReplayServer]:
    """A fresh replay server on 127.0.0.1 (see tests/support/replay_server.py), stopped after."""
    server = ReplayServer().start()
    try:
        yield server
    finally:
        server.stop()
