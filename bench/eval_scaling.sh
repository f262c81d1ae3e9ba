#!/usr/bin/env bash
# Test-time scaling on the embedded SmolLM2-135M: a --sweep of three budgets and a x5
# self-consistency strategy, each on a 6-task subset, with charts (--plot, --report DIR).
# Usage: bash bench/eval_scaling.sh [OUT_DIR] (default /tmp/ponder-scaling).
set -euo pipefail
OUT=${1:-/tmp/ponder-scaling}
mkdir -p "$OUT"
cd "$(dirname "$0")/.."
export PYTHONPATH=$PWD
start=$(date +%s)
python -m tui.cli eval hard --limit 6 -b local --sweep 0,16,48 --max-tokens 72 --answer-limit 24 \
    --seed 0 --fresh --results "$OUT/sweep.results.jsonl" --report "$OUT/sweep" > "$OUT/sweep.txt"
echo "sweep (6 tasks x 3 budgets): $(( $(date +%s) - start )) s wall" | tee "$OUT/wall.txt"
start=$(date +%s)
python -m tui.cli eval easy --limit 6 -b local:0 -b local:0x5 --max-tokens 24 --answer-limit 24 \
    --temperature 0.8 --seed 0 --fresh --results "$OUT/vote.results.jsonl" --plot \
    --report "$OUT/vote" > "$OUT/vote.txt"
echo "x5 vote (6 tasks): $(( $(date +%s) - start )) s wall" | tee -a "$OUT/wall.txt"
