# Thin targets: CI calls them as they are (`.ci/run` runs `make test`).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
BASE_URL ?= $(GRADES_BASE_URL)
TOOLS    := .tools
NODE_HINT := install Node.js 20+ with npm (https://nodejs.org/, or apt-get install nodejs npm)

.PHONY: help run test lint pytest wheel contract fuzz fuzz-self soak bench clean frontend-kit frontend-kit-generate

# The token reaches grades-contract through the environment (GRADES_TOKEN) only: a make
# variable would be echoed with the recipe, and any argument shows in `ps`.
ifeq ($(origin TOKEN),command line)
$(error TOKEN=... is visible in ps and shell history: export GRADES_TOKEN instead)
endif

help:
	@echo "make run       start the mock on http://127.0.0.1:8080 with the bundled fixtures (PORT=9000: another port)"
	@echo "make test      lint, the whole test suite and frontend-kit's checks, side by side (contract suite against a fresh mock included)"
	@echo "make pytest    the whole test suite only (TEST_WORKERS=3 pytest-xdist workers)"
	@echo "make lint      ruff + mypy + Spectral on spec/openapi.yaml (needs Node.js 20+)"
	@echo "make wheel     build dist/grades_contract_kit-*.whl (what a release attaches)"
	@echo "make contract  BASE_URL=...  the ci profile against a live instance (token: \$$GRADES_TOKEN)"
	@echo "make fuzz      BASE_URL=...  the fuzz profile against a live instance (token: \$$GRADES_TOKEN)"
	@echo "make fuzz-self Schemathesis (--mode all, 5,000 examples) against a fresh mock"
	@echo "make soak      60 s at 128 connections against a fresh mock (bench/soak.py)"
	@echo "make frontend-kit  npm ci, tsc --noEmit and the MSW handlers' conformance test (Node.js 20+)"
	@echo "make frontend-kit-generate  rewrite frontend-kit's types, contract.js and fixtures.js"
	@echo "make bench     the mock vs Prism, scaling to 1M records, suite speed (~10 min; QUICK=1: seconds)"

# One stamp per install flavour; re-installs when pyproject.toml changes.
# A checkout made without symlinks (plain Windows) has text files where grades_kit/'s links are.
$(BIN)/python:
	@test -L grades_kit/mock_server || { echo "grades_kit/mock_server is not a symlink: this checkout was made without symlinks; run git config core.symlinks true && git checkout -- grades_kit .editable" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# constraints.txt pins what the ci profile's determinism depends on (Hypothesis, Schemathesis...).
$(VENV)/.installed-run: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[mock]'
	@touch $@

# The contract suite against a live instance (make contract / make fuzz): the [suite] extra.
$(VENV)/.installed-suite: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[suite]'
	@touch $@

$(VENV)/.installed-dev: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $@ $(VENV)/.installed-run $(VENV)/.installed-suite

run: $(VENV)/.installed-run
	$(BIN)/grades-mock $(if $(PORT),--port $(PORT))

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

# lint, pytest and frontend-kit's node checks side by side (mypy keeps one core busy for a
# minute while pytest's workers wait on servers and subprocesses), as are the installs before
# them; --output-sync keeps each step's output in one piece. docs/benchmarks.md: how long
# `make test` takes, and how to measure it.
test:
	@$(MAKE) --no-print-directory -j3 --output-sync=target lint pytest frontend-kit

# TEST_WORKERS pytest-xdist workers (--dist loadgroup: see [tool.pytest.ini_options]).
# Bytecode caching is back on for the run: the suite starts grades-contract about a hundred
# times, and under PYTHONDONTWRITEBYTECODE each start redoes pytest's assertion rewrite of
# ~400 modules (about 2 s of CPU).
TEST_WORKERS ?= 3
pytest: $(VENV)/.installed-dev $(TOOLS)/node_modules/.installed bench/node_modules/.installed frontend-kit/node_modules/.installed
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/pytest -n $(TEST_WORKERS)

# `make test` also builds the wheel, installs it into a fresh venv and runs grades-contract
# from an empty directory (tests/contract_tests/test_installed_wheel.py).
wheel: $(BIN)/python
	$(BIN)/python -m pip wheel --quiet --no-deps --wheel-dir dist .

contract: $(VENV)/.installed-suite
	$(BIN)/grades-contract --base-url "$(BASE_URL)" --profile ci

fuzz: $(VENV)/.installed-suite
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

# frontend-kit/: the TypeScript types and the MSW handlers, from its own lockfile. The pytest
# run of `make test` checks the rest (staleness, the contract suite against the handlers).
frontend-kit/node_modules/.installed: frontend-kit/package-lock.json
	@command -v npm >/dev/null || { echo "make frontend-kit: npm not found: $(NODE_HINT)" >&2; exit 1; }
	npm ci --prefix frontend-kit --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

frontend-kit: frontend-kit/node_modules/.installed
	cd frontend-kit && node_modules/.bin/tsc --noEmit -p .
	cd frontend-kit && node --test test/

frontend-kit-generate: $(VENV)/.installed-dev frontend-kit/node_modules/.installed
	cd frontend-kit && node_modules/.bin/openapi-typescript ../spec/openapi.yaml -o src/grades-api.d.ts
	$(BIN)/python -m tests.frontend.frontend_kit

clean:
	rm -rf $(VENV) $(TOOLS)/node_modules bench/node_modules frontend-kit/node_modules .pytest_cache .mypy_cache .ruff_cache .hypothesis build dist
