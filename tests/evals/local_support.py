"""Settings for the tiny random-weight GGUF, and a backend factory that counts requests."""

from __future__ import annotations

from pathlib import Path

from backends.base import Backend
from backends.config import Settings, settings_from_dict
from backends.evals.runner import BackendFactory, settings_factory
from backends.request import ChatRequest

HARDWARE_PER_HOUR = 3.6  # USD: 0.001 per second of wall time, so local costs are not zero


def tiny_entry(model: Path) -> dict[str, object]:
    return {
        "kind": "llama",
        "model": str(model),
        "options": {"n_threads": 1, "n_threads_batch": 1, "n_ctx": 512, "seed": 1},
        "hardware_cost_per_hour": HARDWARE_PER_HOUR,
    }


def tiny_settings(model: Path) -> Settings:
    return settings_from_dict({"backends": {"tiny": tiny_entry(model)}})


def tiny_config(model: Path, path: Path) -> Path:
    """A config file with the ``tiny`` backend (for the CLI)."""
    entry = tiny_entry(model)
    path.write_text(
        "[backends.tiny]\n"
        f'kind = "llama"\nmodel = "{entry["model"]}"\n'
        f"hardware_cost_per_hour = {HARDWARE_PER_HOUR}\n"
        "options = { n_threads = 1, n_threads_batch = 1, n_ctx = 512, seed = 1 }\n",
        encoding="utf-8",
    )
    return path


def counting_factory(settings: Settings, calls: list[tuple[str, int | None]]) -> BackendFactory:
    """Build backends as usual, recording (prompt, budget) of every request they are sent."""
    build = settings_factory(settings)

    def make(spec: str) -> Backend:
        backend = build(spec)
        inner = backend.stream

        def stream(request: ChatRequest):  # type: ignore[no-untyped-def]
            calls.append((request.messages[-1].text, request.budget.limit))
            return inner(request)

        backend.stream = stream  # type: ignore[method-assign]
        return backend

    return make
