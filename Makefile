# partnerbot: `make run` starts the bot in the terminal; `make test` runs the tests.
# `make bench`, `make outages` and `make load` print figures beside budgets (never part of `make test`).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench outages load clean

# Test processes: one per core (pytest-xdist); `make test PYTEST_WORKERS=0` runs them in one.
PYTEST_WORKERS ?= auto

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "partnerbot needs Python 3.11 ($(PYTHON) not found; set PYTHON=...)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/partnerbot run

# Lint, format, the layers (import-linter), types (mypy), then the suite.
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

bench: $(STAMP)
	@for b in tests/bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || true; done

# Outages: PostgreSQL stopped mid-meeting (a private cluster), then Slack, Graph and SMTP failing.
# `make outages DOWN=5 FAIL=10` for a quick run. Needs PostgreSQL's server binaries (initdb, pg_ctl).
DOWN ?= 30
FAIL ?= 60
outages: $(STAMP)
	$(BIN)/python tests/bench/run_outages.py --down $(DOWN) --fail $(FAIL)

# Load: 20 chairs and 200 owners, Slack and Teams, two `serve` processes, PostgreSQL at
# LOAD_DATABASE (a database created and dropped). `make load LOAD_SECONDS=10` for a quick run.
LOAD_SECONDS ?= 60
LOAD_RATE ?= 100
LOAD_DATABASE ?= postgresql://postgres@127.0.0.1:5432/partnerbot_load
load: $(STAMP)
	$(BIN)/python tests/bench/run_load.py --seconds $(LOAD_SECONDS) --rate $(LOAD_RATE) --database $(LOAD_DATABASE)

clean:
	rm -rf $(VENV) var out .pytest_cache .ruff_cache
