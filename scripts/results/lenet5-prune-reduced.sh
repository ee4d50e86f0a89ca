#!/usr/bin/env bash
# Reduced-protocol pruning rows for docs/results/fashion-mnist.md: lenet5, FracBits kernel-wise
# with and without --prune at the BitOps budgets of uniform 2 and uniform 1 bits, seed 0, the same
# float checkpoint and QAT schedule as scripts/results/lenet5-reduced.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
FLOAT=${FLOAT:?set FLOAT to the float lenet5 checkpoint}
OUT=${OUT:-docs/results/raw/lenet5}
BACKEND=${BACKEND:-cpu}
mkdir -p "$OUT"
common=(--model lenet5 --float-checkpoint "$FLOAT" --train-subset 10000 --epochs 5 --lr 0.01
  --seed 0 --backend "$BACKEND" --export onnx --json --granularity kernel)
run() {
  local name=$1; shift
  if [ -s "$OUT/$name.json" ]; then echo "skip $name" >&2; return; fi
  echo "fracbits search ${common[*]} $* --out runs/results/$name" > "$OUT/$name.cmd"
  node apps/cli/dist/bin.js search "${common[@]}" "$@" --out "runs/results/$name" > "$OUT/$name.json"
}
run fracbits-kernel-u1 --bits-range 1..8 --budget "bitops=uniform:1@kappa=1@unit=MBitOps"
# These rows were run when --prune fixed the activations at [2, 8]; the flag now says so explicitly.
run prune-kernel-u2 --prune --activation-bits-range 2..8 --budget "bitops=uniform:2@kappa=1@unit=MBitOps"
run prune-kernel-u1 --prune --activation-bits-range 2..8 --budget "bitops=uniform:1@kappa=1@unit=MBitOps"
