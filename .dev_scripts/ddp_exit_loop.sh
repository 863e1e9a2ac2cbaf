#!/usr/bin/env bash
# Run the 2-process CPU DDP training of tests/test_tools/test_train_test_tools.py
# (tools/dist_train.sh, 3 iterations of the TSRN demo config on a small
# synthetic TextZoom) RUNS times in a row and count the runs that did not
# exit cleanly (non-zero exit, a signal, or "terminate called" on stderr).
#   usage: [RUNS=20] [PYTHON=.venv/bin/python] [WORK=work_dirs/ddp_exit_loop]
#          bash .dev_scripts/ddp_exit_loop.sh
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
runs=${RUNS:-20}
py=${PYTHON:-.venv/bin/python}
work=${WORK:-work_dirs/ddp_exit_loop}
data="$work/data"
mkdir -p "$work"
[ -d "$data/test/hard" ] || "$py" -c "
from stisr_mmocr.datasets.synth_textzoom import generate_textzoom
generate_textzoom('$data', num_train=64, num_test=16, seed=0)" > /dev/null
opts=(train_cfg.max_iters=3 train_cfg.val_interval=3
      default_hooks.checkpoint.interval=3 train_dataloader.batch_size=2
      model.num_blocks=1 model.hidden_channels=16)
for i in 0 1; do
  opts+=("train_dataloader.dataset.datasets.$i.data_root=$data/train$((i + 1))")
done
i=0
for subset in easy medium hard; do
  opts+=("val_dataloader.dataset.datasets.$i.data_root=$data/test/$subset")
  opts+=("test_dataloader.dataset.datasets.$i.data_root=$data/test/$subset")
  i=$((i + 1))
done
for split in train val test; do
  opts+=("${split}_dataloader.num_workers=0" "${split}_dataloader.persistent_workers=False")
done
bad=0
for run in $(seq 1 "$runs"); do
  log="$work/run_$run.log"
  rm -rf "$work/ddp"
  PORT=$((29700 + run)) PYTHON="$py" bash tools/dist_train.sh \
    configs/tsrn/tsrn_synthetic-textzoom_demo.py 2 --work-dir "$work/ddp" \
    --cfg-options "${opts[@]}" > "$log" 2>&1
  code=$?
  aborted=$(grep -c "terminate called\|SIGABRT\|exitcode  *: -" "$log")
  if [ "$code" != 0 ] || [ "$aborted" != 0 ] || [ ! -f "$work/ddp/iter_3.pth" ]; then
    bad=$((bad + 1))
    echo "run $run: exit $code, abort lines $aborted ($log)"
  else
    echo "run $run: clean"
  fi
done
echo "$((runs - bad)) clean, $bad aborted or failed, of $runs runs"
