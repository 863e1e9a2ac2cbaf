#!/usr/bin/env bash
# Usage: bash tools/dist_test.sh CONFIG [CHECKPOINT] GPUS [test.py args...]
# Runs on CPUs (gloo) when no GPU is present.
CONFIG=$1
if [ $# -ge 3 ] && [ -f "$2" ]; then CKPT=$2; GPUS=$3; shift 3; else CKPT=; GPUS=$2; shift 2; fi
PORT=${PORT:-29500}
PYTHON=${PYTHON:-python}
cd "$(dirname "$0")/.." || exit 1
PYTHONPATH="$(pwd):${PYTHONPATH:-}" \
"$PYTHON" -m torch.distributed.run --nnodes=1 --nproc_per_node="$GPUS" \
    --master_addr=127.0.0.1 --master_port="$PORT" \
    tools/test.py "$CONFIG" $CKPT --launcher pytorch "$@"
