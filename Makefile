# Instap: the two commands of the README are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# The installer: pip bootstraps uv (pinned) into the venv, uv installs the locked tree. uv keeps a
# shared cache, so a second checkout (or a fresh clone in the tests) installs in seconds, not minutes.
UV_VERSION := 0.13.9
# checkov lives in a venv of its own (its pins clash with ours); tests/deploy finds it there.
CHECKOV_VENV := $(VENV)/checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed-stamp
# The virtualenv's byte code, written once after each install on all cores, before the first test
# run: in a fresh clone every xdist worker and every worker and server the tests start otherwise
# compile the same modules at the same moment. Measured in clean clones (2 cores): 33 s of pytest
# saved on one day, 8 s (within the noise) on another; it compiles all 9,106 files, of which the
# suite imports about 3,000, in 16 s, beside mypy (test-prep below).
COMPILED_STAMP := $(VENV)/.compiled-stamp
PYTEST_ARGS ?=
# `make run PORT=8001` when port 8000 is taken.
PORT ?=
# pytest-xdist workers for `make test`: one per CPU core by default (each starts its own
# PostgreSQL and Redis, see tests/README.md); PYTEST_WORKERS=0 runs in one process.
PYTEST_WORKERS ?= auto
# Byte-code caches on, even where the shell turns them off: without them every test process
# (xdist workers, the workers and servers tests start) recompiles, and pytest re-rewrites,
# hundreds of modules.
PYTEST := PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -n $(PYTEST_WORKERS) --dist worksteal

.PHONY: install run test test-prep system-deps checks test-fast bench lint openapi translations clean help

help:
	@echo "make run    - install, migrate, seed demo data and start the whole suite"
	@echo "make test   - install and run the whole test suite (SQLite, PostgreSQL, Redis, Chromium)"
	@echo "make bench  - run the benchmarks and write docs/benchmarks.md"
	@echo "make lint   - ruff and mypy"
	@echo "make translations - extract page texts, add new ones to the English catalogue, compile"

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip install --quiet --python $(BIN)/python -c requirements.lock -e '.[dev]'
	$(BIN)/pybabel compile --use-fuzzy -d shared/translations -D messages
	touch $(STAMP)

run: install
	@scripts/system-deps.sh weasyprint || echo "(continuing: only the PDF of a certificate needs these packages)"
	$(BIN)/instap run $(if $(PORT),--port $(PORT),)

$(CHECKOV_STAMP): requirements-checkov.lock $(STAMP)
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(BIN)/uv pip install --quiet --python $(CHECKOV_VENV)/bin/python -c requirements-checkov.lock checkov
	touch $(CHECKOV_STAMP)

$(COMPILED_STAMP): $(STAMP)
	$(BIN)/python -m compileall -q -j 0 $$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')
	touch $(COMPILED_STAMP)

# What the tests need besides the venv, and the static checks, are independent of each other:
# they run side by side (mypy is single-threaded; the checkov venv and apt mostly wait on the
# disk), each one's output kept together (-O). Any one failing fails `make test`.
test: install
	$(MAKE) --no-print-directory -j 4 -O test-prep
	$(PYTEST) $(PYTEST_ARGS)

test-prep: $(CHECKOV_STAMP) $(COMPILED_STAMP) system-deps checks

system-deps:
	scripts/system-deps.sh redis postgresql chromium weasyprint promtool nginx

checks:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test-fast: install
	$(PYTEST) -m "not browser and not slow" $(PYTEST_ARGS)

bench: install
	$(BIN)/python -m bench.engine_bench --out docs/benchmarks.md
	$(BIN)/python -m bench.service_bench --out docs/benchmarks.md
	$(BIN)/python -m bench.load_bench --out docs/benchmarks.md
	scripts/system-deps.sh valgrind
	$(BIN)/python -m bench.instructions --out docs/benchmarks.md
	$(BIN)/python -m bench.rapportage_bench --out docs/benchmarks.md

lint: install
	$(MAKE) --no-print-directory checks

openapi: install
	$(BIN)/instap openapi --write docs/openapi

# Extract every _()/ngettext() text of services/ and shared/ (babel.cfg), append the new ones to
# the English catalogue with an empty translation, list them, and compile (docs/i18n.md).
translations: install
	$(BIN)/python -m shared.i18n_catalogue
	$(BIN)/pybabel compile --use-fuzzy -d shared/translations -D messages

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .mypy_cache
