# Two commands set up everything on a machine that has only Python 3.11+:
#   make run    serve the API on NEKO_SERVER_BIND (default 127.0.0.1:8080)
#   make test   run the test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint clean sdk-tools

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "installing nekoapi and its dependencies into $(VENV) ..."
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/nekoapi serve

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# npm tools for the TypeScript client round trip (tests/contract/test_sdk_typescript.py
# installs them on first use too); pinned by tests/sdk/ts/package-lock.json.
sdk-tools:
	npm ci --prefix tests/sdk/ts --no-audit --no-fund
	touch tests/sdk/ts/node_modules/.installed

lint: $(STAMP)
	$(BIN)/python -m ruff check .
	$(BIN)/python -m openapi_spec_validator spec/openapi.yaml

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
