"""Fixtures for the model catalogue and pull tests: an isolated data dir and a local Hub."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from backends.local.catalog import CatalogEntry, find
from tests.support.hub_server import HubState, hub_server

# The catalogue entry the CLI tests pull; the local Hub serves the tiny GGUF under its name.
PULLED = "qwen3-0.6b"


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """PONDER_DATA_DIR and HF_HOME in a temporary folder (no real cache is read or written)."""
    monkeypatch.setenv("PONDER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("PONDER_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    return tmp_path / "data"


@pytest.fixture(scope="session")
def tiny_bytes(tiny_gguf: Path) -> bytes:
    return tiny_gguf.read_bytes()


@pytest.fixture
def entry() -> CatalogEntry:
    found = find(PULLED)
    assert found is not None
    return found


@pytest.fixture
def hub(entry: CatalogEntry, tiny_bytes: bytes) -> Iterator[tuple[str, HubState]]:
    """A local Hub serving the tiny GGUF as ``entry``'s repository file."""
    with hub_server({(entry.repo, entry.file): tiny_bytes}) as served:
        yield served


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> int:
    """huggingface_hub streams in 10 MiB chunks; the tiny GGUF needs smaller ones to be cut."""
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "DOWNLOAD_CHUNK_SIZE", 64 * 1024)
    return 64 * 1024
