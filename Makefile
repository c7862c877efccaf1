# Developer entry points. Needs only Python 3.11+ (PYTHON=python3.12 to pick another).
#   make run    - create .venv, install, migrate; with Slack credentials serve on HOST:PORT,
#                 without them start sandbox mode: the app, a local Slack stand-in and the
#                 console at http://127.0.0.1:PORT/console (billing-bot demo)
#   make test   - create .venv with the dev tools, run every test
#   make check  - linters, formatter, type checker, import contracts
#   make bench  - run the benchmarks in bench/
#   make revision m="add reminders" - autogenerate an Alembic revision from the ORM model

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Stamps: the install re-runs whenever pyproject.toml is newer than the last install.
RUN_STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
PYTEST_ARGS ?=

.PHONY: run test check bench revision venv dev-venv clean

run: $(RUN_STAMP)
	$(BIN)/billing-bot migrate
	$(BIN)/billing-bot demo --or-serve

test: $(DEV_STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

check: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict domain bot documents gateways/stripe_payments.py
	$(BIN)/lint-imports

bench: $(DEV_STAMP)
	@set -e; found=0; for script in bench/*_bench.py; do \
		[ -e "$$script" ] || continue; found=1; \
		echo "==> $$script"; $(BIN)/python "$$script"; \
	done; [ $$found = 1 ] || { echo "no benchmarks in bench/" >&2; exit 1; }

revision: $(DEV_STAMP)
	@[ -n "$(m)" ] || { echo 'usage: make revision m="what the revision does"' >&2; exit 2; }
	$(BIN)/python -m storage.migrate revision -m "$(m)"
	$(BIN)/ruff check --fix --quiet storage/migrations/versions
	$(BIN)/ruff format --quiet storage/migrations/versions

venv: $(RUN_STAMP)
dev-venv: $(DEV_STAMP)

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
		echo "billing-bot needs Python 3.11 or newer; set PYTHON=/path/to/python3.11" >&2; exit 1; }
	@echo "creating $(VENV) with $(PYTHON)"
	@$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
		echo "creating $(VENV) failed; on Debian or Ubuntu: apt-get install python3-venv" >&2; exit 1; }

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	@touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@ $(RUN_STAMP)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
