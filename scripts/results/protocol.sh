#!/usr/bin/env bash
# The PROTOCOL.md rows of docs/results/fashion-mnist.md for one model and one seed:
#   MODEL=convnet SEED=0 scripts/results/protocol.sh
#   MODEL=lenet5  SEED=1 ROWS="uniform-w2a2 fracbits-kernel-u2" scripts/results/protocol.sh
# lenet5:  all 60 000 training images; float 10 epochs at lr 0.05 with seed s; QAT 10 epochs
#          (8 search + 2 fine-tune) at lr 0.01, QAT seed s from the float checkpoint of seed s.
# convnet: the class-balanced 20 000-image subset (2 000 per class; `@fracbits/nn` balancedSubset:
#          a seeded shuffle, Rng(0), of each class's indices, the first 2 000 kept); float 6 epochs,
#          seed 0; QAT 6 epochs (5 search + 1 fine-tune), every QAT seed from the seed-0 float.
# Common: batch 128, SGD Nesterov 0.9, weight decay 5e-4 on conv/linear weights, per-iteration
# cosine decay restarted at QAT, bits [1, 8], κ = 1 per MBitOps, first conv W8 (input counted as
# 8-bit), last linear W8. The budget rows are FracBits layer- and kernel-wise at the BitOps of the
# uniform 2/3/4-bit models, the uniform baselines, and (pruning issue) kernel-wise with --prune at
# uniform 2 and 1 bits plus kernel-wise without it at uniform 1; prune-kernel-u1-a2 is --prune with
# activations on [2, 8] (row not in the default list).
# Each row is one `fracbits search` command; its JSON (stdout), exact command and events (without
# step lines) land in $OUT as <row>-s<seed>.json / .cmd / .events.jsonl, its run directory in
# runs/results/<model>/. Rows whose JSON exists
# are skipped, so the script can be re-run after an interruption. Tables:
#   node scripts/results/assemble.mjs docs/results/raw/<model> runs/results/<model>
set -euo pipefail
cd "$(dirname "$0")/../.."
MODEL=${MODEL:-convnet}
SEED=${SEED:-0}
BACKEND=${BACKEND:-webgpu}
OUT=${OUT:-docs/results/raw/$MODEL}
ROWS=${ROWS:-"uniform-w2a2 fracbits-kernel-u2 fracbits-layer-u2 uniform-w3a3 fracbits-kernel-u3 fracbits-layer-u3 prune-kernel-u1 fracbits-kernel-u1 uniform-w4a4 fracbits-kernel-u4 fracbits-layer-u4 prune-kernel-u2"}
case $MODEL in
  lenet5) SUBSET=all FLOAT_EPOCHS=10 QAT_EPOCHS=10 FLOAT_SEED=$SEED ;;
  convnet) SUBSET=20000 FLOAT_EPOCHS=6 QAT_EPOCHS=6 FLOAT_SEED=0 ;;
  *) echo "protocol.sh: MODEL must be lenet5 or convnet, got '$MODEL'" >&2; exit 2 ;;
esac
FLOAT=${FLOAT:-runs/results/$MODEL-float-seed$FLOAT_SEED.ckpt}
mkdir -p "$OUT" "$(dirname "$FLOAT")"
cli() { node apps/cli/dist/bin.js "$@"; }

if [ ! -s "$FLOAT" ]; then
  cmd=(train --model "$MODEL" --epochs "$FLOAT_EPOCHS" --lr 0.05 --train-subset "$SUBSET" --seed "$FLOAT_SEED"
    --backend "$BACKEND" --json --out "$FLOAT")
  echo "fracbits ${cmd[*]}" > "$OUT/float-seed$FLOAT_SEED.cmd"
  echo "$(date -u +%T) float $MODEL seed $FLOAT_SEED" >&2
  cli "${cmd[@]}" > "$OUT/float-seed$FLOAT_SEED.json.part"
  mv "$OUT/float-seed$FLOAT_SEED.json.part" "$OUT/float-seed$FLOAT_SEED.json"
fi

common=(--model "$MODEL" --float-checkpoint "$FLOAT" --train-subset "$SUBSET" --epochs "$QAT_EPOCHS" --lr 0.01
  --bits-range 1..8 --seed "$SEED" --backend "$BACKEND" --no-epoch-eval --export onnx --json)
budget() { echo "bitops=uniform:$1@kappa=1@unit=MBitOps"; }
row_args() {
  local b=${1: -1}
  case $1 in
    uniform-w?a?) echo "--method uniform --bits ${1:9:1} --budget bitops=uniform:${1:9:1}" ;;
    fracbits-layer-u?) echo "--budget $(budget "$b") --granularity layer" ;;
    fracbits-kernel-u?) echo "--budget $(budget "$b") --granularity kernel" ;;
    prune-kernel-u?) echo "--budget $(budget "$b") --granularity kernel --prune" ;;
    # Pruning with a 2-bit activation floor: the uniform-1 budget can then only be met by pruning.
    prune-kernel-u?-a2) echo "--budget $(budget "${1:14:1}") --granularity kernel --prune --activation-bits-range 2..8" ;;
    *) echo "protocol.sh: unknown row '$1'" >&2; exit 2 ;;
  esac
}
for row in $ROWS; do
  name="$row-s$SEED"
  if [ -s "$OUT/$name.json" ]; then echo "skip $name" >&2; continue; fi
  read -r -a extra <<< "$(row_args "$row")"
  echo "fracbits search ${common[*]} ${extra[*]} --out runs/results/$MODEL/$name" > "$OUT/$name.cmd"
  echo "$(date -u +%T) run $name" >&2
  cli search "${common[@]}" "${extra[@]}" --out "runs/results/$MODEL/$name" > "$OUT/$name.json.part"
  mv "$OUT/$name.json.part" "$OUT/$name.json"
  # Keep the run's events (without per-step lines) beside the JSON: assemble.mjs reads them.
  grep -v '"type":"step"' "runs/results/$MODEL/$name/events.jsonl" > "$OUT/$name.events.jsonl"
done
