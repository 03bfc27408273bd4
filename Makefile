# glassnet: `make test` and `make run` work from a fresh clone with only python3 and make.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

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
