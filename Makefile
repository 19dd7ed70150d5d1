# oxygen_hpc — two commands matter: `make demo` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP  := $(VENV)/.setup-stamp
DEMO   ?= demo_out
SEED   ?= 0
PYTEST_ARGS ?=

.PHONY: setup demo test test-fast bench clean

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

clean:
	rm -rf $(DEMO) .pytest_cache
