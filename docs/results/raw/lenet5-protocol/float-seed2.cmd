fracbits train --model lenet5 --epochs 10 --lr 0.05 --train-subset all --seed 2 --backend cpu --json --out docs/results/raw/lenet5-protocol/float-seed2.ckpt
