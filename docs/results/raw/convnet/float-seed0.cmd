fracbits train --model convnet --epochs 6 --lr 0.05 --train-subset 20000 --seed 0 --backend webgpu --json --out runs/results/convnet-float-seed0.ckpt
