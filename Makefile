# Two commands set up everything on a machine that has only Python 3.11+:
#   make run    serve the API on NEKO_SERVER_BIND (default 127.0.0.1:8080)
#               (WORKERS=n: n worker processes; needs NEKO_SESSION_STORE=redis)
#   make test   run the test suite, then once more with the Redis session store
PYTHON ?= python3
WORKERS ?= 1
# The suites the Redis pass of `make test` repeats (everything that drives sessions).
REDIS_SUITES ?= tests/unit tests/api tests/e2e tests/security
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "installing nekoapi and its dependencies into $(VENV) ..."
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/nekoapi serve --workers $(WORKERS)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)
	NEKO_TEST_STORE=redis $(BIN)/python -m pytest $(PYTEST_ARGS) $(REDIS_SUITES)

lint: $(STAMP)
	$(BIN)/python -m ruff check .
	$(BIN)/python -m openapi_spec_validator spec/openapi.yaml

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
