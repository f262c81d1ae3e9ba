#!/usr/bin/env bash
# The shipped sets (65 tasks) on the embedded SmolLM2-135M with two strategies, timed; then a
# --sweep and a x5 self-consistency run on a 9-task subset, with --report DIR (Markdown + SVG).
# Usage: bash bench/eval_shipped.sh [OUT_DIR]   (results go to OUT_DIR, default /tmp/ponder-eval)
# Not a <2 min benchmark: on 2 shared cores the embedded model runs at a few tokens per second.
set -euo pipefail
OUT=${1:-/tmp/ponder-eval}
mkdir -p "$OUT"
cd "$(dirname "$0")/.."
export PYTHONPATH=$PWD
run() { python -m tui.cli eval "$@"; }
start=$(date +%s)
run sample -b local:0 -b local:32 --max-tokens 64 --answer-limit 24 --seed 0 --fresh \
    --results "$OUT/shipped.results.jsonl" --report "$OUT/shipped" > "$OUT/shipped.txt"
echo "shipped sets, 2 strategies: $(( $(date +%s) - start )) s wall" | tee "$OUT/wall.txt"
start=$(date +%s)
run hard --limit 9 -b local --sweep 0,16,48 --max-tokens 80 --answer-limit 24 --seed 0 --fresh \
    --results "$OUT/sweep.results.jsonl" --report "$OUT/sweep" > "$OUT/sweep.txt"
echo "sweep (9 tasks x 3 budgets): $(( $(date +%s) - start )) s wall" | tee -a "$OUT/wall.txt"
start=$(date +%s)
run easy --limit 9 -b local:0 -b local:0x5 --max-tokens 32 --answer-limit 24 --temperature 0.8 \
    --seed 0 --fresh --results "$OUT/vote.results.jsonl" --plot > "$OUT/vote.txt"
echo "x5 vote (9 tasks): $(( $(date +%s) - start )) s wall" | tee -a "$OUT/wall.txt"
