#!/usr/bin/env bash
# Reduced-protocol FracBits vs uniform QAT on lenet5 / Fashion-MNIST (docs/results/fashion-mnist.md).
# Deviations from PROTOCOL.md, forced by compute (2 cores, one session): one seed (0), QAT on a
# class-balanced 10 000-image subset for 5 epochs (4 search + 1 fine-tune) instead of all 60 000
# images for 10. The float checkpoint IS the protocol's: 10 epochs on all 60 000 images, seed 0.
# Every row runs through the product's own `fracbits search` command; raw JSON lands in $OUT.
set -euo pipefail
cd "$(dirname "$0")/../.."
FLOAT=${FLOAT:?set FLOAT to the float lenet5 checkpoint (fracbits train ... or a cached search)}
OUT=${OUT:-docs/results/raw/lenet5}
BACKEND=${BACKEND:-cpu}
mkdir -p "$OUT"
common=(--model lenet5 --float-checkpoint "$FLOAT" --train-subset 10000 --epochs 5 --lr 0.01
  --bits-range 1..8 --seed 0 --backend "$BACKEND" --export onnx --json)
run() {
  local name=$1; shift
  if [ -s "$OUT/$name.json" ]; then echo "skip $name" >&2; return; fi
  echo "run $name: fracbits search ${common[*]} $*" >&2
  echo "fracbits search ${common[*]} $* --out runs/results/$name" > "$OUT/$name.cmd"
  node apps/cli/dist/bin.js search "${common[@]}" "$@" --out "runs/results/$name" > "$OUT/$name.json"
}
for b in 2 3 4; do
  run "uniform-w${b}a${b}" --method uniform --bits "$b" --budget "bitops=uniform:$b"
  run "fracbits-layer-u${b}" --budget "bitops=uniform:$b@kappa=1@unit=MBitOps" --granularity layer
  run "fracbits-kernel-u${b}" --budget "bitops=uniform:$b@kappa=1@unit=MBitOps" --granularity kernel
done
