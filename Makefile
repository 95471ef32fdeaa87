# `make run` and `make test` work on a fresh machine: they create .venv and install what
# they need. Everything else here is a convenience for developers.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: run test install services lint format typecheck pytest bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Python 3.11+ is needed (found $$($(PYTHON) --version))"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Start the server in embedded mode on SQLite at http://127.0.0.1:8000
run: install
	$(BIN)/wirework server

## Lint, type-check and run every test suite (starts the local databases if they are down)
test: install services lint typecheck pytest

services:
	@scripts/ensure-services.sh

lint:
	$(BIN)/ruff check src tests $(wildcard bench)
	$(BIN)/ruff format --check src tests $(wildcard bench)
	$(BIN)/lint-imports

format:
	$(BIN)/ruff format src tests $(wildcard bench)
	$(BIN)/ruff check --fix src tests $(wildcard bench)

typecheck:
	$(BIN)/mypy

pytest:
	$(BIN)/pytest -p no:cacheprovider $(PYTEST_ARGS); rc=$$?; \
		if [ $$rc -eq 5 ]; then echo "no tests ran"; exit 1; fi; exit $$rc

## Run every benchmark in bench/ and print its figures (needs wrk for the webhook one)
bench: install services
	@command -v wrk >/dev/null || apt-get install -y wrk >/dev/null 2>&1 || \
		(apt-get update >/dev/null 2>&1 && apt-get install -y wrk >/dev/null 2>&1) || \
		echo "wrk is not installed: the webhook benchmark will be skipped"
	$(BIN)/python -m bench $(BENCH)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
