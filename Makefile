# The two commands a newcomer needs: `make run` and `make test`. Everything else is here too.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV       := .venv
TOOLS      := .venv-tools
PY         := $(VENV)/bin/python
RASA       := $(VENV)/bin/rasa
# Python 3.10 (Rasa 3.6 runs on 3.8-3.10 only): pyenv's 3.10 first (its `python3.10` shim refuses
# while another global version is set), then any working python3.10 on PATH.
PYTHON310  ?= $(shell for p in $$(ls -d $$(pyenv root 2>/dev/null)/versions/3.10.*/bin/python3.10 2>/dev/null | sort -V | tail -n 1) python3.10; do \
                 "$$p" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' >/dev/null 2>&1 && { command -v "$$p"; break; }; done)
# What the model is trained from: a change in any of these retrains it.
MODEL_INPUTS := config.yml domain.yml $(shell find data -name '*.yml' 2>/dev/null) \
                bot/nlu/*.py bot/languages.py bot/redaction.py bot/dialogue/*.py \
                bot/person_request.py
MODEL      := models/assistant.tar.gz
# Debian packages the tests need (browser tests; the scaled topology's servers); installed when
# missing (CI runs as root on a fresh machine).
DEBIAN_PACKAGES := chromium chromium-driver postgresql redis-server nginx
DEBIAN_MISSING   = $(shell for b in /usr/bin/chromium /usr/bin/chromedriver /usr/bin/redis-server /usr/sbin/nginx; do                      test -x $$b || echo $$b; done; ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || echo postgres)
SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help run run-scaled bench shell test test-fast lint types format debian-packages evaluate train validate lock clean

help:
	@echo "make run       set up, train if needed, start the assistant (REST :5005, actions :5055, accounts :8001, console :8002)"
	@echo "make run-scaled  the same on PostgreSQL, Redis and nginx with WORKERS Rasa workers (default 2)"
	@echo "make bench     latency, throughput, memory and accuracy beside a vanilla rasa init assistant"
	@echo "make test      lint, types, then the whole test suite (what CI runs)"
	@echo "make test-fast lint, types, then the tests that start no process (pytest -m 'not e2e and not slow'), in seconds"
	@echo "make lint      ruff: lint rules and format check (make format rewrites the files)"
	@echo "make types     mypy over actions, bot, connectors, services, ops"
	@echo "make shell     talk to the assistant in the terminal"
	@echo "make evaluate  held-out set, per-language NLU cross-validation and story tests, reports under results/"
	@echo "make train     train the model if data, domain or config changed"
	@echo "make lock      re-pin requirements.lock and requirements-dev.lock from their .in files"

$(VENV)/.installed: requirements.lock
	@test -n "$(PYTHON310)" || { echo "error: Python 3.10 not found (Rasa 3.6 needs 3.8-3.10). Install it, e.g. 'pyenv install 3.10.13', or run make PYTHON310=/path/to/python3.10"; exit 1; }
	@echo "creating $(VENV) with $(PYTHON310)"
	@test -x $(PY) || $(PYTHON310) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check "pip==24.0"
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	@touch $@

# Tests and code checks: requirements-dev.lock on top of the runtime lock (make run never installs it).
$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.lock
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.lock
	@touch $@

$(TOOLS)/.installed: requirements-tools.lock
	@test -n "$(PYTHON310)" || { echo "error: Python 3.10 not found"; exit 1; }
	@test -x $(TOOLS)/bin/python || $(PYTHON310) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check "pip==24.0"
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-tools.lock
	@touch $@

$(MODEL): $(VENV)/.installed $(MODEL_INPUTS)
	@mkdir -p models
	$(RASA) train --fixed-model-name assistant --out models
	@touch $@

train: $(MODEL)

debian-packages:
ifneq ($(strip $(DEBIAN_MISSING)),)
	@command -v apt-get >/dev/null || { echo "error: install $(DEBIAN_PACKAGES) (Debian package names)"; exit 1; }
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(DEBIAN_PACKAGES)
endif

validate: $(VENV)/.installed
	$(RASA) data validate --fail-on-warnings

run: $(MODEL)
	$(PY) -m ops run

WORKERS ?=
run-scaled: $(MODEL)
	$(PY) -m ops run-scaled $(if $(WORKERS),--workers $(WORKERS))

# CV=1 also cross-validates the NLU per language (about 10 minutes more); PROFILE=1 samples the
# Rasa processes with py-spy under load.
bench: $(VENV)/.installed $(TOOLS)/.installed
	$(PY) -m ops.bench $(if $(CV),--cv) $(if $(PROFILE),--profile)

shell: $(MODEL)
	$(PY) -m ops shell

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

types: $(VENV)/.installed-dev
	$(VENV)/bin/mypy

test: lint types $(TOOLS)/.installed debian-packages $(MODEL)
	$(PY) -m pytest

test-fast: lint types
	$(PY) -m pytest -m "not e2e and not slow"

evaluate: $(MODEL)
	$(PY) -m ops.evaluation --heldout tests/data/heldout --model $(MODEL) --out results/heldout
	$(PY) -m ops.evaluation --out results/nlu
	$(RASA) test core --model $(MODEL) --stories tests/stories --out results/core --fail-on-prediction-errors

lock:
	rm -rf /tmp/lock-venv && $(PYTHON310) -m venv /tmp/lock-venv && /tmp/lock-venv/bin/pip install -q -r requirements.in
	{ echo "# Exact versions for .venv/ (Python 3.10). Regenerate with 'make lock' after changing requirements.in."; \
	  /tmp/lock-venv/bin/pip freeze; } > requirements.lock
	/tmp/lock-venv/bin/pip install -q -r requirements-dev.in
	{ echo "# Exact versions for .venv/ beyond requirements.lock (Python 3.10). Regenerate with 'make lock'."; \
	  /tmp/lock-venv/bin/pip freeze | grep -vxFf requirements.lock; } > requirements-dev.lock

clean:
	rm -rf models results .pytest_cache .mypy_cache .ruff_cache
