"""Decode speed and prompt speed of ponder's LocalBackend against raw llama-cpp-python.

Same model and settings on both sides; runs alternate in one process so that machine load
affects both alike.

* Decode: the same prompt decoded greedily for the same number of tokens. The rate is measured
  where a user sees it: from the first token to the last one, for the backend on the consumer's
  side of the thread/asyncio bridge (so its overhead is included). Target: ratio >= 0.97.
* Prompt eval: a ~1,000-token prompt evaluated from an empty cache, time to the first token
  (TTFT), ponder's consumer side against ``Llama.generate``. Ratio = raw TTFT / ponder TTFT,
  median of pairs. Target: >= 0.97.

``--gpu`` offloads every layer (same ratios); without a GPU build it prints a skip line and
exits 0.

    python bench/local_overhead.py [--tokens 128] [--runs 5] [--prompt-runs 3] [--gpu]
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

from backends.base import BackendSpec
from backends.budget import Budget
from backends.events import Finished, TextDelta
from backends.local.backend import LocalBackend
from backends.local.model_files import embedded_model_path
from backends.local.options import LocalOptions
from backends.local.prompt import build_prompt
from backends.local.session import guard_default_params
from backends.request import ChatRequest, Message, RequestOptions

PROMPT = [Message("user", "Write a long story about a dragon who learns to bake bread.")]
SETTINGS = dict(n_ctx=2048, n_batch=512, n_threads=1, n_threads_batch=1, n_gpu_layers=0)
SAMPLING = dict(temp=0.0, top_k=40, top_p=0.95, min_p=0.05, repeat_penalty=1.0)
TARGET = 0.97
LONG_TOKENS = 1000
SENTENCE = (
    "The committee met on a rainy Tuesday to review the harbour accounts, the new lighthouse "
    "budget and a letter from the fishermen about the winter nets. "
)


def raw_run(llm: llama_cpp.Llama, tokens: list[int], n: int) -> tuple[float, int]:
    """(decode tokens/s, tokens) of a plain ``Llama.generate`` loop with per-token detokenize."""
    vocab = llama_cpp.llama_model_get_vocab(llm.model)
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


def raw_ttft(llm: llama_cpp.Llama, tokens: list[int]) -> float:
    """Seconds from ``generate`` to its first token, from an empty cache."""
    llm.reset()
    start = time.perf_counter()
    for _token in llm.generate(tokens, **SAMPLING):
        return time.perf_counter() - start
    raise RuntimeError("no token")


async def backend_run(backend: LocalBackend, n: int) -> tuple[float, int, float]:
    """(decode tokens/s seen by the consumer, tokens, the backend's own decode tokens/s)."""
    request = ChatRequest(
        PROMPT, budget=Budget(0), options=RequestOptions(max_tokens=n, temperature=0.0)
    )
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


async def backend_ttft(backend: LocalBackend, messages: list[Message]) -> tuple[float, int]:
    """(seconds to the first token on the consumer's side, prompt tokens), empty cache."""
    backend.loaded.session.clear()  # type: ignore[union-attr]
    request = ChatRequest(
        messages, budget=Budget(0), options=RequestOptions(max_tokens=1, temperature=0.0)
    )
    start = time.perf_counter()
    async for event in backend.stream(request):
        if isinstance(event, Finished):
            assert event.usage is not None and event.usage.cached_input == 0
            return time.perf_counter() - start, event.usage.input
    raise RuntimeError("no Finished")


def long_prompt(backend: LocalBackend) -> list[Message]:
    """A user message that makes a prompt of about ``LONG_TOKENS`` tokens."""
    loaded = backend.loaded
    assert loaded is not None
    text = SENTENCE
    while len(build_prompt(loaded, [Message("user", text)], think=False).tokens) < LONG_TOKENS:
        text += SENTENCE
    return [Message("user", text)]


def verdict(ratio: float) -> str:
    return "met" if ratio >= TARGET else "NOT met"


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--prompt-runs", type=int, default=3)
    parser.add_argument("--gpu", action="store_true", help="offload all layers to the GPU")
    args = parser.parse_args()
    settings = dict(SETTINGS)
    if args.gpu:
        if not llama_cpp.llama_supports_gpu_offload():
            print("local_overhead --gpu: no GPU build: skipped (llama.cpp has no GPU offload)")
            return 0
        settings["n_gpu_layers"] = -1

    path = embedded_model_path()
    options = LocalOptions(**settings, temperature=0.0)
    backend = LocalBackend(BackendSpec("bench", "llama", str(path), options=options))
    loaded = await backend.load()
    tokens = build_prompt(loaded, PROMPT, think=False).tokens
    guard_default_params()  # the raw baseline gets the same AMX guard as ponder's own load
    raw = llama_cpp.Llama(str(path), **settings, verbose=False)

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

    messages = long_prompt(backend)
    long_tokens = build_prompt(loaded, messages, think=False).tokens
    await backend_ttft(backend, messages)  # warm-up: ponder's context grows to this size once
    raw_ttfts, ponder_ttfts, ttft_ratios, ttft_cpu = [], [], [], []
    for i in range(args.prompt_runs):
        cpu0 = time.process_time()
        raw_ttfts.append(raw_ttft(raw, long_tokens))
        cpu1 = time.process_time()
        seconds, n_prompt = await backend_ttft(backend, messages)
        cpu2 = time.process_time()
        ponder_ttfts.append(seconds)
        ttft_ratios.append(raw_ttfts[-1] / ponder_ttfts[-1])
        ttft_cpu.append((cpu1 - cpu0) / (cpu2 - cpu1))
        print(
            f"prompt run {i + 1}: raw TTFT {raw_ttfts[-1] * 1000:7.1f} ms   ponder TTFT "
            f"{ponder_ttfts[-1] * 1000:7.1f} ms ({n_prompt} prompt tokens)   "
            f"ratio {ttft_ratios[-1]:.3f}   cpu-time ratio {ttft_cpu[-1]:.3f}"
        )

    where = "all layers on the GPU" if args.gpu else "CPU, n_threads=1"
    print(f"model {path.name}, {where}, greedy, {args.tokens} tokens, {args.runs} runs each")
    print(f"raw llama-cpp-python Llama.generate : {statistics.median(raw_rates):6.1f} tok/s")
    print(f"ponder LocalBackend (consumer side) : {statistics.median(ponder_rates):6.1f} tok/s")
    print(f"ponder LocalBackend (own clock)     : {statistics.median(own_rates):6.1f} tok/s")
    decode = statistics.median(pair_ratios)
    print(f"decode ratio ponder/raw, median     : {decode:.3f} (target >= {TARGET}: ", end="")
    print(f"{verdict(decode)})")
    print(f"decode ratio by CPU time per token  : {statistics.median(cpu_ratios):.3f}")
    print(
        f"prompt eval TTFT, {len(long_tokens)} tokens     : raw "
        f"{statistics.median(raw_ttfts) * 1000:.1f} ms, ponder "
        f"{statistics.median(ponder_ttfts) * 1000:.1f} ms (medians)"
    )
    # On a shared machine one 1,000-token prompt varies by +-20% from run to run: read the
    # target on the median of pairs, and print the best runs' ratio as a cross-check.
    print(f"prompt ratio raw/ponder TTFT, best runs: {min(raw_ttfts) / min(ponder_ttfts):.3f}")
    prompt = statistics.median(ttft_ratios)
    print(f"prompt ratio raw/ponder TTFT, median: {prompt:.3f} (target >= {TARGET}: ", end="")
    print(f"{verdict(prompt)})")
    print(f"prompt ratio by CPU time, median    : {statistics.median(ttft_cpu):.3f}")
    raw.close()
    await backend.aclose()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
