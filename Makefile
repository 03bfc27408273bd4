# glassnet: `make run`, `make test` and `make docs` work from a fresh clone with only python3
# and make. Each target installs what it needs into .venv and records it in its own stamp
# file, so a venv first made by `make run` (the runtime only) still gets the dev tools for
# `make test`, and a venv made by `make test` is reused as is by `make run`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --quiet --disable-pip-version-check
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
DOCS_STAMP := $(VENV)/.installed-docs
# One BLAS thread per process: on 2 shared cores a multi-threaded OpenBLAS spins against
# pytest's second worker and other jobs; measured under load, `glassnet train` took 220 s
# with 2 threads and 27 s with 1. Override from the environment to use more.
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1

.PHONY: test run docs lint bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)

# The runtime only (numpy, rich, matplotlib): no torch, Playwright, Dask or pytest.
# --no-compile: Python compiles the modules it imports on first use instead of pip
# compiling all of numpy and matplotlib up front (half of the install's CPU time).
$(RUN_STAMP): pyproject.toml | $(PY)
	test -f $(DEV_STAMP) -a $(DEV_STAMP) -nt pyproject.toml || $(PIP) --no-compile -e .
	touch $@

# Every extra plus the test tools (`dev` pulls them all).
$(DEV_STAMP): pyproject.toml | $(PY)
	$(PIP) -e ".[dev]"
	touch $@

# The documentation site's tools and the notebook kernel that renders the lessons.
$(DOCS_STAMP): pyproject.toml | $(PY)
	test -f $(DEV_STAMP) -a $(DEV_STAMP) -nt pyproject.toml || $(PIP) -e ".[docs]"
	touch $@

test: $(DEV_STAMP)
	# Debian's chromium drives the playground's end-to-end tests (Playwright never downloads one).
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)
	$(VENV)/bin/ruff check glassnet tests benchmarks examples docs
	$(PY) -m pytest -n 2 -q

run: $(RUN_STAMP)
	$(VENV)/bin/glassnet train

# The site, offline, into site/; --strict turns a broken reference or link into an error.
docs: $(DOCS_STAMP)
	$(VENV)/bin/mkdocs build --strict --site-dir site

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check glassnet tests benchmarks examples docs
	$(VENV)/bin/ruff format --check glassnet tests benchmarks examples docs

bench: $(DEV_STAMP)
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) build *.egg-info runs site docs/lessons .cache notebooks
