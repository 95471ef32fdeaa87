# `make run` and `make test` work on a fresh machine: they create .venv and install what
# they need. Everything else here is a convenience for developers.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
# pytest-xdist workers (auto: one per core); 0 runs the suite in this process.
PYTEST_WORKERS ?= auto
WEB := web
WEB_STAMP := $(WEB)/node_modules/.installed
CHROMIUM ?= /usr/bin/chromium
DOVECOT ?= /usr/sbin/dovecot

.PHONY: run test install services lint format typecheck pytest bench clean azurite \
	web-install ui api-client api-client-check chromium dovecot web-test web-unit web-e2e

EXAMPLE_PLUGIN := examples/plugins/wirework-example

$(STAMP): pyproject.toml $(EXAMPLE_PLUGIN)/pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Python 3.11+ is needed (found $$($(PYTHON) --version))"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	# The example third-party integration package: the tests find it in the registry.
	$(BIN)/python -m pip install --quiet -e $(EXAMPLE_PLUGIN)
	touch $(STAMP)

install: $(STAMP)

## Build the web UI, then start the server in embedded mode on SQLite at http://127.0.0.1:8000
run: install ui
	$(BIN)/wirework server

## Lint, type-check and run every test suite (starts the local databases if they are down)
test: install services dovecot lint typecheck pytest web-test

# --- web UI (web/): Node.js 20.19+ from the system; Chromium from Debian for the e2e tests
$(WEB_STAMP): $(WEB)/package-lock.json $(WEB)/package.json
	@command -v npm >/dev/null || { echo "npm is needed (Node.js 20.19 or newer) to build the UI"; exit 1; }
	cd $(WEB) && npm ci --no-audit --no-fund
	touch $(WEB_STAMP)

web-install: $(WEB_STAMP)

## Build the UI into src/wirework/web_dist (served at /)
ui: web-install
	cd $(WEB) && npm run build

## Regenerate the UI's API client from the server's OpenAPI schema (commit the result)
api-client: install web-install
	PYTHON=$(abspath $(BIN)/python) scripts/gen-api-client.sh

api-client-check: install web-install
	PYTHON=$(abspath $(BIN)/python) scripts/gen-api-client.sh --check

chromium:
	@test -x $(CHROMIUM) || apt-get install -y chromium >/dev/null 2>&1 || \
		(apt-get update >/dev/null 2>&1 && apt-get install -y chromium >/dev/null 2>&1) || \
		{ echo "Chromium is needed for the UI's end-to-end tests (apt-get install chromium)"; exit 1; }

# The imap integration's tests start their own dovecot (no system service is started).
dovecot:
	@test -x $(DOVECOT) || apt-get install -y dovecot-imapd >/dev/null 2>&1 || \
		(apt-get update >/dev/null 2>&1 && apt-get install -y dovecot-imapd >/dev/null 2>&1) || \
		{ echo "dovecot is needed for the IMAP tests (apt-get install dovecot-imapd)"; exit 1; }

## The UI's type check, Vitest unit tests and browser end-to-end tests
web-test: api-client-check web-unit web-e2e

web-unit: web-install
	cd $(WEB) && npm run typecheck && npx vitest run --project unit

web-e2e: install ui chromium
	cd $(WEB) && CHROMIUM_PATH=$(CHROMIUM) WIREWORK_PYTHON=$(abspath $(BIN)/python) \
		npx vitest run --project e2e

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

# Azurite (Azure Storage's local emulator) for the Azure integration's Blob tests, in .tools/.
# Without npm (or its registry) those tests are skipped, and fail under CI=true.
AZURITE := .tools/node_modules/.bin/azurite-blob

$(AZURITE):
	@command -v npm >/dev/null || { echo "npm not found: the Azure Blob tests will be skipped"; exit 0; }
	npm install --prefix .tools --no-audit --no-fund --silent azurite@3 || \
		echo "could not install Azurite: the Azure Blob tests will be skipped"

azurite: $(AZURITE)

pytest: azurite
	$(BIN)/pytest -p no:cacheprovider -n $(PYTEST_WORKERS) $(PYTEST_ARGS); rc=$$?; \
		if [ $$rc -eq 5 ]; then echo "no tests ran"; exit 1; fi; exit $$rc

## Run every benchmark in bench/ and print its figures (needs wrk for the webhook one)
bench: install services ui chromium
	@command -v wrk >/dev/null || apt-get install -y wrk >/dev/null 2>&1 || \
		(apt-get update >/dev/null 2>&1 && apt-get install -y wrk >/dev/null 2>&1) || \
		echo "wrk is not installed: the webhook benchmark will be skipped"
	$(BIN)/python -m bench $(BENCH)

clean:
	rm -rf $(VENV) .tools .pytest_cache .mypy_cache .ruff_cache .hypothesis \
		$(WEB)/node_modules $(WEB)/test-results src/wirework/web_dist
