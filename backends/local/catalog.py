"""Reasoning GGUFs known to work with ponder, what each needs, and which ones are on disk.

The catalogue is data: one ``CatalogEntry`` per model, with the Hub repository and file that
``ponder models pull NAME`` downloads, its size, its memory needs and its thinking format (one of
``Capabilities.thinking_format``'s native names). Memory needs are estimates: the weights (the
file size) plus the KV cache for ponder's default context plus a fixed allowance for llama.cpp's
compute buffers. Whether a model fits this machine compares that estimate with the memory the
kernel says is available now (and, for a GPU build of llama.cpp, free VRAM when it can be read).

Pulled models live in ``<data dir>/models/<name>/<file>`` with a ``pulled.json`` beside them
that ``pull`` writes only after the checksum matched, so ``pulled_path`` never returns a partial
or unverified download. This module is imported by the model loader, so it stays light: no
network library, no llama_cpp.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from backends.config import data_dir
from backends.errors import ModelLoadError
from backends.local.options import LocalOptions

GIB = 1024**3
MANIFEST = "pulled.json"
DEFAULT_CTX: int = LocalOptions.model_fields["n_ctx"].default  # what the estimates assume
COMPUTE_ALLOWANCE = 512 * 1024**2  # llama.cpp compute and output buffers at n_batch 512


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """One model ponder can pull.

    ``size`` is the file size in bytes (``size_exact`` says whether it was read off the Hub or is
    rounded from a model card). ``kv_bytes_per_token`` is the f16 KV cache per token
    (2 x layers x KV heads x head size x 2 bytes), from the model's published config.
    """

    name: str
    repo: str
    file: str
    size: int
    quant: str
    kv_bytes_per_token: int
    thinking_format: str
    licence: str
    params: str
    size_exact: bool = False
    note: str = ""

    def kv_bytes(self, n_ctx: int = DEFAULT_CTX) -> int:
        return self.kv_bytes_per_token * n_ctx

    def ram_needed(self, n_ctx: int = DEFAULT_CTX) -> int:
        """Estimated RAM to run on the CPU: weights + KV cache + compute buffers."""
        return self.size + self.kv_bytes(n_ctx) + COMPUTE_ALLOWANCE

    def vram_needed(self, n_ctx: int = DEFAULT_CTX) -> int:
        """Estimated VRAM with every layer offloaded (the same parts, on the GPU)."""
        return self.size + self.kv_bytes(n_ctx) + COMPUTE_ALLOWANCE


def _kv(layers: int, kv_heads: int, head_dim: int) -> int:
    return 2 * layers * kv_heads * head_dim * 2


# Repositories and file names were checked against public references to the Hub (download
# commands and catalogues that name repo + file); sizes marked size_exact=False are the rounded
# figures those references and the model cards give, not read off the Hub by this project.
CATALOG: tuple[CatalogEntry, ...] = (
    CatalogEntry(
        "qwen3-0.6b",
        "Qwen/Qwen3-0.6B-GGUF",
        "Qwen3-0.6B-Q8_0.gguf",
        639_446_688,
        "Q8_0",
        _kv(28, 8, 128),
        "qwen3",
        "apache-2.0",
        "0.6B",
        size_exact=True,
        note="the official Qwen GGUF repo has Q8_0 only for this size",
    ),
    CatalogEntry(
        "qwen3-1.7b",
        "Qwen/Qwen3-1.7B-GGUF",
        "Qwen3-1.7B-Q8_0.gguf",
        1_834_426_016,
        "Q8_0",
        _kv(28, 8, 128),
        "qwen3",
        "apache-2.0",
        "1.7B",
        size_exact=True,
        note="the official Qwen GGUF repo has Q8_0 only for this size",
    ),
    CatalogEntry(
        "qwen3-4b",
        "Qwen/Qwen3-4B-GGUF",
        "Qwen3-4B-Q4_K_M.gguf",
        2_500_000_000,
        "Q4_K_M",
        _kv(36, 8, 128),
        "qwen3",
        "apache-2.0",
        "4B",
    ),
    CatalogEntry(
        "qwen3-8b",
        "Qwen/Qwen3-8B-GGUF",
        "Qwen3-8B-Q4_K_M.gguf",
        5_030_000_000,
        "Q4_K_M",
        _kv(36, 8, 128),
        "qwen3",
        "apache-2.0",
        "8B",
    ),
    CatalogEntry(
        "r1-distill-qwen-1.5b",
        "unsloth/DeepSeek-R1-Distill-Qwen-1.5B-GGUF",
        "DeepSeek-R1-Distill-Qwen-1.5B-Q4_K_M.gguf",
        1_120_000_000,
        "Q4_K_M",
        _kv(28, 2, 128),
        "r1",
        "mit",
        "1.5B",
    ),
    CatalogEntry(
        "r1-distill-qwen-7b",
        "bartowski/DeepSeek-R1-Distill-Qwen-7B-GGUF",
        "DeepSeek-R1-Distill-Qwen-7B-Q4_K_M.gguf",
        4_680_000_000,
        "Q4_K_M",
        _kv(28, 4, 128),
        "r1",
        "mit",
        "7B",
    ),
    CatalogEntry(
        "smollm3-3b",
        "ggml-org/SmolLM3-3B-GGUF",
        "SmolLM3-Q4_K_M.gguf",
        1_920_000_000,
        "Q4_K_M",
        _kv(36, 4, 128),
        "smollm3",
        "apache-2.0",
        "3B",
    ),
    CatalogEntry(
        "phi-4-mini-reasoning",
        "unsloth/Phi-4-mini-reasoning-GGUF",
        "Phi-4-mini-reasoning-Q4_K_M.gguf",
        2_490_000_000,
        "Q4_K_M",
        _kv(32, 8, 128),
        "r1",
        "mit",
        "3.8B",
    ),
    CatalogEntry(
        "gpt-oss-20b",
        "ggml-org/gpt-oss-20b-GGUF",
        "gpt-oss-20b-mxfp4.gguf",
        12_110_000_000,
        "MXFP4",
        _kv(24, 8, 64),
        "harmony",
        "apache-2.0",
        "21B (3.6B active)",
        note="KV estimate counts every layer at full context; half use a 128-token window",
    ),
)

_BY_NAME = {entry.name: entry for entry in CATALOG}


def find(name: str) -> CatalogEntry | None:
    """The entry called ``name`` (case-insensitive), or None."""
    return _BY_NAME.get(name.strip().lower())


# ---- what is on disk -------------------------------------------------------------------------


def models_dir() -> Path:
    """Where pulled models live: ``<data dir>/models`` (``PONDER_DATA_DIR`` moves it)."""
    return data_dir() / "models"


def model_dir(entry: CatalogEntry) -> Path:
    return models_dir() / entry.name


@dataclass(frozen=True, slots=True)
class PulledModel:
    """A verified model on disk, as ``pulled.json`` describes it."""

    name: str
    path: Path
    size: int
    sha256: str
    repo: str
    commit: str


def read_manifest(folder: Path) -> PulledModel | None:
    """The verified model in ``folder``, or None when there is none (or it is incomplete)."""
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        path = folder / str(data["file"])
        size = int(data["size"])
        pulled = PulledModel(
            folder.name, path, size, str(data["sha256"]), str(data["repo"]), str(data["commit"])
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        if path.stat().st_size != size:
            return None
    except OSError:
        return None
    return pulled


def pulled_path(model: str) -> Path | None:
    """The file of a pulled catalogue model called ``model``, or None (then it is a path)."""
    entry = find(model) if model else None
    if entry is None:
        return None
    pulled = read_manifest(model_dir(entry))
    return pulled.path if pulled else None


def resolve_pulled(model: str) -> Path | None:
    """For the loader: a pulled catalogue model's file; None when ``model`` is not a catalogue
    name (or a file by that name exists), so it is taken as a path. A catalogue name that is not
    pulled yet raises ModelLoadError saying how to pull it."""
    entry = find(model) if model else None
    if entry is None:
        return None
    pulled = read_manifest(model_dir(entry))
    if pulled is not None:
        return pulled.path
    if Path(model).expanduser().exists():
        return None
    raise ModelLoadError(
        f"{entry.name} is not pulled yet", f"pull it with: ponder models pull {entry.name}"
    )


def pulled_models() -> list[PulledModel]:
    """Every verified model under ``models_dir()``, by name."""
    root = models_dir()
    if not root.is_dir():
        return []
    found = (read_manifest(folder) for folder in sorted(root.iterdir()) if folder.is_dir())
    return [pulled for pulled in found if pulled is not None]


# ---- does it fit this machine ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Machine:
    """Memory this machine has for a model now. ``None`` means unknown."""

    ram_available: int | None
    ram_total: int | None
    gpu: str | None = None  # the GPU backend llama.cpp was built with ("cuda", "vulkan", ...)
    vram_free: int | None = None


def _meminfo() -> dict[str, int]:
    values: dict[str, int] = {}
    try:
        text = Path("/proc/meminfo").read_text(encoding="ascii")
    except OSError:
        return values
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            values[key] = int(parts[0]) * 1024  # the kernel reports kB
    return values


def _cgroup_room() -> int | None:
    """What a cgroup v2 memory limit leaves (containers); None when unlimited or unknown."""
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text(encoding="ascii").strip()
        used = Path("/sys/fs/cgroup/memory.current").read_text(encoding="ascii").strip()
    except OSError:
        return None
    if not limit.isdigit() or not used.isdigit():
        return None
    return max(int(limit) - int(used), 0)


def _sysconf(name: str) -> int | None:
    try:
        return int(os.sysconf(name)) * int(os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def gpu_build() -> str | None:
    """The GPU backend llama.cpp was built with, from its shared libraries (no import)."""
    spec = importlib.util.find_spec("llama_cpp")
    if spec is None or not spec.submodule_search_locations:
        return None
    lib = Path(next(iter(spec.submodule_search_locations))) / "lib"
    names = " ".join(p.name for p in lib.glob("*")) if lib.is_dir() else ""
    for backend in ("cuda", "metal", "vulkan", "hip", "sycl"):
        if f"ggml-{backend}" in names:
            return backend
    return None


def _nvidia_free() -> int | None:
    tool = shutil.which("nvidia-smi")
    if tool is None:
        return None
    try:
        out = subprocess.run(
            [tool, "--query-gpu=memory.free", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout
        return max(int(line) for line in out.split()) * 1024**2
    except (OSError, subprocess.SubprocessError, ValueError):
        return None


def this_machine() -> Machine:
    """Read available memory from /proc/meminfo (os.sysconf elsewhere) and the GPU build."""
    info = _meminfo()
    available = info.get("MemAvailable") or _sysconf("SC_AVPHYS_PAGES")
    total = info.get("MemTotal") or _sysconf("SC_PHYS_PAGES")
    room = _cgroup_room()
    if room is not None:
        available = min(available, room) if available is not None else room
    gpu = gpu_build()
    vram = _nvidia_free() if gpu == "cuda" else None
    return Machine(available, total, gpu, vram)


def gb(n: int) -> str:
    """Bytes for people: ``1.8 GB``, or ``42 MB`` below a tenth of a gigabyte."""
    return f"{n / 1e9:.1f} GB" if n >= 100_000_000 else f"{n / 1e6:.0f} MB"


def fit(entry: CatalogEntry, machine: Machine, n_ctx: int = DEFAULT_CTX) -> tuple[bool | None, str]:
    """(fits?, a short reason): VRAM when llama.cpp has a GPU and its free memory is known.

    The need is an estimate, so the reason says "~"; free memory is what the kernel reports now.
    """
    if machine.gpu and machine.vram_free is not None:
        need = entry.vram_needed(n_ctx)
        if need <= machine.vram_free:
            return True, f"yes, on the GPU (needs ~{gb(need)}, {gb(machine.vram_free)} VRAM free)"
    need = entry.ram_needed(n_ctx)
    if machine.ram_available is None:
        return None, f"unknown (needs ~{gb(need)} RAM)"
    if need <= machine.ram_available:
        return True, f"yes (needs ~{gb(need)}, {gb(machine.ram_available)} RAM free)"
    if machine.ram_total is not None and need <= machine.ram_total:
        return False, f"not now (needs ~{gb(need)}, {gb(machine.ram_available)} RAM free)"
    return False, f"no (needs ~{gb(need)}, {gb(machine.ram_total or 0)} RAM in all)"
