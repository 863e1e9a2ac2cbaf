#!/usr/bin/env bash
# Usage: bash tools/dist_train.sh CONFIG GPUS [train.py args...]
# Runs on CPUs (gloo) when no GPU is present.
CONFIG=$1
GPUS=$2
PORT=${PORT:-29500}
PYTHON=${PYTHON:-python}
cd "$(dirname "$0")/.." || exit 1
PYTHONPATH="$(pwd):${PYTHONPATH:-}" \
"$PYTHON" -m torch.distributed.run --nnodes=1 --nproc_per_node="$GPUS" \
    --master_addr=127.0.0.1 --master_port="$PORT" \
    tools/train.py "$CONFIG" --launcher pytorch "${@:3}"
