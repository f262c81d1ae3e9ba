"""``pull`` through huggingface_hub's real download code against a local Hub on 127.0.0.1."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from backends.local.catalog import CatalogEntry, model_dir, pulled_path
from backends.local.pull import PullError, part_path, pull
from tests.conftest import free_port
from tests.support.hub_server import COMMIT, HubState


def test_pull_reports_progress_and_verifies_the_checksum(
    isolated: Path, entry: CatalogEntry, hub: tuple[str, HubState], tiny_bytes: bytes
) -> None:
    endpoint, state = hub
    seen: list[tuple[int, int | None]] = []
    stages: list[str] = []
    model = pull(
        entry,
        lambda done, total: seen.append((done, total)),
        on_stage=stages.append,
        endpoint=endpoint,
    )
    assert model.path == model_dir(entry) / entry.file
    assert model.path.read_bytes() == tiny_bytes
    assert (
        model.sha256
        == hashlib.sha256(tiny_bytes).hexdigest()
        == state.sha256(entry.repo, entry.file)
    )
    assert model.commit == COMMIT
    assert seen[0] == (0, len(tiny_bytes)) and seen[-1] == (len(tiny_bytes), len(tiny_bytes))
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert stages == ["verifying SHA-256"]
    manifest = json.loads((model.path.parent / "pulled.json").read_text())
    assert manifest["sha256"] == model.sha256 and manifest["size"] == len(tiny_bytes)
    assert not part_path(entry).exists()
    assert [(r.method, r.range) for r in state.requests] == [("HEAD", None), ("GET", None)]
    assert pulled_path(entry.name) == model.path
    assert pulled_path(entry.name.upper()) == model.path


def test_a_pulled_model_is_not_downloaded_again(
    isolated: Path, entry: CatalogEntry, hub: tuple[str, HubState]
) -> None:
    endpoint, state = hub
    first = pull(entry, endpoint=endpoint)
    count = len(state.requests)
    assert pull(entry, endpoint=endpoint) == first
    assert len(state.requests) == count


def test_a_corrupted_download_is_rejected_and_removed(
    isolated: Path, entry: CatalogEntry, hub: tuple[str, HubState]
) -> None:
    endpoint, state = hub
    state.corrupt = True
    with pytest.raises(PullError) as caught:
        pull(entry, endpoint=endpoint)
    message = str(caught.value)
    assert "checksum mismatch" in message and "deleted" in message and "\n" not in message
    folder = model_dir(entry)
    assert not (folder / entry.file).exists()
    assert not part_path(entry).exists()
    assert not (folder / "pulled.json").exists()
    assert pulled_path(entry.name) is None


def test_a_dropped_connection_resumes_with_a_range_request(
    isolated: Path,
    entry: CatalogEntry,
    hub: tuple[str, HubState],
    tiny_bytes: bytes,
    small_chunks: int,
) -> None:
    endpoint, state = hub
    state.drop_after = len(tiny_bytes) // 3
    model = pull(entry, endpoint=endpoint)
    assert model.path.read_bytes() == tiny_bytes
    gets = [r for r in state.requests if r.method == "GET"]
    assert len(gets) == 2 and gets[0].range is None
    assert gets[1].range is not None
    resumed_at = int(gets[1].range.removeprefix("bytes=").removesuffix("-"))
    assert 0 < resumed_at <= len(tiny_bytes) // 3


def test_an_interrupted_pull_resumes_on_the_next_run(
    isolated: Path,
    entry: CatalogEntry,
    hub: tuple[str, HubState],
    tiny_bytes: bytes,
    small_chunks: int,
) -> None:
    endpoint, state = hub

    def ctrl_c_after_some(done: int, total: int | None) -> None:
        if done >= len(tiny_bytes) // 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        pull(entry, ctrl_c_after_some, endpoint=endpoint)
    kept = part_path(entry).stat().st_size
    assert 0 < kept < len(tiny_bytes)
    assert pulled_path(entry.name) is None

    model = pull(entry, endpoint=endpoint)
    assert model.path.read_bytes() == tiny_bytes
    assert state.requests[-1].method == "GET"
    assert state.requests[-1].range == f"bytes={kept}-"


def test_a_partial_file_of_another_version_is_not_reused(
    isolated: Path, entry: CatalogEntry, hub: tuple[str, HubState], tiny_bytes: bytes
) -> None:
    endpoint, state = hub
    part = part_path(entry)
    part.parent.mkdir(parents=True)
    part.write_bytes(b"x" * 1000)
    part.with_name(part.name + ".json").write_text(json.dumps({"sha256": "0" * 64}))
    model = pull(entry, endpoint=endpoint)
    assert model.path.read_bytes() == tiny_bytes
    assert state.requests[-1].range is None


def test_an_offline_pull_is_one_line(isolated: Path, entry: CatalogEntry) -> None:
    with pytest.raises(PullError) as caught:
        pull(entry, endpoint=f"http://127.0.0.1:{free_port()}")
    message = str(caught.value)
    assert "cannot reach the Hugging Face Hub" in message and "\n" not in message
    assert pulled_path(entry.name) is None


def test_hf_hub_offline_is_one_line(
    isolated: Path, entry: CatalogEntry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(PullError) as caught:
        pull(entry)
    assert "offline mode is on (HF_HUB_OFFLINE)" in str(caught.value)
    assert "unset HF_HUB_OFFLINE" in str(caught.value)


def test_a_file_missing_on_the_hub_says_so(
    isolated: Path, entry: CatalogEntry, hub: tuple[str, HubState]
) -> None:
    endpoint, state = hub
    state.files = {(entry.repo, "other.gguf"): b"GGUF"}
    with pytest.raises(PullError, match="is not on the Hub"):
        pull(entry, endpoint=endpoint)


def test_a_cdn_redirect_downloads_there_without_the_token(
    isolated: Path,
    entry: CatalogEntry,
    hub: tuple[str, HubState],
    tiny_bytes: bytes,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    endpoint, state = hub
    state.cdn = True
    monkeypatch.setenv("HF_TOKEN", "hf_testtoken1234")
    model = pull(entry, endpoint=endpoint)
    assert model.path.read_bytes() == tiny_bytes
    head, get = state.requests
    assert head.method == "HEAD" and head.authorization == "Bearer hf_testtoken1234"
    assert get.method == "GET" and get.path.startswith("/cdn/") and get.authorization is None


def test_a_second_pull_of_the_same_model_is_refused_while_one_runs(
    isolated: Path, entry: CatalogEntry, hub: tuple[str, HubState]
) -> None:
    import fcntl

    endpoint, state = hub
    folder = model_dir(entry)
    folder.mkdir(parents=True)
    with (folder / ".pull.lock").open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(PullError, match="already being pulled by another ponder"):
            pull(entry, endpoint=endpoint)
    assert not any(r.method == "GET" for r in state.requests)
    assert pull(entry, endpoint=endpoint).path.is_file()  # released: the pull goes ahead
