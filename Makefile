# glassnet: `make test` and `make run` work from a fresh clone with only python3 and make.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# One BLAS thread per process: on 2 shared cores a multi-threaded OpenBLAS spins against
# pytest's second worker and other jobs; measured under load, `glassnet train` took 220 s
# with 2 threads and 27 s with 1. Override from the environment to use more.
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1

.PHONY: test run lint bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

test: $(STAMP)
	# Debian's chromium drives the playground's end-to-end tests (Playwright never downloads one).
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)
	$(VENV)/bin/ruff check glassnet tests benchmarks examples
	$(PY) -m pytest -n 2 -q

run: $(STAMP)
	$(VENV)/bin/glassnet train

lint: $(STAMP)
	$(VENV)/bin/ruff check glassnet tests benchmarks examples
	$(VENV)/bin/ruff format --check glassnet tests benchmarks examples

bench: $(STAMP)
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) build *.egg-info runs
