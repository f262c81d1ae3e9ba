"""Download a catalogue model from the Hugging Face Hub, resumably, and verify its SHA-256.

The transfer is huggingface_hub's own code: ``get_hf_file_metadata`` asks the Hub (``HEAD
/{repo}/resolve/{revision}/{file}``) for the commit, size and LFS SHA-256 (``X-Linked-Etag``), and
``http_get`` streams the file with its retries, which resume a dropped connection with a
``Range`` request. ``hf_hub_download`` itself is not used because, since huggingface_hub 2.x, it
deletes a partial download when the process stops; a 12 GB model must survive Ctrl-C, so the
bytes go to ``<file>.part`` here and the next pull of the same file (same SHA-256) continues it
with a ``Range`` request. The SHA-256 of the whole file is checked before the file gets its name
and ``pulled.json``: a corrupt download is deleted and rejected.

huggingface_hub is imported only inside ``pull`` (start-up never pays for it).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from backends.errors import PonderError
from backends.local.catalog import MANIFEST, CatalogEntry, PulledModel, model_dir, read_manifest

ProgressFn = Callable[[int, int | None], None]
"""Called with (bytes on disk, total bytes or None) as the download advances."""

SHA256 = re.compile(r"[0-9a-f]{64}")
_HASH_CHUNK = 8 * 1024 * 1024
_TRUE = {"1", "on", "true", "yes"}


class PullError(PonderError):
    """A model could not be pulled (offline, not found, corrupt, no space)."""


def part_path(entry: CatalogEntry) -> Path:
    """The partial download of ``entry`` (kept between runs so a pull can resume)."""
    return model_dir(entry) / f"{entry.file}.part"


def pull(
    entry: CatalogEntry,
    progress: ProgressFn | None = None,
    *,
    on_stage: Callable[[str], None] | None = None,
    endpoint: str | None = None,
    revision: str = "main",
) -> PulledModel:
    """Download ``entry`` into ``model_dir(entry)`` and return it, verified. Raises PullError.

    ``progress`` gets (bytes on disk, total) as bytes arrive; ``on_stage`` gets a word on what
    happens next ("verifying SHA-256"). A model already pulled is returned without asking the Hub.
    """
    folder = model_dir(entry)
    existing = read_manifest(folder)
    if existing is not None and existing.path.name == entry.file:
        return existing
    if _offline():
        raise PullError(
            f"cannot pull {entry.name}: offline mode is on (HF_HUB_OFFLINE)",
            "unset HF_HUB_OFFLINE and connect to the network, or run a local file with "
            "llama:PATH.gguf",
        )
    from huggingface_hub import get_hf_file_metadata, hf_hub_url
    from huggingface_hub.utils import build_hf_headers

    _route_hub_logging()
    _no_side_requests()

    url = hf_hub_url(entry.repo, entry.file, revision=revision, endpoint=endpoint)
    with _translated(entry):
        meta = get_hf_file_metadata(url, endpoint=endpoint)
    sha = (meta.etag or "").lower()
    if not SHA256.fullmatch(sha):
        raise PullError(
            f"cannot verify {entry.file}: the Hub reported no SHA-256 for it",
            "the catalogue entry may be wrong; download the file yourself and use llama:PATH",
        )
    headers = build_hf_headers()
    location = meta.location or url
    if urlsplit(location).netloc != urlsplit(url).netloc:
        headers.pop("authorization", None)  # a signed CDN URL: the token stays on the Hub
    folder.mkdir(parents=True, exist_ok=True)
    with _one_pull_at_a_time(folder, entry):
        done = read_manifest(folder)  # another process may have finished it meanwhile
        if done is not None and done.sha256 == sha:
            return done
        part = part_path(entry)
        resume = _resume_size(part, sha, meta.size)
        _check_space(folder, (meta.size or entry.size) - resume, entry)
        _download(entry, location, part, resume, headers, meta.size, progress)
        if on_stage is not None:
            on_stage("verifying SHA-256")
        return _verify_and_keep(entry, part, sha, str(meta.commit_hash or ""))


@contextlib.contextmanager
def _one_pull_at_a_time(folder: Path, entry: CatalogEntry) -> Iterator[None]:
    """Two pulls appending to one ``.part`` would corrupt it: the second one is refused.

    ``flock`` is released by the kernel when the process dies, so a crash leaves no stale lock.
    Where there is no ``fcntl`` (Windows) pulls are not serialised.
    """
    try:
        import fcntl
    except ImportError:
        yield
        return
    with (folder / ".pull.lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise PullError(
                f"{entry.name} is already being pulled by another ponder",
                "wait for that pull to finish (or stop it) and try again",
            ) from None
        yield


def _offline() -> bool:
    if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in _TRUE:
        return True
    from huggingface_hub import constants

    return bool(constants.is_offline_mode())


def _route_hub_logging() -> None:
    """huggingface_hub prints its warnings ("Trying to resume download...") to stderr through a
    handler of its own; a TUI owns the terminal, so they go to Python logging instead."""
    logger = logging.getLogger("huggingface_hub")
    for handler in list(logger.handlers):
        if type(handler) is logging.StreamHandler:
            logger.removeHandler(handler)
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())  # not Python's last-resort stderr printer
    logger.propagate = True


def _no_side_requests() -> None:
    """A pull makes the two requests it needs (HEAD, GET). huggingface_hub's telemetry would
    add a fetch of the Hub's agent registry to build its User-Agent (and wait on it offline)."""
    from huggingface_hub import constants

    constants.HF_HUB_DISABLE_TELEMETRY = True


def _resume_size(part: Path, sha: str, size: int | None) -> int:
    """Bytes of an earlier partial download of this very file (same SHA-256) to keep."""
    marker = part.with_name(part.name + ".json")
    try:
        same = json.loads(marker.read_text(encoding="utf-8")).get("sha256") == sha
        have = part.stat().st_size
    except (OSError, ValueError, AttributeError):
        same, have = False, 0
    if not same or (size is not None and have > size):
        part.unlink(missing_ok=True)
        have = 0
    marker.write_text(json.dumps({"sha256": sha}), encoding="utf-8")
    return have


def _check_space(folder: Path, needed: int, entry: CatalogEntry) -> None:
    free = shutil.disk_usage(folder).free
    if needed > free:
        raise PullError(
            f"not enough disk space for {entry.name}: needs {needed / 1e9:.1f} GB, "
            f"{free / 1e9:.1f} GB free in {folder}",
            "free some space, or set PONDER_DATA_DIR to a larger disk",
        )


def _download(
    entry: CatalogEntry,
    location: str,
    part: Path,
    resume: int,
    headers: dict[str, str],
    size: int | None,
    progress: ProgressFn | None,
) -> None:
    from huggingface_hub.file_download import http_get

    bar: Any = _progress_class(progress or (lambda _done, _total: None))
    with _translated(entry, keep=part), part.open("ab") as handle:
        http_get(
            location,
            handle,
            resume_size=resume,
            headers=headers,
            expected_size=size,
            displayed_filename=entry.file,
            tqdm_class=bar,
        )


def _verify_and_keep(entry: CatalogEntry, part: Path, sha: str, commit: str) -> PulledModel:
    digest = hashlib.sha256()
    with part.open("rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    marker = part.with_name(part.name + ".json")
    if digest.hexdigest() != sha:
        part.unlink(missing_ok=True)
        marker.unlink(missing_ok=True)
        raise PullError(
            f"checksum mismatch for {entry.file}: the download was corrupt and was deleted",
            f"run ponder models pull {entry.name} again",
        )
    final = part.with_name(entry.file)
    part.replace(final)
    marker.unlink(missing_ok=True)
    size = final.stat().st_size
    manifest = {"file": entry.file, "size": size, "sha256": sha, "repo": entry.repo}
    manifest["commit"] = commit
    tmp = final.with_name(MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    tmp.replace(final.with_name(MANIFEST))
    return PulledModel(entry.name, final, size, sha, entry.repo, commit)


def _progress_class(callback: ProgressFn) -> type:
    """A tqdm stand-in that forwards http_get's progress to ``callback``.

    huggingface_hub builds a non-tqdm class with only tqdm's keyword arguments and calls
    ``update(n)`` per chunk (negative after a server ignored a Range request).
    """

    class Bar:
        def __init__(self, *, total: int | None = None, initial: int = 0, **_: Any) -> None:
            self.n, self.total = initial, total
            callback(self.n, self.total)

        def __enter__(self) -> Bar:
            return self

        def __exit__(self, *_exc: object) -> None:
            return None

        def update(self, n: int | float | None = 1) -> None:
            self.n += int(n or 0)
            callback(self.n, self.total)

    return Bar


@contextlib.contextmanager
def _translated(entry: CatalogEntry, keep: Path | None = None) -> Any:
    """Turn huggingface_hub's and the network's errors into one-line PullErrors."""
    import httpx2
    from huggingface_hub import errors

    resume_hint = f"run ponder models pull {entry.name} again to resume"
    try:
        yield
    except errors.OfflineModeIsEnabled:
        raise PullError(
            f"cannot pull {entry.name}: offline mode is on (HF_HUB_OFFLINE)",
            "unset HF_HUB_OFFLINE and connect to the network",
        ) from None
    except httpx2.TransportError as exc:  # refused, DNS, timeout, a connection that hung up
        where = "the download stopped" if keep else "cannot reach the Hugging Face Hub"
        raise PullError(
            f"cannot pull {entry.name}: {where} ({_first_line(exc)})",
            (resume_hint if keep else "check the network connection (or HF_ENDPOINT)")
            + "; local files still work with llama:PATH.gguf",
        ) from None
    except errors.GatedRepoError:
        raise PullError(
            f"cannot pull {entry.name}: {entry.repo} is gated on the Hub",
            "accept its licence on the Hub and log in with `hf auth login`",
        ) from None
    except (errors.RepositoryNotFoundError, errors.RemoteEntryNotFoundError):
        raise PullError(
            f"cannot pull {entry.name}: {entry.repo}/{entry.file} is not on the Hub",
            "the catalogue entry is out of date; download a GGUF yourself and use llama:PATH",
        ) from None
    except errors.HfHubHTTPError as exc:
        raise PullError(
            f"cannot pull {entry.name}: the Hub answered {_first_line(exc)}",
            resume_hint if keep else "try again later",
        ) from None
    except OSError as exc:  # http_get's size check, or the disk
        if keep is not None and "Consistency check failed" in str(exc):
            keep.unlink(missing_ok=True)
            raise PullError(
                f"cannot pull {entry.name}: the download had the wrong size and was deleted",
                f"run ponder models pull {entry.name} again",
            ) from None
        raise PullError(f"cannot pull {entry.name}: {_first_line(exc)}", resume_hint) from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
