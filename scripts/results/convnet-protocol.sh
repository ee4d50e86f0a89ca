#!/usr/bin/env bash
# PROTOCOL.md `convnet` rows on Fashion-MNIST (docs/results/fashion-mnist.md), one seed at a time.
# Float: 6 epochs at lr 0.05 on the class-balanced 20 000-image subset (2 000 per class, subset
# seed 0; `@fracbits/nn` balancedSubset), seed 0. QAT: 6 epochs = 5 search + 1 fine-tune at lr 0.01,
# every QAT seed from the seed-0 float checkpoint. Rows run in the order given by ROWS (default: all,
# most informative first) and are skipped when their JSON exists, so the script can be re-run.
# Every row is one `fracbits search` command; raw JSON + the exact command land in $OUT.
set -euo pipefail
cd "$(dirname "$0")/../.."
SEED=${SEED:-0}
BACKEND=${BACKEND:-webgpu}
OUT=${OUT:-docs/results/raw/convnet}
FLOAT=${FLOAT:-runs/results/convnet-float-seed0.ckpt}
ROWS=${ROWS:-"uniform-w2a2 fracbits-kernel-u2 fracbits-layer-u2 uniform-w3a3 fracbits-kernel-u3 fracbits-layer-u3 prune-kernel-u1 fracbits-kernel-u1 uniform-w4a4 fracbits-kernel-u4 fracbits-layer-u4 prune-kernel-u2"}
mkdir -p "$OUT" "$(dirname "$FLOAT")"
cli() { node apps/cli/dist/bin.js "$@"; }
if [ ! -s "$FLOAT" ]; then
  cmd=(train --model convnet --epochs 6 --lr 0.05 --train-subset 20000 --seed 0 --backend "$BACKEND" --json --out "$FLOAT")
  echo "fracbits ${cmd[*]}" > "$OUT/float-seed0.cmd"
  cli "${cmd[@]}" > "$OUT/float-seed0.json"
fi
common=(--model convnet --float-checkpoint "$FLOAT" --train-subset 20000 --epochs 6 --lr 0.01
  --bits-range 1..8 --seed "$SEED" --backend "$BACKEND" --no-epoch-eval --export onnx --json)
budget() { echo "bitops=uniform:$1@kappa=1@unit=MBitOps"; }
row_args() {
  case $1 in
    uniform-w?a?) local b=${1:9:1}; echo "--method uniform --bits $b --budget bitops=uniform:$b" ;;
    fracbits-layer-u?) echo "--budget $(budget "${1: -1}") --granularity layer" ;;
    fracbits-kernel-u?) echo "--budget $(budget "${1: -1}") --granularity kernel" ;;
    prune-kernel-u?) echo "--budget $(budget "${1: -1}") --granularity kernel --prune" ;;
    *) echo "unknown row $1" >&2; exit 2 ;;
  esac
}
for row in $ROWS; do
  name="$row-s$SEED"
  if [ -s "$OUT/$name.json" ]; then echo "skip $name" >&2; continue; fi
  read -r -a extra <<< "$(row_args "$row")"
  echo "fracbits search ${common[*]} ${extra[*]} --out runs/results/convnet/$name" > "$OUT/$name.cmd"
  echo "$(date -u +%T) run $name" >&2
  cli search "${common[@]}" "${extra[@]}" --out "runs/results/convnet/$name" > "$OUT/$name.json.part"
  mv "$OUT/$name.json.part" "$OUT/$name.json"
done
