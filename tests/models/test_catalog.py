"""The catalogue's data, its memory estimates, the fit rule and the on-disk lookup."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from backends.capabilities import Capabilities, thinking_label
from backends.errors import ModelLoadError
from backends.local.catalog import (
    CATALOG,
    COMPUTE_ALLOWANCE,
    DEFAULT_CTX,
    GIB,
    CatalogEntry,
    Machine,
    find,
    fit,
    model_dir,
    pulled_models,
    pulled_path,
    this_machine,
)
from backends.local.loader import resolve_model_path

REQUIRED = {
    "qwen3-0.6b",
    "qwen3-1.7b",
    "qwen3-4b",
    "qwen3-8b",
    "r1-distill-qwen-1.5b",
    "r1-distill-qwen-7b",
    "smollm3-3b",
    "phi-4-mini-reasoning",
    "gpt-oss-20b",
}


def test_the_catalogue_covers_the_reasoning_families_with_known_formats() -> None:
    names = [entry.name for entry in CATALOG]
    assert len(names) == len(set(names)) and set(names) >= REQUIRED
    for entry in CATALOG:
        label = thinking_label(Capabilities(thinking_format=entry.thinking_format))
        assert label.startswith("native thinking: ")
        assert label != f"native thinking: {entry.thinking_format}"  # a format base.py knows
        assert entry.file.endswith(".gguf") and entry.repo.count("/") == 1
        assert entry.size > 100_000_000 and entry.kv_bytes_per_token > 0 and entry.licence
    assert find("gpt-oss-20b") is not None and find("gpt-oss-20b").thinking_format == "harmony"  # type: ignore[union-attr]
    assert find(" Qwen3-8B ") is find("qwen3-8b") and find("nope") is None


def test_memory_needs_add_the_kv_cache_for_the_default_context() -> None:
    qwen8 = find("qwen3-8b")
    assert qwen8 is not None and DEFAULT_CTX == 4096
    # 36 layers x 8 KV heads x 128 dims x (K and V) x 2 bytes, per token
    assert qwen8.kv_bytes() == 36 * 8 * 128 * 2 * 2 * 4096 == 576 * 1024**2
    assert qwen8.ram_needed() == qwen8.size + 576 * 1024**2 + COMPUTE_ALLOWANCE
    assert qwen8.ram_needed(32768) - qwen8.ram_needed() == 7 * 576 * 1024**2


def _entry(size: int) -> CatalogEntry:
    return CatalogEntry("m", "o/m", "m.gguf", size, "Q4_K_M", 1024, "r1", "mit", "1B")


def test_fit_compares_the_estimate_with_free_memory() -> None:
    entry = _entry(2 * GIB)  # needs 2 GiB + 4 MiB KV + 0.5 GiB
    assert fit(entry, Machine(8 * GIB, 16 * GIB))[0] is True
    fits, why = fit(entry, Machine(2 * GIB, 16 * GIB))
    assert fits is False and why.startswith("not now")
    fits, why = fit(entry, Machine(1 * GIB, 2 * GIB))
    assert fits is False and why.startswith("no (")
    assert fit(entry, Machine(None, None))[0] is None
    fits, why = fit(entry, Machine(1 * GIB, 2 * GIB, gpu="cuda", vram_free=4 * GIB))
    assert fits is True and "GPU" in why
    fits, why = fit(entry, Machine(8 * GIB, 16 * GIB, gpu="cuda", vram_free=1 * GIB))
    assert fits is True and "RAM" in why


def test_this_machine_reads_the_kernels_memory_figures() -> None:
    machine = this_machine()
    assert machine.ram_total is not None and machine.ram_available is not None
    assert 0 < machine.ram_available <= machine.ram_total
    assert machine.ram_total == _meminfo_total()


def _meminfo_total() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no MemTotal")


def _fake_pull(entry: CatalogEntry, data: bytes, size: int | None = None) -> Path:
    folder = model_dir(entry)
    folder.mkdir(parents=True)
    (folder / entry.file).write_bytes(data)
    manifest = {"file": entry.file, "size": size or len(data), "sha256": "0" * 64}
    manifest |= {"repo": entry.repo, "commit": "c"}
    (folder / "pulled.json").write_text(json.dumps(manifest))
    return folder / entry.file


def test_llama_name_resolves_to_a_pulled_model_only(isolated: Path) -> None:
    entry = find("smollm3-3b")
    assert entry is not None
    assert pulled_path("smollm3-3b") is None
    with pytest.raises(ModelLoadError) as caught:
        resolve_model_path("smollm3-3b")
    assert str(caught.value) == (
        "smollm3-3b is not pulled yet — pull it with: ponder models pull smollm3-3b"
    )
    assert resolve_model_path("not-a-catalogue-name") == Path("not-a-catalogue-name")
    path = _fake_pull(entry, b"GGUF data")
    assert pulled_path("smollm3-3b") == path == resolve_model_path("SmolLM3-3B")
    assert [m.name for m in pulled_models()] == ["smollm3-3b"]
    assert resolve_model_path(str(path)) == path  # a path is still a path


def test_a_file_that_does_not_match_its_manifest_is_not_pulled(isolated: Path) -> None:
    entry = find("qwen3-4b")
    assert entry is not None
    _fake_pull(entry, b"GGUF truncated", size=10_000)
    assert pulled_path("qwen3-4b") is None and pulled_models() == []


def test_start_up_and_the_loader_do_not_import_huggingface_hub() -> None:
    code = (
        "import sys, tui.cli.entry, backends.local.loader, backends.local.pull\n"
        "tui.cli.entry.build_parser()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('huggingface_hub', 'httpx2')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
