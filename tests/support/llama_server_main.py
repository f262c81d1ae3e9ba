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

from backends.local.session import guard_default_params

if __name__ == "__main__":
    guard_default_params()
    runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)
