# Thin targets: CI calls them as they are (`.ci/run` runs `make test`).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
BASE_URL ?= $(GRADES_BASE_URL)
TOOLS    := .tools
NODE_HINT := install Node.js 20+ with npm (https://nodejs.org/, or apt-get install nodejs npm)

.PHONY: help run test lint wheel contract fuzz fuzz-self soak bench clean

# The token reaches grades-contract through the environment (GRADES_TOKEN) only: a make
# variable would be echoed with the recipe, and any argument shows in `ps`.
ifeq ($(origin TOKEN),command line)
$(error TOKEN=... is visible in ps and shell history: export GRADES_TOKEN instead)
endif

help:
	@echo "make run       start the mock on http://127.0.0.1:8080 with the bundled fixtures"
	@echo "make test      lint, then the whole test suite (contract suite against a fresh mock included)"
	@echo "make lint      ruff + mypy + Spectral on spec/openapi.yaml (needs Node.js 20+)"
	@echo "make wheel     build dist/grades_contract_kit-*.whl (what a release attaches)"
	@echo "make contract  BASE_URL=...  the ci profile against a live instance (token: \$$GRADES_TOKEN)"
	@echo "make fuzz      BASE_URL=...  the fuzz profile against a live instance (token: \$$GRADES_TOKEN)"
	@echo "make fuzz-self Schemathesis (--mode all, 5,000 examples) against a fresh mock"
	@echo "make soak      60 s at 128 connections against a fresh mock (bench/soak.py)"
	@echo "make bench     the mock vs Prism, scaling to 1M records, suite speed (~10 min; QUICK=1: seconds)"

# One stamp per install flavour; re-installs when pyproject.toml changes.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# constraints.txt pins what the ci profile's determinism depends on (Hypothesis, Schemathesis...).
$(VENV)/.installed-run: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[mock]'
	@touch $@

$(VENV)/.installed-dev: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(BIN)/grades-mock

# Spectral from the committed lockfile; re-installs only when the lockfile changes.
$(TOOLS)/node_modules/.installed: $(TOOLS)/package-lock.json
	@command -v npm >/dev/null || { echo "make lint: npm not found: $(NODE_HINT)" >&2; exit 1; }
	npm ci --prefix $(TOOLS) --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

lint: $(VENV)/.installed-dev $(TOOLS)/node_modules/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	@command -v node >/dev/null || { echo "make lint: node not found: $(NODE_HINT)" >&2; exit 1; }
	$(TOOLS)/node_modules/.bin/spectral lint spec/openapi.yaml --ruleset .spectral.yaml --fail-severity=warn

test: lint bench/node_modules/.installed
	$(BIN)/pytest

# `make test` also builds the wheel, installs it into a fresh venv and runs grades-contract
# from an empty directory (tests/contract_tests/test_installed_wheel.py).
wheel: $(BIN)/python
	$(BIN)/python -m pip wheel --quiet --no-deps --wheel-dir dist .

contract: $(VENV)/.installed-run
	$(BIN)/grades-contract --base-url "$(BASE_URL)" --profile ci

fuzz: $(VENV)/.installed-run
	$(BIN)/grades-contract --base-url "$(BASE_URL)" --profile fuzz

fuzz-self: $(VENV)/.installed-dev
	$(BIN)/python -m tests.hardening.fuzz_self --max-examples 5000 --seed 1

soak: $(VENV)/.installed-run
	$(BIN)/python -m bench.soak

# Prism, the baseline of `make bench` (and of its quick test), from bench/'s lockfile.
bench/node_modules/.installed: bench/package-lock.json
	@command -v npm >/dev/null || { echo "make bench: npm not found: $(NODE_HINT)" >&2; exit 1; }
	npm ci --prefix bench --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

bench: $(VENV)/.installed-dev bench/node_modules/.installed
	$(BIN)/python -m bench $(if $(QUICK),--quick --prism)

clean:
	rm -rf $(VENV) $(TOOLS)/node_modules bench/node_modules .pytest_cache .mypy_cache .ruff_cache .hypothesis build dist
