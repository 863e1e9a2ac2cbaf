# Two entry points; both set up the project virtualenv first (idempotent).
PY := .venv/bin/python

.PHONY: setup setup-tests demo test bench-vs-official

setup:
	bash tools/setup_env.sh

setup-tests:
	bash tools/setup_env.sh --tests

demo: setup
	$(PY) tools/demo.py

test: setup-tests
	$(PY) -m pytest tests -q -p no:cacheprovider --timeout=900

bench-vs-official: setup-tests
	bash .dev_scripts/bench_vs_official.sh
