#!/usr/bin/env bash
# STIRER throughput of this code base against the authors' code, in one run
# on one machine (these machines are noisy: only ratios from one run count).
#
# 1. The official model is built with torch.manual_seed(0), exactly as
#    ../shared/bench/official_stirer.py builds it, and its state dict is
#    saved, so both sides run the same weights (and so decode texts of the
#    same lengths).
# 2. official_stirer.py times the authors' inference (SR + CTC steps + T5
#    generate) and training step (their losses, AdamW).
# 3. tools/analysis_tools/benchmark.py times ours from CONFIG with those
#    weights at the same batch sizes and device.
# 4. Steps 2 and 3 repeat ROUNDS times, alternating the sides, so that a
#    slow spell of the machine hits both; the figures of both sides and the
#    ratio ours / official of each round are printed, with the median; the
#    raw JSON of each side and round stays in BENCH_OUT.
#
# Needs a checkout of zhaominyiz/STIRER in a git-ignored folder (default
# third_party/STIRER; commit none of it) and timm + transformers
# (requirements/tests.txt).
#
# usage: [STIRER_REF=third_party/STIRER] [DEV=cpu|cuda] [INFER_B=64]
#        [TRAIN_B=48] [N_IT=10] [ROUNDS=1] [PYTHON=.venv/bin/python]
#        [OFFICIAL_BENCH=../shared/bench/official_stirer.py]
#        [BENCH_OUT=work_dirs/bench_vs_official]
#        bash .dev_scripts/bench_vs_official.sh [CONFIG]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
config=${1:-configs/stirer/stirer_stage1_synth-mjst.py}
py=${PYTHON:-.venv/bin/python}
export STIRER_REF=${STIRER_REF:-third_party/STIRER}
export DEV=${DEV:-cpu}
export INFER_B=${INFER_B:-64}
export TRAIN_B=${TRAIN_B:-48}
export N_IT=${N_IT:-10}
rounds=${ROUNDS:-1}
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "ROUNDS must be a positive integer, got '$rounds'" >&2; exit 1; }
official=${OFFICIAL_BENCH:-../shared/bench/official_stirer.py}
out=${BENCH_OUT:-work_dirs/bench_vs_official}

if [ ! -f "$STIRER_REF/model/stirer.py" ]; then
  echo "no official STIRER checkout at STIRER_REF=$STIRER_REF; make one" \
    "(git-ignored, never committed), e.g.:" >&2
  echo "  git clone https://github.com/zhaominyiz/STIRER.git $STIRER_REF" >&2
  exit 1
fi
[ -f "$official" ] || { echo "official benchmark not found: $official" >&2; exit 1; }
mkdir -p "$out"

# Same construction and seed as official_stirer.py's build(); saved as a
# checkpoint of our STIRER (the network is its ``generator``).
"$py" - "$out/official_seed0.pth" <<'PY'
import os, sys
import torch
sys.path.insert(0, os.environ['STIRER_REF'])
from model.stirer import STIRER
torch.manual_seed(0)
model = STIRER(upscale=2, img_size=(16, 64), window_size=(16, 2), img_range=1.,
               depths=[4, 5, 6], embed_dim=48, num_heads=[6, 6, 6], mlp_ratio=2,
               upsampler='pixelshuffledirect', is_eval=False)
torch.save({'state_dict': {f'generator.{k}': v
                            for k, v in model.state_dict().items()}},
           sys.argv[1])
PY

for round in $(seq 1 "$rounds"); do
  echo "[bench] round $round/$rounds, official: $official" \
    "(DEV=$DEV INFER_B=$INFER_B TRAIN_B=$TRAIN_B N_IT=$N_IT)" >&2
  "$py" "$official" > "$out/official_r$round.json"
  cat "$out/official_r$round.json" >&2

  : > "$out/ours_r$round.jsonl"
  for mode in infer train; do
    if [ $mode = infer ]; then batches=$INFER_B; else batches=$TRAIN_B; fi
    for b in ${batches//,/ }; do
      echo "[bench] round $round/$rounds, ours: $config --mode $mode" \
        "--batch-size $b" >&2
      "$py" tools/analysis_tools/benchmark.py "$config" --mode $mode \
        --batch-size "$b" --device "$DEV" --iters "$N_IT" \
        --checkpoint "$out/official_seed0.pth" \
        | tee -a "$out/ours_r$round.jsonl" >&2
    done
  done
done

"$py" - "$out" "$rounds" <<'PY'
import json, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
official = [json.load(open(f'{out}/official_r{r}.json'))
            for r in range(1, rounds + 1)]
ours = [[json.loads(line) for line in open(f'{out}/ours_r{r}.jsonl')]
        for r in range(1, rounds + 1)]


def mib(value):
    return '-' if value is None else f'{value:.0f}'


print(f"device {official[0]['device']}, torch {official[0]['torch']}, "
      f'{rounds} round(s)')
print(f"{'step':<12}{'round':>6}{'official img/s':>16}{'ours img/s':>12}"
      f"{'ratio':>8}{'official MiB':>14}{'ours MiB':>10}")
ratios = {}
for off, mine in zip(official, ours):
    for r in mine:
        key = f"{r['mode']}_b{r['batch_size']}"
        ratios.setdefault(key, []).append(r['img_per_s'] / off[f'{key}_img_s'])
        print(f"{key:<12}{len(ratios[key]):>6}{off[f'{key}_img_s']:>16.2f}"
              f"{r['img_per_s']:>12.2f}{ratios[key][-1]:>7.2f}x"
              f"{mib(off[f'{key}_peak_MiB']):>14}{mib(r['peak_mem_mib']):>10}")
median = {k: round(statistics.median(v), 3) for k, v in ratios.items()}
for key, value in median.items():
    print(f'{key}: median ratio {value:.2f}x over {len(ratios[key])} round(s)')
for key in sorted(k for k in official[0] if k.endswith('_generate_share')):
    shares = ', '.join(f'{o[key]:.2f}' for o in official)
    print(f'official {key}: {shares}')
print(json.dumps(dict(median_ratios=median,
                      ratios={k: [round(x, 3) for x in v]
                              for k, v in ratios.items()},
                      official=official, ours=ours)))
PY
