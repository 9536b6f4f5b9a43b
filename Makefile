# Quick start: `make demo` and `make test`. Each creates or refreshes .venv with the pinned
# dependencies (requirements.lock) before running.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
STAMP := $(VENV)/.installed
BIN := $(VENV)/bin

.PHONY: demo demo-serve test test-slow test-spark test-all lint bench install sandbox chromium screenshots clean acro-venv java

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)

install: $(STAMP)

# ACRO 1.0.2, the oracle of the disclosure checks' conformance tests and benchmark, in its own
# venv (it needs pandas <= 2.3.3; Bulle's has pandas 3). Offline once built: the stamp is newer
# than the lock, so nothing is fetched again.
ACRO_VENV := .venv-acro
ACRO_STAMP := $(ACRO_VENV)/.installed

$(ACRO_STAMP): requirements-acro.lock
	@test -x $(ACRO_VENV)/bin/python || $(PYTHON) -m venv $(ACRO_VENV)
	$(ACRO_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -r requirements-acro.lock
	@touch $(ACRO_STAMP)

acro-venv: $(ACRO_STAMP)

# The analysis sandbox: bubblewrap and util-linux from Debian, the job user, the fixed job
# environment (requirements-job.lock) in /opt/bulle/job-env (as root) or ./.venv-job.
sandbox:
	bash scripts/setup_sandbox.sh

# Debian's Chromium for the browser tests (installed when missing and run as root).
chromium:
	bash scripts/setup_chromium.sh

demo: $(STAMP) sandbox
	$(BIN)/bulle demo --workspace-dir ./demo-workspace
	$(BIN)/python scripts/server_demo.py ./demo-workspace
	@echo "To use it in a browser: make demo-serve (bulle demo --serve) keeps a server running on it and prints the URL and the demo accounts."

# The demo workspace behind a running server (web UI and API) until Ctrl-C.
demo-serve: $(STAMP) sandbox
	$(BIN)/bulle demo --workspace-dir ./demo-workspace --serve

# The browser tests share one server and one browser, in order: they run on their own, after the
# rest (which runs on two workers).
test: $(STAMP) $(ACRO_STAMP) sandbox chromium
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/python -m pytest -n 2 -q --ignore=tests/browser
	$(BIN)/python -m pytest -q tests/browser

# The slow suite alone: ARX's whole conformance suite, the exhaustive optimum checks, crash tests at
# every point, the long-document and evaluation runs. CI runs it after `make test`.
test-slow: $(STAMP) $(ACRO_STAMP) sandbox chromium
	BULLE_SLOW=1 $(BIN)/python -m pytest -n 2 -q -m slow --ignore=tests/browser

# The Spark engine's runs (engine spec tests, same results as DuckDB on ARX cases, a workspace on
# Spark, a killed job): each starts a JVM, so they run apart, in one process, on local[1]/local[2].
test-spark: $(STAMP) java
	BULLE_SPARK=1 $(BIN)/python -m pytest -p no:xdist -q -m spark

# Spark needs a Java runtime (17 or later): installed from Debian when there is none.
java:
	@command -v java >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless; }

test-all: $(STAMP) $(ACRO_STAMP) sandbox chromium
	BULLE_SLOW=1 $(BIN)/python -m pytest -n 2 -q --ignore=tests/browser
	BULLE_SLOW=1 $(BIN)/python -m pytest -q tests/browser

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks scripts

# The README's screenshots come from the browser tests (build/screenshots/, written by every run
# of tests/browser): this copies the chosen ones to docs/screenshots/, nothing is drawn by hand.
SCREENSHOTS := dataset report sql audit transparency job-real output-review
screenshots: $(STAMP) chromium
	@test -f build/screenshots/transparency.png || $(BIN)/python -m pytest -q tests/browser
	mkdir -p docs/screenshots
	for s in $(SCREENSHOTS); do cp build/screenshots/$$s.png docs/screenshots/$$s.png; done

clean:
	rm -rf $(VENV) $(ACRO_VENV) demo-workspace .pytest_cache .ruff_cache .hypothesis build
