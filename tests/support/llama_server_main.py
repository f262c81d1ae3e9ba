"""Run llama-cpp-python's own OpenAI-compatible server for the tests, safe on AMX CPUs.

The server is a third-party program that builds its model params inside ``Llama()``, where
ponder's AMX guard cannot reach. On a CPU where the guard turns llama.cpp's extra buffer types
off (see ``backends/local/cpu_guard.py``), this launcher makes the server's model params default
to ``use_extra_bufts = False`` before starting it, so the tests' real server does not crash in
the AMX weight-repacking path. Elsewhere it starts the server unchanged.

Usage: ``python -m tests.support.llama_server_main --model PATH ...`` (the server's own flags).
"""

from __future__ import annotations

import runpy

import llama_cpp.llama_cpp as llama_low

from backends.local.options import LocalOptions
from backends.local.session import buffer_choice


def guard_server_params() -> bool:
    """Apply ponder's extra-buffer decision to the server's model params; True when turned off."""
    if buffer_choice(LocalOptions()).use_extra_bufts:
        return False
    stock = llama_low.llama_model_default_params

    def without_extra_bufts():  # type: ignore[no-untyped-def]
        params = stock()
        params.use_extra_bufts = False
        return params

    llama_low.llama_model_default_params = without_extra_bufts
    return True


if __name__ == "__main__":
    guard_server_params()
    runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)
