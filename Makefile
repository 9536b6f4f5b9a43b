# Quick start: `make demo` and `make test`. Each creates or refreshes .venv with the pinned
# dependencies (requirements.lock) before running.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
STAMP := $(VENV)/.installed
BIN := $(VENV)/bin

.PHONY: demo test test-slow test-all lint bench install sandbox clean acro-venv

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

demo: $(STAMP) sandbox
	$(BIN)/bulle demo --workspace-dir ./demo-workspace
	$(BIN)/python scripts/server_demo.py ./demo-workspace

test: $(STAMP) $(ACRO_STAMP) sandbox
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/python -m pytest -n 2 -q

# The slow suite alone: ARX's whole conformance suite, the exhaustive optimum checks, crash tests at
# every point, the long-document and evaluation runs. CI runs it after `make test`.
test-slow: $(STAMP) $(ACRO_STAMP) sandbox
	BULLE_SLOW=1 $(BIN)/python -m pytest -n 2 -q -m slow

test-all: $(STAMP) $(ACRO_STAMP) sandbox
	BULLE_SLOW=1 $(BIN)/python -m pytest -n 2 -q

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks scripts

clean:
	rm -rf $(VENV) $(ACRO_VENV) demo-workspace .pytest_cache .ruff_cache .hypothesis
