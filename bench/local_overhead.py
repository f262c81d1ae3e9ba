"""Decode speed of ponder's LocalBackend against raw llama-cpp-python, same model and settings.

Both decode the same prompt tokens greedily on one thread for the same number of tokens; runs
alternate in one process so that machine load affects both alike. The rate is measured where a
user sees it: from the first token to the last one, for the backend on the consumer's side of
the thread/asyncio bridge (so its overhead is included). Target: ratio >= 0.97.

    python bench/local_overhead.py [--tokens 128] [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import llama_cpp

from backends.base import BackendSpec, ChatRequest, Message
from backends.budget import Budget
from backends.events import Finished, TextDelta
from backends.local.backend import LocalBackend
from backends.local.model_files import embedded_model_path
from backends.local.options import LocalOptions
from backends.local.prompt import build_prompt

PROMPT = [Message("user", "Write a long story about a dragon who learns to bake bread.")]
SETTINGS = dict(n_ctx=2048, n_batch=512, n_threads=1, n_threads_batch=1, n_gpu_layers=0)
SAMPLING = dict(temp=0.0, top_k=40, top_p=0.95, min_p=0.05, repeat_penalty=1.0)


def raw_run(llm: llama_cpp.Llama, tokens: list[int], n: int) -> tuple[float, int]:
    """(decode tokens/s, tokens) of a plain ``Llama.generate`` loop with per-token detokenize."""
    vocab = llm._model.vocab
    count = 0
    first = last = 0.0
    for token in llm.generate(tokens, **SAMPLING):
        now = time.perf_counter()
        if count == 0:
            first = now
        last = now
        if llama_cpp.llama_vocab_is_eog(vocab, token):
            break
        llm.detokenize([token])
        count += 1
        if count >= n:
            break
    return (count - 1) / (last - first), count


async def backend_run(backend: LocalBackend, n: int) -> tuple[float, int, float]:
    """(decode tokens/s seen by the consumer, tokens, the backend's own decode tokens/s)."""
    request = ChatRequest(PROMPT, budget=Budget(0), temperature=0.0, max_tokens=n)
    first = 0.0
    async for event in backend.stream(request):
        if isinstance(event, TextDelta) and not first:
            first = time.perf_counter()
        if isinstance(event, Finished):
            last = time.perf_counter()
            done = event
    tokens = done.usage.output
    timings = done.timings
    own = timings.server_decode_tokens / (timings.server_decode_ms / 1000.0)
    return (tokens - 1) / (last - first), tokens, own


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    path = embedded_model_path()
    options = LocalOptions(**SETTINGS, temperature=0.0)
    backend = LocalBackend(BackendSpec("bench", "llama", str(path), options=options))
    loaded = await backend.load()
    tokens = build_prompt(loaded, PROMPT, think=False).tokens
    raw = llama_cpp.Llama(str(path), **SETTINGS, verbose=False)

    raw_rates, ponder_rates, own_rates, pair_ratios, cpu_ratios = [], [], [], [], []
    raw_run(raw, tokens, 8)  # warm-up both
    await backend_run(backend, 8)
    for i in range(args.runs):
        cpu0 = time.process_time()
        rate, n_raw = raw_run(raw, tokens, args.tokens)
        cpu1 = time.process_time()
        raw_rates.append(rate)
        rate, n_ponder, own = await backend_run(backend, args.tokens)
        cpu2 = time.process_time()
        ponder_rates.append(rate)
        own_rates.append(own)
        pair_ratios.append(ponder_rates[-1] / raw_rates[-1])
        # CPU seconds per token of the whole process (all threads), less sensitive to load
        # from other processes than wall-clock rates on a shared machine.
        cpu_ratios.append(((cpu1 - cpu0) / n_raw) / ((cpu2 - cpu1) / n_ponder))
        print(
            f"run {i + 1}: raw {raw_rates[-1]:6.1f} tok/s ({n_raw} tok)   "
            f"ponder {ponder_rates[-1]:6.1f} tok/s ({n_ponder} tok)   "
            f"ratio {pair_ratios[-1]:.3f}   cpu-time ratio {cpu_ratios[-1]:.3f}"
        )
    raw_median = statistics.median(raw_rates)
    ponder_median = statistics.median(ponder_rates)
    print(f"model {path.name}, n_threads=1, greedy, {args.tokens} tokens, {args.runs} runs each")
    print(f"raw llama-cpp-python Llama.generate : {raw_median:6.1f} tok/s (median)")
    print(f"ponder LocalBackend (consumer side) : {ponder_median:6.1f} tok/s (median)")
    print(f"ponder LocalBackend (own clock)     : {statistics.median(own_rates):6.1f} tok/s")
    ratio = statistics.median(pair_ratios)
    print(f"ratio ponder/raw, median of pairs   : {ratio:.3f} (target >= 0.97)")
    print(f"ratio by CPU time per token, median : {statistics.median(cpu_ratios):.3f}")
    raw.close()
    await backend.aclose()


if __name__ == "__main__":
    asyncio.run(main())
