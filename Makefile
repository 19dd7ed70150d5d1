# oxygen_hpc — two commands matter: `make demo` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP  := $(VENV)/.setup-stamp
DEMO   ?= demo_out
SEED   ?= 0
PYTEST_ARGS ?=

.PHONY: setup demo test test-fast bench clean gpu-check gpu-check-cpu

# Re-installs only when the dependency files change (the stamp is newer than them otherwise).
$(STAMP): setup.cfg pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -c constraints.txt -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(PY) -m oxygen_hpc.demo --out $(DEMO) --seed $(SEED)

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

# On a lent GPU machine (torch + CUDA, no network; carry .whl from benchmarks/fetch_wheels.sh): installs the
# wheels and this checkout there, then benchmarks/gpu_check.py (< 8 min, figures to $OUT). No .venv involved.
gpu-check:
	bash benchmarks/gpu_check.sh $(GPU_CHECK_ARGS)

# The same check on tiny inputs on this CPU (make test runs it too: tests/benchmarks/test_gpu_check.py).
gpu-check-cpu: setup
	$(PY) benchmarks/gpu_check.py --cpu $(GPU_CHECK_ARGS)

clean:
	rm -rf $(DEMO) .pytest_cache
