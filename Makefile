# Two commands set up everything on a machine that has only Python 3.11+:
#   make run    serve the API on NEKO_SERVER_BIND (default 127.0.0.1:8080)
#               (WORKERS=n: n worker processes; needs NEKO_SESSION_STORE=redis)
#   make test   run the test suite, then once more with the Redis session store
#   make bench  benchmark against a bare-Starlette reference, then the desktop, screencast, media and soak
#               parts (each its own section of docs/benchmarks.md; BENCH_ARGS="--only media" runs one part,
#               BENCH_ARGS="--only soak --soak-quick" a tenth of the soak)
PYTHON ?= python3
WORKERS ?= 1
# The suites the Redis pass of `make test` repeats: those that drive sessions through the store
# (logins, sockets, events, control, scale-out, outages), the auth matrix and the contract's stateful
# sequences. The rest build no server, or test what the session store does not touch (the member
# stores, request shapes, the generated SDKs, the X display and media, which need one worker).
REDIS_SUITES ?= tests/api tests/e2e tests/security tests/members/test_live_sessions.py \
	tests/contract/test_auth_matrix.py tests/contract/test_schemathesis.py::test_stateful_sequences_along_links_conform
REDIS_CONFORMANCE ?= CONFORMANCE_SCENARIOS=15
# pytest-xdist processes for `make test` (the suite is CPU-bound: one per core).
TEST_WORKERS ?= 2
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint clean sdk-tools bench desktop-deps neko-ui-check

# The desktop's Debian packages (Xorg with the dummy driver, Xvfb as the fallback, Chromium,
# PulseAudio, the X tools, FFmpeg for the RTMP receiver in tests, nftables for the tests' firewalled
# namespaces, coturn for `webrtc.turn`); installed only when one is missing.
DESKTOP_PACKAGES := xserver-xorg-core xserver-xorg-video-dummy xvfb xauth x11-xkb-utils \
	x11-xserver-utils x11-utils xclip xdotool chromium pulseaudio pulseaudio-utils ffmpeg \
	fonts-dejavu-core xfonts-base libyuv0 nftables coturn
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "installing nekoapi and its dependencies into $(VENV) ..."
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

desktop-deps:
	@missing=""; for pkg in $(DESKTOP_PACKAGES); do \
		dpkg-query -W -f='$${db:Status-Status}' $$pkg 2>/dev/null | grep -qx installed || missing="$$missing $$pkg"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing the desktop's Debian packages:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

run: $(STAMP) desktop-deps
	$(BIN)/nekoapi serve --workers $(WORKERS)

test: $(STAMP) desktop-deps
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)
	NEKO_TEST_STORE=redis $(REDIS_CONFORMANCE) $(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS) $(REDIS_SUITES)

# npm tools for the TypeScript client round trip (tests/contract/test_sdk_typescript.py
# installs them on first use too); pinned by tests/sdk/ts/package-lock.json.
sdk-tools:
	npm ci --prefix tests/sdk/ts --no-audit --no-fund
	touch tests/sdk/ts/node_modules/.installed

lint: $(STAMP)
	$(BIN)/python -m ruff check .
	$(BIN)/python -m openapi_spec_validator spec/openapi.yaml
	$(BIN)/python -m nekoapi.ws.declared

# The harness runs on core 1 and pins the servers to core 0 (bench/servers.py).
BENCH_STAMP := $(VENV)/.bench-installed

$(BENCH_STAMP): $(STAMP)
	@$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	@touch $(BENCH_STAMP)

# The media part runs Neko's own GStreamer pipeline beside ours (bench/media_encode.py).
BENCH_PACKAGES := wrk gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good

bench: $(BENCH_STAMP) desktop-deps
	@missing=""; for pkg in $(BENCH_PACKAGES); do \
		dpkg-query -W -f='$${db:Status-Status}' $$pkg 2>/dev/null | grep -qx installed || missing="$$missing $$pkg"; \
	done; \
	if [ -n "$$missing" ]; then \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	ulimit -n "$$(ulimit -Hn)"; $(shell command -v taskset >/dev/null && echo taskset -c 1) \
		$(BIN)/python -m bench $(BENCH_ARGS)

# Neko's own v2 UI (client/ of a m1k1o/neko checkout at NEKO_SRC), built with npm, served by nekoapi
# with NEKO_STATIC and used in Chromium as its users use it (tests/legacy/neko_ui_check.py).
neko-ui-check: $(STAMP) desktop-deps
	@test -n "$(NEKO_SRC)" || { echo "set NEKO_SRC to a checkout of m1k1o/neko"; exit 2; }
	cd "$(NEKO_SRC)/client" && npm ci --no-audit --no-fund && NODE_OPTIONS=--openssl-legacy-provider npm run build
	NEKO_UI_DIST="$(abspath $(NEKO_SRC))/client/dist" $(BIN)/python -m pytest -p no:cacheprovider tests/legacy/neko_ui_check.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
