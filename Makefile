# Overgang developer tasks.
#   make run    - set up .venv, migrate a SQLite demo database, register the example
#                 partners, print their tokens and start the server
#   make test   - set up .venv, then lint (ruff), type-check (mypy) and test (pytest).
#                 PostgreSQL tests run when OVERGANG_TEST_POSTGRES_URL is set
#                 (see scripts/test-postgres.sh) and skip themselves otherwise.
#                 pytest runs in two passes (scripts/pytest-passes.sh): the tests on
#                 PYTEST_WORKERS processes (pytest-xdist, default 2), then those marked
#                 `serial` alone. Extra pytest arguments go to both passes:
#                 make test PYTEST_ARGS='-k ack -x'

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
PYTEST_WORKERS ?= 2
# Directories that ruff checks (only those present, so a half-built tree still lints).
LINT_PATHS := $(wildcard src tests migrations)

export PIP_DISABLE_PIP_VERSION_CHECK := 1
export PIP_NO_INPUT := 1

.PHONY: venv run test

venv: $(STAMP)

# Re-install only when pyproject.toml is newer than the stamp (or the venv is missing).
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || { echo "creating $(VENV)"; $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install -e '.[dev]'
	@touch $@

run: venv
	$(BIN)/overgang demo

test: venv
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)
	$(BIN)/mypy
	PYTEST_WORKERS=$(PYTEST_WORKERS) bash scripts/pytest-passes.sh $(BIN)/pytest $(PYTEST_ARGS)
