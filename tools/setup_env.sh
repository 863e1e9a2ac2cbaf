#!/usr/bin/env bash
# Idempotent set-up: a project virtualenv (.venv) with the exact versions of requirements/lock.txt
# (the package itself declares ranges, requirements/runtime.txt), mmcv 2.0.1 built from its
# PyPI source archive with compiled ops (C++ standard raised for today's torch headers), and this
# package installed in editable mode. The built mmcv wheel is cached outside the checkout
# (STISR_CACHE, default ~/.cache/stisr_mmocr), so a second set-up only reinstalls it.
#   usage: bash tools/setup_env.sh [--tests]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cache=${STISR_CACHE:-$HOME/.cache/stisr_mmocr}
venv=${STISR_VENV:-$root/.venv}
with_tests=0
[ "${1:-}" = "--tests" ] && with_tests=1
mkdir -p "$cache/wheels"
key=$(cat requirements/*.txt setup.py tools/setup_env.sh | sha1sum | cut -c1-12)
stamp="$venv/.stisr_setup_${key}_$with_tests"
if [ -f "$stamp" ] || [ -f "$venv/.stisr_setup_${key}_1" ]; then
  echo "[setup] $venv is up to date"
  exit 0
fi
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
py="$venv/bin/python"
pip=("$py" -m pip install -q --disable-pip-version-check)
"${pip[@]}" --upgrade pip
"${pip[@]}" -r requirements/build.txt
"${pip[@]}" -r requirements/lock.txt
whl=$(ls "$cache"/wheels/mmcv-2.0.1-*.whl 2>/dev/null | head -1 || true)
if [ -z "$whl" ]; then
  echo "[setup] building mmcv 2.0.1 with compiled ops (about 14 minutes on 2 cores, once)"
  src=$(mktemp -d)
  MMCV_WITH_OPS=1 "$py" -m pip download -q --no-deps --no-binary :all: --no-build-isolation \
    -d "$src" mmcv==2.0.1
  tar xzf "$src"/mmcv-2.0.1.tar.gz -C "$src"
  sed -i 's/-std=c++14/-std=c++20/g' "$src/mmcv-2.0.1/setup.py"
  cuda=0
  "$py" -c 'import torch,sys; sys.exit(0 if torch.cuda.is_available() else 1)' && cuda=1
  ( cd "$src/mmcv-2.0.1" && MMCV_WITH_OPS=1 FORCE_CUDA=$cuda MAX_JOBS=${MAX_JOBS:-$(nproc)} \
      "$py" setup.py -q bdist_wheel > "$src/build.log" 2>&1 ) || { tail -40 "$src/build.log"; exit 1; }
  cp "$src"/mmcv-2.0.1/dist/mmcv-2.0.1-*.whl "$cache/wheels/"
  rm -rf "$src"
  whl=$(ls "$cache"/wheels/mmcv-2.0.1-*.whl | head -1)
fi
"${pip[@]}" --no-deps "$whl"
if [ $with_tests = 1 ]; then
  "${pip[@]}" -r requirements/tests.txt -c requirements/lock.txt
  "${pip[@]}" --no-deps -r requirements/mim.txt
fi
"${pip[@]}" --no-deps --no-build-isolation -e .
"$py" -c "import mmcv.ops, mmocr, stisr_mmocr; print('[setup] ready: mmocr', mmocr.__version__, 'mmcv', mmcv.__version__)"
rm -f "$venv"/.stisr_setup_*
touch "$stamp"
