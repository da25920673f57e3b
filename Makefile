# cv-analytics developer entry points. `make test` and `make demo` work on a fresh clone.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TOOLS := .tools

.PHONY: help test check lint typecheck pytest demo tools clean schema athena-schema browser cost-inputs

help:
	@echo "make test   - set up .venv and the tool environments, then lint, type-check and run every test"
	@echo "make demo   - run the whole pipeline locally on an embedded AWS emulator (no account needed)"
	@echo "make schema - regenerate contract/event-contract-v1.schema.json"
	@echo "make athena-schema - regenerate export_infra/athena.generated.json (columns, view, named queries)"
	@echo "make cost-inputs - re-measure cv_analytics/cost/measured.json (bench.cost_inputs) and rewrite README's cost table"

$(BIN)/.installed: pyproject.toml contract/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# Tools that pin conflicting versions (aws-sam-cli and checkov pin their own boto3) live in their
# own virtual environments, never in the project's.
$(TOOLS)/sam/.installed: scripts/tool-requirements/sam.txt
	$(PYTHON) -m venv $(TOOLS)/sam
	$(TOOLS)/sam/bin/pip install --quiet -r scripts/tool-requirements/sam.txt
	touch $@

$(TOOLS)/checkov/.installed: scripts/tool-requirements/checkov.txt
	$(PYTHON) -m venv $(TOOLS)/checkov
	$(TOOLS)/checkov/bin/pip install --quiet -r scripts/tool-requirements/checkov.txt
	touch $@

$(TOOLS)/node/.installed: scripts/tool-requirements/package.json
	mkdir -p $(TOOLS)/node
	cp scripts/tool-requirements/package.json $(TOOLS)/node/package.json
	cd $(TOOLS)/node && npm install --no-audit --no-fund --silent
	touch $@

# The dashboard's browser tests drive Debian's Chromium (Playwright's own browser download is not
# reachable); installed when missing and this runs as root, as on CI, else the tests say so.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
	  else echo "chromium is not installed: the browser tests will be skipped (apt-get install -y chromium)"; fi; }

tools: $(BIN)/.installed $(TOOLS)/sam/.installed $(TOOLS)/checkov/.installed $(TOOLS)/node/.installed browser

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(BIN)/.installed
	$(BIN)/mypy

pytest: tools
	$(BIN)/pytest

check: lint typecheck

test: tools lint typecheck pytest

# The checkov environment brings hcl2tojson, with which the demo reads reporter_infra's alarm
# from the Terraform and evaluates it (without it the demo could only say it did not).
demo: $(BIN)/.installed $(TOOLS)/checkov/.installed
	$(BIN)/cv-analytics demo $(ARGS)

schema: $(BIN)/.installed
	$(BIN)/python -m analytics_contract.schema

athena-schema: $(BIN)/.installed
	$(BIN)/python -m cv_analytics.data.athena_schema

# The cost model's measured inputs (fixed questions and seed: the counts are deterministic), then
# the README's cost table from `cv-analytics cost --markdown`.
cost-inputs: $(BIN)/.installed
	$(BIN)/python -m bench.cost_inputs
	$(BIN)/python scripts/cost_readme.py

clean:
	rm -rf $(VENV) $(TOOLS) .aws-sam .mypy_cache .ruff_cache .pytest_cache build out
