"""Two local compare columns on this machine: run them concurrently or one after the other?

Loads the embedded SmolLM2-135M twice (two ``LocalBackend`` objects, so the columns could run at
the same time) and runs the same compare round under the ``queue`` and ``concurrent`` policies,
with 1 and with 2 decoding threads per model, beside one column alone (the per-column speed
with nothing competing). Prints, per setting, the round's wall time, each column's decode tok/s
and TTFT (from the column's own meters, which start when the column starts), and the policy
``auto`` would pick. The choice in ``backends/compare/schedule.py`` rests on these numbers; run
it on an otherwise idle machine (other processes' load skews the comparison).

    python bench/local_columns.py [--tokens 128] [--repeat 2] [--model PATH.gguf]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backends.base import BackendSpec
from backends.budget import Budget
from backends.compare import Column, run_round
from backends.compare.schedule import LocalScheduler
from backends.local.backend import LocalBackend
from backends.local.model_files import embedded_model_path
from backends.local.options import LocalOptions
from backends.request import RequestOptions

PROMPT = "Write a long story about a cat who learns to sail. Use many details."


def local_backend(model: Path, threads: int) -> LocalBackend:
    options = LocalOptions(n_threads=threads, n_threads_batch=threads, n_ctx=1024, seed=7)
    return LocalBackend(BackendSpec(name="local", kind="llama", model=str(model), options=options))


async def one_round(columns: list[Column], policy: str, tokens: int) -> dict[str, float]:
    result = await run_round(
        columns,
        PROMPT,
        policy=policy,
        options=RequestOptions(max_tokens=tokens, temperature=0.0, seed=7),
    )
    for column in columns:
        column.history.clear()  # same prompt every time: no KV reuse across rounds
    readings = [o.reading for o in result.outcomes]
    return {
        "wall": result.wall_s,
        "tps": statistics.mean(r.decode_tps or 0.0 for r in readings),
        "ttft": statistics.mean(r.ttft_s or 0.0 for r in readings),
        "out": statistics.mean(r.usage.output for r in readings),
        "queued": max(o.queued_s for o in result.outcomes),
    }


async def measure(model: Path, threads: int, tokens: int, repeat: int) -> dict[str, dict]:
    backends = [local_backend(model, threads) for _ in range(2)]
    try:
        for backend in backends:
            await backend.load()
        columns = [Column(b, Budget(0)) for b in backends]
        await one_round(columns, "queue", 8)  # warm-up: first decode, tokenizer, estimator
        results: dict[str, list[dict[str, float]]] = {"alone": [], "queue": [], "concurrent": []}
        for _ in range(repeat):
            # Interleaved, so drift in the machine's other load hits every setting alike.
            results["alone"].append(await one_round(columns[:1], "queue", tokens))
            for policy in ("queue", "concurrent"):
                results[policy].append(await one_round(columns, policy, tokens))
    finally:
        for backend in backends:
            await backend.aclose()
    return {
        policy: {key: statistics.median(run[key] for run in runs) for key in runs[0]}
        for policy, runs in results.items()
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=128, help="max tokens per column")
    parser.add_argument("--repeat", type=int, default=2, help="rounds per setting (median)")
    parser.add_argument("--model", type=Path, default=None, help="GGUF (default: embedded)")
    args = parser.parse_args()
    model = args.model or embedded_model_path()
    cores = os.cpu_count() or 1
    print(f"model {model.name}, {cores} cores, 2 columns, up to {args.tokens} tokens each")
    print(
        f"{'threads':>7} {'policy':>10} {'wall':>7} {'tok/s/col':>9} {'TTFT':>6} "
        f"{'out':>5} {'queued':>7}"
    )
    for threads in (1, 2):
        numbers = asyncio.run(measure(model, threads, args.tokens, args.repeat))
        for policy, n in numbers.items():
            print(
                f"{threads:>7} {policy:>10} {n['wall']:>6.2f}s {n['tps']:>9.1f} "
                f"{n['ttft']:>5.2f}s {n['out']:>5.0f} {n['queued']:>6.2f}s"
            )
        speedup = numbers["queue"]["wall"] / numbers["concurrent"]["wall"]
        backend = local_backend(model, threads)
        scheduler = LocalScheduler(cores)
        fits = 2 * scheduler.cores_needed(backend) <= cores
        print(
            f"{'':>7} concurrent/queued wall: {speedup:.2f}x faster; "
            f"auto policy runs these {'concurrently' if fits else 'queued'}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
