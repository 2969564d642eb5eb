# Pouls — day-to-day commands. `make demo` and `make test` are the two that matter.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
UV_VERSION := 0.13.9

.PHONY: install demo test lint format lock messages browser bench clean-data

## install: virtualenv with the locked Python packages, and the npm packages (quick when nothing changed)
install: $(VENV)/.install-stamp node_modules/.install-stamp

$(VENV)/.install-stamp: requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(VENV)/bin/uv pip sync --quiet --python $(PY) requirements.lock
	@touch $@

node_modules/.install-stamp: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

## demo: migrate, seed the demo agency, serve web + worker + beat on http://localhost:8000 (Ctrl-C stops all)
demo: install
	$(PY) scripts/demo.py

## test: lint, format check and the whole suite (real PostgreSQL, real worker, real browser)
test: install browser
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) -m pytest

## browser: Debian's chromium for the browser tests (installed when missing and we may)
browser:
	@if ! command -v chromium >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's chromium for the browser tests…"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is missing: browser tests will skip (they fail under CI=true)."; fi; \
	fi

## lint: ruff, and import-linter's layers contract (pyproject.toml: dependencies point one way)
lint:
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports

format:
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

## lock: re-resolve pyproject.toml into requirements.lock (hashes included)
lock:
	$(VENV)/bin/uv pip compile pyproject.toml --group dev --generate-hashes -o requirements.lock

## messages: refresh the French and English catalogues and compile them
messages: install
	$(PY) manage.py makemessages -l fr -l en --ignore=.venv --ignore=node_modules --ignore=staticfiles
	$(PY) manage.py compilemessages --ignore=.venv

## bench: provisioning speed (median of 10 client creations)
bench: install
	$(PY) bench/create_client.py

## clean-data: stop nothing, delete the embedded database and broker folders under .data/
clean-data:
	rm -rf .data
