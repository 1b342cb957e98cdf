# fxbot: `make run` and `make test` are all a fresh clone needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip

.PHONY: run test test-fast test-lowest check docs format bench clean lock

# Installs come from the lock (requirements/*.txt: exact versions with their hashes, made by `make lock`), then
# fxbot itself with --no-deps: a fresh clone gets the versions CI tested, not whatever is newest that day.
# The daily path only: no TensorFlow is installed for `make run`.
$(VENV)/.run-installed: pyproject.toml requirements/run.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --require-hashes -r requirements/run.txt
	$(PIP) install --quiet --no-deps -e .
	touch $@

# Everything: training (TensorFlow), backtest statistics, the Slack app, the Ray executor and the test/lint tools.
$(VENV)/.dev-installed: pyproject.toml requirements/dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --require-hashes -r requirements/dev.txt
	$(PIP) install --quiet --no-deps -e .
	touch $(VENV)/.run-installed $@

# Re-resolve the lock after a change of pyproject.toml's dependencies (needs the package index). run.txt (the
# daily path, no matplotlib), charts.txt (it with matplotlib: `fxbot site`, the Slack chart), slack-app.txt and
# train.txt (the Docker images' stages) are constrained by dev.txt, so every install has the version `make test`
# tested of what they share.
LOCK := $(BIN)/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe --no-emit-index-url \
	--no-emit-find-links --no-emit-trusted-host --resolver=backtracking
lock: $(VENV)/.dev-installed
	$(LOCK) --extra charts --extra train --extra slack-app --extra cluster --extra test --extra dev \
		-o requirements/dev.txt pyproject.toml
	$(LOCK) -c requirements/dev.txt -o requirements/run.txt pyproject.toml
	$(LOCK) -c requirements/dev.txt --extra slack-app -o requirements/slack-app.txt pyproject.toml
	$(LOCK) -c requirements/dev.txt --extra train -o requirements/train.txt pyproject.toml
	$(LOCK) -c requirements/dev.txt --extra charts -o requirements/charts.txt pyproject.toml

# The lower bounds, tested: fxbot's own dependencies, [charts] and [slack-app] at the lowest versions allowed,
# the test tools and everything else from the lock (requirements/lowest.py writes the constraints), in a venv of
# their own; then the fast tests. A test that needs another extra (TensorFlow, SciPy, ...) is skipped, saying
# which (requirements/lowest_plugin.py); any other failure fails.
LOWEST := $(VENV)/lowest
$(LOWEST)/.installed: pyproject.toml requirements/dev.txt requirements/lowest.py
	test -x $(LOWEST)/bin/python || $(PYTHON) -m venv $(LOWEST)
	$(PYTHON) requirements/lowest.py > $(LOWEST)/constraints.txt
	$(LOWEST)/bin/python -m pip install --quiet -c $(LOWEST)/constraints.txt -e '.[charts,slack-app,test]'
	touch $@

test-lowest: $(LOWEST)/.installed
	PYTHONPATH=requirements $(LOWEST)/bin/python -m pytest -p lowest_plugin -m "not slow" -q -n auto

run: $(VENV)/.run-installed
	$(BIN)/fxbot run-once --dry-run

# pytest-xdist workers: one more than the cores, since many of the slower tests mostly wait (timeouts, retries
# with backoff, a link going stale, child processes) and a spare worker runs others meanwhile (make test-fast on
# 2 cores: 130 s with 2 workers, 94 s with 3, 88 s with 4). worksteal: an idle worker takes tests queued on a
# busy one, as a few take seconds and most milliseconds. `make test XDIST_WORKERS=1` for one; a single file runs
# faster without workers: `.venv/bin/python -m pytest tests/test_x.py`.
XDIST_WORKERS ?= $(shell echo $$(( $$(nproc) + 1 )))
XDIST := -n $(XDIST_WORKERS) --dist worksteal

test: $(VENV)/.dev-installed
	$(BIN)/python -m pytest $(XDIST)

test-fast: $(VENV)/.dev-installed
	$(BIN)/python -m pytest $(XDIST) -m "not slow"

check: $(VENV)/.dev-installed
	$(BIN)/ruff check fxbot tests bench
	$(BIN)/ruff format --check fxbot tests bench
	$(BIN)/mypy
	$(BIN)/hadolint Dockerfile
	$(MAKE) docs

# The docs/ site: strict, so a broken link, a missing page or a stale anchor fails `make check` (and CI).
docs: $(VENV)/.dev-installed
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

format: $(VENV)/.dev-installed
	$(BIN)/ruff format fxbot tests bench
	$(BIN)/ruff check --fix fxbot tests bench

bench: $(VENV)/.dev-installed
	$(BIN)/python -m bench.daily_path

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info
