# fxbot: `make run` and `make test` are all a fresh clone needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip

.PHONY: run test test-fast check format bench clean

# The daily path only: no TensorFlow is installed for `make run`.
$(VENV)/.run-installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e .
	touch $@

# Everything: training (TensorFlow), backtest statistics, the Ray executor and the test/lint tools.
$(VENV)/.dev-installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[train,dev,cluster]'
	touch $(VENV)/.run-installed $@

run: $(VENV)/.run-installed
	$(BIN)/fxbot run-once --dry-run

test: $(VENV)/.dev-installed
	$(BIN)/python -m pytest

test-fast: $(VENV)/.dev-installed
	$(BIN)/python -m pytest -m "not slow"

check: $(VENV)/.dev-installed
	$(BIN)/ruff check fxbot tests bench
	$(BIN)/ruff format --check fxbot tests bench
	$(BIN)/mypy
	$(BIN)/hadolint Dockerfile

format: $(VENV)/.dev-installed
	$(BIN)/ruff format fxbot tests bench
	$(BIN)/ruff check --fix fxbot tests bench

bench: $(VENV)/.dev-installed
	$(BIN)/python -m bench.daily_path

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info
