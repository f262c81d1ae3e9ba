#!/usr/bin/env bash
# The shipped sets (65 tasks) on the embedded SmolLM2-135M with two strategies, timed, with
# --report DIR (Markdown + SVG). Usage: bash bench/eval_shipped.sh [OUT_DIR] (default
# /tmp/ponder-eval). Not a <2 min benchmark: on 2 shared cores the embedded model runs at a few
# tokens per second; bench/eval_scaling.sh has the --sweep and x5 runs.
set -euo pipefail
OUT=${1:-/tmp/ponder-eval}
mkdir -p "$OUT"
cd "$(dirname "$0")/.."
export PYTHONPATH=$PWD
start=$(date +%s)
python -m tui.cli eval sample -b local:0 -b local:32 --max-tokens 64 --answer-limit 24 --seed 0 \
    --fresh --results "$OUT/shipped.results.jsonl" --report "$OUT/shipped" > "$OUT/shipped.txt"
echo "shipped sets, 2 strategies: $(( $(date +%s) - start )) s wall" | tee "$OUT/wall.txt"
