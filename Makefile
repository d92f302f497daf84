# Thin targets: CI calls them as they are (`.ci/run` runs `make test`).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
BASE_URL ?= $(GRADES_BASE_URL)
TOKEN    ?= $(GRADES_TOKEN)

.PHONY: help run test lint contract fuzz clean

help:
	@echo "make run       start the mock on http://127.0.0.1:8080 with the bundled fixtures"
	@echo "make test      lint, then the whole test suite (contract suite against a fresh mock included)"
	@echo "make lint      ruff + mypy"
	@echo "make contract  BASE_URL=... TOKEN=...  the ci profile against a live instance"
	@echo "make fuzz      BASE_URL=... TOKEN=...  the fuzz profile against a live instance"

# One stamp per install flavour; re-installs when pyproject.toml changes.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(BIN)/grades-mock

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

contract: $(VENV)/.installed-run
	$(BIN)/grades-contract --base-url "$(BASE_URL)" --token "$(TOKEN)" --profile ci

fuzz: $(VENV)/.installed-run
	$(BIN)/grades-contract --base-url "$(BASE_URL)" --token "$(TOKEN)" --profile fuzz

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis build dist
